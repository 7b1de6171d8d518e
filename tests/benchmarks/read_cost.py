"""Issue 24 benchmark: the server CPU one suggestion question costs, in one process, without a server.

The mixed run's world (:data:`tests.benchmarks.http.MIXED_SIZE` at scale 1) is imported into a fresh
SQLite store; the app (``create_app``) prepares and ranks every region's matcher; then the ``http``
bench's seeded questions (80% for a vacancy, 20% for a candidate, spread over the regions' coach
keys) are sent one after the other through the app's ASGI interface on the event loop that
``TestClient`` runs, with no HTTP client or server around them. A question's cost is the process's
CPU (``time.process_time``, every thread: the worker-thread hop of the answer included) from the
call until the app has sent its answer; the figures are medians per kind of question, over
:data:`ROUNDS` passes.

Each pass is followed by one over the same questions that times the parts (``process_time`` around
each, the same calls): the key check, the answer (the store's reads and the matcher), the matcher
alone, its explanations, and the audit row; the rest of a question (the median question less the
parts' medians) is FastAPI's routing, dependencies and validation, the worker-thread hop and the
JSON answer.
"""

from __future__ import annotations

import inspect
import resource
import statistics
import time
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from contextlib import contextmanager
from typing import Any

from fastapi import FastAPI

from tests.benchmarks.measure import Measurement

QUESTIONS = 600  # timed questions at scale 1 (fewer below a tenth), after WARM_UP untimed ones
WARM_UP = 60
ROUNDS = 5  # passes over the timed questions, each plain and then with its parts timed

Question = tuple[str, str]  # (path, API key)


def bench_read_cost(repeat: int, scale: float) -> list[tuple[Measurement, str]]:
    """Median server CPU of a question for a vacancy and for a candidate, and where it goes."""
    from fastapi.testclient import TestClient

    from api.http.app import create_app
    from api.services.matching import MatchingService
    from api.settings import load_settings
    from models.store import Store
    from tests.benchmarks.http import _requests, stored_world

    wall = time.perf_counter()
    parts: dict[str, list[float]] = {}
    count = max(40, round(QUESTIONS * min(1.0, max(scale, 0.1))))
    with stored_world(scale, prefix="koppelaar-bench-read-cost-") as (world, env, (n, m)):
        _, questions = _requests(world, env, count=WARM_UP + count, seed=11)
        store = Store.open(env["KOPPELAAR_DATABASE_URL"])
        app = create_app(load_settings(), store=store)
        with TestClient(app, raise_server_exceptions=False) as client:
            service: MatchingService = app.state.matching
            service.start_warming()  # every region prepared and ranked before the first question
            while service.state != "ready":
                time.sleep(0.2)
            portal = client.portal
            assert portal is not None  # the app's event loop, running while the client is open
            portal.call(_ask, app, questions[:WARM_UP])
            timed = questions[WARM_UP:]
            totals: list[list[float]] = []
            for _ in range(ROUNDS):  # the plain and the timed-parts pass in turn, so both see the same machine
                totals.append(portal.call(_ask, app, timed))
                with _parts(parts):
                    portal.call(_ask, app, timed)
        store.close()

    figures: dict[str, object] = {}
    for kind in ("vacancy", "candidate"):
        cpu = [t for each in totals for (path, _), t in zip(timed, each, strict=True) if _kind(path) == kind]
        figures[f"{kind}_questions"] = len(cpu)
        figures[f"{kind}_cpu_ms_median"] = _ms(statistics.median(cpu)) if cpu else 0.0
    everything = statistics.median(t for each in totals for t in each)
    figures["cpu_ms_median"] = _ms(everything)
    shares = {name: statistics.median(values) for name, values in parts.items() if values}
    for name, value in shares.items():
        figures[f"part {name}_ms_median"] = _ms(value)
    covered = shares.get("key check", 0.0) + shares.get("answer", 0.0) + shares.get("audit row", 0.0)
    figures["part rest (FastAPI, thread hop, JSON)_ms"] = _ms(max(everything - covered, 0.0))
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    name = (
        f"server CPU per suggestion question, {len(timed)} questions one after the other, {ROUNDS} times "
        f"({n:,} × {m:,})"
    )
    return [(Measurement(name, [time.perf_counter() - wall], [peak_mb], figures), "")]


def _kind(path: str) -> str:
    return "vacancy" if path.startswith("/api/v1/vacancies/") else "candidate"


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


async def _ask(app: FastAPI, questions: list[Question]) -> list[float]:
    """Each question through the app's ASGI interface in turn: its CPU seconds; an answer other than 200 stops."""
    spent: list[float] = []
    for path, key in questions:
        statuses: list[int] = []
        started = time.process_time()
        await app(_scope(path, key), _receive, _collect(statuses))
        spent.append(time.process_time() - started)
        if statuses != [200]:
            raise RuntimeError(f"a question was answered {statuses}: {path}")
    return spent


def _scope(path: str, key: str) -> dict[str, Any]:
    route, _, query = path.partition("?")
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": route,
        "raw_path": route.encode(),
        "root_path": "",
        "query_string": query.encode(),
        "headers": [(b"host", b"testserver"), (b"x-api-key", key.encode()), (b"accept", b"application/json")],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }


async def _receive() -> dict[str, Any]:
    return {"type": "http.request", "body": b"", "more_body": False}


def _collect(statuses: list[int]) -> Callable[[MutableMapping[str, Any]], Awaitable[None]]:
    async def send(message: MutableMapping[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses.append(int(message["status"]))

    return send


@contextmanager
def _parts(spent: dict[str, list[float]]) -> Iterator[None]:
    """The parts wrapped while inside: each call's CPU seconds added to ``spent`` under the part's name."""
    from api.http import deps, suggestions
    from matching import matcher

    wrapped = [
        (deps, "_authenticated", "key check"),
        (suggestions, "_answer", "answer"),
        (suggestions, "_suggest_from", "matcher"),
        (matcher, "explain", "explanations"),
        (suggestions, "record_audit_async", "audit row"),
    ]
    originals: list[tuple[Any, str, Any]] = []
    for module, attribute, name in wrapped:
        original = getattr(module, attribute)
        originals.append((module, attribute, original))
        timed = _timed_async if inspect.iscoroutinefunction(original) else _timed
        setattr(module, attribute, timed(original, spent.setdefault(name, [])))
    try:
        yield
    finally:
        for module, attribute, original in originals:
            setattr(module, attribute, original)


def _timed(function: Callable[..., Any], into: list[float]) -> Callable[..., Any]:
    def call(*args: Any, **kwargs: Any) -> Any:
        started = time.process_time()
        try:
            return function(*args, **kwargs)
        finally:
            into.append(time.process_time() - started)

    return call


def _timed_async(function: Callable[..., Awaitable[Any]], into: list[float]) -> Callable[..., Awaitable[Any]]:
    async def call(*args: Any, **kwargs: Any) -> Any:
        started = time.process_time()
        try:
            return await function(*args, **kwargs)
        finally:
            into.append(time.process_time() - started)

    return call
