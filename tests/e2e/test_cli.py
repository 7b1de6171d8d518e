"""The ``koppelaar`` command as a user runs it: exit codes, messages, no tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from api.cli import app
from tests.conftest import DatasetFactory

runner = CliRunner()


def test_validate_prints_every_problem_and_exits_2(make_dataset: DatasetFactory) -> None:
    folder = make_dataset(("vacancies", 0, "positions", "-2"), ("candidates", 1, "target_group", "bijstand"))
    result = runner.invoke(app, ["validate", str(folder)])
    assert result.exit_code == 2
    out = result.output
    assert "vacancies.csv row 2, column positions: '-2' must be a whole number ≥ 1" in out
    assert "candidates.csv row 3, column target_group: 'bijstand' is not allowed" in out
    assert "2 error(s)" in out
    assert "nothing was imported" in out
    assert "Traceback" not in out


def test_validate_valid_dataset_prints_summary(make_dataset: DatasetFactory) -> None:
    result = runner.invoke(app, ["validate", str(make_dataset()), "--today", "2026-11-01"])
    assert result.exit_code == 0, result.output
    assert "is valid" in result.output
    assert "€ 340.000" in result.output  # 40k + 300k owed by the two running obligations
    assert "Displacement warning" in result.output
    assert "Groenbeheer Zuid BV" in result.output  # 38 < 40


def test_validate_json_for_programs(make_dataset: DatasetFactory) -> None:
    bad = runner.invoke(app, ["validate", str(make_dataset(("vacancies", 0, "positions", "x"))), "--format", "json"])
    assert bad.exit_code == 2
    payload = json.loads(bad.stdout)
    assert payload["ok"] is False
    assert payload["errors"] == 1
    assert payload["problems"][0] | {} == {
        "file": "vacancies.csv", "row": 2, "column": "positions", "value": "x",
        "message": "must be a whole number ≥ 1", "severity": "error",
    }  # fmt: skip
    good = runner.invoke(app, ["validate", str(make_dataset()), "--format", "json", "--today", "2026-11-01"])
    assert good.exit_code == 0
    summary = json.loads(good.stdout)["summary"]
    assert summary["pool"] == {"candidates": 2, "matchable": 1, "no_consent": 1}
    assert summary["vacancies"]["open_places"] == 1


def test_user_mistakes_exit_2_without_traceback(tmp_path: Path) -> None:
    missing = runner.invoke(app, ["validate", str(tmp_path / "nope")])
    assert missing.exit_code == 2
    assert "is not a folder" in missing.output
    bad_date = runner.invoke(app, ["validate", str(tmp_path), "--today", "gisteren"])
    assert bad_date.exit_code == 2
    assert "--today 'gisteren' is not a date" in bad_date.output
    bad_option = runner.invoke(app, ["generate", "--out", str(tmp_path), "--candidates", "0"])
    assert bad_option.exit_code == 2


def test_console_script_runs_as_installed() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "api.cli", "--help"], capture_output=True, text=True, check=False, timeout=60
    )
    assert result.returncode == 0
    for command in ("validate", "generate", "demo"):
        assert command in result.stdout


def test_demo_on_the_shipped_sample() -> None:
    result = runner.invoke(app, ["demo"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "valid: no errors" in out
    assert "500 candidates" in out
    assert "Running SROI obligations" in out
    assert "Open places" in out
    assert "Groningen" in out
    assert "4. train" in out
    assert "too few to trust" in out  # the sample's history is small: the rule score plans
    assert "5. match" in out
    assert "placements for" in out
    assert "plan.csv" in out


def test_demo_on_a_fresh_world() -> None:
    result = runner.invoke(app, ["demo", "--candidates", "300", "--seed", "4"])
    assert result.exit_code == 0, result.output
    assert "300 candidates" in result.output


def test_demo_refuses_an_invalid_dataset(make_dataset: DatasetFactory) -> None:
    result = runner.invoke(app, ["demo", "--dataset", str(make_dataset(("vacancies", 0, "positions", "-1")))])
    assert result.exit_code == 2
    assert "vacancies.csv row 2, column positions" in result.output


def test_generate_writes_a_valid_dataset(tmp_path: Path) -> None:
    out = tmp_path / "world"
    result = runner.invoke(
        app, ["generate", "--out", str(out), "--candidates", "250", "--vacancies", "50", "--seed", "9"]
    )
    assert result.exit_code == 0, result.output
    assert "250 candidates" in result.output
    assert runner.invoke(app, ["validate", str(out)]).exit_code == 0
    bad = runner.invoke(app, ["generate", "--out", str(out), "--as-of", "1-10-2026"])
    assert bad.exit_code == 2
    assert "--as-of '1-10-2026' is not a date" in bad.output


def test_generate_writes_a_world_of_the_chosen_truth_model(tmp_path: Path) -> None:
    out = tmp_path / "world"
    args = ["generate", "--out", str(out), "--candidates", "200", "--vacancies", "40", "--truth", "motivation"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert runner.invoke(app, ["validate", str(out)]).exit_code == 0
    notes = (out / "candidates.csv").read_text(encoding="utf-8")
    assert "Gemotiveerde kandidaat" not in notes  # the note's wording carries the hidden motivation
    bad = runner.invoke(app, ["generate", "--out", str(tmp_path / "other"), "--truth", "lucky"])
    assert bad.exit_code == 2
    assert "--truth 'lucky' is not a truth model: choose from standard, skills" in bad.output
    assert not (tmp_path / "other").exists()


MIN = "KOPPELAAR_MIN_RETENTION"


@pytest.mark.slow
def test_train_suggest_and_score_on_the_sample(tmp_path: Path) -> None:
    from api.cli import sample_dataset

    sample = str(sample_dataset())
    model = tmp_path / "model.pkl"
    trained = runner.invoke(app, ["train", sample, "--model", str(model), "--today", "2026-10-01"])
    assert trained.exit_code == 0, trained.output
    assert "trained on" in trained.output
    assert "not reliable yet" in trained.output  # the sample's history is small, and the CLI says so
    assert "rule score" in trained.output  # it always competes, out of sample
    assert "Reliability of the kept score" in trained.output
    assert model.is_file()

    day = ["--today", "2026-10-01"]
    refused = runner.invoke(app, ["suggest", sample, "--vacancy", "VAC-000100", *day], env={MIN: "0.3"})
    assert refused.exit_code == 2
    assert "the rule score is no probability" in refused.output
    floor = ["suggest", sample, "--vacancy", "VAC-000100", "--top", "50", "--model", str(model), "--format", "json"]
    everyone = json.loads(runner.invoke(app, [*floor, *day]).stdout)
    above = runner.invoke(app, [*floor, *day], env={MIN: "0.4"})
    assert above.exit_code == 0, above.output
    assert [r["candidate_id"] for r in json.loads(above.stdout)] == [
        r["candidate_id"] for r in everyone if r["score"] >= 0.4
    ]
    plan = tmp_path / "plan"
    matched = runner.invoke(app, ["match", sample, "--out", str(plan), "--model", str(model), *day], env={MIN: "0.4"})
    assert matched.exit_code == 0, matched.output
    assert "minimum predicted retention 40%" in matched.output
    retention = json.loads((plan / "summary.json").read_text())["retention"]
    assert retention["min_retention"] == 0.4
    assert retention["places_left_open_by_min_retention"] >= 0
    assert 0 < retention["history_realised_rate"] < 1

    suggested = runner.invoke(
        app, ["suggest", sample, "--vacancy", "VAC-000100", "--top", "3", "--today", "2026-10-01", "--format", "json"]
    )
    assert suggested.exit_code == 0, suggested.output
    rows = json.loads(suggested.stdout)
    assert [r["rank"] for r in rows] == [1, 2, 3]
    assert all(r["vacancy_id"] == "VAC-000100" for r in rows)
    assert rows[0]["score"] >= rows[1]["score"] >= rows[2]["score"]
    assert all(r["explanation"] for r in rows)

    for_candidate = runner.invoke(
        app, ["suggest", sample, "--candidate", rows[0]["candidate_id"], "--model", str(model), "--format", "csv"]
    )
    assert for_candidate.exit_code == 0, for_candidate.output
    assert for_candidate.stdout.startswith("rank,candidate_id,vacancy_id,score,confidence,explanation,reasons")

    pairs = tmp_path / "pairs.csv"
    pairs.write_text(f"candidate_id,vacancy_id\n{rows[0]['candidate_id']},VAC-000100\nKND-000002,VAC-000100\n")
    out = tmp_path / "scores.csv"
    scored = runner.invoke(app, ["score", sample, "--pairs", str(pairs), "--out", str(out), "--today", "2026-10-01"])
    assert scored.exit_code == 0, scored.output
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "candidate_id,vacancy_id,eligible,score,explanation,reasons"
    assert lines[1].startswith(f"{rows[0]['candidate_id']},VAC-000100,true,{rows[0]['score']}")
    assert len(lines) == 3


def test_suggest_and_score_refuse_bad_input_clearly(tmp_path: Path) -> None:
    from api.cli import sample_dataset

    sample = str(sample_dataset())
    unknown = runner.invoke(app, ["suggest", sample, "--vacancy", "NOPE"])
    assert unknown.exit_code == 2
    assert "1 vacancy id(s) not in the dataset: NOPE" in unknown.output
    neither = runner.invoke(app, ["suggest", sample])
    assert neither.exit_code == 2
    assert "exactly one of --vacancy ID or --candidate ID" in neither.output
    pairs = tmp_path / "pairs.csv"
    pairs.write_text("candidate,vacancy\nKND-000001,VAC-000001\n")
    bad = runner.invoke(app, ["score", sample, "--pairs", str(pairs), "--out", str(tmp_path / "o.csv")])
    assert bad.exit_code == 2
    assert "pairs.csv needs the column(s) candidate_id, vacancy_id" in bad.output
    no_model = str(tmp_path / "no.pkl")
    missing_model = runner.invoke(app, ["suggest", sample, "--vacancy", "VAC-000100", "--model", no_model])
    assert missing_model.exit_code == 2
    assert "model file" in missing_model.output
    assert "does not exist" in missing_model.output
    assert not (tmp_path / "o.csv").exists()  # nothing half written


def test_match_writes_the_plan_files_as_the_spec_describes(tmp_path: Path) -> None:
    from api.cli import sample_dataset

    sample = str(sample_dataset())
    out = tmp_path / "plan"
    result = runner.invoke(app, ["match", sample, "--out", str(out), "--today", "2026-10-01"])
    assert result.exit_code == 0, result.output
    plan = (out / "plan.csv").read_text().splitlines()
    assert plan[0].startswith("candidate_id,vacancy_id,obligation_id,score,sroi_value_eur,explanation")
    assert plan[0].endswith(",locked,displacement_warning,vacancy_title,contractor_name,region")
    rows = pd.read_csv(out / "plan.csv", dtype=str, keep_default_na=False)
    assert set(rows["locked"]) | set(rows["displacement_warning"]) <= {"true", "false"}  # the format's spelling
    vacancies = pd.read_csv(Path(sample) / "vacancies.csv", dtype=str).set_index("vacancy_id")
    assert (rows["vacancy_title"] == rows["vacancy_id"].map(vacancies["title"])).all()
    assert rows["contractor_name"].str.len().gt(0).all()
    assert rows["region"].str.len().gt(0).all()
    summary_scorer = json.loads((out / "summary.json").read_text())["scorer"]
    assert summary_scorer == {"name": "rule", "label": "passingsscore", "probability": False}
    assert json.loads((out / "summary.json").read_text())["objective"]["expected_retained_6m"] is None
    assert "expected to last" not in result.output  # a sum of rule scores is no expected number of people
    assert (out / "unfilled.csv").read_text().startswith("vacancy_id,open_positions,reason\n")
    assert (out / "unplaced.csv").read_text().startswith("candidate_id,reason,nearest_vacancy_id,missing\n")
    summary = json.loads((out / "summary.json").read_text())
    assert summary["counts"]["placements"] == len(plan) - 1 > 0
    assert summary["solver"]["status"] in ("optimal", "feasible")
    assert set(summary["timings_s"]) >= {"load_s", "prepare_s", "score_s", "solve_s", "explain_s"}
    assert summary["obligations"]
    again = tmp_path / "again"
    runner.invoke(app, ["match", sample, "--out", str(again), "--today", "2026-10-01"])
    assert (again / "plan.csv").read_bytes() == (out / "plan.csv").read_bytes()  # the same input, the same plan


@pytest.mark.slow
def test_match_keeps_locks_and_vetoes_and_refuses_impossible_ones(tmp_path: Path) -> None:
    from api.cli import sample_dataset

    sample = str(sample_dataset())
    out = tmp_path / "plan"
    runner.invoke(app, ["match", sample, "--out", str(out), "--today", "2026-10-01"])
    first = (out / "plan.csv").read_text().splitlines()[1].split(",")
    vetoes = tmp_path / "veto.csv"
    vetoes.write_text(f"candidate_id,vacancy_id\n{first[0]},{first[1]}\n")
    vetoed = runner.invoke(
        app, ["match", sample, "--out", str(out), "--forbidden", str(vetoes), "--today", "2026-10-01"]
    )
    assert vetoed.exit_code == 0, vetoed.output
    assert f"{first[0]},{first[1]}," not in (out / "plan.csv").read_text()
    before = (out / "plan.csv").read_bytes()
    locks = tmp_path / "lock.csv"
    locks.write_text("candidate_id,vacancy_id\nKND-999999,VAC-000001\n")
    bad = runner.invoke(app, ["match", sample, "--out", str(out), "--locked", str(locks), "--today", "2026-10-01"])
    assert bad.exit_code == 2
    assert "locked pair(s) name an unknown candidate or vacancy: KND-999999/VAC-000001" in bad.output
    assert "Traceback" not in bad.output
    assert (out / "plan.csv").read_bytes() == before  # nothing half written
    a_file = tmp_path / "a_file"
    a_file.write_text("keep me")
    not_a_folder = runner.invoke(app, ["match", sample, "--out", str(a_file), "--today", "2026-10-01"])
    assert not_a_folder.exit_code == 2
    assert f"--out {a_file} is a file" in not_a_folder.output
    assert a_file.read_text() == "keep me"


def test_validate_rejects_what_match_and_report_would_stop_on_an_unknown_valuation_scheme(
    make_dataset: DatasetFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = make_dataset(("obligations", 0, "valuation_scheme", "regio_zuid"))
    line = (
        "obligations.csv row 2, column valuation_scheme: 'regio_zuid' is not a valuation scheme this installation "
        "knows (haaglanden, holland_rijnland, oost_nl, standaard, utrecht, utrecht_oud): add it to the TOML file "
        "named by KOPPELAAR_VALUATION_SCHEMES"
    )
    for args in (
        ["validate", str(folder)],
        ["match", str(folder), "--out", str(tmp_path / "plan"), "--today", "2026-11-01"],
        ["report", str(folder), "--out", str(tmp_path / "report"), "--today", "2026-11-01"],
    ):
        result = runner.invoke(app, args)
        assert result.exit_code == 2, (args, result.output)
        assert line in " ".join(result.output.split()), args
        assert "Traceback" not in result.output
    payload = json.loads(runner.invoke(app, ["validate", str(folder), "--format", "json"]).stdout)
    assert payload["problems"][0] | {} == {
        "file": "obligations.csv", "row": 2, "column": "valuation_scheme", "value": "regio_zuid",
        "message": payload["problems"][0]["message"], "severity": "error",
    }  # fmt: skip
    schemes = tmp_path / "schemes.toml"
    schemes.write_text('[schemes.regio_zuid]\nextends = "standaard"\n', "utf-8")
    monkeypatch.setenv("KOPPELAAR_VALUATION_SCHEMES", str(schemes))
    result = runner.invoke(app, ["validate", str(folder), "--today", "2026-11-01"])
    assert result.exit_code == 0, result.output  # the scheme the message said how to add is known now


@pytest.mark.parametrize("empty", ["vacancies", "candidates"])
def test_what_validate_accepts_every_command_accepts(tmp_path: Path, empty: str) -> None:
    # a region's export with no vacancies yet, or no candidates yet, is a valid dataset
    from tests.conftest import BASE_ROWS, write_rows

    rows = {name: [dict(r) for r in records] for name, records in BASE_ROWS.items() if name != "placements"}
    folder = write_rows(tmp_path / "world", rows)
    header = (folder / f"{empty}.csv").read_text(encoding="utf-8").splitlines()[0]
    (folder / f"{empty}.csv").write_text(header + "\n", encoding="utf-8")
    assert runner.invoke(app, ["validate", str(folder)]).exit_code == 0
    for args in (
        ["match", str(folder), "--out", str(tmp_path / "plan"), "--today", "2026-10-01"],
        ["suggest", str(folder), "--candidate", "K1"]
        if empty == "vacancies"
        else ["suggest", str(folder), "--vacancy", "V1"],
        ["report", str(folder), "--out", str(tmp_path / "report"), "--today", "2026-10-01"],
    ):
        result = runner.invoke(app, args)
        assert result.exit_code == 0, (args, result.output)
        assert "Traceback" not in result.output
