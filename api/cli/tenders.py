"""``koppelaar tenders import FILE``: planned tenders into the store as obligations that have not started.

A ``.json`` file is read as OCDS (one release, a release package or a record package; the mapping is in
docs/DATA-FORMAT.md); a ``.csv`` file is the exchange format's ``obligations.csv``, whose contractors
are in the store already. Either is validated first and imported all or nothing.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from api.bootstrap import Runtime
from api.cli.db import open_store, where
from api.cli.render import exit_on_user_error, print_problems, table
from models.errors import KoppelaarError

tenders_app = typer.Typer(
    help="The tender calendar: import planned tenders (OCDS JSON or obligations.csv) as obligations.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()


def import_tenders(
    file: Annotated[
        Path, typer.Argument(help="An OCDS .json file or an obligations .csv file.", show_default=False, dir_okay=False)
    ],
    sroi_percentage: Annotated[
        float | None,
        typer.Option(
            "--sroi-percentage",
            min=0.01,
            max=100,
            help="OCDS: the SROI percentage of a tender with social criteria whose texts state none.",
        ),
    ] = None,
    output: Annotated[str, typer.Option("--format", help="text or json.")] = "text",
) -> None:
    """Import planned tenders as obligations: validated first, then upserted by id in one transaction."""
    from api.services.notify import import_result
    from models.dataset.reader import read_raw_bytes
    from models.errors import DatasetInvalid, Problem
    from models.schema import FILES_BY_NAME
    from models.store.importer import import_ocds, import_raw

    if not file.is_file():
        raise KoppelaarError(f"{file} is not a file: give an OCDS .json file or an obligations .csv file")
    suffix = file.suffix.lower()
    if suffix not in (".json", ".csv"):
        raise KoppelaarError(f"{file} is neither .json (OCDS) nor .csv (obligations.csv)")
    runtime = Runtime.load()
    store = open_store(runtime)
    skipped = 0
    try:
        try:
            if suffix == ".json":
                report, skipped = import_ocds(
                    store, file, sroi_percentage=sroi_percentage, schemes=runtime.known_schemes
                )
            else:
                problems: list[Problem] = []
                raw = read_raw_bytes(FILES_BY_NAME["obligations"], file.read_bytes(), problems)
                report = import_raw(store, {"obligations": raw}, str(file), problems, schemes=runtime.known_schemes)
        except DatasetInvalid as exc:
            import_result(store, runtime, region=None, source=file.name, changes=None, errors=len(exc.errors))
            raise
        changes = {name: c.as_dict() for name, c in report.changes.items()}
        import_result(store, runtime, region=None, source=file.name, changes=changes)
    finally:
        store.close()
    if output == "json":
        typer.echo(json.dumps({**report.as_dict(), "skipped_releases": skipped}, indent=2, ensure_ascii=False))
        return
    rows = [(name, c["inserted"], c["updated"], c["unchanged"]) for name, c in changes.items()]
    console.print(table(f"Imported {file} into {where(runtime)}", ("file", "new", "changed", "unchanged"), rows))
    if skipped:
        console.print(f"{skipped} release(s) without social criteria skipped", markup=False)
    if report.warnings:
        print_problems(console, report.warnings)


tenders_app.command("import")(exit_on_user_error(import_tenders))

__all__ = ["import_tenders", "tenders_app"]
