"""The HTTP API: ``app.create_app`` and one router per resource (see docs/API.md).

Never imports the command line (:mod:`api.cli`), Typer or rich: an import-linter contract holds it.
"""
