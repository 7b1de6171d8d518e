"""What the web page needs from the server, without a browser: its routes and files, and the API's search.

The page itself is tested in Chromium by tests/e2e/test_web.py.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.http.app import create_app
from api.http.web import STATIC
from api.settings import Settings
from tests.conftest import Api


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'k.sqlite'}"))
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def test_the_page_and_its_files_are_served_locally(client: TestClient) -> None:
    root = client.get("/", follow_redirects=False)
    assert (root.status_code, root.headers["location"]) == (307, "/app/")
    assert client.get("/app", follow_redirects=False).headers["location"] == "/app/"
    page = client.get("/app/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert '<html lang="nl">' in page.text
    for name, kind in (("app.js", "javascript"), ("app.css", "text/css")):
        asset = client.get(f"/app/static/{name}")
        assert asset.status_code == 200
        assert kind in asset.headers["content-type"]
        assert asset.headers["x-content-type-options"] == "nosniff"
    missing = client.get("/app/static/nope.js")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    assert client.get("/app/static/../../__init__.py").status_code == 404


def test_nothing_is_loaded_from_outside() -> None:
    for path in sorted(p for p in STATIC.rglob("*") if p.is_file()):  # the vendored CSS too
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"""(src|href)=["']?(https?:)?//""", text), path.name
        assert "@import" not in text, path.name
        assert not re.search(r"url\(\s*['\"]?(https?:)?//", text), path.name
        assert "console.log" not in text, path.name  # no candidate data in the browser's console


def test_the_api_documentation_is_served_from_its_own_files(client: TestClient) -> None:
    """Swagger UI and ReDoc load their scripts and style sheets from Koppelaar itself, none from a CDN."""
    for route, assets in (
        ("/docs", ["/docs/static/swagger-ui.css", "/docs/static/swagger-ui-bundle.js"]),
        ("/redoc", ["/docs/static/redoc.standalone.js"]),
    ):
        page = client.get(route)
        assert page.status_code == 200, route
        loaded = re.findall(r"""(?:src|href)=["']([^"']+)""", page.text)
        assert not [u for u in loaded if not u.startswith("/")], (route, loaded)
        assert "/api/v1/openapi.json" in page.text
        for url in assets:
            asset = client.get(url)
            assert asset.status_code == 200, url
            assert len(asset.content) > 100_000, url  # the real bundle, not a placeholder
            assert url in loaded


def test_the_page_is_not_part_of_the_api_description(client: TestClient) -> None:
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert not [p for p in paths if not p.startswith("/api/v1/") and p != "/healthz"]


def test_vacancies_and_candidates_are_searched_with_q(api: Api) -> None:
    found = api.get("/vacancies?q=MONTEUR&limit=500", role="coach").json()
    assert found["total"] > 3
    assert all("monteur" in (v["title"] + " " + (v["occupation"] or "")).lower() for v in found["items"])
    # q combines with the exact filters
    extra = api.get("/vacancies?q=monteur&additional=false&limit=500", role="coach").json()
    assert extra["total"] < found["total"]
    assert all(v["additional"] is False for v in extra["items"])
    # % and _ are letters, not wildcards
    for text in ("%", "_", "mont%r", "\\"):
        assert api.get("/vacancies", role="coach", params={"q": text}).json()["total"] == 0, text
    candidates = api.get("/candidates?q=knd-00000&limit=500", role="coach").json()
    assert {c["candidate_id"] for c in candidates["items"]} <= {f"KND-00000{i}" for i in range(10)}
    assert {c["region"] for c in candidates["items"]} == {"Groningen"}
    assert candidates["total"] == len(candidates["items"]) > 0
    # another region's candidate stays invisible however it is searched
    other = api.get("/candidates?limit=1", role="coach", region="Midden-Utrecht").json()["items"][0]["candidate_id"]
    assert api.get(f"/candidates?q={other}", role="coach").json()["total"] == 0
    assert api.get("/candidates?q=" + "x" * 201, role="coach").status_code == 422


def test_suggestions_carry_their_explanation_as_codes(api: Api) -> None:
    vacancy = next(
        v["vacancy_id"]
        for v in api.get("/vacancies?additional=true&limit=500", role="coach").json()["items"]
        if api.get(f"/vacancies/{v['vacancy_id']}/suggestions?top=1", role="coach").json()["items"]
    )
    item = api.get(f"/vacancies/{vacancy}/suggestions?top=3", role="coach").json()["items"][0]
    assert re.search(r"(^|; )km:", item["reasons"])
    assert item["explanation"]


def test_the_placements_that_count_towards_an_obligation(api: Api) -> None:
    """``for_obligation`` lists what the obligation's progress counts (models.valuation.credited_obligations):
    those naming it, and those naming none at a vacancy of its contractor that names it or none."""
    obligations = api.get("/obligations?limit=500").json()["items"]
    checked = 0
    for o in obligations:
        oid = o["obligation_id"]
        listed = api.get(f"/placements?for_obligation={oid}&limit=500", region=None).json()
        progress = api.get(f"/obligations/{oid}/progress", region=None)
        if progress.status_code != 200:
            continue
        assert listed["total"] == sum(progress.json()["placements"].values()), oid
        of_contractor = api.get(f"/vacancies?contractor_id={o['contractor_id']}&limit=500").json()["items"]
        vacancies = {v["vacancy_id"] for v in of_contractor if v["obligation_id"] in (oid, None)}
        for p in listed["items"]:
            assert p["obligation_id"] == oid or (p["obligation_id"] is None and p["vacancy_id"] in vacancies)
        checked += listed["total"] > 0
    assert checked >= 5
    # a coach sees only the region's own among them
    mine = api.get("/placements?for_obligation=SROI-00008&limit=500", role="coach").json()["items"]
    regions = {api.get(f"/candidates/{p['candidate_id']}", role="coach").json()["region"] for p in mine}
    assert regions <= {"Groningen"}
