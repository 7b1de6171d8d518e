"""The Koppelaar domain: entities, enums, SROI rules and the dataset exchange format.

Pure: no web framework, no solver, no database here (persistence adapters live in
``models.store`` and are imported only by the API layer).
"""
