"""Datasets: the CSV files of the exchange format as validated, typed tables.

``read_dataset`` returns a :class:`Dataset` or raises :class:`~models.errors.DatasetInvalid`
with *every* problem found; nothing is ever half-read. ``write_dataset`` writes the
canonical form atomically, so writing what was read gives the same bytes.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from models.dataset.cells import TEXT_KINDS, Experience, format_column, from_python, to_python
from models.dataset.checks import Context, check_all, parse_table
from models.dataset.reader import read_raw_folder
from models.errors import DatasetInvalid, KoppelaarError, Problem
from models.folders import replacing_folder
from models.schema import FILES, FILES_BY_NAME, FileSpec
from models.spreadsheet import neutralise_cell

__all__ = [
    "Dataset",
    "Experience",
    "ValidationReport",
    "problem_order",
    "read_dataset",
    "table_from_records",
    "validate_dataset",
    "write_dataset",
]


@dataclass
class Dataset:
    """The tables of a dataset, each with the spec's columns in canonical order.

    Column dtypes: ids and text ``str``; whole numbers ``Int64``; decimals ``float64``;
    booleans ``boolean``; dates ``datetime64[ns]``; enums ``category`` (ordered where the
    order means something); lists ``object`` holding tuples. Empty cells are missing values.
    """

    contractors: pd.DataFrame
    obligations: pd.DataFrame
    vacancies: pd.DataFrame
    candidates: pd.DataFrame
    placements: pd.DataFrame
    contributions: pd.DataFrame = field(default_factory=lambda: table_from_records("contributions", []))
    warnings: list[Problem] = field(default_factory=list)

    def table(self, name: str) -> pd.DataFrame:
        """The table of file ``name`` (``"candidates"``, ...)."""
        if name not in FILES_BY_NAME:
            raise KeyError(f"unknown table {name!r}: one of {', '.join(FILES_BY_NAME)}")
        table: pd.DataFrame = getattr(self, name)
        return table

    def tables(self) -> dict[str, pd.DataFrame]:
        return {spec.name: self.table(spec.name) for spec in FILES}

    def records(self, name: str) -> list[dict[str, object]]:
        """Rows of table ``name`` as plain Python values (enums, dates, tuples, ``None``)."""
        spec = FILES_BY_NAME[name]
        df = self.table(name)
        columns = [[to_python(v, col) for v in df[col.name]] for col in spec.columns]
        return [dict(zip(spec.column_names, values, strict=True)) for values in zip(*columns, strict=True)]

    def counts(self) -> dict[str, int]:
        return {spec.name: len(self.table(spec.name)) for spec in FILES}


@dataclass
class ValidationReport:
    """What validating a folder found: the dataset when it has no errors, and every problem."""

    folder: Path
    problems: list[Problem]
    dataset: Dataset | None

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def ok(self) -> bool:
        return self.dataset is not None


def table_from_records(spec: FileSpec | str, records: list[dict[str, object]]) -> pd.DataFrame:
    """Build a typed table from plain Python values; absent keys are empty cells."""
    spec = FILES_BY_NAME[spec] if isinstance(spec, str) else spec
    unknown = {k for r in records for k in r} - set(spec.column_names)
    if unknown:
        raise KoppelaarError(f"{spec.filename} has no column(s) {', '.join(sorted(unknown))}")
    return pd.DataFrame({col.name: from_python([r.get(col.name) for r in records], col) for col in spec.columns})


def problem_order(p: Problem) -> tuple[int, str, int, str]:
    """Problems in report order: by file (in the format's order), row and column."""
    order = {spec.filename: i for i, spec in enumerate(FILES)}
    return (order.get(p.file, -1), p.file, p.row or 0, p.column or "")


def validate_dataset(folder: str | os.PathLike[str], *, schemes: Collection[str] | None = None) -> ValidationReport:
    """Read and check every file of ``folder``; never raises for bad content.

    ``schemes`` names the valuation schemes the installation knows: an obligation naming another
    is an error (``None``: scheme names are not checked).
    """
    path = Path(folder)
    problems: list[Problem] = []
    raw = read_raw_folder(path, problems)
    if not raw:
        return ValidationReport(path, problems, None)
    tables = {name: parse_table(table, problems) for name, table in raw.items()}
    rows = {name: np.asarray(table.row_numbers, dtype=np.int64) for name, table in raw.items()}
    unreadable = frozenset(name for name, table in raw.items() if not table.readable)
    check_all(Context(tables, rows, problems, unreadable, schemes))
    problems.sort(key=problem_order)
    if any(p.severity == "error" for p in problems):
        return ValidationReport(path, problems, None)
    dataset = Dataset(**tables, warnings=[p for p in problems if p.severity == "warning"])
    return ValidationReport(path, problems, dataset)


def read_dataset(folder: str | os.PathLike[str], *, schemes: Collection[str] | None = None) -> Dataset:
    """Read a dataset folder, or raise :class:`DatasetInvalid` listing every problem (see :func:`validate_dataset`)."""
    report = validate_dataset(folder, schemes=schemes)
    if report.dataset is None:
        raise DatasetInvalid(str(folder), report.problems)
    return report.dataset


def _write_csv(path: Path, spec: FileSpec, table: pd.DataFrame) -> None:
    missing = [c for c in spec.column_names if c not in table.columns]
    if missing:
        raise KoppelaarError(f"cannot write {spec.filename}: the table lacks column(s) {', '.join(missing)}")
    columns = [
        [str(neutralise_cell(cell)) for cell in format_column(table[col.name], col)]
        if col.kind in TEXT_KINDS
        else format_column(table[col.name], col)
        for col in spec.columns
    ]
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(spec.column_names)
        if not any("\r" in "".join(column) for column in columns):
            writer.writerows(zip(*columns, strict=True))
            return
        # Python 3.11's writer quotes a cell only for the characters of ``lineterminator``, so a
        # bare carriage return would end the record early; quote every cell of such rows.
        quote_all = csv.writer(fh, lineterminator="\n", quoting=csv.QUOTE_ALL)
        for row in zip(*columns, strict=True):
            (quote_all if any("\r" in cell for cell in row) else writer).writerow(row)


def write_dataset(dataset: Dataset, folder: str | os.PathLike[str]) -> Path:
    """Write every file in canonical form into ``folder``, which appears whole or not at all.

    ``folder`` is replaced as a whole (:func:`models.folders.replacing_folder`): it may be new, empty or
    an earlier dataset folder; a folder holding other files is refused.
    """
    with replacing_folder(folder, [spec.filename for spec in FILES]) as staging:
        for spec in FILES:
            _write_csv(staging / spec.filename, spec, dataset.table(spec.name))
    return Path(folder)
