"""Cells between their three forms: the canonical CSV text, the database value and the typed table.

The canonical text of :mod:`models.dataset` is the pivot: a stored row is turned into text and
parsed by the same parser as a file, so the store and the exchange format cannot disagree.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date

import pandas as pd

from models.dataset.cells import format_column, format_number
from models.dataset.checks import parse_table
from models.dataset.reader import raw_from_cells
from models.schema import Column, FileSpec, Kind


def text_to_db(text: str, col: Column) -> object:
    """The database value of a canonical cell text (``None`` for an empty cell)."""
    if text == "":
        return None
    kind = col.kind
    if kind is Kind.INT:
        return int(text)
    if kind is Kind.FLOAT:
        return float(text)
    if kind is Kind.BOOL:
        return text == "true"
    if kind is Kind.DATE:
        return date.fromisoformat(text)
    return text


def db_to_text(value: object, col: Column) -> str:
    """The canonical cell text of a database value."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date):
        return value.isoformat()
    if col.kind is Kind.FLOAT and isinstance(value, int | float):
        return format_number(float(value))
    return str(value)


def table_to_db_rows(
    spec: FileSpec, table: pd.DataFrame, columns: Iterable[str] | None = None
) -> list[dict[str, object]]:
    """Database rows of a typed table, with ``columns`` only (default: every column)."""
    wanted = list(columns) if columns is not None else list(spec.column_names)
    if spec.key not in wanted:
        wanted.insert(0, spec.key)
    texts = {name: format_column(table[name], spec.column(name)) for name in wanted}
    cols = [spec.column(name) for name in wanted]
    return [{col.name: text_to_db(texts[col.name][i], col) for col in cols} for i in range(len(table))]


def db_rows_to_table(spec: FileSpec, rows: Iterable[Mapping[str, object]]) -> pd.DataFrame:
    """A typed table (as :func:`models.dataset.read_dataset` gives) of stored rows."""
    cells = [{col.name: db_to_text(row.get(col.name), col) for col in spec.columns} for row in rows]
    return parse_table(raw_from_cells(spec, cells), [])


__all__ = ["db_rows_to_table", "db_to_text", "table_to_db_rows", "text_to_db"]
