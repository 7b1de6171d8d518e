"""``koppelaar import`` and the API's bulk upload: validate, then upsert in one transaction."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from sqlalchemy import Connection

from models.dataset import problem_order, write_dataset
from models.dataset.changes import validate_changes
from models.dataset.reader import RawTable, read_raw
from models.entities import InvalidTransition
from models.errors import DatasetInvalid, KoppelaarError, Problem
from models.schema import FILES
from models.store.store import FileChange, Store


@dataclass
class ImportReport:
    """What an import changed, per file, and the warnings that did not block it."""

    changes: dict[str, FileChange]
    warnings: list[Problem] = field(default_factory=list)
    version: int = 0

    def as_dict(self) -> dict[str, object]:
        return {
            "changes": {name: change.as_dict() for name, change in self.changes.items()},
            "warnings": [w.as_dict() for w in self.warnings],
            "data_version": self.version,
        }


#: ``guard(conn, tables)``: extra problems of the caller's own (a key's region, say) before anything is written.
#: ``rows`` holds the CSV row number of each row of each table.
Guard = Callable[[Connection, dict[str, pd.DataFrame], dict[str, list[int]]], list[Problem]]


def import_raw(
    store: Store,
    raw: Mapping[str, RawTable],
    source: str,
    problems: list[Problem],
    guard: Guard | None = None,
    *,
    columns: Mapping[str, list[str]] | None = None,
    then: Callable[[Connection], None] | None = None,
    schemes: Collection[str] | None = None,
) -> ImportReport:
    """Validate raw tables against each other and the store, then upsert them, all or nothing.

    ``columns`` names the columns to write per file (default: those the input has); a stored
    row keeps its value in the others. ``then`` runs inside the same transaction after the upsert.
    ``schemes`` names the valuation schemes the installation knows (``None``: not checked).

    Raises :class:`DatasetInvalid` with every problem when any is an error, :class:`InvalidTransition`
    when every error is a placement status moved against its life cycle; nothing is written then.
    """
    with store.begin() as conn:
        changes = validate_changes(
            dict(raw), lambda file, keys: store.fetch_table(conn, file, keys), problems, schemes=schemes
        )
        if changes.ok and guard is not None:
            rows = {name: list(table.row_numbers) for name, table in raw.items()}
            changes.problems.extend(guard(conn, changes.tables, rows))
        if not changes.ok:
            refused = InvalidTransition if changes.only_conflicts else DatasetInvalid
            raise refused(source, sorted(changes.problems, key=problem_order))
        given = {name: list(table.columns) for name, table in raw.items()}
        given.update(columns or {})
        applied = store.apply(conn, changes.tables, given)
        if then is not None:
            then(conn)
        version = store.version(conn)
    return ImportReport(applied, changes.warnings, version)


def import_folder(store: Store, folder: Path, *, schemes: Collection[str] | None = None) -> ImportReport:
    """Import every file of the format found in ``folder`` (any subset of the five)."""
    if not folder.is_dir():
        raise KoppelaarError(f"{folder} is not a folder: give the folder holding the CSV files")
    problems: list[Problem] = []
    raw = {spec.name: read_raw(spec, folder, problems) for spec in FILES if (folder / spec.filename).is_file()}
    if not raw:
        names = ", ".join(spec.filename for spec in FILES)
        raise KoppelaarError(f"{folder} holds none of the format's files ({names})")
    return import_raw(store, raw, str(folder), problems, schemes=schemes)


def export_folder(store: Store, folder: Path) -> dict[str, int]:
    """Write the whole store as a dataset folder (atomically); the row count per file."""
    ds = store.load_dataset()
    write_dataset(ds, folder)
    return ds.counts()


__all__ = ["Guard", "ImportReport", "export_folder", "import_folder", "import_raw"]
