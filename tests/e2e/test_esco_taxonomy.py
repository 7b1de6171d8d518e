"""The koppelaar commands on the full ESCO taxonomy (``KOPPELAAR_TAXONOMY`` = the shared export).

A generated world (the built-in taxonomy's Dutch labels, synonyms, English labels, URIs and typos) with
real ESCO skills and occupations written into some profiles and vacancies: as URIs, English labels and
Dutch occupation labels that only ESCO knows.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from api.cli import app
from tests.paths import ESCO

SKILL = "http://data.europa.eu/esco/skill/"
JOIN_WOOD = SKILL + "2e8e2acf-5d58-4d99-807d-2ed77a6c8b17"  # essential for carpenter
LAY_BRICKS = SKILL + "13e1c0a2-b90d-46f4-be51-11730360b38d"
TODAY = "2026-10-01"

runner = CliRunner()


def _esco_world(folder: Path) -> Path:
    made = runner.invoke(
        app, ["generate", "--out", str(folder), "--candidates", "400", "--vacancies", "100", "--seed", "5"]
    )
    assert made.exit_code == 0, made.output
    candidates = pd.read_csv(folder / "candidates.csv", dtype=str, keep_default_na=False)
    extra_skills = [JOIN_WOOD, "lay bricks", "brickworking", "operate crosscut saw"]
    extra_work = ["inspiciënt:2", "schrijnwerker:4", "carpenter"]
    for i in range(0, len(candidates), 4):
        skills = [s for s in str(candidates.at[i, "skills"]).split("; ") if s]
        candidates.at[i, "skills"] = "; ".join([*skills, extra_skills[i % len(extra_skills)]])
        work = [w for w in str(candidates.at[i, "occupations"]).split("; ") if w]
        candidates.at[i, "occupations"] = "; ".join([*work, extra_work[i % len(extra_work)]])
    candidates.to_csv(folder / "candidates.csv", index=False)
    vacancies = pd.read_csv(folder / "vacancies.csv", dtype=str, keep_default_na=False)
    for i in range(0, len(vacancies), 3):
        required = [s for s in str(vacancies.at[i, "required_skills"]).split("; ") if s]
        vacancies.at[i, "required_skills"] = "; ".join([*required, LAY_BRICKS, "join wood elements"])
    vacancies.to_csv(folder / "vacancies.csv", index=False)
    valid = runner.invoke(app, ["validate", str(folder), "--today", TODAY])
    assert valid.exit_code == 0, valid.output
    return folder


@pytest.mark.slow
def test_train_score_match_and_suggest_run_on_the_esco_taxonomy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not ESCO.is_dir():
        pytest.skip(f"shared ESCO data not found at {ESCO}")
    world = str(_esco_world(tmp_path / "world"))
    monkeypatch.setenv("KOPPELAAR_TAXONOMY", str(ESCO))
    model = tmp_path / "model.pkl"
    trained = runner.invoke(app, ["train", world, "--model", str(model), "--today", TODAY])
    assert trained.exit_code == 0, trained.output
    assert "trained on" in trained.output
    assert model.is_file()

    vacancy = pd.read_csv(Path(world) / "vacancies.csv", dtype=str)["vacancy_id"].iloc[0]
    options = ["--model", str(model), "--top", "5", "--today", TODAY, "--format", "json"]
    suggested = runner.invoke(app, ["suggest", world, "--vacancy", vacancy, *options])
    assert suggested.exit_code == 0, suggested.output
    rows = json.loads(suggested.stdout)
    assert rows
    assert all(r["vacancy_id"] == vacancy and r["explanation"] for r in rows)

    pairs = tmp_path / "pairs.csv"
    pairs.write_text(f"candidate_id,vacancy_id\n{rows[0]['candidate_id']},{vacancy}\n", encoding="utf-8")
    out = tmp_path / "scores.csv"
    scored = runner.invoke(
        app, ["score", world, "--pairs", str(pairs), "--out", str(out), "--model", str(model), "--today", TODAY]
    )
    assert scored.exit_code == 0, scored.output
    assert len(out.read_text(encoding="utf-8").splitlines()) == 2

    plan = tmp_path / "plan"
    matched = runner.invoke(app, ["match", world, "--out", str(plan), "--model", str(model), "--today", TODAY])
    assert matched.exit_code == 0, matched.output
    summary = json.loads((plan / "summary.json").read_text(encoding="utf-8"))
    assert summary["counts"]["placements"] == len((plan / "plan.csv").read_text(encoding="utf-8").splitlines()) - 1 > 0
    for result in (trained, suggested, scored, matched):
        assert "Traceback" not in result.output
