"""``koppelaar register``: the Algoritmeregister entry holds every required field, none empty."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from api.cli import app
from api.services.register import CANDIDATE_PURPOSES, FIELDS, PUBLICATION_CATEGORY
from models.schema import CANDIDATES
from tests.conftest import SAMPLE

runner = CliRunner()
#: The fields the Algoritmeregister asks for (issue 23), by their keys in register.json.
REQUIRED = {
    "doel_en_impact",
    "proportionaliteit",
    "besluitvorming",
    "menselijke_tussenkomst",
    "risicos",
    "prestatienorm",
    "wettelijke_basis",
    "gegevensbronnen",
    "methoden_en_modellen",
    "monitoring",
    "publicatiecategorie",
}


def test_every_required_field_is_there_and_filled(tmp_path: Path) -> None:
    out = tmp_path / "register"
    r = runner.invoke(app, ["register", str(SAMPLE), "--out", str(out), "--today", "2026-10-01", "--boot", "30"])
    assert r.exit_code == 0, r.output
    entry: dict[str, Any] = json.loads((out / "register.json").read_text("utf-8"))
    fields = entry["velden"]
    assert set(fields) >= REQUIRED
    assert [key for key, _ in FIELDS] == list(fields)
    for key, field in fields.items():
        assert field["titel"].strip(), key
        assert field["tekst"].strip(), key
    assert fields["publicatiecategorie"]["tekst"] == PUBLICATION_CATEGORY == "hoog risico"
    assert "passingsscore" in fields["methoden_en_modellen"]["tekst"]  # no model: the rule score, no probability
    assert "geen kans" in fields["prestatienorm"]["tekst"]
    assert "vier-vijfderegel" in fields["risicos"]["tekst"]
    data = {p["gegeven"] for p in entry["persoonsgegevens"]}
    assert set(CANDIDATES.column_names) <= data  # every column of a candidate, with its purpose and place
    assert all(p["doel"] and p["waar"] for p in entry["persoonsgegevens"])
    rows = entry["fairness_intervallen"]
    assert rows
    assert all(r["ci_low"] <= r["rate"] <= r["ci_high"] for r in rows)
    text = (out / "register.md").read_text("utf-8")
    for _, title in FIELDS:
        assert f"## {title}" in text
    assert "95%-betrouwbaarheidsinterval" in text
    again = tmp_path / "again"
    runner.invoke(app, ["register", str(SAMPLE), "--out", str(again), "--today", "2026-10-01", "--boot", "30"])
    assert (again / "register.json").read_bytes() == (out / "register.json").read_bytes()  # seeded


def test_the_candidate_purposes_cover_the_format() -> None:
    assert set(CANDIDATE_PURPOSES) == set(CANDIDATES.column_names)


def test_a_trained_model_brings_its_validation_figures(
    tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = tmp_path / "model.pkl"
    r = runner.invoke(app, ["train", str(SAMPLE), "--model", str(model)])
    assert r.exit_code == 0, r.output
    monkeypatch.setenv("KOPPELAAR_DATABASE_URL", db_url)
    assert runner.invoke(app, ["import", str(SAMPLE), "--quiet"]).exit_code == 0
    out = tmp_path / "register"
    r = runner.invoke(
        app,
        ["register", "--db", "--region", "Groningen", "--model", str(model), "--out", str(out), "--boot", "20"],
    )
    assert r.exit_code == 0, r.output
    entry = json.loads((out / "register.json").read_text("utf-8"))
    validation = entry["cijfers"]["validatie"]
    assert validation["validation_size"] > 0
    assert "AUC" in entry["velden"]["prestatienorm"]["tekst"]
    assert "arbeidsmarktregio Groningen" in entry["velden"]["organisatie"]["tekst"]
    assert {r["group"] for r in entry["fairness_intervallen"] if r["dimension"] == "region"} == {"Groningen"}
    assert runner.invoke(app, ["register", "--out", str(out)]).exit_code == 2  # neither a folder nor --db
