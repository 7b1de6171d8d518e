"""One row parsed and checked on its own (an API request, a stored row read back) gives what the same row
gives in a whole file: the same typed cells and the same problems, bad cells and empty files included."""

from __future__ import annotations

from collections.abc import Collection

import pandas as pd
import pytest

from models.dataset.cells import TEXT_KINDS, format_column
from models.dataset.changes import validate_changes
from models.dataset.checks import parse_table
from models.dataset.reader import RawTable, raw_from_cells
from models.errors import Problem
from models.schema import FILES, FILES_BY_NAME, FileSpec
from tests.conftest import Worlds
from tests.unit.test_validation import CELL_CASES


def _cells(spec: FileSpec, table: pd.DataFrame) -> list[dict[str, str]]:
    """The canonical cell texts of ``table``, row by row."""
    texts = {col.name: format_column(table[col.name], col) for col in spec.columns}
    return [{name: column[i] for name, column in texts.items()} for i in range(len(table))]


def _with_bad_cells(spec: FileSpec, records: list[dict[str, str]]) -> list[dict[str, str]]:
    """``records`` with each bad cell of the validation cases for ``spec`` in a row of its own, the rows
    after them (some twice, so that a bad cell is parsed again); a control character in a text cell too."""
    bad = [(column, value) for file, _, column, value, _ in CELL_CASES if file == spec.name]
    text = [c.name for c in spec.columns if c.name != spec.key and c.kind in TEXT_KINDS]
    bad.append((text[0], "twee\x04regels"))
    bad.append((text[-1], "Een lange tekst. " * 40))  # longer than a kept cell: parsed each time
    out = [dict(r) for r in records]
    for i, (column, value) in enumerate([*bad, *bad[:2]]):
        row = dict(records[i % len(records)])
        row[spec.key] = f"{row[spec.key]}-{i}"
        row[column] = value
        out.append(row)
    return out


@pytest.mark.parametrize("spec", FILES, ids=lambda s: s.name)
def test_a_row_parsed_alone_is_that_row_of_the_file_parsed_at_once(worlds: Worlds, spec: FileSpec) -> None:
    table = getattr(worlds.dataset(300, 60, 7), spec.name).iloc[:12].reset_index(drop=True)
    if not len(table):
        pytest.skip(f"the world has no {spec.name}")
    records = _with_bad_cells(spec, _cells(spec, table))
    numbers = [i + 2 for i in range(len(records))]
    at_once: list[Problem] = []
    whole = parse_table(raw_from_cells(spec, records, numbers), at_once)
    assert at_once, "the bad cells are reported"
    alone: list[Problem] = []
    for i, (record, number) in enumerate(zip(records, numbers, strict=True)):
        row = parse_table(raw_from_cells(spec, [record], [number]), alone)
        pd.testing.assert_frame_equal(row, whole.iloc[[i]].reset_index(drop=True), check_exact=True)
    assert sorted(alone, key=str) == sorted(at_once, key=str)  # row by row, not column by column


@pytest.mark.parametrize("spec", FILES, ids=lambda s: s.name)
def test_a_column_missing_from_one_row_is_the_empty_column_of_a_file(spec: FileSpec) -> None:
    key_only = {spec.key: "X1"}
    one = parse_table(raw_from_cells(spec, [key_only]), [])
    raw = raw_from_cells(spec, [key_only, {spec.key: "X2"}])
    two = parse_table(RawTable(spec, {spec.key: raw.columns[spec.key]}, 2, present=True, row_numbers=[2, 3]), [])
    pd.testing.assert_frame_equal(one, two.iloc[[0]].reset_index(drop=True), check_exact=True)


def test_one_api_row_is_checked_as_the_same_row_in_a_file(worlds: Worlds) -> None:
    """A vacancy and a placement changed alone report what the same rows report in one upload."""
    ds = worlds.dataset(300, 60, 7)
    stored = {name: getattr(ds, name) for name in FILES_BY_NAME}

    def fetch(file: str, keys: Collection[str]) -> pd.DataFrame:
        table = stored[file]
        found: pd.DataFrame = table[table[FILES_BY_NAME[file].key].isin(list(keys))]
        return found.reset_index(drop=True)

    vacancies = _cells(FILES_BY_NAME["vacancies"], stored["vacancies"].iloc[:3])
    vacancies[0]["end_date"], vacancies[0]["start_date"] = "2020-01-01", "2021-01-01"
    vacancies[1]["contractor_id"] = "C-BESTAAT-NIET"
    placements = _cells(FILES_BY_NAME["placements"], stored["placements"].iloc[:2])
    placements[0]["retained_6m"], placements[0]["retained_12m"] = "false", "true"
    for file, records in (("vacancies", vacancies), ("placements", placements)):
        spec = FILES_BY_NAME[file]
        together = validate_changes({file: raw_from_cells(spec, records)}, fetch).problems
        one_by_one = [
            p
            for i, record in enumerate(records)
            for p in validate_changes({file: raw_from_cells(spec, [record], [i + 2])}, fetch).problems
        ]
        assert together, f"the bad {file} rows are reported"
        assert sorted(one_by_one, key=str) == sorted(together, key=str)
