"""One proposal per pair and decisions that stick, on SQLite and PostgreSQL: a second accept returns the
first proposal, parallel accepts from a real server make one placement, a rejection withdraws an open
proposal and the obligation's planned euros follow."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import Table, func, insert, select

from models.store import Store
from models.store import tables as t
from models.store.store import now
from tests.api.test_api import problem
from tests.conftest import Api

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

VACANCY = "VAC-000029"  # a Groningen vacancy with many suggestions, of obligation SROI-00008
OBLIGATION = "SROI-00008"


def _suggested(api: Api, top: int = 5) -> list[dict[str, Any]]:
    r = api.get(f"/vacancies/{VACANCY}/suggestions?top={top}", role="coach")
    assert r.status_code == 200, r.text
    items: list[dict[str, Any]] = r.json()["items"]
    assert len(items) >= 2
    return items


def _count(store: Store, table: Table, **where: str) -> int:
    query = select(func.count()).select_from(table)
    for column, value in where.items():
        query = query.where(table.c[column] == value)
    with store.connect() as conn:
        return int(conn.execute(query).scalar() or 0)


def _planned(api: Api) -> float:
    r = api.get(f"/obligations/{OBLIGATION}/progress", role="adviseur")
    assert r.status_code == 200, r.text
    return float(r.json()["planned_eur"])


def test_a_second_accept_returns_the_first_proposal(api: Api) -> None:
    who = _suggested(api)[0]["candidate_id"]
    pair = {"candidate_id": who, "vacancy_id": VACANCY}
    planned_before = _planned(api)
    first = api.post("/suggestions/accept", role="coach", json=pair)
    assert first.status_code == 201, first.text
    placed = first.json()["placement"]
    assert first.json()["proposal"]["by"]  # the key's label
    planned_once = _planned(api)
    assert planned_once > planned_before

    again = api.post("/suggestions/accept", role="coach", json=pair)
    assert again.status_code == 200, again.text
    assert again.json()["placement"]["placement_id"] == placed["placement_id"]
    assert again.json()["decision_id"] == first.json()["decision_id"]
    assert _count(api.store, t.placements, candidate_id=who, vacancy_id=VACANCY) == 1
    assert _count(api.store, t.decisions, candidate_id=who, vacancy_id=VACANCY) == 1
    assert _planned(api) == planned_once  # counted once

    # the suggestion stays, marked as proposed, with when and by whom
    shown = {s["candidate_id"]: s for s in _suggested(api, top=10)}
    proposal = shown[who]["proposal"]
    assert proposal["placement_id"] == placed["placement_id"]
    assert proposal["status"] == "voorgesteld"
    assert datetime.fromisoformat(proposal["at"]).utcoffset() == timedelta(0)
    others = [s for c, s in shown.items() if c != who]
    assert all(s["proposal"] is None for s in others)
    mine = api.get(f"/candidates/{who}/suggestions?top=100", role="coach").json()["items"]
    assert [s["proposal"]["placement_id"] for s in mine if s["vacancy_id"] == VACANCY] == [placed["placement_id"]]


def test_a_rejection_withdraws_the_open_proposal_and_its_planned_euros(api: Api) -> None:
    who = _suggested(api)[1]["candidate_id"]
    pair = {"candidate_id": who, "vacancy_id": VACANCY}
    planned_before = _planned(api)
    placed = api.post("/suggestions/accept", role="coach", json=pair).json()["placement"]
    assert _planned(api) > planned_before

    r = api.post("/suggestions/reject", role="coach", json={**pair, "reason": "Reisafstand te groot"})
    assert r.status_code == 201, r.text
    assert r.json()["withdrawn_placement_id"] == placed["placement_id"]
    assert r.json()["reason"] == "Reisafstand te groot"
    assert _count(api.store, t.placements, placement_id=placed["placement_id"]) == 0
    assert _planned(api) == pytest.approx(planned_before)
    assert who not in [s["candidate_id"] for s in _suggested(api, top=10)]

    again = api.post("/suggestions/reject", role="coach", json={**pair, "reason": "nogmaals"})
    assert again.status_code == 200, again.text
    assert again.json()["decision_id"] == r.json()["decision_id"]
    assert again.json()["reason"] == "Reisafstand te groot"  # the first decision stands
    body = problem(api.post("/suggestions/accept", role="coach", json=pair), 409)
    assert "turned down" in body["detail"]
    assert "Reisafstand te groot" in body["detail"]
    assert [d["decision"] for d in api.get(f"/decisions?candidate_id={who}", role="coach").json()["items"]] == [
        "accepted",
        "rejected",
    ]


def test_a_rejection_leaves_a_placement_the_employer_accepted(api: Api) -> None:
    who = _suggested(api)[0]["candidate_id"]
    pair = {"candidate_id": who, "vacancy_id": VACANCY}
    placed = api.post("/suggestions/accept", role="coach", json=pair).json()["placement"]
    api.patch(f"/placements/{placed['placement_id']}", role="coach", json={"status": "geaccepteerd"})
    r = api.post("/suggestions/reject", role="coach", json={**pair, "reason": "later"})
    assert r.status_code == 201, r.text
    assert r.json()["withdrawn_placement_id"] is None
    assert _count(api.store, t.placements, placement_id=placed["placement_id"]) == 1


# -- parallel requests against a real server ----------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(api: Api, db_url: str) -> Iterator[str]:
    """The app of ``api`` served by uvicorn in a thread: requests really run at the same time."""
    import uvicorn

    from api.http.app import create_app
    from api.settings import Settings

    app = create_app(Settings(database_url=db_url, warm=False), store=api.store)
    port = _free_port()
    uv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while not uv.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the server did not start")
        time.sleep(0.02)
    try:
        yield base
    finally:
        uv.should_exit = True
        thread.join(timeout=15)


def _at_once(count: int, send: Callable[[httpx.Client], httpx.Response]) -> list[httpx.Response]:
    start = threading.Barrier(count)

    def one(_: int) -> httpx.Response:
        with httpx.Client(timeout=60) as client:
            start.wait()
            return send(client)

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(one, range(count)))


def test_parallel_accepts_of_one_pair_make_one_placement(api: Api, server: str) -> None:
    who = _suggested(api)[0]["candidate_id"]
    headers = api.headers("coach")
    pair = {"candidate_id": who, "vacancy_id": VACANCY}
    answers = _at_once(6, lambda c: c.post(f"{server}/api/v1/suggestions/accept", json=pair, headers=headers))
    assert sorted(r.status_code for r in answers) == [200] * 5 + [201], [r.text for r in answers]
    assert len({r.json()["placement"]["placement_id"] for r in answers}) == 1
    assert _count(api.store, t.placements, candidate_id=who, vacancy_id=VACANCY) == 1
    assert _count(api.store, t.decisions, candidate_id=who, vacancy_id=VACANCY, decision="accepted") == 1

    why = {**pair, "reason": "Werkgever heeft al iemand"}
    answers = _at_once(4, lambda c: c.post(f"{server}/api/v1/suggestions/reject", json=why, headers=headers))
    assert sorted(r.status_code for r in answers) == [200] * 3 + [201], [r.text for r in answers]
    assert len({r.json()["decision_id"] for r in answers}) == 1
    assert _count(api.store, t.placements, candidate_id=who, vacancy_id=VACANCY) == 0


# -- the migration ------------------------------------------------------------------------------------


def test_the_migration_keeps_the_first_of_duplicate_decisions(db_url: str) -> None:
    store = Store.open(db_url, upgrade=False)
    try:
        store.upgrade("0001")
        rows: list[dict[str, str | None]] = [
            {"candidate_id": "K1", "vacancy_id": "V1", "decision": "accepted", "placement_id": "P1"},
            {"candidate_id": "K1", "vacancy_id": "V1", "decision": "accepted", "placement_id": "P2"},
            {"candidate_id": "K1", "vacancy_id": "V1", "decision": "rejected", "placement_id": None},
            {"candidate_id": "K2", "vacancy_id": "V1", "decision": "accepted", "placement_id": "P3"},
        ]
        with store.begin() as conn:
            for row in rows:
                conn.execute(insert(t.decisions).values(at=now(), key_id=None, reason=None, run_id=None, **row))
        store.upgrade("0002")
        assert store.revision() == "0002"
        with store.connect() as conn:
            kept = conn.execute(select(t.decisions.c.placement_id).order_by(t.decisions.c.decision_id)).scalars()
            assert list(kept) == ["P1", None, "P3"]
    finally:
        store.close()
