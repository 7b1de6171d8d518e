"""Serving at load: warm-up at start, the readiness flag, SQLite's ``synchronous=NORMAL``, the audit
write that never makes the event loop wait, and which worker resumes interrupted runs."""

from __future__ import annotations

import asyncio
import gc
import sqlite3
import threading
import time
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from models.store import tables as t
from tests.conftest import Api

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

SAMPLE_REGIONS = ["Groningen", "Holland Rijnland", "Midden-Utrecht", "Noordoost-Brabant", "Twente", "Zuidoost-Brabant"]


def _version(store: Any, region: str | None) -> tuple[int, int, int]:
    with store.connect() as conn:
        version: tuple[int, int, int] = store.matching_version(conn, region)
    return version


def _wait_until_ready(client: Any, limit_s: float = 120.0) -> dict[str, Any]:
    started = time.monotonic()
    while time.monotonic() - started < limit_s:
        health: dict[str, Any] = client.get("/healthz").json()
        if health["matchers"] != "warming":
            return health
        time.sleep(0.05)
    raise AssertionError(f"the matchers were not ready within {limit_s} s")


def test_the_store_lists_the_regions_of_its_candidates(sample_store: Any) -> None:
    assert sample_store.regions() == SAMPLE_REGIONS


def test_sqlite_connections_sync_at_checkpoints_not_at_every_commit(sample_store: Any, db_url: str) -> None:
    if not db_url.startswith("sqlite"):
        pytest.skip("a SQLite setting")
    with sample_store.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30_000


@pytest.mark.slow  # warms all six regions
def test_the_server_warms_every_region_at_start_and_says_when_it_is_ready(sample_store: Any, db_url: str) -> None:
    """/healthz answers at once; when it says ready, every region's matcher is there for today's data,
    and the first suggestion uses it instead of preparing one."""
    from fastapi.testclient import TestClient

    from api.http.app import create_app
    from api.security import create_key
    from api.settings import Settings

    with sample_store.begin() as conn:
        key = create_key(conn, role="coach", region="Twente").secret
    app = create_app(Settings(database_url=db_url), store=sample_store)
    with TestClient(app) as client:
        first = client.get("/healthz").json()
        assert first["status"] == "ok"
        assert first["matchers"] in ("warming", "ready")
        health = _wait_until_ready(client)
        assert health["matchers"] == "ready"
        assert isinstance(health["pid"], int)
        service = app.state.matching
        prepared = {r: service.prepared(r, _version(sample_store, r), date.today()) for r in SAMPLE_REGIONS}
        assert all(m is not None for m in prepared.values())
        assert all(m.shortlists is not None for m in prepared.values())  # ranked
        # a national matcher only when asked for
        assert service.prepared(None, _version(sample_store, None), date.today()) is None
        assert gc.get_freeze_count() > 0  # the prepared matchers are out of the cyclic collector's way

        vacancy = str(prepared["Twente"].p.vacancy_ids[0])
        r = client.get(f"/api/v1/vacancies/{vacancy}/suggestions?top=3", headers={"X-API-Key": key})
        assert r.status_code == 200, r.text
        twente = service.prepared("Twente", _version(sample_store, "Twente"), date.today())
        assert twente is prepared["Twente"]  # not prepared again


def test_without_warm_up_the_first_request_prepares_its_region(sample_store: Any, db_url: str) -> None:
    from fastapi.testclient import TestClient

    from api.http.app import create_app
    from api.security import create_key
    from api.settings import Settings

    with sample_store.begin() as conn:
        key = create_key(conn, role="coach", region="Groningen").secret
    app = create_app(Settings(database_url=db_url, warm=False), store=sample_store)
    with TestClient(app) as client:
        assert client.get("/healthz").json()["matchers"] == "on demand"
        service = app.state.matching
        assert service.prepared("Groningen", _version(sample_store, "Groningen"), date.today()) is None
        r = client.get("/api/v1/candidates/KND-000001/suggestions?top=2", headers={"X-API-Key": key})
        assert r.status_code == 200, r.text
        matcher = service.prepared("Groningen", _version(sample_store, "Groningen"), date.today())
        assert matcher is not None
        assert service.prepared("Twente", _version(sample_store, "Twente"), date.today()) is None
        # the new matcher answered on demand; its pairs are ranked in the background, and the
        # answers from its shortlists are the same
        started = time.monotonic()
        while matcher.shortlists is None and time.monotonic() - started < 60:
            time.sleep(0.05)
        assert matcher.shortlists is not None
        again = client.get("/api/v1/candidates/KND-000001/suggestions?top=2", headers={"X-API-Key": key})
        assert again.json() == r.json()


@pytest.mark.slow  # warms all six regions
def test_a_request_during_warm_up_waits_for_its_region_and_gets_the_whole_answer(
    sample_store: Any, db_url: str
) -> None:
    """A region being prepared is never handed out half-built: a request for it waits on its lock."""
    from fastapi.testclient import TestClient

    from api.http.app import create_app
    from api.security import create_key
    from api.settings import Settings

    with sample_store.begin() as conn:
        key = create_key(conn, role="coach", region="Groningen").secret
    cold = create_app(Settings(database_url=db_url, warm=False), store=sample_store)
    with TestClient(cold) as client:
        expected = client.get("/api/v1/candidates/KND-000001/suggestions?top=5", headers={"X-API-Key": key}).json()
    app = create_app(Settings(database_url=db_url), store=sample_store)
    with TestClient(app) as client:
        r = client.get("/api/v1/candidates/KND-000001/suggestions?top=5", headers={"X-API-Key": key})
        assert r.status_code == 200, r.text
        assert r.json() == expected
        _wait_until_ready(client)


def test_suggestions_keep_their_schema_errors_and_audit(api: Api) -> None:
    """The async, pre-serialised suggestion endpoints answer as before: the documented model, the same
    errors in the same order, and one audit event per answer naming the candidates shown."""
    from api.http.schemas import SuggestionList

    key = {"X-API-Key": api.key("coach", "Groningen")}
    client = api.client
    r = client.get("/api/v1/candidates/KND-000001/suggestions?top=3", headers=key)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/json"
    body = SuggestionList.model_validate(r.json())
    assert body.subject == "candidate KND-000001"
    vacancy = body.items[0].vacancy_id if body.items else "VAC-000001"
    r = client.get(f"/api/v1/vacancies/{vacancy}/suggestions?top=4", headers=key)
    shown = [i["candidate_id"] for i in SuggestionList.model_validate(r.json()).model_dump()["items"]]
    with api.store.connect() as conn:
        event = conn.execute(select(t.audit_events).order_by(t.audit_events.c.event_id.desc()).limit(1)).one()
        audited = conn.execute(
            select(t.audit_candidates.c.candidate_id).where(t.audit_candidates.c.event_id == event.event_id)
        ).scalars()
        assert event.action == "suggest for vacancy"
        assert event.resource == f"/api/v1/vacancies/{vacancy}/suggestions"
        assert sorted(audited) == sorted(shown)

    schema = client.get("/api/v1/openapi.json").json()
    for path in ("/api/v1/vacancies/{vacancy_id}/suggestions", "/api/v1/candidates/{candidate_id}/suggestions"):
        operation = schema["paths"][path]["get"]
        answer = operation["responses"]["200"]["content"]["application/json"]["schema"]
        assert answer == {"$ref": "#/components/schemas/SuggestionList"}
        assert {"APIKeyHeader"} <= {name for s in operation["security"] for name in s}

    bad = "kop_k000000000000_" + "x" * 43
    assert client.get("/api/v1/vacancies/V/suggestions?top=0").status_code == 401  # no key before bad input
    assert client.get("/api/v1/vacancies/V/suggestions?top=0", headers={"X-API-Key": bad}).status_code == 401
    assert client.get("/api/v1/vacancies/V/suggestions?top=0", headers=key).status_code == 422
    assert client.get("/api/v1/vacancies/NOPE/suggestions", headers=key).status_code == 404
    assert client.get("/api/v1/candidates/NOPE/suggestions", headers=key).status_code == 404


def test_an_audit_write_never_makes_the_event_loop_wait_for_a_busy_sqlite(sample_store: Any, db_url: str) -> None:
    """While another connection holds SQLite's write lock (an import, say), the audit write of a
    suggestion waits in a worker thread, not on the event loop, and is committed once the lock is free."""
    if not db_url.startswith("sqlite"):
        pytest.skip("SQLite's single writer")
    from api.http.deps import NO_WAIT_BUSY_MS, record_audit_async
    from api.security import Principal, Role

    principal = Principal(None, Role.COACH, "Groningen")
    blocker = sqlite3.connect(db_url.removeprefix("sqlite:///"), isolation_level=None, check_same_thread=False)
    blocker.execute("BEGIN IMMEDIATE")  # the database's write lock, as a long write holds it
    released = threading.Timer(1.0, lambda: blocker.execute("COMMIT"))

    def count() -> int:
        with sample_store.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(t.audit_events)).scalar() or 0)

    before = count()

    async def scenario() -> tuple[float, float]:
        longest = 0.0
        done = False

        async def ticker() -> None:
            nonlocal longest
            last = time.perf_counter()
            while not done:
                await asyncio.sleep(0.01)
                now = time.perf_counter()
                longest, last = max(longest, now - last), now

        tick = asyncio.ensure_future(ticker())
        await asyncio.sleep(0.05)
        started = time.perf_counter()
        await record_audit_async(sample_store, principal, "suggest for vacancy", "/test", ["KND-000001"])
        waited = time.perf_counter() - started
        done = True
        await tick
        return longest, waited

    released.start()
    try:
        longest, waited = asyncio.run(scenario())
    finally:
        released.join()
        blocker.close()
    assert count() == before + 1
    assert waited > 0.7  # it did wait for the lock to be released ...
    # the loop stalled at most for the one short try (NO_WAIT_BUSY_MS), never for the second the lock was held
    assert longest < 0.5, longest
    assert NO_WAIT_BUSY_MS < 500


def test_only_one_worker_resumes_interrupted_runs(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from api.http.app import RECOVERY_MARKER_ENV, _resumes_runs

    monkeypatch.delenv(RECOVERY_MARKER_ENV, raising=False)
    assert [_resumes_runs() for _ in range(2)] == [True, True]  # a server alone always resumes its runs
    monkeypatch.setenv(RECOVERY_MARKER_ENV, str(tmp_path / "serve.runs"))
    assert [_resumes_runs() for _ in range(3)] == [True, False, False]  # the first worker of a server
