"""``koppelaar report``: the files a user gets, their figures, bad input, and the page in a real browser."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from openpyxl.cell.cell import Cell, MergedCell
from typer.testing import CliRunner

from api.cli import app
from api.report_files import FILES, SHEET_NAMES
from matching.monitoring.report import TABLES
from models.dataset import read_dataset
from tests.conftest import SAMPLE

runner = CliRunner()
TODAY = "2026-10-01"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


@pytest.fixture(scope="module")
def report_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report")
    result = runner.invoke(app, ["report", str(SAMPLE), "--out", str(out), "--today", TODAY])
    assert result.exit_code == 0, result.output
    assert "wrote 11 files" in result.output
    return out


def test_every_file_is_written(report_dir: Path) -> None:
    assert sorted(p.name for p in report_dir.iterdir()) == sorted(FILES)


def test_the_tables_hold_the_sample_figures(report_dir: Path) -> None:
    ds = read_dataset(SAMPLE)
    progress = pd.read_csv(report_dir / "progress.csv")
    assert sorted(progress["obligation_id"]) == sorted(ds.obligations["obligation_id"])
    assert set(progress["status"]) <= {"op schema", "risico", "achter"}
    assert (progress["required_eur"] > 0).all()
    alerts = pd.read_csv(report_dir / "alerts.csv")
    assert set(alerts["obligation_id"]) == set(progress.loc[progress["status"] != "op schema", "obligation_id"]) - set(
        progress.loc[progress["reason"].str.startswith("start op"), "obligation_id"]
    )
    placements = pd.read_csv(report_dir / "placements.csv")
    assert len(placements) == len(ds.placements)
    assert "candidate_id" not in placements.columns  # the report names no person
    assert placements["rule"].str.contains(r"= € ", regex=True).all()
    # realised euros per obligation are the sum of its counted placements' values
    counted = placements[placements["status"].isin(["geaccepteerd", "gestart", "beeindigd"])]
    per_obligation = counted.groupby("obligation_id")["sroi_value_eur"].sum()
    for row in progress.itertuples():
        assert row.realised_eur == pytest.approx(per_obligation.get(row.obligation_id, 0.0), abs=0.05)
    retention = pd.read_csv(report_dir / "retention.csv")
    total = retention.iloc[0]
    started = ds.placements[ds.placements["status"].isin(["gestart", "beeindigd"])]
    assert (total["dimension"], total["placements"]) == ("totaal", len(started))
    assert total["retained_6m"] == int(started["retained_6m"].fillna(False).sum())
    fairness = pd.read_csv(report_dir / "fairness.csv")
    pool = ds.candidates[ds.candidates["consent"].fillna(False).astype(bool)]
    assert fairness.loc[fairness["dimension"] == "target_group", "pool"].sum() == len(pool)


def test_the_workbook_and_json_hold_the_same_tables(report_dir: Path) -> None:
    book = openpyxl.load_workbook(report_dir / "report.xlsx", read_only=True)
    assert book.sheetnames == ["Overzicht", *(SHEET_NAMES[name] for name in TABLES)]
    progress = pd.read_csv(report_dir / "progress.csv")
    assert book["Voortgang"].max_row == len(progress) + 1
    data = json.loads((report_dir / "report.json").read_text(encoding="utf-8"))
    assert data["today"] == TODAY
    assert len(data["progress"]) == len(progress)
    assert data["overview"]["obligations"] == len(progress)
    assert {"calendar", "demand", "training", "fairness", "retention"} <= set(data)


def _unmerged(cell: Cell | MergedCell) -> Cell:
    """A cell of its own (a merged cell has no value, column or format)."""
    assert isinstance(cell, Cell), cell
    return cell


def test_the_workbook_is_ready_to_use(report_dir: Path) -> None:
    """Dutch headers, euro / percent / date formats, the header frozen and filters on, on every sheet."""
    book = openpyxl.load_workbook(report_dir / "report.xlsx")
    for sheet in book.worksheets:
        assert sheet.freeze_panes == "A2", sheet.title
        assert sheet.auto_filter.ref == sheet.dimensions, sheet.title
        headers = [c.value for c in sheet[1]]
        assert not [h for h in headers if "_" in str(h)], (sheet.title, headers)  # no snake_case codes
    progress = book["Voortgang"]
    column = {c.value: c.column for c in map(_unmerged, progress[1])}
    second = {name: _unmerged(progress.cell(row=2, column=at)) for name, at in column.items()}
    assert second["Vereist (€)"].number_format == '"€" #,##0'
    assert second["Gerealiseerd (%)"].number_format == "0%"
    assert second["Einddatum"].number_format == "dd-mm-yyyy"
    assert second["Einddatum"].is_date
    share = second["Gerealiseerd (%)"].value
    assert isinstance(share, int | float)
    assert 0 <= share <= 1.5  # a share, shown as a percentage
    overview = [row[0].value for row in book["Overzicht"].iter_rows(min_row=2)]
    assert "Verplichtingen" in overview


def test_bad_input_is_one_line_and_exit_2_and_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "out"
    cases = [
        (["report", "--out", str(out)], "give a DATASET folder or --db"),
        (["report", str(SAMPLE), "--db", "--out", str(out)], "not both"),
        (["report", str(SAMPLE), "--region", "Groningen", "--out", str(out)], "--region needs --db"),
        (["report", str(SAMPLE), "--plan", str(tmp_path / "nope.csv"), "--out", str(out)], "does not exist"),
        (["report", str(SAMPLE), "--today", "2026-13-01", "--out", str(out)], "--today"),
    ]
    for args, message in cases:
        result = runner.invoke(app, args)
        assert result.exit_code == 2, (args, result.output)
        assert message in result.output, (args, result.output)
        assert "Traceback" not in result.output
    bad_plan = tmp_path / "plan.csv"
    bad_plan.write_text("candidate_id,vacancy_id,obligation_id,sroi_value_eur\nK1,V1,O1,veel\n", encoding="utf-8")
    result = runner.invoke(app, ["report", str(SAMPLE), "--plan", str(bad_plan), "--out", str(out)])
    assert result.exit_code == 2
    assert "plan.csv row 2, column sroi_value_eur: 'veel' is not an amount ≥ 0" in result.output
    assert not out.exists()
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    result = runner.invoke(app, ["report", str(SAMPLE), "--out", str(a_file)])
    assert result.exit_code == 2
    assert "is a file" in result.output


def test_an_unknown_valuation_scheme_names_its_row(tmp_path: Path) -> None:
    folder = tmp_path / "ds"
    shutil.copytree(SAMPLE, folder)
    frame = pd.read_csv(folder / "obligations.csv", dtype=str, keep_default_na=False)
    frame.loc[2, "valuation_scheme"] = "zeeland"
    frame.to_csv(folder / "obligations.csv", index=False)
    line = "obligations.csv row 4, column valuation_scheme: 'zeeland' is not a valuation scheme this installation knows"
    # what report stops on, validate has said already
    for args in (["validate", str(folder)], ["report", str(folder), "--out", str(tmp_path / "out")]):
        result = runner.invoke(app, [*args, "--today", TODAY])
        assert result.exit_code == 2, result.output
        assert line in " ".join(result.output.split())
    assert not (tmp_path / "out").exists()


def test_a_plan_counts_as_planned(tmp_path: Path, report_dir: Path) -> None:
    plan = tmp_path / "plan.csv"
    ds = read_dataset(SAMPLE)
    vacancy = ds.vacancies[ds.vacancies["obligation_id"].notna()].iloc[0]
    pd.DataFrame(
        {
            "candidate_id": ["nieuw-1"],
            "vacancy_id": [vacancy["vacancy_id"]],
            "obligation_id": [vacancy["obligation_id"]],
            "sroi_value_eur": [12345.0],
        }
    ).to_csv(plan, index=False)
    out = tmp_path / "out"
    result = runner.invoke(app, ["report", str(SAMPLE), "--plan", str(plan), "--out", str(out), "--today", TODAY])
    assert result.exit_code == 0, result.output
    before = pd.read_csv(report_dir / "progress.csv").set_index("obligation_id")
    after = pd.read_csv(out / "progress.csv").set_index("obligation_id")
    o = vacancy["obligation_id"]
    assert after.loc[o, "planned_eur"] == pytest.approx(before.loc[o, "planned_eur"] + 12345.0)


def test_the_store_report_for_one_region(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KOPPELAAR_DATABASE_URL", f"sqlite:///{tmp_path / 'k.sqlite'}")
    assert runner.invoke(app, ["import", str(SAMPLE)]).exit_code == 0
    everything, groningen = tmp_path / "all", tmp_path / "groningen"
    assert runner.invoke(app, ["report", "--db", "--out", str(everything), "--today", TODAY]).exit_code == 0
    result = runner.invoke(app, ["report", "--db", "--region", "Groningen", "--out", str(groningen), "--today", TODAY])
    assert result.exit_code == 0, result.output
    whole, part = pd.read_csv(everything / "progress.csv"), pd.read_csv(groningen / "progress.csv")
    # obligations' euros count every region's placements; rates count the region's own people
    assert whole["realised_eur"].tolist() == part["realised_eur"].tolist()
    ds = read_dataset(SAMPLE)
    mine = set(ds.candidates.loc[ds.candidates["region"] == "Groningen", "candidate_id"])
    started = ds.placements[
        ds.placements["status"].isin(["gestart", "beeindigd"]) & ds.placements["candidate_id"].isin(mine)
    ]
    assert pd.read_csv(groningen / "retention.csv").iloc[0]["placements"] == len(started)
    fairness = pd.read_csv(groningen / "fairness.csv")
    assert set(fairness.loc[fairness["dimension"] == "region", "group"]) == {"Groningen"}
    # a misspelt region is an error naming the known ones, never an empty report
    misspelt = tmp_path / "misspelt"
    result = runner.invoke(app, ["report", "--db", "--region", "Groninge", "--out", str(misspelt), "--today", TODAY])
    assert result.exit_code == 2
    said = " ".join(result.output.split())
    assert "error: --region 'Groninge' is not a known region (did you mean 'Groningen'?)" in said
    assert "the stored candidates are in Groningen, Holland Rijnland, Midden-Utrecht" in said
    assert not misspelt.exists()


@pytest.mark.browser
def test_the_report_renders_in_chromium(report_dir: Path) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    chromium = Path("/usr/bin/chromium")
    if not chromium.exists():
        if os.environ.get("CI"):
            pytest.fail("Debian's Chromium is not at /usr/bin/chromium in CI (.ci/chromium installs it)")
        pytest.skip("Debian's Chromium is not installed (run .ci/chromium)")
    progress = pd.read_csv(report_dir / "progress.csv")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(chromium), args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1366, "height": 900})
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto((report_dir / "report.html").as_uri())
            assert page.title().startswith("SROI-monitoring")
            for heading in ("Overzicht", "Signalen", "Voortgang per verplichting", "Behoud", "Eerlijkheid"):
                assert page.get_by_role("heading", name=heading).first.is_visible()
            bars = page.get_by_role("progressbar")
            assert bars.count() == len(progress)
            first = progress.sort_values(["end_date", "obligation_id"]).iloc[0]
            assert bars.first.get_attribute("aria-valuenow") == str(round(100 * first["fulfilment"]))
            charts = page.locator("figure.chart svg")
            assert charts.count() == 3
            for k in range(charts.count()):
                box = charts.nth(k).bounding_box()
                assert box is not None
                assert box["width"] > 300
                assert box["height"] > 80
            page.get_by_role("link", name="Eerlijkheid").click()
            assert page.get_by_role("heading", name="Eerlijkheid").first.is_visible()
            page.screenshot(path=str(ARTIFACTS / "report.png"), full_page=True)
            assert errors == []
        finally:
            browser.close()
    print(f"screenshot: {ARTIFACTS / 'report.png'}")
