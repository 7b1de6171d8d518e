"""Cells between their three forms: the canonical CSV text, the database value and the typed table.

The canonical text of :mod:`models.dataset` is the pivot: a stored row is turned into text and
parsed by the same parser as a file, so the store and the exchange format cannot disagree.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from datetime import date
from functools import cache

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


def remember_rows(spec: FileSpec, table: pd.DataFrame) -> None:
    """Keep the rows of ``table`` (a typed table as parsed, of up to :data:`FEW_ROWS` rows) as what their
    database values convert to, so that reading back rows just written does not parse them again.
    The typed table is the parse of its own canonical cells, so it is what the conversion would give;
    a table whose columns or types are not the parser's is not kept."""
    if not 0 < len(table) <= FEW_ROWS:
        return
    shape = _typed_shape(spec.name)
    if list(table.columns) != shape[0] or list(table.dtypes) != shape[1]:
        return
    for i, row in enumerate(table_to_db_rows(spec, table)):
        _keep((spec.name, tuple(row[col.name] for col in spec.columns)), table.iloc[[i]].reset_index(drop=True))


def _parsed(spec: FileSpec, values: list[tuple[object, ...]]) -> pd.DataFrame:
    cells = [{col.name: db_to_text(v, col) for col, v in zip(spec.columns, row, strict=True)} for row in values]
    return parse_table(raw_from_cells(spec, cells), [])


@cache
def _typed_shape(name: str) -> tuple[list[str], list[object]]:
    """The columns and types of a parsed table of ``name``."""
    empty = parse_table(raw_from_cells(FILES_BY_NAME[name], []), [])
    return list(empty.columns), list(empty.dtypes)


#: The typed tables of single stored rows, by file and values, most recently used last.
_ROWS: OrderedDict[tuple[str, tuple[object, ...]], pd.DataFrame] = OrderedDict()
_ROWS_KEPT = 256
_ROWS_LOCK = threading.Lock()


def _one_row(name: str, values: tuple[object, ...]) -> pd.DataFrame:
    """The typed table of one stored row (kept: :data:`FEW_ROWS`); read only, ``pd.concat`` copies it."""
    key = (name, values)
    with _ROWS_LOCK:
        hit = _ROWS.get(key)
        if hit is not None:
            _ROWS.move_to_end(key)
            return hit
    table = _parsed(FILES_BY_NAME[name], [values])
    _keep(key, table)
    return table


def _keep(key: tuple[str, tuple[object, ...]], table: pd.DataFrame) -> None:
    with _ROWS_LOCK:
        _ROWS[key] = table
        _ROWS.move_to_end(key)
        while len(_ROWS) > _ROWS_KEPT:
            _ROWS.popitem(last=False)


__all__ = ["db_rows_to_table", "db_to_text", "remember_rows", "table_to_db_rows", "text_to_db"]
