"""``koppelaar import``: a dataset into the store, validated first, then upserted by id in one transaction."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from api.bootstrap import Runtime
from api.cli.db import open_store, where
from api.cli.progress import LogFormat, LogOpt, QuietOpt, Reporter
from api.cli.render import print_problems, table

console = Console()


def import_(
    dataset: Annotated[Path, typer.Argument(help="Folder with any of the format's CSV files.", show_default=False)],
    output: Annotated[str, typer.Option("--format", help="text or json.")] = "text",
    quiet: QuietOpt = False,
    log: LogOpt = LogFormat.TEXT,
) -> None:
    """Import a dataset into the store: validated first, then upserted by id in one transaction."""
    from api.services.notify import import_result
    from models.errors import DatasetInvalid
    from models.store.importer import import_folder

    with Reporter.from_options("import", quiet=quiet, log=log) as reporter:
        runtime = Runtime.load()
        with reporter.stage("connect"):
            store = open_store(runtime)
        try:
            with reporter.stage("import"):
                try:
                    report = import_folder(store, dataset, schemes=runtime.known_schemes)
                except DatasetInvalid as exc:
                    import_result(
                        store, runtime, region=None, source=dataset.name, changes=None, errors=len(exc.errors)
                    )
                    raise
                import_result(
                    store,
                    runtime,
                    region=None,
                    source=dataset.name,
                    changes={name: c.as_dict() for name, c in report.changes.items()},
                )
        finally:
            store.close()
        changes = {name: c.as_dict() for name, c in report.changes.items()}
        reporter.done(
            {name: {k: change[k] for k in ("inserted", "updated", "unchanged")} for name, change in changes.items()},
            warnings=len(report.warnings),
        )
    if output == "json":
        typer.echo(json.dumps(report.as_dict(), indent=2, ensure_ascii=False))
        return
    rows = [(name, c["inserted"], c["updated"], c["unchanged"]) for name, c in changes.items()]
    console.print(table(f"Imported {dataset} into {where(runtime)}", ("file", "new", "changed", "unchanged"), rows))
    if report.warnings:
        print_problems(console, report.warnings)
