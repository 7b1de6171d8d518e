"""Every validation rule of the exchange format, each with bad input.

A user relies on this: a bad export is refused as a whole (nothing half-imported) with every
problem named by file, spreadsheet row, column, value and what is allowed instead.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from models.dataset import read_dataset, validate_dataset
from models.errors import DatasetInvalid, Problem
from tests.conftest import DatasetFactory


def only_errors(folder: Path) -> list[Problem]:
    report = validate_dataset(folder)
    assert report.dataset is None, "an invalid dataset must not be returned"
    return report.errors


def test_base_dataset_is_valid(make_dataset: DatasetFactory) -> None:
    report = validate_dataset(make_dataset())
    assert report.errors == []
    assert report.dataset is not None
    assert report.dataset.counts() == {
        "contractors": 2, "obligations": 2, "vacancies": 2, "candidates": 2, "placements": 1, "contributions": 0,
    }  # fmt: skip


# (file, record index, column, bad value, expected message fragment); row = index + 2
CELL_CASES = [
    ("candidates", 0, "target_group", "bijstand", "use one of participatiewet, banenafspraak"),
    ("candidates", 0, "birth_year", "negentig", "must be a whole number from 1900 to 2100"),
    ("candidates", 0, "birth_year", "1850", "from 1900 to 2100"),
    ("candidates", 0, "benefit_since", "2023-13-01", "must be a real date written YYYY-MM-DD"),
    ("candidates", 0, "available_from", "01-02-2026", "write 2026-02-01"),
    ("candidates", 0, "postcode", "94011", "must be a Dutch postcode"),
    ("candidates", 0, "postcode", "0401AB", "must be a Dutch postcode"),
    ("candidates", 0, "education_level", "MBO-2", "use one of geen, vmbo, mbo1"),
    ("candidates", 0, "driving_licences", "B; Z", "has 'Z', which is not allowed"),
    ("candidates", 0, "language_level", "D1", "use one of A0, A1"),
    ("candidates", 0, "hours_min", "-4", "must be a whole number from 0 to 80"),
    ("candidates", 0, "hours_max", "400", "must be a whole number from 0 to 80"),
    ("candidates", 0, "max_travel_km", "ver", "must be a number"),
    ("candidates", 0, "physical_capacity", "heavy", "use one of licht, middel, zwaar"),
    ("candidates", 0, "consent", "misschien", "must be true or false"),
    ("candidates", 0, "consent", "", "is required but empty"),
    ("candidates", 0, "status", "werkzoekend", "use one of beschikbaar, geplaatst, inactief"),
    ("candidates", 0, "occupations", "timmerman:veel", "the years after ':' must be a number"),
    ("candidates", 0, "lat", "123", "must be a number from -90 to 90"),
    ("contractors", 0, "kvk", "1234", "8-digit Chamber of Commerce"),
    ("contractors", 0, "pso_level", "trede4", "use one of geen, aspirant"),
    ("contractors", 0, "headcount_baseline", "-1", "must be a whole number ≥ 0"),
    ("contractors", 0, "name", "", "is required but empty"),
    ("obligations", 0, "contract_value_eur", "0", "must be a number above 0"),
    ("obligations", 0, "contract_value_eur", "800.000,00", "use `.` as decimal separator"),
    ("obligations", 0, "sroi_percentage", "105", "above 0 and at most 100"),
    ("obligations", 0, "award_date", "", "is required but empty"),
    ("obligations", 0, "allowed_target_groups", "participatiewet; jongeren", "has 'jongeren'"),
    ("vacancies", 0, "positions", "-2", "must be a whole number ≥ 1"),
    ("vacancies", 0, "positions", "0", "must be a whole number ≥ 1"),
    ("vacancies", 0, "positions", "1.5", "(no fraction)"),
    ("vacancies", 0, "hours_per_week", "0", "must be a number from 1 to 60"),
    ("vacancies", 0, "additional", "ja, extra", "must be true or false"),
    ("vacancies", 0, "placement_type", "stage", "use one of baan, bbl"),
    ("vacancies", 0, "min_language_level", "Nederlands", "use one of A0"),
    ("vacancies", 0, "title", "", "is required but empty"),
    ("placements", 0, "status", "bezig", "use one of voorgesteld, geaccepteerd, gestart, beeindigd"),
    ("placements", 0, "contract_type", "nul-uren", "use one of tijdelijk, vast"),
    ("placements", 0, "retained_6m", "yes please", "must be true or false"),
    ("placements", 0, "hours_per_week", "", "is required but empty"),
]


@pytest.mark.parametrize(("file", "index", "column", "value", "fragment"), CELL_CASES)
def test_bad_cell_is_reported_with_file_row_column_value(
    make_dataset: DatasetFactory, file: str, index: int, column: str, value: str, fragment: str
) -> None:
    errors = only_errors(make_dataset((file, index, column, value)))
    matching = [p for p in errors if p.file == f"{file}.csv" and p.column == column and p.row == index + 2]
    assert matching, f"no error for {file}.csv row {index + 2} {column}: got {[str(p) for p in errors]}"
    assert fragment in matching[0].message
    assert matching[0].value == (value or None)


ROW_CASES = [
    # hours_min above hours_max
    ([("candidates", 0, "hours_min", "38"), ("candidates", 0, "hours_max", "20")], "candidates", 2, "hours_min",
     "is above hours_max"),
    ([("candidates", 0, "hours_min", "45"), ("candidates", 0, "hours_max", "")], "candidates", 2, "hours_min",
     "default hours_max of 40"),
    # coordinates come in pairs
    ([("candidates", 0, "lat", "53.1")], "candidates", 2, "lon", "give both or neither"),
    ([("vacancies", 0, "lon", "6.5")], "vacancies", 2, "lat", "give both or neither"),
    # duplicate ids
    ([("candidates", 1, "candidate_id", "K1")], "candidates", 3, "candidate_id", "duplicate id: row 2 has it"),
    ([("vacancies", 1, "vacancy_id", "V1")], "vacancies", 3, "vacancy_id", "duplicate id"),
    # references to other files
    ([("vacancies", 0, "contractor_id", "C9")], "vacancies", 2, "contractor_id", "does not exist in contractors.csv"),
    ([("vacancies", 0, "obligation_id", "O9")], "vacancies", 2, "obligation_id", "does not exist in obligations.csv"),
    ([("obligations", 0, "contractor_id", "C9")], "obligations", 2, "contractor_id", "does not exist"),
    ([("placements", 0, "candidate_id", "K9")], "placements", 2, "candidate_id", "does not exist in candidates.csv"),
    ([("placements", 0, "vacancy_id", "V9")], "placements", 2, "vacancy_id", "does not exist in vacancies.csv"),
    ([("placements", 0, "obligation_id", "O9")], "placements", 2, "obligation_id", "does not exist"),
    # end before start
    ([("obligations", 0, "end_date", "2025-12-31")], "obligations", 2, "end_date", "lies before start_date"),
    ([("vacancies", 0, "end_date", "2026-01-01")], "vacancies", 2, "end_date", "lies before start_date"),
    ([("placements", 0, "end_date", "2026-02-01")], "placements", 2, "end_date", "lies before start_date"),
    # money and labels that contradict each other
    ([("obligations", 0, "obligation_eur", "900000")], "obligations", 2, "obligation_eur", "more than contract_value"),
    ([("placements", 0, "retained_6m", "false"), ("placements", 0, "retained_12m", "true")], "placements", 2,
     "retained_12m", "true while retained_6m is false"),
]  # fmt: skip


@pytest.mark.parametrize(("changes", "file", "row", "column", "fragment"), ROW_CASES)
def test_row_and_cross_file_rules(
    make_dataset: DatasetFactory,
    changes: list[tuple[str, int, str, str]],
    file: str,
    row: int,
    column: str,
    fragment: str,
) -> None:
    errors = only_errors(make_dataset(*changes))
    matching = [p for p in errors if p.file == f"{file}.csv" and p.row == row and p.column == column]
    assert matching, f"expected {file}.csv row {row} {column}: got {[str(p) for p in errors]}"
    assert any(fragment in p.message for p in matching), [p.message for p in matching]


def test_every_problem_is_reported_not_just_the_first(make_dataset: DatasetFactory) -> None:
    folder = make_dataset(
        ("vacancies", 0, "positions", "-2"),
        ("vacancies", 1, "additional", "misschien"),
        ("candidates", 0, "target_group", "bijstand"),
        ("candidates", 1, "consent", ""),
        ("placements", 0, "candidate_id", "K9"),
    )
    errors = only_errors(folder)
    where = {(p.file, p.row, p.column) for p in errors}
    assert where >= {
        ("vacancies.csv", 2, "positions"),
        ("vacancies.csv", 3, "additional"),
        ("candidates.csv", 2, "target_group"),
        ("candidates.csv", 3, "consent"),
        ("placements.csv", 2, "candidate_id"),
    }


def test_read_dataset_raises_with_all_problems(make_dataset: DatasetFactory) -> None:
    folder = make_dataset(("vacancies", 0, "positions", "-2"), ("candidates", 0, "target_group", "x"))
    with pytest.raises(DatasetInvalid) as info:
        read_dataset(folder)
    assert len(info.value.errors) == 2
    assert "nothing was imported" in str(info.value)
    assert "vacancies.csv row 2, column positions: '-2' must be a whole number ≥ 1" in [
        str(p) for p in info.value.errors
    ]


def _rewrite(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")


def test_unknown_column_is_rejected_and_other_cells_still_checked(make_dataset: DatasetFactory) -> None:
    folder = make_dataset(("vacancies", 0, "positions", "-2"))
    path = folder / "vacancies.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines = [lines[0] + ",colour"] + [line + ",red" for line in lines[1:]]
    _rewrite(path, "\n".join(lines) + "\n")
    errors = only_errors(folder)
    assert any(p.column == "colour" and "is not a column of vacancies.csv" in p.message for p in errors)
    assert any(p.column == "positions" and p.row == 2 for p in errors)


def test_misspelt_column_gets_a_suggestion(make_dataset: DatasetFactory) -> None:
    folder = make_dataset()
    path = folder / "vacancies.csv"
    text = path.read_text(encoding="utf-8").replace("hours_per_week", "hours_per_wek", 1)
    _rewrite(path, text)
    errors = only_errors(folder)
    assert any(p.column == "hours_per_wek" and "did you mean hours_per_week?" in p.message for p in errors)
    assert any(p.column == "hours_per_week" and "required column but is missing" in p.message for p in errors)


def test_missing_required_file(make_dataset: DatasetFactory) -> None:
    folder = make_dataset()
    (folder / "candidates.csv").unlink()
    errors = only_errors(folder)
    assert any(p.file == "candidates.csv" and "is missing" in p.message for p in errors)
    # placements refer to candidates, but the missing file is reported once, not per row
    assert not any(p.file == "placements.csv" for p in errors)


def test_placements_file_is_optional(make_dataset: DatasetFactory) -> None:
    folder = make_dataset()
    (folder / "placements.csv").unlink()
    ds = read_dataset(folder)
    assert len(ds.placements) == 0
    assert ds.placements.columns[0] == "placement_id"


def test_wrong_field_count_names_the_row(make_dataset: DatasetFactory) -> None:
    folder = make_dataset()
    path = folder / "contractors.csv"
    _rewrite(path, path.read_text(encoding="utf-8") + "C3,Extra BV,,,,,,,,,surplus\n")
    errors = only_errors(folder)
    assert any(
        p.file == "contractors.csv" and p.row == 4 and "has 11 fields but the header has 9" in p.message for p in errors
    )


def test_semicolon_separated_file_gets_a_hint(make_dataset: DatasetFactory) -> None:
    folder = make_dataset()
    _rewrite(folder / "candidates.csv", "candidate_id;target_group;consent\nK1;ww;true\n")
    errors = only_errors(folder)
    assert any(p.file == "candidates.csv" and "looks separated by `;`" in p.message for p in errors)


def test_not_utf8_names_the_line(make_dataset: DatasetFactory) -> None:
    folder = make_dataset()
    path = folder / "contractors.csv"
    path.write_bytes(path.read_bytes().replace(b"Noord", b"No\xebrd"))
    errors = only_errors(folder)
    assert any(p.file == "contractors.csv" and p.row == 2 and "not valid UTF-8" in p.message for p in errors)


def test_empty_file_needs_a_header(make_dataset: DatasetFactory) -> None:
    folder = make_dataset()
    _rewrite(folder / "obligations.csv", "")
    errors = only_errors(folder)
    assert any(p.file == "obligations.csv" and "has no header row" in p.message for p in errors)


def test_not_a_folder(tmp_path: Path) -> None:
    errors = only_errors(tmp_path / "nope")
    assert "is not a folder" in errors[0].message


def test_warnings_do_not_block(make_dataset: DatasetFactory) -> None:
    folder = make_dataset(
        ("vacancies", 0, "trainable_certificates", "vca_basis; heftruck"),
        ("placements", 0, "start_date", "2026-01-01"),
        ("vacancies", 0, "start_date", ""),
        ("candidates", 0, "previous_employers", "C2; X77"),
    )
    (folder / "notes.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    report = validate_dataset(folder)
    assert report.errors == []
    assert report.dataset is not None
    messages = {(p.file, p.column): p.message for p in report.warnings}
    assert "not among required_certificates" in messages[("vacancies.csv", "trainable_certificates")]
    assert "before the obligation's award date" in messages[("placements.csv", "start_date")]
    assert "X77" in messages[("candidates.csv", "previous_employers")]
    assert "not a file of the format" in messages[("notes.csv", None)]


def test_lenient_spellings_are_read_as_canonical(make_dataset: DatasetFactory) -> None:
    ds = read_dataset(
        make_dataset(
            ("candidates", 0, "target_group", "Doelgroepregister"),
            ("candidates", 0, "language_level", "1F"),
            ("candidates", 0, "postcode", "9401 ab"),
            ("candidates", 0, "driving_licences", " b ;be;"),
            ("candidates", 0, "consent", "Ja"),
            ("vacancies", 0, "additional", "TRUE"),
        )
    )
    row = ds.records("candidates")[0]
    assert row["target_group"] == "banenafspraak"
    assert row["language_level"] == "A2"
    assert row["postcode"] == "9401AB"
    assert row["driving_licences"] == ("B", "BE")
    assert row["consent"] is True
