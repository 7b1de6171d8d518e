"""``koppelaar import`` and the API's bulk upload: validate, then upsert in one transaction."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from sqlalchemy import Connection

from models.dataset import problem_order, write_dataset
from models.dataset.changes import validate_changes
from models.dataset.ocds import read_ocds, release_problem
from models.dataset.reader import RawTable, raw_from_cells, read_raw
from models.entities import InvalidTransition
from models.errors import DatasetInvalid, KoppelaarError, Problem
from models.schema import FILES, FILES_BY_NAME
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


def _raw(spec_name: str, records: list[dict[str, str]], columns: list[str], rows: list[int]) -> RawTable:
    """A raw table of only ``columns`` (a stored row keeps its value in the others)."""
    full = raw_from_cells(FILES_BY_NAME[spec_name], records, rows)
    full.columns = {name: full.columns[name] for name in columns}
    return full


#: The obligation columns an OCDS release fills; a stored obligation keeps its scheme, euros and groups.
OCDS_OBLIGATION_COLUMNS = [
    "obligation_id",
    "contractor_id",
    "client",
    "tender_name",
    "sector",
    "contract_value_eur",
    "sroi_percentage",
    "publication_date",
    "award_date",
    "start_date",
    "end_date",
]
OCDS_CONTRACTOR_COLUMNS = ["contractor_id", "name", "kvk", "postcode"]


def import_ocds(
    store: Store, path: Path, *, sroi_percentage: float | None = None, schemes: Collection[str] | None = None
) -> tuple[ImportReport, int]:
    """Import the planned tenders of an OCDS JSON file as obligations (:mod:`models.dataset.ocds`): all
    or nothing, validated like ``obligations.csv``; every problem names the file, the release and its
    OCDS field. Returns the report and the number of releases skipped for want of social criteria."""
    rows = read_ocds(path, sroi_percentage=sroi_percentage)
    source = path.name
    if any(p.severity == "error" for p in rows.problems):
        raise DatasetInvalid(source, sorted(rows.problems, key=problem_order))
    warnings = list(rows.problems)
    if not rows.obligations:
        return ImportReport({}, warnings, store.version()), rows.skipped
    numbers = [number for number, _ in rows.releases]
    first_release: dict[str, int] = {}
    for obligation, number in zip(rows.obligations, numbers, strict=True):
        first_release.setdefault(obligation["contractor_id"], number)
    raw = {
        "contractors": _raw(
            "contractors",
            [{k: c.get(k, "") for k in OCDS_CONTRACTOR_COLUMNS} for c in rows.contractors],
            OCDS_CONTRACTOR_COLUMNS,
            [first_release[c["contractor_id"]] for c in rows.contractors],
        ),
        "obligations": _raw("obligations", rows.obligations, OCDS_OBLIGATION_COLUMNS, numbers),
    }
    ocids = dict(rows.releases)
    sources = dict(zip(numbers, rows.sources, strict=True))

    def in_release(problem: Problem) -> Problem:
        if problem.row is None or problem.row not in ocids:
            return Problem(source, None, problem.column, problem.value, problem.message, problem.severity)
        field = sources[problem.row].get(problem.column or "", problem.column or "release")
        if problem.file.startswith("contractors"):
            field = f"awards[0].suppliers[0] ({problem.column})"
        return release_problem(
            source,
            problem.row,
            ocids[problem.row],
            field,
            value=problem.value,
            message=problem.message,
            severity=problem.severity,
        )

    try:
        report = import_raw(store, raw, source, [], schemes=schemes)
    except DatasetInvalid as exc:
        raise DatasetInvalid(source, [in_release(p) for p in exc.problems]) from None
    report.warnings = warnings + [in_release(p) for p in report.warnings]
    return report, rows.skipped


def export_folder(store: Store, folder: Path) -> dict[str, int]:
    """Write the whole store as a dataset folder (atomically); the row count per file."""
    ds = store.load_dataset()
    write_dataset(ds, folder)
    return ds.counts()


__all__ = ["Guard", "ImportReport", "export_folder", "import_folder", "import_ocds", "import_raw"]
