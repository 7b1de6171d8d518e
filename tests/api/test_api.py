"""What coaches, advisers and employer services do through the API, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select, update

from models.store import tables as t
from tests.conftest import Api

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

AS_OF = "2026-10-01"  # the sample world's as-of date

NEW_CANDIDATE: dict[str, Any] = {
    "candidate_id": "KND-T-1",
    "target_group": "participatiewet",
    "postcode": "9711",
    "skills": ["timmeren", "maatvoeren"],
    "occupations": ["Timmerman:4"],
    "certificates": ["VCA Basis"],
    "driving_licences": ["B"],
    "language_level": "B1",
    "hours_min": 24,
    "hours_max": 40,
    "physical_capacity": "zwaar",
    "consent": True,
}


def problem(r: Any, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = r.json()
    assert body["status"] == status
    assert body["title"]
    assert "Traceback" not in r.text
    return body


def test_a_coach_registers_reads_and_changes_a_candidate(api: Api) -> None:
    r = api.post("/candidates", role="coach", json=NEW_CANDIDATE)
    assert r.status_code == 201, r.text
    assert r.headers["location"].endswith("/candidates/KND-T-1")
    body = r.json()
    assert body["region"] == "Groningen"  # the key's region when none is given
    assert body["skills"] == ["timmeren", "maatvoeren"]
    assert body["occupations"] == ["Timmerman:4"]
    assert (
        problem(api.post("/candidates", role="coach", json=NEW_CANDIDATE), 409)["errors"][0]["field"] == "candidate_id"
    )

    r = api.patch("/candidates/KND-T-1", role="coach", json={"hours_max": 32, "profile_text": "Zoekt werk in de bouw"})
    assert r.status_code == 200, r.text
    assert r.json()["hours_max"] == 32
    assert r.json()["skills"] == ["timmeren", "maatvoeren"]

    # the dataset rules hold for the API too: the field and the reason
    bad = problem(api.patch("/candidates/KND-T-1", role="coach", json={"hours_min": 36, "hours_max": 20}), 422)
    assert bad["errors"][0]["field"] == "hours_min"
    assert "hours_max" in bad["errors"][0]["message"]
    bad = problem(api.post("/candidates", role="coach", json={**NEW_CANDIDATE, "candidate_id": "K2", "lat": 53.1}), 422)
    assert bad["errors"][0]["field"] == "lon"
    bad = problem(
        api.post("/candidates", role="coach", json={**NEW_CANDIDATE, "candidate_id": "K3", "postcode": "AB"}), 422
    )
    assert bad["errors"][0]["field"] == "postcode"
    bad = problem(api.post("/candidates", role="coach", json={**NEW_CANDIDATE, "target_group": "vip"}), 422)
    assert bad["errors"][0]["field"] == "target_group"
    assert api.get("/candidates/KND-T-1", role="coach").json()["hours_max"] == 32


def test_lists_page_and_filter(api: Api) -> None:
    seen: list[str] = []
    offset: int | None = 0
    while offset is not None:
        page = api.get(f"/candidates?limit=50&offset={offset}&consent=true", role="coach").json()
        seen += [c["candidate_id"] for c in page["items"]]
        offset = page["next_offset"]
    assert len(seen) == len(set(seen)) == page["total"] == 133  # Groningen's consenting candidates
    assert seen == sorted(seen)
    vac = api.get("/vacancies?contractor_id=OPN-00002&limit=500", role="coach").json()
    assert vac["total"] == len(vac["items"]) > 0
    assert {v["contractor_id"] for v in vac["items"]} == {"OPN-00002"}


def test_bulk_upload_is_all_or_nothing_with_rows_and_fields(api: Api) -> None:
    csv_bad = (
        "candidate_id,target_group,consent,hours_min\n"
        "KND-U-1,ww,true,8\n"
        "KND-U-2,wsw,misschien,8\n"
        "KND-U-3,vip,true,400\n"
    )
    key = {"Content-Type": "text/csv"}
    body = problem(api.post("/candidates/upload", role="werkgeversservice", content=csv_bad, headers=key), 422)
    where = {(e["row"], e["field"]) for e in body["errors"]}
    assert where == {(3, "consent"), (4, "target_group"), (4, "hours_min")}
    assert api.get("/candidates/KND-U-1").status_code == 404  # nothing of it was written
    good = "candidate_id,target_group,consent\nKND-U-1,ww,true\nKND-U-2,wsw,false\n"
    r = api.post("/candidates/upload", role="werkgeversservice", content=good, headers=key)
    assert r.status_code == 200, r.text
    assert r.json()["changes"]["candidates"] == {"inserted": 2, "updated": 0, "unchanged": 0}
    assert api.get("/candidates/KND-U-2").json()["region"] == "Groningen"
    r = api.post("/candidates/upload", role="werkgeversservice", content=good, headers=key)
    assert r.json()["changes"]["candidates"] == {"inserted": 0, "updated": 0, "unchanged": 2}  # idempotent
    problem(api.post("/candidates/upload", role="werkgeversservice", content=good), 415)
    nul = "candidate_id,target_group,consent,profile_text\nKND-U-3,ww,true,ok\nKND-U-4,ww,true,a\x00b\n"
    body = problem(api.post("/candidates/upload", role="werkgeversservice", content=nul, headers=key), 422)
    assert [(e["row"], e["field"]) for e in body["errors"]] == [(3, "profile_text")]
    assert problem(api.post("/candidates/upload", role="coach", content=good, headers=key), 403)


def _top_vacancy(api: Api) -> str:
    """An open vacancy of an obligation with suggestions in Groningen."""
    for v in api.get("/vacancies?limit=500&additional=true", role="coach").json()["items"]:
        if not v["obligation_id"]:
            continue
        r = api.get(f"/vacancies/{v['vacancy_id']}/suggestions?top=5", role="coach")
        if r.status_code == 200 and r.json()["items"]:
            return str(v["vacancy_id"])
    raise AssertionError("no vacancy has suggestions")


def test_suggestions_respect_consent_and_coach_decisions(api: Api) -> None:
    vacancy = _top_vacancy(api)
    first = api.get(f"/vacancies/{vacancy}/suggestions?top=5", role="coach").json()
    assert first["items"][0]["explanation"]
    best = first["items"][0]["candidate_id"]
    regions = {api.get(f"/candidates/{s['candidate_id']}", role="coach").json()["region"] for s in first["items"]}
    assert regions == {"Groningen"}

    # a candidate who withdraws consent is never suggested again, at once
    assert api.patch(f"/candidates/{best}", role="coach", json={"consent": False}).status_code == 200
    again = api.get(f"/vacancies/{vacancy}/suggestions?top=5", role="coach").json()
    assert best not in [s["candidate_id"] for s in again["items"]]
    api.patch(f"/candidates/{best}", role="coach", json={"consent": True})

    # a pair the coach turned down is not suggested again
    r = api.post(
        "/suggestions/reject", role="coach", json={"candidate_id": best, "vacancy_id": vacancy, "reason": "reistijd"}
    )
    assert r.status_code == 201, r.text
    again = api.get(f"/vacancies/{vacancy}/suggestions?top=5", role="coach").json()
    assert best not in [s["candidate_id"] for s in again["items"]]
    decisions = api.get(f"/decisions?candidate_id={best}", role="coach").json()["items"]
    assert [d["decision"] for d in decisions] == ["rejected"]

    mine = api.get(f"/candidates/{best}/suggestions?top=3", role="coach").json()
    assert vacancy not in [s["vacancy_id"] for s in mine["items"]]


def test_accepting_a_suggestion_records_a_placement_that_moves_through_its_life(api: Api) -> None:
    vacancy = _top_vacancy(api)
    who = api.get(f"/vacancies/{vacancy}/suggestions?top=1", role="coach").json()["items"][0]["candidate_id"]
    obligation = api.get(f"/vacancies/{vacancy}", role="coach").json()["obligation_id"]
    before = api.get(f"/obligations/{obligation}/progress", role="adviseur").json()

    r = api.post("/suggestions/accept", role="coach", json={"candidate_id": who, "vacancy_id": vacancy})
    assert r.status_code == 201, r.text
    placement = r.json()["placement"]
    assert placement["status"] == "voorgesteld"
    assert placement["candidate_id"] == who
    pid = placement["placement_id"]
    assert api.get(f"/decisions?candidate_id={who}", role="coach").json()["items"][0]["placement_id"] == pid

    assert (
        api.patch(f"/placements/{pid}", role="coach", json={"status": "geaccepteerd"}).json()["status"]
        == "geaccepteerd"
    )
    after = api.get(f"/obligations/{obligation}/progress", role="adviseur").json()
    assert after["realised_eur"] > before["realised_eur"]
    assert after["placements"].get("geaccepteerd", 0) == before["placements"].get("geaccepteerd", 0) + 1
    assert api.patch(f"/placements/{pid}", role="coach", json={"status": "gestart"}).status_code == 200
    body = problem(api.patch(f"/placements/{pid}", role="coach", json={"status": "voorgesteld"}), 409)
    assert "beeindigd" in body["detail"]
    done = api.patch(f"/placements/{pid}", role="coach", json={"status": "beeindigd", "end_date": "2027-06-30"})
    assert done.status_code == 200
    assert done.json()["end_date"] == "2027-06-30"


def test_match_runs_plan_in_the_background_with_the_same_plan_for_the_same_input(api: Api) -> None:
    r = api.post("/runs", role="adviseur", json={"scope": "region", "today": AS_OF})
    assert r.status_code == 202, r.text
    assert r.json()["status"] in {"queued", "running", "done"}
    first = api.wait_for_run(r.json()["run_id"])
    assert first["status"] == "done", first
    assert first["progress"] == 1.0
    assert first["summary"]["counts"]["placements"] > 0
    plan = api.get(f"/runs/{first['run_id']}/plan?limit=500", role="adviseur").json()
    assert plan["total"] == first["summary"]["counts"]["placements"] == len(plan["items"])
    ids = {p["candidate_id"] for p in plan["items"]}
    with api.store.connect() as conn:
        rows = conn.execute(select(t.candidates).where(t.candidates.c.candidate_id.in_(ids))).all()
    assert {r.region for r in rows} == {"Groningen"}
    assert all(r.consent for r in rows)

    second = api.wait_for_run(
        api.post("/runs", role="adviseur", json={"scope": "region", "today": AS_OF}).json()["run_id"]
    )
    assert second["input_hash"] == first["input_hash"]
    assert api.get(f"/runs/{second['run_id']}/plan?limit=500", role="adviseur").json()["items"] == plan["items"]
    assert api.get(f"/runs/{second['run_id']}/unplaced?limit=5", role="adviseur").status_code == 200
    assert api.get(f"/runs/{second['run_id']}/unfilled?limit=5", role="adviseur").status_code == 200


def test_a_run_for_one_obligation_plans_only_its_places(api: Api) -> None:
    vacancy = _top_vacancy(api)
    obligation = api.get(f"/vacancies/{vacancy}", role="coach").json()["obligation_id"]
    own = {v["vacancy_id"] for v in api.get(f"/vacancies?obligation_id={obligation}&limit=500").json()["items"]}
    run = api.post("/runs", role="adviseur", json={"scope": "obligation", "scope_id": obligation, "today": AS_OF})
    done = api.wait_for_run(run.json()["run_id"])
    assert done["status"] == "done", done
    plan = api.get(f"/runs/{done['run_id']}/plan?limit=500", role="adviseur").json()["items"]
    unfilled = api.get(f"/runs/{done['run_id']}/unfilled?limit=500", role="adviseur").json()["items"]
    assert {p["vacancy_id"] for p in plan} | {u["vacancy_id"] for u in unfilled} <= own
    body = problem(api.post("/runs", role="adviseur", json={"scope": "obligation", "scope_id": "NOPE"}), 422)
    assert body["errors"][0]["field"] == "scope_id"


@pytest.mark.slow
def test_interrupted_runs_are_resumed_on_restart_never_lost(api: Api) -> None:
    from fastapi.testclient import TestClient

    from api.http.app import create_app
    from api.security import Principal, Role
    from api.services.runs import MAX_ATTEMPTS, create_run
    from api.settings import Settings

    region = Principal(None, Role.ADVISEUR, "Groningen")
    interrupted = create_run(api.store, region, {"scope": "region", "today": AS_OF})
    hopeless = create_run(api.store, region, {"scope": "region", "today": AS_OF})
    with api.store.begin() as conn:  # as a server killed in the middle of them leaves them
        conn.execute(
            update(t.match_runs).where(t.match_runs.c.run_id == interrupted).values(status="running", attempts=1)
        )
        conn.execute(
            update(t.match_runs)
            .where(t.match_runs.c.run_id == hopeless)
            .values(status="running", attempts=MAX_ATTEMPTS)
        )
    app = create_app(Settings(database_url="sqlite://"), store=api.store)
    with TestClient(app) as client:
        app.state.jobs.wait(interrupted, timeout=120)
        headers = {"X-API-Key": api.key("adviseur")}
        resumed = client.get(f"/api/v1/runs/{interrupted}", headers=headers).json()
        failed = client.get(f"/api/v1/runs/{hopeless}", headers=headers).json()
    assert resumed["status"] == "done"
    assert resumed["attempts"] == 2
    assert failed["status"] == "failed"
    assert "restart" in failed["error"]


def test_erasure_removes_the_person_and_keeps_the_figures(api: Api) -> None:
    with api.store.connect() as conn:
        row = conn.execute(
            select(t.placements.c.candidate_id, t.placements.c.obligation_id)
            .join(t.candidates, t.candidates.c.candidate_id == t.placements.c.candidate_id)
            .where(t.placements.c.status.in_(["gestart", "beeindigd"]), t.placements.c.obligation_id.is_not(None))
            .where(t.candidates.c.region == "Groningen")
            .limit(1)
        ).one()
    who, obligation = row.candidate_id, row.obligation_id
    before = api.get(f"/obligations/{obligation}/progress").json()
    api.get(f"/candidates/{who}", role="coach")  # leaves an audit record naming them
    r = api.delete(f"/candidates/{who}", role="admin")
    assert r.status_code == 200, r.text
    assert r.json()["placements_kept"] >= 1
    assert api.get(f"/candidates/{who}").status_code == 404
    assert api.get(f"/obligations/{obligation}/progress").json() == before
    with api.store.connect() as conn:
        for table in (t.candidates, t.placements, t.decisions, t.audit_candidates, t.run_plan, t.run_unplaced):
            assert conn.execute(select(table).where(table.c.candidate_id == who)).first() is None, table.name
    assert api.get(f"/audit?candidate_id={who}").json()["total"] == 0
    problem(api.delete(f"/candidates/{who}"), 404)
    problem(api.delete("/candidates/KND-000001", role="coach"), 403)


def test_openapi_describes_every_operation_with_examples(api: Api) -> None:
    schema = api.client.get("/api/v1/openapi.json").json()
    operations = [op for path in schema["paths"].values() for op in path.values()]
    assert len(operations) >= 30
    assert all(op.get("summary") for op in operations)
    for name in ("CandidateCreate", "VacancyCreate", "ObligationCreate", "PlacementCreate", "ContractorCreate"):
        assert schema["components"]["schemas"][name]["examples"], name
    assert json.dumps(schema).count("problem+json") >= 30


def test_an_obligation_naming_an_unknown_valuation_scheme_is_refused_with_its_row(api: Api) -> None:
    """What a run or the report would stop on is refused where the obligation comes in: upload and PATCH."""
    key = {"Content-Type": "text/csv"}
    header = "obligation_id,contractor_id,client,tender_name,sector,contract_value_eur,sroi_percentage,"
    header += "award_date,start_date,end_date,valuation_scheme\n"
    row = "SROI-U-{n},OPN-00001,Gemeente Test,Test,bouw,100000,5,2026-01-01,2026-02-01,2027-12-31,{scheme}\n"
    bad = header + row.format(n=1, scheme="standaard") + row.format(n=2, scheme="zeeland")
    body = problem(api.post("/obligations/upload", role="admin", region=None, content=bad, headers=key), 422)
    [error] = body["errors"]
    assert (error["row"], error["field"], error["value"]) == (3, "valuation_scheme", "zeeland")
    assert "haaglanden, holland_rijnland, oost_nl, standaard, utrecht, utrecht_oud" in error["message"]
    assert "KOPPELAAR_VALUATION_SCHEMES" in error["message"]
    assert api.get("/obligations/SROI-U-1").status_code == 404  # nothing of it was written
    body = problem(api.patch("/obligations/SROI-00001", json={"valuation_scheme": "zeeland"}), 422)
    assert [e["field"] for e in body["errors"]] == ["valuation_scheme"]
    assert api.get("/obligations/SROI-00001").json()["valuation_scheme"] != "zeeland"


def test_a_national_key_filtering_on_an_unknown_region_is_told_the_known_ones(api: Api) -> None:
    body = problem(api.get("/candidates?region=Groninge", role="admin", region=None), 422)
    assert "did you mean 'Groningen'?" in body["detail"]
    assert "Holland Rijnland" in body["detail"]
    assert api.get("/candidates?region=Groningen&limit=1", role="admin", region=None).json()["total"] > 0
    # a regional key: another region is as absent as a misspelt one, an empty list as for any other region's rows
    assert api.get("/candidates?region=Twente").json()["total"] == 0
