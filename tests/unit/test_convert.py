"""Stored rows converted to typed tables: a few rows, each kept once converted, give what a bulk conversion gives."""

from __future__ import annotations

import pandas as pd
import pytest

from models.schema import FILES, FileSpec
from models.store.convert import FEW_ROWS, _parsed, db_rows_to_table, remember_rows, table_to_db_rows
from tests.conftest import Worlds


@pytest.mark.parametrize("spec", FILES, ids=lambda s: s.name)
def test_a_few_rows_converted_one_by_one_equal_those_converted_at_once(worlds: Worlds, spec: FileSpec) -> None:
    table = getattr(worlds.dataset(300, 60, 3), spec.name)
    rows = table_to_db_rows(spec, table.iloc[: 2 * FEW_ROWS].reset_index(drop=True))
    if not rows:
        pytest.skip(f"the world has no {spec.name}")
    at_once = db_rows_to_table(spec, rows + rows[:1])  # more than FEW_ROWS: parsed in one go
    few = db_rows_to_table(spec, rows[:3])
    pd.testing.assert_frame_equal(few, at_once.iloc[:3].reset_index(drop=True))
    again = db_rows_to_table(spec, rows[:1])  # taken from what was kept
    pd.testing.assert_frame_equal(again, at_once.iloc[:1].reset_index(drop=True))
    again.iloc[0, 0] = None  # a caller's change stays its own
    pd.testing.assert_frame_equal(db_rows_to_table(spec, rows[:1]), at_once.iloc[:1].reset_index(drop=True))


@pytest.mark.parametrize("spec", FILES, ids=lambda s: s.name)
def test_rows_remembered_as_written_are_what_reading_them_back_parses(worlds: Worlds, spec: FileSpec) -> None:
    table = getattr(worlds.dataset(300, 60, 4), spec.name).iloc[:FEW_ROWS].reset_index(drop=True)
    if not len(table):
        pytest.skip(f"the world has no {spec.name}")
    rows = table_to_db_rows(spec, table)
    parsed = [_parsed(spec, [tuple(row[col.name] for col in spec.columns)]) for row in rows]
    remember_rows(spec, table)
    for row, expected in zip(rows, parsed, strict=True):
        pd.testing.assert_frame_equal(db_rows_to_table(spec, [row]), expected, check_exact=True)
    # a table that is not the parser's (other types) is not kept
    other = table.astype(object)
    other[spec.key] = [f"{key}-other" for key in table[spec.key]]
    remember_rows(spec, other)
    again = table_to_db_rows(spec, table.assign(**{spec.key: other[spec.key]}))
    pd.testing.assert_frame_equal(
        db_rows_to_table(spec, again[:1]), _parsed(spec, [tuple(again[0][col.name] for col in spec.columns)])
    )
