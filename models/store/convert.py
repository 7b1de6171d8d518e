"""Cells between their three forms: the canonical CSV text, the database value and the typed table.

The canonical text of :mod:`models.dataset` is the pivot: a stored row is turned into text and
parsed by the same parser as a file, so the store and the exchange format cannot disagree.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from functools import lru_cache

import pandas as pd

from models.dataset.cells import format_column, format_number
from models.dataset.checks import parse_table
from models.dataset.reader import raw_from_cells
from models.schema import FILES_BY_NAME, Column, FileSpec, Kind


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


#: Up to this many rows are converted row by row, each row's table kept (a write's rows, those it
#: refers to, the rows a matcher takes in after a write: the same row is often converted again).
FEW_ROWS = 8


def db_rows_to_table(spec: FileSpec, rows: Iterable[Mapping[str, object]]) -> pd.DataFrame:
    """A typed table (as :func:`models.dataset.read_dataset` gives) of stored rows."""
    values = [tuple(row.get(col.name) for col in spec.columns) for row in rows]
    if 0 < len(values) <= FEW_ROWS:
        return pd.concat([_one_row(spec.name, v) for v in values], ignore_index=True)
    return _parsed(spec, values)


def _parsed(spec: FileSpec, values: list[tuple[object, ...]]) -> pd.DataFrame:
    cells = [{col.name: db_to_text(v, col) for col, v in zip(spec.columns, row, strict=True)} for row in values]
    return parse_table(raw_from_cells(spec, cells), [])


@lru_cache(maxsize=256)
def _one_row(name: str, values: tuple[object, ...]) -> pd.DataFrame:
    """The typed table of one stored row (kept: :data:`FEW_ROWS`); read only, ``pd.concat`` copies it."""
    return _parsed(FILES_BY_NAME[name], [values])


__all__ = ["db_rows_to_table", "db_to_text", "table_to_db_rows", "text_to_db"]
