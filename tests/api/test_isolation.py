"""Least rights and region isolation, proven over every operation of the OpenAPI schema.

``MATRIX`` holds one entry per operation; ``test_matrix_covers_every_operation`` fails for an
endpoint without one. ``test_every_operation_every_role`` sends, for each entry and each role with a
key of region A (Groningen):

* the entry's own-region request: a role without the permission gets 403 problem+json and nothing
  changes; a role with it gets the expected answer, which never names a candidate, placement or match
  run of another region, and which is audited (who, what, when) whenever it shows candidate data;
* the entry's requests aimed at region B (Midden-Utrecht): another region's candidate, placement or
  run by id, a filter naming B's rows, a write that would create, change or take over B's rows. Each
  is refused (404/409/422) or answered with nothing of B, and the database is unchanged afterwards.
  With the national admin key the same reads do show B's rows, so a refusal is the region rule at
  work and not a wrong id.

The other tests: no key, an unknown key and a revoked key (401 on every operation), keys stored
hashed, page size and body size limits, text no database can hold (422, not 500), and that
suggestions and plans hold only the key's region's consenting, available candidates.
"""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from api.http.schemas import EXAMPLES, to_cell
from api.security import ROLE_PERMISSIONS, Permission, Role, create_key, hash_secret, revoke_key
from models.schema import FILES_BY_NAME
from models.store import Store
from models.store import tables as t
from tests.conftest import Api

P = Permission
V1 = "/api/v1"
A, B = "Groningen", "Midden-Utrecht"
ROLES = [r.value for r in Role]
VACANCY = "VAC-000029"  # near Groningen: dozens of the sample's Groningen candidates fit it
VACANCY_MIXED = "VAC-000007"  # fits Groningen candidates and candidates without a region
OBLIGATION = "SROI-00003"
CONTRIBUTION = "BIJ-ISOLATIE"  # made by make_world: the sample has no contributions
PROBLEM = "application/problem+json"
SHARED = "the catalogue of contractors, obligations and vacancies is shared by every region"


# -- the world the matrix runs in -------------------------------------------------------------


@dataclass
class World:
    """Region A's and region B's rows the matrix aims at, and fresh ids for writes."""

    api: Api
    a_cands: list[str]  # consenting, available candidates of A
    b_cand: str  # a candidate of B with a placement and a decision
    a_plc: str
    b_plc: str
    a_run: str
    b_run: str
    foreign: set[str]  # every candidate, placement and run id outside region A
    _ids: Iterator[int] = field(default_factory=itertools.count)
    _next: Iterator[int] = field(default_factory=itertools.count)

    _b_subscription: int | None = None

    def b_subscription(self) -> int:
        """A subscription of region B's employer service (made on first use)."""
        if self._b_subscription is None:
            body = {"topic": "import_result", "email": "wgs@midden-utrecht.example.nl"}
            r = self.api.post("/subscriptions", role="werkgeversservice", region=B, json=body)
            assert r.status_code == 201, r.text
            self._b_subscription = int(r.json()["subscription_id"])
        return self._b_subscription

    def fresh(self, prefix: str) -> str:
        return f"T{prefix}-{next(self._ids):04d}"

    def a_cand(self) -> str:
        """A different consenting candidate of A on each call (accepting twice is not the point)."""
        return self.a_cands[1 + next(self._next) % (len(self.a_cands) - 1)]

    def row(self, file: str, **values: Any) -> dict[str, Any]:
        """A valid new row of ``file`` (a fresh key) in region A, with ``values`` changed."""
        spec = FILES_BY_NAME[file]
        row = dict(EXAMPLES[file])
        row[spec.key] = self.fresh(file[:3].upper())
        if file == "candidates":
            row["region"] = A
        if file == "placements":
            row["candidate_id"] = self.a_cand()
            row["vacancy_id"] = VACANCY
        row.update(values)
        return row


def csv_text(file: str, rows: list[dict[str, Any]]) -> str:
    spec = FILES_BY_NAME[file]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(list(rows[0]))
    for row in rows:
        writer.writerow([to_cell(v, spec.column(k)) for k, v in row.items()])
    return out.getvalue()


@dataclass(frozen=True)
class Probe:
    """One request; ``expect``: the statuses that count as right for a key allowed to make it."""

    method: str
    path: str  # the full path, as in the schema
    json: Any = None
    csv: str | None = None
    expect: tuple[int, ...] = (200,)
    empty: bool = False  # the answer must list nothing: its filter names region B's rows
    body: str = "json"  # or "html" / "xlsx": searched as text for what must not be shown

    def send(self, api: Api, role: str, region: str | None = A) -> Any:
        headers = api.headers(role, region)
        kw: dict[str, Any] = {}
        if self.json is not None:
            kw["json"] = self.json
        if self.csv is not None:
            kw["content"] = self.csv.encode()
            headers["Content-Type"] = "text/csv"
        return api.client.request(self.method, self.path, headers=headers, **kw)

    def __str__(self) -> str:
        body = self.json if self.json is not None else (self.csv.replace("\n", "⏎")[-120:] if self.csv else "")
        return f"{self.method} {self.path} {body}".strip()


@dataclass(frozen=True)
class Entry:
    """One operation: the permissions it needs, a request on region A, requests aimed at region B."""

    needs: tuple[Permission, ...] | None  # None: public, () any valid key
    own: Callable[[World], Probe]
    others: Callable[[World], list[Probe]] | None = None
    shared: str = ""  # why there is no request aimed at region B
    check: Callable[[World, Any], str | None] | None = None  # more about the own answer


def _entity_entries(
    file: str, read: Permission, write: Permission, sample_key: str, change: dict[str, Any]
) -> dict[tuple[str, str], Entry]:
    base = f"{V1}/{file}"
    return {
        ("GET", base): Entry((read,), lambda w: Probe("GET", f"{base}?limit=5"), shared=SHARED),
        ("POST", base): Entry((write,), lambda w: Probe("POST", base, json=w.row(file), expect=(201,)), shared=SHARED),
        ("GET", base + "/{key}"): Entry((read,), lambda w: Probe("GET", f"{base}/{sample_key}"), shared=SHARED),
        ("PATCH", base + "/{key}"): Entry(
            (write,), lambda w: Probe("PATCH", f"{base}/{sample_key}", json=change), shared=SHARED
        ),
        ("POST", base + "/upload"): Entry(
            (P.UPLOAD, write),
            lambda w: Probe("POST", f"{base}/upload", csv=csv_text(file, [w.row(file)])),
            shared=SHARED,
        ),
    }


def _run_entry(tail: str) -> Entry:
    """A run or a part of it (``tail``: "", "/plan", ...): region A's run shown, region B's not found."""
    return Entry(
        (P.RUNS_READ,),
        lambda w: Probe("GET", f"{V1}/runs/{w.a_run}{tail}"),
        lambda w: [Probe("GET", f"{V1}/runs/{w.b_run}{tail}", expect=(404,))],
    )


def _erasable(w: World) -> Probe:
    """A new candidate of A (made with the national key), to be erased."""
    row = w.row("candidates")
    made = w.api.post("/candidates", role="admin", region=None, json=row)
    assert made.status_code == 201, made.text
    return Probe("DELETE", f"{V1}/candidates/{row['candidate_id']}")


def _own_run(w: World, body: Any) -> str | None:
    if w.a_run not in {r["run_id"] for r in body["items"]}:
        return f"region A's own run {w.a_run} is missing from the list"
    return None


def _audit_of_a(w: World, body: Any) -> str | None:
    regions = {e["region"] for e in body["items"]}
    return None if regions <= {A} else f"events of regions {regions - {A}} shown to a key of {A}"


def _run_of_a(w: World, body: Any) -> str | None:
    return None if body["region"] == A else f"the run was made for region {body['region']}"


def _report_of_a(w: World, body: Any) -> str | None:
    regions = {r["group"] for r in body["fairness"] if r["dimension"] == "region"}
    if body["region"] != A or regions != {A}:
        return f"the report is of {body['region']} and counts people of {regions}"
    return None


def _own_placements(w: World, body: Any) -> str | None:
    ids = {r["placement_id"] for r in body["items"]}
    return None if w.a_plc in ids else f"region A's placement {w.a_plc} is missing from the report"


def _me(w: World, body: Any) -> str | None:
    return None if body["region"] == A and body["permissions"] else f"/me says {body}"


MATRIX: dict[tuple[str, str], Entry] = {
    **_entity_entries("contractors", P.CATALOGUE_READ, P.CATALOGUE_WRITE, "OPN-00001", {"headcount_current": 51}),
    **_entity_entries("obligations", P.CATALOGUE_READ, P.CATALOGUE_WRITE, OBLIGATION, {"client": "Gemeente Test"}),
    **_entity_entries("vacancies", P.CATALOGUE_READ, P.CATALOGUE_WRITE, "VAC-000002", {"title": "Sloper (m/v)"}),
    **_entity_entries("contributions", P.CATALOGUE_READ, P.CATALOGUE_WRITE, CONTRIBUTION, {"hours": 12}),
    # -- candidates: region A's own, never B's
    ("GET", f"{V1}/candidates"): Entry(
        (P.CANDIDATES_READ,),
        lambda w: Probe("GET", f"{V1}/candidates?limit=500"),
        lambda w: [
            Probe("GET", f"{V1}/candidates?region={B}", empty=True),
            Probe("GET", f"{V1}/candidates?limit=500&consent=true"),
        ],
    ),
    ("POST", f"{V1}/candidates"): Entry(
        (P.CANDIDATES_WRITE,),
        lambda w: Probe("POST", f"{V1}/candidates", json=w.row("candidates"), expect=(201,)),
        lambda w: [
            Probe("POST", f"{V1}/candidates", json=w.row("candidates", region=B), expect=(422,)),
            Probe("POST", f"{V1}/candidates", json=w.row("candidates", candidate_id=w.b_cand), expect=(409, 422)),
        ],
    ),
    ("GET", f"{V1}/candidates/{{key}}"): Entry(
        (P.CANDIDATES_READ,),
        lambda w: Probe("GET", f"{V1}/candidates/{w.a_cands[0]}"),
        lambda w: [Probe("GET", f"{V1}/candidates/{w.b_cand}", expect=(404,))],
    ),
    ("PATCH", f"{V1}/candidates/{{key}}"): Entry(
        (P.CANDIDATES_WRITE,),
        lambda w: Probe("PATCH", f"{V1}/candidates/{w.a_cands[0]}", json={"coach_id": "coach-test"}),
        lambda w: [
            Probe("PATCH", f"{V1}/candidates/{w.b_cand}", json={"coach_id": "coach-test"}, expect=(404,)),
            # moving one's own candidate into region B is writing region B's rows
            Probe("PATCH", f"{V1}/candidates/{w.a_cands[0]}", json={"region": B}, expect=(422,)),
        ],
    ),
    ("POST", f"{V1}/candidates/upload"): Entry(
        (P.UPLOAD, P.CANDIDATES_WRITE),
        lambda w: Probe("POST", f"{V1}/candidates/upload", csv=csv_text("candidates", [w.row("candidates")])),
        lambda w: [
            # all or nothing: the valid row of A is not written either
            Probe(
                "POST",
                f"{V1}/candidates/upload",
                csv=csv_text("candidates", [w.row("candidates"), w.row("candidates", region=B)]),
                expect=(422,),
            ),
            Probe(
                "POST",
                f"{V1}/candidates/upload",
                csv=csv_text("candidates", [w.row("candidates"), w.row("candidates", candidate_id=w.b_cand)]),
                expect=(422,),
            ),
        ],
    ),
    ("DELETE", f"{V1}/candidates/{{candidate_id}}"): Entry(
        (P.CANDIDATES_ERASE,),
        _erasable,
        lambda w: [Probe("DELETE", f"{V1}/candidates/{w.b_cand}", expect=(404,))],
    ),
    # -- placements: those of region A's candidates
    ("GET", f"{V1}/placements"): Entry(
        (P.PLACEMENTS_READ,),
        lambda w: Probe("GET", f"{V1}/placements?limit=500"),
        lambda w: [Probe("GET", f"{V1}/placements?candidate_id={w.b_cand}", empty=True)],
    ),
    ("POST", f"{V1}/placements"): Entry(
        (P.PLACEMENTS_WRITE,),
        lambda w: Probe("POST", f"{V1}/placements", json=w.row("placements"), expect=(201,)),
        lambda w: [
            Probe("POST", f"{V1}/placements", json=w.row("placements", candidate_id=w.b_cand), expect=(422,)),
            Probe("POST", f"{V1}/placements", json=w.row("placements", placement_id=w.b_plc), expect=(409, 422)),
        ],
    ),
    ("GET", f"{V1}/placements/{{key}}"): Entry(
        (P.PLACEMENTS_READ,),
        lambda w: Probe("GET", f"{V1}/placements/{w.a_plc}"),
        lambda w: [Probe("GET", f"{V1}/placements/{w.b_plc}", expect=(404,))],
    ),
    ("PATCH", f"{V1}/placements/{{key}}"): Entry(
        (P.PLACEMENTS_WRITE,),
        lambda w: Probe("PATCH", f"{V1}/placements/{w.a_plc}", json={"hours_per_week": 30}),
        lambda w: [
            Probe("PATCH", f"{V1}/placements/{w.b_plc}", json={"hours_per_week": 30}, expect=(404,)),
            Probe("PATCH", f"{V1}/placements/{w.a_plc}", json={"candidate_id": w.b_cand}, expect=(422,)),
        ],
    ),
    ("POST", f"{V1}/placements/upload"): Entry(
        (P.UPLOAD, P.PLACEMENTS_WRITE),
        lambda w: Probe("POST", f"{V1}/placements/upload", csv=csv_text("placements", [w.row("placements")])),
        lambda w: [
            Probe(
                "POST",
                f"{V1}/placements/upload",
                csv=csv_text("placements", [w.row("placements"), w.row("placements", candidate_id=w.b_cand)]),
                expect=(422,),
            ),
            Probe(
                "POST",
                f"{V1}/placements/upload",
                csv=csv_text("placements", [w.row("placements", placement_id=w.b_plc)]),
                expect=(422,),
            ),
        ],
    ),
    # -- the key itself, suggestions and decisions
    ("GET", f"{V1}/me"): Entry((), lambda w: Probe("GET", f"{V1}/me"), shared="it describes the key", check=_me),
    ("GET", f"{V1}/candidates/{{candidate_id}}/suggestions"): Entry(
        (P.SUGGEST,),
        lambda w: Probe("GET", f"{V1}/candidates/{w.a_cands[0]}/suggestions"),
        lambda w: [Probe("GET", f"{V1}/candidates/{w.b_cand}/suggestions", expect=(404,))],
    ),
    ("GET", f"{V1}/vacancies/{{vacancy_id}}/suggestions"): Entry(
        (P.SUGGEST,),
        lambda w: Probe("GET", f"{V1}/vacancies/{VACANCY}/suggestions?top=100"),
        lambda w: [Probe("GET", f"{V1}/vacancies/{VACANCY_MIXED}/suggestions?top=100")],
    ),
    ("GET", f"{V1}/worklist/vacancies"): Entry(
        (P.CATALOGUE_READ,), lambda w: Probe("GET", f"{V1}/worklist/vacancies?limit=5"), shared=SHARED
    ),
    ("GET", f"{V1}/worklist/obligations"): Entry(
        (P.CATALOGUE_READ,), lambda w: Probe("GET", f"{V1}/worklist/obligations?limit=5"), shared=SHARED
    ),
    ("GET", f"{V1}/scorer"): Entry(
        (P.SUGGEST,), lambda w: Probe("GET", f"{V1}/scorer"), shared="it describes the server's scorer, no data"
    ),
    ("POST", f"{V1}/suggestions/accept"): Entry(
        (P.PLACEMENTS_WRITE,),
        lambda w: Probe(
            "POST", f"{V1}/suggestions/accept", json={"candidate_id": w.a_cand(), "vacancy_id": VACANCY}, expect=(201,)
        ),
        lambda w: [
            Probe(
                "POST",
                f"{V1}/suggestions/accept",
                json={"candidate_id": w.b_cand, "vacancy_id": VACANCY},
                expect=(422,),
            )
        ],
    ),
    ("POST", f"{V1}/suggestions/reject"): Entry(
        (P.PLACEMENTS_WRITE,),
        lambda w: Probe(
            "POST", f"{V1}/suggestions/reject", json={"candidate_id": w.a_cand(), "vacancy_id": VACANCY}, expect=(201,)
        ),
        lambda w: [
            Probe(
                "POST",
                f"{V1}/suggestions/reject",
                json={"candidate_id": w.b_cand, "vacancy_id": VACANCY},
                expect=(422,),
            )
        ],
    ),
    ("GET", f"{V1}/decisions"): Entry(
        (P.PLACEMENTS_READ,),
        lambda w: Probe("GET", f"{V1}/decisions?limit=500"),
        lambda w: [Probe("GET", f"{V1}/decisions?candidate_id={w.b_cand}", empty=True)],
    ),
    # -- match runs
    ("POST", f"{V1}/runs"): Entry(
        (P.RUNS_WRITE,),
        # an obligation without vacancies: the run is accepted and ends at once (the matrix needs no plan of it)
        lambda w: Probe("POST", f"{V1}/runs", json={"scope": "obligation", "scope_id": "SROI-00006"}, expect=(202,)),
        shared="a run plans the key's own region: the key sets its region, the body cannot",
        check=_run_of_a,
    ),
    ("GET", f"{V1}/runs"): Entry(
        (P.RUNS_READ,),
        lambda w: Probe("GET", f"{V1}/runs?limit=500"),
        lambda w: [Probe("GET", f"{V1}/runs?status=done&limit=500")],
        check=_own_run,
    ),
    **{("GET", f"{V1}/runs/{{run_id}}{tail}"): _run_entry(tail) for tail in ("", "/plan", "/unfilled", "/unplaced")},
    ("GET", f"{V1}/obligations/{{obligation_id}}/progress"): Entry(
        (P.CATALOGUE_READ,),
        lambda w: Probe("GET", f"{V1}/obligations/{OBLIGATION}/progress"),
        shared="obligations are shared; progress shows euros and counts, no candidate",
    ),
    ("GET", f"{V1}/audit"): Entry(
        (P.AUDIT_READ,),
        lambda w: Probe("GET", f"{V1}/audit?limit=500"),
        lambda w: [Probe("GET", f"{V1}/audit?candidate_id={w.b_cand}", empty=True)],
        check=_audit_of_a,
    ),
    ("GET", "/healthz"): Entry(None, lambda w: Probe("GET", "/healthz"), shared="liveness, no data"),
    # -- the monitoring report: the key's region; another region does not exist for it
    ("GET", f"{V1}/reports/monitoring"): Entry(
        (P.REPORTS_READ,),
        lambda w: Probe("GET", f"{V1}/reports/monitoring"),
        lambda w: [Probe("GET", f"{V1}/reports/monitoring?region={B}", expect=(404,))],
        check=_report_of_a,
    ),
    ("GET", f"{V1}/reports/monitoring/tables/{{table}}"): Entry(
        (P.REPORTS_READ,),
        lambda w: Probe("GET", f"{V1}/reports/monitoring/tables/placements"),
        lambda w: [Probe("GET", f"{V1}/reports/monitoring/tables/fairness?region={B}", expect=(404,))],
        check=_own_placements,
    ),
    ("GET", f"{V1}/reports/monitoring.html"): Entry(
        (P.REPORTS_READ,),
        lambda w: Probe("GET", f"{V1}/reports/monitoring.html", body="html"),
        lambda w: [Probe("GET", f"{V1}/reports/monitoring.html?region={B}", expect=(404,), body="html")],
    ),
    ("GET", f"{V1}/calendar.ics"): Entry(
        (P.CATALOGUE_READ,),
        lambda w: Probe("GET", f"{V1}/calendar.ics", body="html"),
        lambda w: [Probe("GET", f"{V1}/calendar.ics?region={B}", expect=(404,), body="html")],
    ),
    # -- notifications: a key's own subscriptions and feed; another key's subscription does not exist for it
    ("GET", f"{V1}/subscriptions"): Entry((), lambda w: Probe("GET", f"{V1}/subscriptions"), shared="the key's own"),
    ("POST", f"{V1}/subscriptions"): Entry(
        (P.UPLOAD,),  # import results are the employer service's (and the admin's) topic
        lambda w: Probe(
            "POST", f"{V1}/subscriptions", json={"topic": "import_result", "email": "a@example.nl"}, expect=(201,)
        ),
        shared="a subscription is the key's own and sees the key's region",
    ),
    ("DELETE", f"{V1}/subscriptions/{{subscription_id}}"): Entry(
        (),
        lambda w: Probe("DELETE", f"{V1}/subscriptions/2147483000", expect=(404,)),
        lambda w: [Probe("DELETE", f"{V1}/subscriptions/{w.b_subscription()}", expect=(404,))],
    ),
    ("GET", f"{V1}/notifications"): Entry(
        (), lambda w: Probe("GET", f"{V1}/notifications?limit=5"), shared="the key's own feed"
    ),
    ("GET", f"{V1}/reports/monitoring.xlsx"): Entry(
        (P.REPORTS_READ,),
        lambda w: Probe("GET", f"{V1}/reports/monitoring.xlsx", body="xlsx"),
        lambda w: [Probe("GET", f"{V1}/reports/monitoring.xlsx?region={B}", expect=(404,), body="xlsx")],
    ),
}


# -- helpers ------------------------------------------------------------------------------------


def schema_operations(app: Any) -> set[tuple[str, str]]:
    paths = app.openapi()["paths"]
    return {(method.upper(), path) for path, ops in paths.items() for method in ops}


def _api_routes(routes: list[Any]) -> Iterator[Any]:
    """Every APIRoute, also those of included routers (however FastAPI nests them)."""
    from fastapi.routing import APIRoute

    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        nested = getattr(getattr(route, "original_router", None), "routes", None) or getattr(route, "routes", None)
        if nested:
            yield from _api_routes(nested)


def allowed(role: str, needs: tuple[Permission, ...] | None) -> bool:
    return needs is None or all(p in ROLE_PERMISSIONS[Role(role)] for p in needs)


def walk(value: Any, keys: tuple[str, ...]) -> Iterator[tuple[str, Any]]:
    """Every (key, value) under ``keys`` in a JSON document; lists under such a key give each item."""
    if isinstance(value, dict):
        for k, v in value.items():
            if k in keys:
                if isinstance(v, list):
                    yield from ((k, x) for x in v)
                else:
                    yield k, v
            yield from walk(v, keys)
    elif isinstance(value, list):
        for v in value:
            yield from walk(v, keys)


def parse(probe: Probe, r: Any) -> Any:
    """The answer's body: JSON, or ``{"text": ...}`` for a page or a workbook (every cell's text)."""
    if probe.body == "json":
        return r.json()
    if probe.body == "html":
        return {"text": r.text}
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(r.content), read_only=True)
    cells = (str(v) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for v in row if v)
    return {"text": "\n".join(cells)}


def leaks(w: World, body: Any) -> list[str]:
    """What a key of region A was shown of another region: candidates, placements, runs, regions."""
    if isinstance(body, dict) and set(body) == {"text"}:  # a page or a workbook: no id or region of B in it
        return sorted(x for x in (*w.foreign, B) if x in body["text"])
    found = []
    for key, value in walk(body, ("candidate_id", "candidate_ids", "placement_id", "run_id", "region")):
        if key == "region" and value not in (A, None):
            found.append(f"region {value}")
        elif key != "region" and value in w.foreign:
            found.append(f"{key} {value}")
    return sorted(set(found))


def candidate_ids(body: Any) -> set[str]:
    return {str(v) for _, v in walk(body, ("candidate_id",)) if v is not None}


def snapshot(w: World) -> dict[str, Any]:
    """Row counts, the data version and the rows the refused writes aim at."""
    store = w.api.store
    tables = [*t.ENTITY_TABLES.values(), t.decisions, t.match_runs]
    with store.connect() as conn:
        counts = {tbl.name: conn.execute(select(func.count()).select_from(tbl)).scalar() for tbl in tables}
        rows = [
            conn.execute(select(t.candidates).where(t.candidates.c.candidate_id.in_([w.b_cand, w.a_cands[0]]))).all(),
            conn.execute(select(t.placements).where(t.placements.c.placement_id.in_([w.b_plc, w.a_plc]))).all(),
        ]
    return {"version": store.version(), "counts": counts, "rows": [sorted(map(tuple, r)) for r in rows]}


def problem(r: Any, status: int) -> str | None:
    """Why ``r`` is not a problem document with ``status``, or None."""
    if r.status_code != status:
        return f"status {r.status_code}, not {status}: {r.text[:300]}"
    if r.headers.get("content-type") != PROBLEM:
        return f"content type {r.headers.get('content-type')}, not {PROBLEM}"
    body = r.json()
    if body.get("status") != status or not body.get("detail") or "Traceback" in r.text:
        return f"not a proper problem document: {r.text[:300]}"
    return None


def key_id(api: Api, role: str, region: str | None) -> str:
    r = api.get("/me", role=role, region=region)
    assert r.status_code == 200, r.text
    return str(r.json()["key_id"])


def audit_total(api: Api, kid: str) -> int:
    """How many audit events key ``kid`` has left (straight from the store: it is asked before every request)."""
    with api.store.connect() as conn:
        query = select(func.count()).select_from(t.audit_events).where(t.audit_events.c.key_id == kid)
        return int(conn.execute(query).scalar() or 0)


@dataclass(frozen=True)
class Shown:
    """A request that showed candidates' data: its key's audit events ``first``..``last`` must record it."""

    role: str
    kid: str
    probe: Probe
    ids: frozenset[str]
    first: int
    last: int
    window: tuple[datetime, datetime]


def audit_events(api: Api, kid: str) -> list[dict[str, Any]]:
    """Every audit event of key ``kid``, oldest first, as GET /audit shows them to the national admin."""
    events: list[dict[str, Any]] = []
    while True:
        r = api.get(f"/audit?key_id={kid}&offset={len(events)}&limit=500", role="admin", region=None)
        assert r.status_code == 200, r.text
        events += r.json()["items"]
        if r.json()["next_offset"] is None:
            return events


def unaudited(shown: Shown, events: list[dict[str, Any]]) -> str | None:
    """Why none of the events the request left records who read which candidates where, and when."""
    mine = events[shown.first : shown.last]
    for e in mine:
        at = datetime.fromisoformat(e["at"])
        at = at if at.tzinfo else at.replace(tzinfo=UTC)
        if (
            shown.ids <= set(e["candidate_ids"])
            and (e["key_id"], e["role"], e["region"]) == (shown.kid, shown.role, A)
            and e["action"]
            and e["resource"] == shown.probe.path.split("?", maxsplit=1)[0]
            and shown.window[0] - timedelta(seconds=1) <= at <= shown.window[1] + timedelta(seconds=1)
        ):
            return None
    return f"no audit event records it (who, what, when) for {sorted(shown.ids)[:5]}…; its events: {mine}"


def make_world(api: Api) -> World:
    """Pick region A's and B's rows, make a decision on B's candidate and a match run in each region."""
    with api.store.connect() as conn:
        cands = conn.execute(select(t.candidates).order_by(t.candidates.c.candidate_id)).all()
        plcs = conn.execute(select(t.placements).order_by(t.placements.c.placement_id)).all()
    region = {c.candidate_id: c.region for c in cands}
    a_cands = [c.candidate_id for c in cands if c.region == A and c.consent and c.status in (None, "beschikbaar")]
    a_plc = next(p.placement_id for p in plcs if region[p.candidate_id] == A)
    b_plc, b_cand = next((p.placement_id, p.candidate_id) for p in plcs if region[p.candidate_id] == B)
    foreign = {c for c, r in region.items() if r != A} | {p.placement_id for p in plcs if region[p.candidate_id] != A}
    contribution = {**EXAMPLES["contributions"], "contribution_id": CONTRIBUTION}
    r = api.post("/contributions", role="admin", region=None, json=contribution)
    assert r.status_code == 201, r.text
    # region B's own activity: a decision, a read (an audit event of B) and a run
    r = api.post("/suggestions/reject", role="coach", region=B, json={"candidate_id": b_cand, "vacancy_id": VACANCY})
    assert r.status_code == 201, r.text
    assert api.get(f"/candidates/{b_cand}", role="coach", region=B).status_code == 200
    runs = {}
    for reg in (A, B):
        r = api.post("/runs", role="adviseur", region=reg, json={"scope": "region"})
        assert r.status_code == 202, r.text
        runs[reg] = r.json()["run_id"]
    for run_id in runs.values():
        api.app.state.jobs.wait(run_id, timeout=120)
        assert api.get(f"/runs/{run_id}", role="admin", region=None).json()["status"] == "done"
    foreign.add(runs[B])
    return World(api, a_cands, b_cand, a_plc, b_plc, runs[A], runs[B], foreign)


# -- the matrix ---------------------------------------------------------------------------------


def test_matrix_covers_every_operation() -> None:
    """Every operation of the schema has an entry, and no API route hides from the schema."""
    from api.http.app import create_app
    from api.settings import Settings

    app = create_app(Settings(database_url="sqlite://"))
    operations = schema_operations(app)
    assert operations == set(MATRIX), (
        f"operations without a matrix entry: {sorted(operations - set(MATRIX))}; "
        f"entries without an operation: {sorted(set(MATRIX) - operations)}"
    )
    hidden = [(sorted(r.methods), r.path) for r in _api_routes(app.routes) if not r.include_in_schema]
    assert not hidden, f"API routes missing from the OpenAPI schema (and so from the matrix): {hidden}"
    for op, entry in MATRIX.items():
        assert (entry.others is None) != (not entry.shared), f"{op}: give requests aimed at region B, or say why not"


@pytest.mark.slow
def test_every_operation_every_role(api: Api) -> None:
    """403 without the permission; own region's data only, audited; region B's rows refused and unchanged."""
    w = make_world(api)
    kids = {role: key_id(api, role, A) for role in ROLES}
    failures: list[str] = []
    runs: list[str] = []
    reads: list[Shown] = []
    cases = 0

    def fail(role: str, probe: Probe, why: str) -> None:
        failures.append(f"[{role}] {probe}: {why}")

    # the reads aimed at region B do reach B's rows with the national key: a refusal proves something
    for (method, _path), entry in MATRIX.items():
        for probe in entry.others(w) if entry.others and method == "GET" else []:
            r = probe.send(api, "admin", None)
            if r.status_code != 200 or (probe.expect == (200,) and not leaks(w, parse(probe, r))):
                fail("national admin", probe, f"shows nothing of region B ({r.status_code}): the probe proves nothing")

    for (method, _path), entry in MATRIX.items():
        for role in ROLES:
            may = allowed(role, entry.needs)
            probes = [entry.own(w), *(entry.others(w) if entry.others else [])]
            for n, probe in enumerate(probes):
                cases += 1
                before = snapshot(w) if method != "GET" and (n > 0 or not may) else None
                first = audit_total(api, kids[role])
                started = datetime.now(UTC)
                r = probe.send(api, role)
                window = (started, datetime.now(UTC))
                if not may:
                    why = problem(r, 403)
                elif r.status_code not in probe.expect:
                    why = f"status {r.status_code}, expected {probe.expect}: {r.text[:300]}"
                elif r.status_code >= 400:
                    why = problem(r, r.status_code)
                else:
                    body = parse(probe, r)
                    shown = leaks(w, body)
                    why = f"shows another region's {shown[:5]}" if shown else None
                    if why is None and probe.empty and body["total"]:
                        why = f"lists {body['total']} rows for a filter on region B's rows"
                    if why is None and n == 0 and entry.check is not None:
                        why = entry.check(w, body)
                    ids = candidate_ids(body)
                    if ids and method != "DELETE":  # erasure is audited under the anonymous id
                        last = audit_total(api, kids[role])
                        reads.append(Shown(role, kids[role], probe, frozenset(ids), first, last, window))
                    if method == "POST" and probe.path.endswith("/runs"):
                        runs.append(body["run_id"])
                if why is None and before is not None and snapshot(w) != before:
                    why = "the refused request changed the database"
                if why is not None:
                    fail(role, probe, why)
    events = {kid: audit_events(api, kid) for kid in kids.values()}
    for read in reads:
        why = unaudited(read, events[read.kid])
        if why is not None:
            fail(read.role, read.probe, why)
    for run_id in runs:  # let the runs end before the store closes
        api.app.state.jobs.wait(run_id, timeout=120)
    assert cases >= 4 * len(MATRIX)
    assert len(reads) >= 40  # candidate data is shown by a dozen operations to several roles
    assert not failures, f"{len(failures)} of {cases} cases failed:\n" + "\n".join(failures)


# -- keys -----------------------------------------------------------------------------------------


@pytest.fixture
def bare_api(store: Store, db_url: str) -> Iterator[Api]:
    """The API over an empty store: for what needs keys but no data."""
    from fastapi.testclient import TestClient

    from api.http.app import create_app
    from api.settings import Settings

    # every operation is asked with bad keys from one address here: throttling has its own test (test_hardening)
    app = create_app(Settings(database_url=db_url, auth_failures_per_minute=1_000_000), store=store)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield Api(client, store)


def _filled(path: str) -> str:
    return path.replace("{", "").replace("}", "") if "{" in path else path


def test_no_key_unknown_key_and_revoked_key_get_401_everywhere(bare_api: Api) -> None:
    """Every operation but the health check wants a valid key; a revoked key stops working at once."""
    api = bare_api
    secret = api.key("werkgeversservice", A)
    kid = key_id(api, "werkgeversservice", A)
    with api.store.begin() as conn:
        assert revoke_key(conn, kid)
    unknown = "kop_k000000000000_" + "x" * 43
    failures = []
    for method, path in sorted(schema_operations(api.app)):
        if path == "/healthz":
            continue
        for label, headers in (
            ("no key", {}),
            ("unknown key", {"X-API-Key": unknown}),
            ("revoked key", {"X-API-Key": secret}),
            ("revoked bearer", {"Authorization": f"Bearer {secret}"}),
        ):
            r = api.client.request(method, _filled(path), headers=headers)
            why = problem(r, 401)
            if why is None and "www-authenticate" not in r.headers:
                why = "no WWW-Authenticate header"
            if why:
                failures.append(f"{method} {path} with {label}: {why}")
    assert not failures, "\n".join(failures)
    assert api.get("/me", role="coach").status_code == 200  # another key of the same region still works


def test_keys_are_stored_hashed(bare_api: Api) -> None:
    api = bare_api
    secrets: dict[tuple[str, str | None], str] = {
        (role, region): api.key(role, region) for role in ROLES for region in (A, B)
    }
    secrets["admin", None] = api.key("admin", None)
    with api.store.connect() as conn:
        rows = conn.execute(select(t.api_keys)).all()
    stored = "\n".join(str(v) for row in rows for v in row)
    for (role, region), secret in secrets.items():
        kid = secret.split("_")[1]
        random_part = secret.removeprefix(f"kop_{kid}_")
        assert len(random_part) >= 40
        assert secret not in stored
        assert random_part not in stored
        (row,) = [r for r in rows if r.key_id == kid]
        assert row.secret_hash == hash_secret(secret) == hashlib.sha256(secret.encode()).hexdigest()
        assert (row.role, row.region) == (role, region)


# -- limits -------------------------------------------------------------------------------------


def test_page_size_is_at_most_500(bare_api: Api) -> None:
    api = bare_api
    lists = [
        path
        for path, ops in api.app.openapi()["paths"].items()
        for method, op in ops.items()
        if method == "get" and any(p["name"] == "limit" for p in op.get("parameters", []))
    ]
    assert len(lists) >= 10  # the five entity lists, decisions, runs, three run results, audit
    for path in lists:
        base = _filled(path)
        r = api.client.get(f"{base}?limit=501", headers=api.headers("admin", None))
        assert problem(r, 422) is None, (path, r.text)
        assert [e["field"] for e in r.json()["errors"]] == ["limit"]
        r = api.client.get(f"{base}?limit=500", headers=api.headers("admin", None))
        assert r.status_code != 422, (path, r.text)


def test_request_body_above_the_limit_gets_413(store: Store, db_url: str) -> None:
    from fastapi.testclient import TestClient

    from api.http.app import create_app
    from api.settings import Settings

    limit = 20_000
    app = create_app(Settings(database_url=db_url, max_body_mb=limit / 1_000_000), store=store)
    with store.begin() as conn:
        key = {"X-API-Key": create_key(conn, role="werkgeversservice", region=A).secret}
    base = dict(EXAMPLES["candidates"])
    rows = [{**base, "candidate_id": f"TBIG-{i:04d}", "profile_text": "x" * 500} for i in range(60)]
    big_csv = csv_text("candidates", rows).encode()
    small_csv = csv_text("candidates", rows[:2]).encode()
    assert len(big_csv) > limit > len(small_csv)
    big_json = {**base, "candidate_id": "TBIG-JSON", "profile_text": "y" * 19_000, "skills": ["z" * 400] * 10}

    def chunks(body: bytes) -> Iterator[bytes]:  # no Content-Length: the limit must hold while reading
        for i in range(0, len(body), 4096):
            yield body[i : i + 4096]

    json_bytes = json.dumps(big_json).encode()
    with TestClient(app, raise_server_exceptions=False) as client:
        csv_headers = {**key, "Content-Type": "text/csv"}
        json_headers = {**key, "Content-Type": "application/json"}
        for label, r in (
            ("csv", client.post(f"{V1}/candidates/upload", content=big_csv, headers=csv_headers)),
            ("streamed csv", client.post(f"{V1}/candidates/upload", content=chunks(big_csv), headers=csv_headers)),
            ("json", client.post(f"{V1}/candidates", json=big_json, headers=key)),
            ("streamed json", client.post(f"{V1}/candidates", content=chunks(json_bytes), headers=json_headers)),
        ):
            assert problem(r, 413) is None, (label, r.text)
        with store.connect() as conn:
            written = conn.execute(select(t.candidates).where(t.candidates.c.candidate_id.like("TBIG-%"))).all()
        assert written == []
        r = client.post(f"{V1}/candidates/upload", content=small_csv, headers=csv_headers)
        assert r.status_code == 200, r.text
        assert r.json()["changes"]["candidates"]["inserted"] == 2


def test_text_no_database_can_hold_gets_422_with_the_field(bare_api: Api) -> None:
    """A NUL character (path, query, body) or a lone surrogate (JSON) is refused, not a 500 on PostgreSQL."""
    api = bare_api
    for path, name in (
        ("/candidates/KND%00", "path"),
        ("/runs/%00/plan", "path"),
        ("/vacancies/%00/suggestions", "path"),
        ("/candidates?coach_id=a%00b", "coach_id"),
        ("/decisions?vacancy_id=%00", "vacancy_id"),
        ("/audit?candidate_id=%00", "candidate_id"),
    ):
        r = api.get(path, role="admin", region=None)
        assert problem(r, 422) is None, (path, r.text)
        assert [e["field"] for e in r.json()["errors"]] == [name], path
    headers = {**api.headers("admin", None), "Content-Type": "application/json"}
    for body, name in (
        ('{"candidate_id": "K\\ud800", "target_group": "ww", "consent": true}', "candidate_id"),
        ('{"candidate_id": "K1", "target_group": "ww", "consent": true, "skills": ["a\\udc00"]}', "skills"),
        ('{"candidate_id": "K1", "target_group": "ww", "consent": true, "profile_text": "a\\u0000"}', "profile_text"),
    ):
        r = api.client.post(f"{V1}/candidates", content=body.encode(), headers=headers)
        assert problem(r, 422) is None, (body, r.text)
        assert [e["field"] for e in r.json()["errors"]] == [name], body
    # an id beyond latin-1 is fine, and so is its Location header
    r = api.post(
        "/candidates", role="admin", region=None, json={"candidate_id": "KND-Ĳ1", "target_group": "ww", "consent": True}
    )
    assert r.status_code == 201, r.text
    assert r.headers["Location"] == f"{V1}/candidates/KND-%C4%B21"
    assert api.client.get(r.headers["Location"], headers=api.headers("admin", None)).json()["candidate_id"] == "KND-Ĳ1"


# -- suggestions, plans and audit ---------------------------------------------------------------


def test_suggestions_and_plans_hold_only_own_consenting_available_candidates(api: Api) -> None:
    """Candidates without consent, not available or of another region are never suggested or planned."""
    own = api.get(f"/vacancies/{VACANCY}/suggestions?top=100", role="coach").json()["items"]
    assert len(own) >= 10
    no_consent, placed, moved = (s["candidate_id"] for s in own[:3])
    for cid, change in (
        (no_consent, {"consent": False}),
        (placed, {"status": "geplaatst"}),
        (moved, {"region": "Twente"}),
    ):
        r = api.patch(f"/candidates/{cid}", role="admin", region=None, json=change)
        assert r.status_code == 200, r.text

    def suggested(role: str, region: str | None) -> set[str]:
        r = api.get(f"/vacancies/{VACANCY}/suggestions?top=100", role=role, region=region)
        assert r.status_code == 200, r.text
        return {s["candidate_id"] for s in r.json()["items"]}

    national = suggested("admin", None)
    assert moved in national  # it still fits the place; only its region changed
    assert {no_consent, placed}.isdisjoint(national)
    rows = api.get(f"/candidates?limit=500&region={A}", role="admin", region=None).json()["items"]
    ok = {c["candidate_id"] for c in rows if c["consent"] and c["status"] in (None, "beschikbaar")}
    for role in ROLES:
        ids = suggested(role, A)
        assert ids, role
        assert {no_consent, placed, moved}.isdisjoint(ids), role
        assert ids <= ok, (role, ids - ok)
    for cid in (no_consent, placed):  # nor are places suggested to them
        r = api.get(f"/candidates/{cid}/suggestions", role="coach")
        assert r.status_code == 200, r.text
        assert r.json()["items"] == [], cid
    # the coach cannot bring a non-consenting candidate in through an accept either
    r = api.post("/suggestions/accept", role="coach", json={"candidate_id": no_consent, "vacancy_id": VACANCY})
    assert problem(r, 422) is None, r.text
    # a plan of region A: only A's consenting, available candidates; B never sees A's run
    r = api.post("/runs", role="adviseur", json={"scope": "region"})
    assert r.status_code == 202, r.text
    run_id = r.json()["run_id"]
    assert api.wait_for_run(run_id)["status"] == "done"
    plan = api.get(f"/runs/{run_id}/plan?limit=500", role="adviseur").json()
    planned = {p["candidate_id"] for p in plan["items"]}
    assert planned
    assert planned <= ok
    assert {no_consent, placed, moved}.isdisjoint(planned)
    for role in ROLES:
        assert api.get(f"/runs/{run_id}", role=role, region=B).status_code == 404
        assert api.get(f"/runs/{run_id}/plan", role=role, region=B).status_code == 404
        assert run_id not in {x["run_id"] for x in api.get("/runs", role=role, region=B).json()["items"]}
    assert run_id in {x["run_id"] for x in api.get("/runs", role="admin", region=None).json()["items"]}


def test_reading_a_candidate_leaves_who_what_when_in_the_audit_log(api: Api) -> None:
    cid = api.get("/candidates?limit=1", role="coach").json()["items"][0]["candidate_id"]
    kid = key_id(api, "coach", A)
    before = datetime.now(UTC) - timedelta(seconds=1)
    assert api.get(f"/candidates/{cid}", role="coach").status_code == 200
    r = api.get(f"/audit?candidate_id={cid}&key_id={kid}", role="admin", region=None)
    assert r.status_code == 200, r.text
    (event,) = [e for e in r.json()["items"] if e["action"] == "read candidate"]
    at = datetime.fromisoformat(event["at"])
    assert before <= (at if at.tzinfo else at.replace(tzinfo=UTC)) <= datetime.now(UTC) + timedelta(seconds=1)
    assert (event["key_id"], event["role"], event["region"]) == (kid, "coach", A)
    assert event["resource"] == f"{V1}/candidates/{cid}"
    assert event["candidate_ids"] == [cid]
    # the regional admin of A sees it, the one of B does not
    assert event["event_id"] in {e["event_id"] for e in api.get("/audit?limit=500", role="admin").json()["items"]}
    assert api.get(f"/audit?candidate_id={cid}", role="admin", region=B).json()["total"] == 0


def test_role_permissions_are_the_least_each_needs() -> None:
    """The matrix takes ROLE_PERMISSIONS as its oracle; these are the rights it must never grant."""
    for role in ROLES:
        perms = ROLE_PERMISSIONS[Role(role)]
        assert (P.CANDIDATES_ERASE in perms) == (P.AUDIT_READ in perms) == (role == "admin"), role
        assert (P.CATALOGUE_WRITE in perms) == (role != "coach"), role
        assert (P.UPLOAD in perms) == (role in ("werkgeversservice", "admin")), role
        assert (P.CANDIDATES_WRITE in perms) == (role != "adviseur"), role
