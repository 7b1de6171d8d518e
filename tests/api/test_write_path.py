"""Every way of writing obeys the same domain checks: upload, POST, PATCH, accept and ``koppelaar import``.

A row that changes a stored one is checked as it will be stored (the columns an upload lacks keep
their stored values), a placement's status moves only as its life cycle allows, and JSON values are
typed strictly. After a refused write nothing has changed, and the store still exports a folder
that validates and imports.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from api.cli import app as cli
from models.store.importer import export_folder
from tests.api.test_api import problem
from tests.conftest import Api

CSV = {"Content-Type": "text/csv"}
ENDED = "PLA-0000009"  # beeindigd, 2023-05-20 to 2024-11-10, candidate KND-000048 (Zuidoost-Brabant)
HEADER = "placement_id,candidate_id,vacancy_id,start_date,hours_per_week,status\n"


def _placement(api: Api, pid: str = ENDED) -> dict[str, Any]:
    r = api.get(f"/placements/{pid}", region=None)
    assert r.status_code == 200, r.text
    return dict(r.json())


def _exported_folder_validates_and_imports(api: Api, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``koppelaar export`` of the store, then ``validate`` and ``import`` of that folder (exit 0 each)."""
    out = tmp_path / "export"
    export_folder(api.store, out)
    runner = CliRunner()
    monkeypatch.setenv("KOPPELAAR_DATABASE_URL", f"sqlite:///{tmp_path / 'restored.sqlite'}")
    r = runner.invoke(cli, ["validate", str(out)])
    assert r.exit_code == 0, r.output
    r = runner.invoke(cli, ["import", str(out)])
    assert r.exit_code == 0, r.output


def test_an_upload_without_end_date_cannot_move_an_ended_placement_back_or_start_it_after_its_end(
    api: Api, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _placement(api)
    assert before["status"] == "beeindigd"
    both = HEADER + f"{ENDED},KND-000048,VAC-000078,2030-01-01,40.0,voorgesteld\n"
    body = problem(api.post("/placements/upload", region=None, content=both, headers=CSV), 422)
    found = {(e["row"], e["field"]) for e in body["errors"]}
    assert found == {(2, "status"), (2, "end_date")}, body
    said = {e["field"]: e["message"] for e in body["errors"]}
    assert "cannot become voorgesteld" in said["status"]
    assert "lies before start_date" in said["end_date"]

    # the life cycle alone is a conflict with the stored state: 409, as PATCH answers it
    back = HEADER + f"{ENDED},KND-000048,VAC-000078,2023-05-20,36,voorgesteld\n"
    body = problem(api.post("/placements/upload", region=None, content=back, headers=CSV), 409)
    assert [(e["row"], e["field"], e["value"]) for e in body["errors"]] == [(2, "status", "voorgesteld")]
    assert "allowed next: none: it has ended" in body["detail"]
    # the date order alone: 422 naming the stored end date the upload kept
    late = HEADER + f"{ENDED},KND-000048,VAC-000078,2030-01-01,36,beeindigd\n"
    body = problem(api.post("/placements/upload", region=None, content=late, headers=CSV), 422)
    assert [(e["row"], e["field"], e["value"]) for e in body["errors"]] == [(2, "end_date", "2024-11-10")]

    # PATCH answers the same
    problem(api.patch(f"/placements/{ENDED}", region=None, json={"status": "voorgesteld"}), 409)
    body = problem(api.patch(f"/placements/{ENDED}", region=None, json={"start_date": "2030-01-01"}), 422)
    assert [e["field"] for e in body["errors"]] == ["end_date"]

    assert _placement(api) == before  # nothing of any of it was written
    _exported_folder_validates_and_imports(api, tmp_path, monkeypatch)


def test_an_upload_may_move_a_placement_on_and_keeps_what_it_does_not_name(api: Api) -> None:
    r = api.post("/suggestions/accept", role="coach", json={"candidate_id": "KND-000004", "vacancy_id": "VAC-000001"})
    assert r.status_code == 201, r.text
    proposed = r.json()["placement"]
    pid, vacancy = proposed["placement_id"], proposed["vacancy_id"]
    row = f"{pid},KND-000004,{vacancy},{proposed['start_date']},{proposed['hours_per_week']}"
    r = api.post("/placements/upload", role="admin", content=HEADER + row + ",geaccepteerd\n", headers=CSV)
    assert r.status_code == 200, r.text
    assert r.json()["changes"]["placements"] == {"inserted": 0, "updated": 1, "unchanged": 0}
    after = _placement(api, pid)
    assert after["status"] == "geaccepteerd"
    assert after["obligation_id"] == proposed["obligation_id"]  # a column the upload lacks keeps its value
    # skipping a step of the life cycle is refused too: voorgesteld → gestart needs geaccepteerd between
    # (a second proposal of the same pair is the first one: a new proposal comes by upload)
    row = f"PLA-T-9,KND-000004,{vacancy},{proposed['start_date']},{proposed['hours_per_week']}"
    r = api.post("/placements/upload", role="admin", content=HEADER + row + ",voorgesteld\n", headers=CSV)
    assert r.status_code == 200, r.text
    body = problem(api.post("/placements/upload", content=HEADER + row + ",gestart\n", headers=CSV), 409)
    assert "cannot become gestart (allowed next: geaccepteerd, beeindigd)" in body["errors"][0]["message"]


def test_koppelaar_import_refuses_a_folder_that_moves_a_placement_back(
    api: Api, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, db_url: str
) -> None:
    folder = tmp_path / "back"
    folder.mkdir()
    (folder / "placements.csv").write_text(HEADER + f"{ENDED},KND-000048,VAC-000078,2023-05-20,36,gestart\n")
    monkeypatch.setenv("KOPPELAAR_DATABASE_URL", db_url)
    r = CliRunner().invoke(cli, ["import", str(folder)])
    assert r.exit_code == 2, r.output
    said = " ".join(r.output.split())
    assert "placements.csv row 2, column status" in said
    assert "cannot become gestart" in said
    assert _placement(api)["status"] == "beeindigd"


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/placements", {"start_date": 0}, "start_date"),
        ("/placements", {"start_date": "2027-03-01T00:00:00"}, "start_date"),
        ("/placements", {"hours_per_week": 5e-324}, "hours_per_week"),
        ("/placements", {"hours_per_week": 61}, "hours_per_week"),
        ("/placements", {"hours_per_week": "38"}, "hours_per_week"),
        ("/placements", {"retained_6m": 1}, "retained_6m"),
        ("/vacancies", {"positions": 2.5}, "positions"),
        ("/vacancies", {"positions": "2"}, "positions"),
        ("/vacancies", {"title": " "}, "title"),
        ("/vacancies", {"hours_per_week": 0.5}, "hours_per_week"),
    ],
)
def test_json_values_are_typed_strictly(api: Api, path: str, body: dict[str, Any], field: str) -> None:
    from api.http.schemas import EXAMPLES

    name = path.strip("/")
    row = {**EXAMPLES[name], **body}
    if name == "vacancies":
        row["vacancy_id"] = "VAC-T-1"
    else:
        row["placement_id"] = "PLA-T-1"
    answer = problem(api.post(path, region=None, json=row), 422)
    assert [e["field"] for e in answer["errors"]] == [field], answer


@pytest.mark.parametrize("today", [0, 20270101, True, "01-01-2027"])
def test_a_run_date_is_a_date_text(api: Api, today: object) -> None:
    body = problem(api.post("/runs", role="adviseur", json={"scope": "region", "today": today}), 422)
    assert [e["field"] for e in body["errors"]] == ["today"], body


def test_an_accepted_suggestion_takes_the_placements_hours_and_date_rules(api: Api) -> None:
    pair = {"candidate_id": "KND-000004", "vacancy_id": "VAC-000001"}
    for extra, field in (({"start_date": 0}, "start_date"), ({"hours_per_week": 0.5}, "hours_per_week")):
        body = problem(api.post("/suggestions/accept", role="coach", json={**pair, **extra}), 422)
        assert [e["field"] for e in body["errors"]] == [field], body


def test_no_way_in_proposes_a_placement_for_a_candidate_without_consent(api: Api) -> None:
    assert api.patch("/candidates/KND-000004", role="coach", json={"consent": False}).status_code == 200
    pair = {"candidate_id": "KND-000004", "vacancy_id": "VAC-000001"}
    body = problem(api.post("/suggestions/accept", role="coach", json=pair), 422)
    assert [e["field"] for e in body["errors"]] == ["candidate_id"]
    assert "has not consented" in body["detail"]
    proposal = {**pair, "placement_id": "PLA-T-2", "start_date": "2027-03-01", "hours_per_week": 38}
    body = problem(api.post("/placements", role="coach", json={**proposal, "status": "voorgesteld"}), 422)
    assert [e["field"] for e in body["errors"]] == ["candidate_id"]
    row = "PLA-T-2,KND-000004,VAC-000001,2027-03-01,38,voorgesteld\n"
    body = problem(api.post("/placements/upload", content=HEADER + row, headers=CSV), 422)
    assert [(e["row"], e["field"]) for e in body["errors"]] == [(2, "candidate_id")]
    # a placement that already took place is registered whatever the consent to being matched
    r = api.post("/placements", role="coach", json={**proposal, "status": "gestart"})
    assert r.status_code == 201, r.text
    # once the candidate consents again (here by an upload), a proposal goes through
    both = "candidate_id,target_group,consent\nKND-000004,ww,true\n"
    assert api.post("/candidates/upload", content=both, headers=CSV).status_code == 200
    row = "PLA-T-3,KND-000004,VAC-000001,2027-03-01,38,voorgesteld\n"
    assert api.post("/placements/upload", content=HEADER + row, headers=CSV).status_code == 200
