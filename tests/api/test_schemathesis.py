"""Schemathesis over the OpenAPI schema with every check: no 5xx, and every answer as documented.

The schema is the document the API serves at ``/api/v1/openapi.json``; the requests go in-process to
the ASGI app (no network) over the sample world, once with a national admin key and once with a
coach key of Groningen. Every check of schemathesis runs (its default, as ``--checks all``): no
server error, statuses, content types, headers and bodies as the schema says, schema-valid requests
accepted and invalid ones refused, authentication enforced, a deleted resource gone; and ours: every
error is a problem document without a stack trace. SQLite runs every operation; PostgreSQL, which
refuses NUL characters and integers beyond its column types where SQLite stores anything, runs the
operations that write.

Each operation and key is a test of its own (``test_every_operation_answers_as_documented[GET
/api/v1/candidates][coach]``): schemathesis names an operation's test by its label, and on pytest 9.2
that name reaches the test id only through a parametrization (here, by the key's role).

(``schemathesis.pytest.from_fixture`` would build the app from the conftest fixtures, but it fails on
pytest 9.2, which no longer has ``Node._nodeid``; so the schema is loaded at import and the app is
a module fixture of its own.)
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from concurrent.futures import CancelledError
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from sqlalchemy import select

from api.http.app import create_app
from api.security import create_key
from api.settings import Settings
from models.store import Store
from models.store import tables as t
from models.store.importer import import_folder
from tests.conftest import SAMPLE, _postgres_schema_url

pytestmark = pytest.mark.slow  # 45 operations, each fuzzed with 10 requests per key (the writes with 5 on PostgreSQL)

#: The keys each operation is called with, by role: a national admin and a coach of Groningen.
KEYS = {"admin": None, "coach": "Groningen"}

PROBLEM = "application/problem+json"
BASE_URL = "http://testserver"
EXAMPLES = 10  # requests per operation and key
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
#: Seconds an answer may take: a region's first question prepares its matcher, which on a busy 2-core machine
#: can take longer than schemathesis' default of 10 s (answer times are measured in benchmarks, not here).
READ_TIMEOUT = 120

#: The schema's examples, then generated requests (valid and invalid). The coverage phase, some 3,500
#: boundary cases per run, would take minutes; fuzzing meets the same NULs, lone surrogates and limits.
#: Every check is on (schemathesis' default, as ``--checks all``). A schema-valid write may still break a rule
#: that no JSON schema can say, and is then refused with 422: a reference to a row that does not exist, a date
#: order, a placement's life cycle, a candidate without consent, the content of an uploaded CSV file. So a
#: write's positive data may be answered 422 as well as the check's own statuses; a read's may not, but for
#: a region filter, which a national key is told is not a region any candidate is in.
REGION_FILTERED = ("GET /api/v1/candidates", "GET /api/v1/worklist/vacancies", "GET /api/v1/worklist/obligations")
ACCEPTED = ["2xx", "3xx", "401", "403", "404", "409", "429", "5xx"]  # positive_data_acceptance's default
CONFIG = schemathesis.Config.from_dict(
    {
        "phases": {"coverage": {"enabled": False}},
        "operations": [
            {
                "include-method": method,
                "checks": {"positive_data_acceptance": {"expected-statuses": [*ACCEPTED, "422"]}},
            }
            for method in ("POST", "PATCH")
        ]
        + [
            {
                "include-name": name,
                "checks": {"positive_data_acceptance": {"expected-statuses": [*ACCEPTED, "422"]}},
            }
            for name in REGION_FILTERED
        ],
    }
)


def _served_schema() -> dict[str, Any]:
    """The OpenAPI document as the API serves it (building the app connects to nothing)."""
    response = TestClient(create_app(Settings(database_url="sqlite://"))).get("/api/v1/openapi.json")
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


schema = schemathesis.openapi.from_dict(_served_schema(), config=CONFIG)


@schemathesis.check
def errors_are_problem_documents(ctx: Any, response: Any, case: Any) -> bool | None:
    """An error is ``application/problem+json``, and no stack trace reaches the client."""
    kind = response.headers.get("content-type", [""])
    kind = kind[0] if isinstance(kind, list) else kind
    if response.status_code < 400 and not (kind.startswith("text/") or "json" in kind):
        return None  # a workbook: binary, and a success
    text = response.text or ""
    assert "Traceback" not in text, f"a stack trace in the answer: {text[:500]}"
    assert 'File "' not in text, f"a source file in the answer: {text[:500]}"
    if response.status_code >= 400:
        assert kind == PROBLEM, f"{response.status_code} answered as {kind!r}, not {PROBLEM}: {text[:300]}"
    return None


@dataclass
class Served:
    app: Any
    keys: dict[str, str]  # by role


def _serve(url: str) -> Iterator[Served]:
    """The API over a fresh store with the sample world, running (lifespan) until the module ends."""
    store = Store.open(url)
    try:
        import_folder(store, SAMPLE)
        with store.begin() as conn:
            keys = {role: create_key(conn, role=role, region=region).secret for role, region in KEYS.items()}
        # as conftest's api: no warm-up; the auth check sends every successful request again without a key and
        # with a wrong one, so the throttle on failed keys (tested in test_hardening) would soon answer 429 only
        settings = Settings(database_url=url, warm=False, auth_failures_per_minute=1_000_000)
        app = create_app(settings, store=store)
        with TestClient(app):  # runs the lifespan; the calls go in-process to the app (schemathesis' ASGI transport)
            yield Served(app, keys)
            # the runs the fuzzing queued are cancelled; the one running ends before the store closes
            with store.connect() as conn:
                runs = [r.run_id for r in conn.execute(select(t.match_runs.c.run_id))]
            app.state.jobs.shutdown()
            for run_id in runs:
                with suppress(CancelledError):
                    app.state.jobs.wait(run_id, timeout=120)
    finally:
        store.close()


@pytest.fixture(scope="module")
def on_sqlite() -> Iterator[Served]:
    with tempfile.TemporaryDirectory() as folder:
        yield from _serve(f"sqlite:///{Path(folder) / 'koppelaar.sqlite'}")


@pytest.fixture(scope="module")
def on_postgres() -> Iterator[Served]:
    schema_url = _postgres_schema_url()
    try:
        yield from _serve(next(schema_url))
    finally:
        schema_url.close()  # drops the schema


def _call(case: Any, served: Served, role: str) -> None:
    # the checks that send a request of their own (a missing or wrong key, a deleted resource read again) send
    # it to the schema's app; the app is the fixture's, so it is set here rather than when the schema is loaded
    case.operation.app = case.operation.schema.app = served.app
    case.call_and_validate(
        base_url=BASE_URL,
        headers={"X-API-Key": served.keys[role]},
        additional_checks=[errors_are_problem_documents],
        timeout=READ_TIMEOUT,
    )


#: The operations that write, which PostgreSQL runs too.
WRITES = frozenset({"POST", "PATCH", "DELETE"})


@pytest.mark.parametrize("role", KEYS)
@schema.parametrize()
@FUZZ
def test_every_operation_answers_as_documented(case: Any, on_sqlite: Served, role: str) -> None:
    _call(case, on_sqlite, role)


@pytest.mark.postgres
@pytest.mark.parametrize("role", KEYS)
@schema.parametrize()
@settings(FUZZ, max_examples=5)
def test_on_postgres_every_write_answers_as_documented(case: Any, on_postgres: Served, role: str) -> None:
    if case.method.upper() not in WRITES:
        pytest.skip("a read: SQLite runs it")  # schemathesis' include(method=[...]) leaves every operation in
    _call(case, on_postgres, role)
