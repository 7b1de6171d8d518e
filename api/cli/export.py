"""``koppelaar export``: the whole store as a dataset folder of the exchange format."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from api.cli.db import open_store
from models.errors import KoppelaarError

console = Console()


def export(
    out: Annotated[Path, typer.Argument(help="Folder to write the five CSV files to.", show_default=False)],
) -> None:
    """Export the whole store as a dataset folder of the exchange format."""
    from models.store.importer import export_folder

    if out.exists() and not out.is_dir():
        raise KoppelaarError(f"{out} is a file; give a folder for the CSV files")
    store = open_store()
    try:
        counts = export_folder(store, out)
    except OSError as exc:
        raise KoppelaarError(f"cannot write to {out}: {exc.strerror or exc}") from None
    finally:
        store.close()
    console.print(f"wrote {out}: " + ", ".join(f"{n} {name}" for name, n in counts.items()), highlight=False)
