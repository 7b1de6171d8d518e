"""The monitoring report over HTTP: the CLI's figures, per region, fresh after a write, as JSON, HTML, XLSX."""

from __future__ import annotations

import io
from typing import Any

import openpyxl

from tests.api.test_api import _top_vacancy, problem
from tests.conftest import Api

A = "Groningen"


def test_the_report_has_every_table_and_the_region_people_only(api: Api) -> None:
    r = api.get("/reports/monitoring", role="coach")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["region"] == A
    assert {
        "overview",
        "progress",
        "alerts",
        "placements",
        "retention",
        "calendar",
        "demand",
        "training",
        "fairness",
    } <= set(body)
    assert {row["group"] for row in body["fairness"] if row["dimension"] == "region"} == {A}
    national = api.get(f"/reports/monitoring?region={A}", role="admin", region=None).json()
    everything = api.get("/reports/monitoring", role="admin", region=None).json()
    assert national["fairness"] == body["fairness"]
    # obligations count every region's placements: the same euros for a region and for the country
    assert [p["realised_eur"] for p in body["progress"]] == [p["realised_eur"] for p in everything["progress"]]
    assert len(everything["placements"]) > len(body["placements"])


def test_one_table_and_an_unknown_table_or_region(api: Api) -> None:
    r = api.get("/reports/monitoring/tables/progress", role="adviseur")
    assert r.status_code == 200
    body = r.json()
    assert body["table"] == "progress"
    assert body["total"] == len(body["items"]) > 0
    assert set(body["items"][0]) >= {
        "obligation_id",
        "required_eur",
        "realised_eur",
        "forecast_eur",
        "status",
        "reason",
    }
    problem(api.get("/reports/monitoring/tables/salarissen", role="adviseur"), 422)
    body = problem(api.get("/reports/monitoring?region=Atlantis", role="admin", region=None), 404)
    assert "the stored candidates are in Groningen, Holland Rijnland" in body["detail"]
    body = problem(api.get("/reports/monitoring?region=groningen", role="admin", region=None), 404)
    assert "did you mean 'Groningen'?" in body["detail"]
    problem(api.get("/reports/monitoring?today=gisteren", role="adviseur"), 422)


def test_the_page_and_the_workbook(api: Api) -> None:
    page = api.get("/reports/monitoring.html", role="coach")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "<h1>SROI-monitoring: Groningen</h1>" in page.text
    assert page.text.count('role="progressbar"') == len(api.get("/reports/monitoring", role="coach").json()["progress"])
    book = api.get("/reports/monitoring.xlsx", role="werkgeversservice")
    assert book.status_code == 200
    assert 'filename="sroi-monitoring-Groningen-' in book.headers["content-disposition"]
    sheets = openpyxl.load_workbook(io.BytesIO(book.content), read_only=True).sheetnames
    assert sheets[:3] == ["Overzicht", "Voortgang", "Signalen"]


def test_accepting_a_suggestion_shows_in_the_next_report(api: Api) -> None:
    vacancy = _top_vacancy(api)
    obligation = api.get(f"/vacancies/{vacancy}", role="coach").json()["obligation_id"]

    def row() -> dict[str, Any]:
        items = api.get("/reports/monitoring/tables/progress", role="adviseur").json()["items"]
        return next(p for p in items if p["obligation_id"] == obligation)

    before = row()
    who = api.get(f"/vacancies/{vacancy}/suggestions?top=1", role="coach").json()["items"][0]["candidate_id"]
    placed = api.post("/suggestions/accept", role="coach", json={"candidate_id": who, "vacancy_id": vacancy}).json()
    proposed = row()
    assert proposed["planned_eur"] > before["planned_eur"]  # voorgesteld: planned, not yet realised
    assert proposed["realised_eur"] == before["realised_eur"]
    suggested = {
        g["group"]: g["suggested"]
        for g in api.get("/reports/monitoring", role="adviseur").json()["fairness"]
        if g["dimension"] == "region"
    }
    assert suggested[A] >= 1  # the audit log's suggestions count in the fairness table
    pid = placed["placement"]["placement_id"]
    assert api.patch(f"/placements/{pid}", role="coach", json={"status": "geaccepteerd"}).status_code == 200
    accepted = row()
    assert accepted["realised_eur"] > before["realised_eur"]
    single = api.get(f"/obligations/{obligation}/progress", role="adviseur").json()
    assert single["realised_eur"] == accepted["realised_eur"]
    assert single["status"] == accepted["status"]
    assert single["forecast_eur"] == accepted["forecast_eur"]


def test_a_role_without_reports_is_refused(api: Api) -> None:
    from api.security import ROLE_PERMISSIONS, Permission, Role

    assert all(Permission.REPORTS_READ in ROLE_PERMISSIONS[r] for r in Role)  # aggregates: every role reads them
    problem(api.client.get("/api/v1/reports/monitoring"), 401)
