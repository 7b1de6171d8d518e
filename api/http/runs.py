"""``/runs``: batch matches in the background, their progress and their plan, unfilled and unplaced rows."""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request

from api.http.common import ERRORS, MAX_PAGE, Limit, Offset, page
from api.http.deps import StoreDep, audit, require
from api.http.problems import ApiProblem
from api.http.schemas import Page, PlanRow, RunCreate, RunPublic, UnfilledRow, UnplacedRow
from api.security import Permission, Principal
from api.services.runs import create_run
from models.store import Store, decisions, runs

router = APIRouter(responses=ERRORS)
RunId = Annotated[str, Path(max_length=32)]
Reader = Annotated[Principal, Depends(require(Permission.RUNS_READ))]


def _run(store: Store, principal: Principal, run_id: str) -> dict[str, Any]:
    with store.connect() as conn:
        row = runs.get(conn, run_id, principal.region)
    if row is None:
        raise ApiProblem(404, f"there is no match run {run_id}")
    run = dict(row._mapping)
    run["summary"] = json.loads(run["summary"]) if run["summary"] else None
    run.pop("options", None)
    run.pop("key_id", None)
    return run


@router.post(
    "/runs",
    status_code=202,
    response_model=RunPublic,
    tags=["runs"],
    summary="Start a batch match",
    description="Plans the open places of one obligation, tender, contractor or the whole region with your "
    "region's candidates, in the background. Poll GET /runs/{run_id}; the same input gives the same plan.",
)
def start_run(
    body: RunCreate,
    request: Request,
    store: StoreDep,
    principal: Annotated[Principal, Depends(require(Permission.RUNS_WRITE))],
) -> dict[str, Any]:
    data = body.model_dump()
    scope = str(data["scope"])
    if scope != "region" and not data.get("scope_id"):
        raise ApiProblem(422, f"a {scope} run needs scope_id", errors=[{"field": "scope_id", "message": "is required"}])
    if scope == "region":
        data["scope_id"] = None
    with store.connect() as conn:
        found = runs.scope_exists(conn, scope, data["scope_id"])
    if not found:
        raise ApiProblem(
            422,
            f"there is no {scope} {data['scope_id']}",
            errors=[{"field": "scope_id", "message": "does not exist"}],
        )
    run_id = create_run(store, principal, data)
    request.app.state.jobs.submit(run_id)
    return _run(store, principal, run_id)


@router.get("/runs", response_model=Page[RunPublic], tags=["runs"], summary="Match runs of your region")
def list_runs(
    store: StoreDep,
    principal: Reader,
    status: Annotated[str | None, Query(pattern="^(queued|running|done|failed)$")] = None,
    offset: Offset = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
) -> dict[str, Any]:
    with store.connect() as conn:
        ids, total = runs.page_ids(conn, principal.region, status, offset, limit)
    items = [_run(store, principal, i) for i in ids]
    return page(items, total, offset, limit)


@router.get("/runs/{run_id}", response_model=RunPublic, tags=["runs"], summary="A match run: status, progress, summary")
def get_run(run_id: RunId, store: StoreDep, principal: Reader) -> dict[str, Any]:
    return _run(store, principal, run_id)


def _rows(
    store: Store, principal: Principal, request: Request, run_id: str, name: str, offset: int, limit: int
) -> dict[str, Any]:
    run = _run(store, principal, run_id)
    if run["status"] != "done":
        raise ApiProblem(409, f"match run {run_id} is {run['status']}; its result is there once it is done")
    with store.begin() as conn:
        rows, total = runs.result_rows(conn, run_id, name, offset, limit)
        table = runs.RESULT_TABLES[name]
        if "candidate_id" in table.c and rows:  # rows that name candidates are audited
            audit(conn, principal, f"read {table.name}", str(request.url.path), [str(r["candidate_id"]) for r in rows])
    return page(rows, total, offset, limit)


@router.get("/runs/{run_id}/plan", response_model=Page[PlanRow], tags=["runs"], summary="The plan: who goes where")
def run_plan(
    run_id: RunId, request: Request, store: StoreDep, principal: Reader, offset: Offset = 0, limit: Limit = 50
) -> dict[str, Any]:
    answer = _rows(store, principal, request, run_id, "plan", offset, limit)
    rows = answer["items"]
    places = request.app.state.worklist.lists(date.today()).vacancies.set_index("vacancy_id")
    with store.connect() as conn:
        proposed = decisions.proposals(
            conn, candidate_ids={r["candidate_id"] for r in rows}, vacancy_ids={r["vacancy_id"] for r in rows}
        )
    for row in rows:
        known = row["vacancy_id"] in places.index
        for name, column in (("vacancy_title", "title"), ("contractor_name", "contractor_name"), ("region", "region")):
            value = places.at[row["vacancy_id"], column] if known else None
            row[name] = value if isinstance(value, str) else None
        row["proposal"] = proposed.get((row["candidate_id"], row["vacancy_id"]))
    return answer


@router.get(
    "/runs/{run_id}/unfilled", response_model=Page[UnfilledRow], tags=["runs"], summary="Places left open, and why"
)
def run_unfilled(
    run_id: RunId, request: Request, store: StoreDep, principal: Reader, offset: Offset = 0, limit: Limit = 50
) -> dict[str, Any]:
    return _rows(store, principal, request, run_id, "unfilled", offset, limit)


@router.get(
    "/runs/{run_id}/unplaced",
    response_model=Page[UnplacedRow],
    tags=["runs"],
    summary="Eligible people left without a place: the nearest vacancy and what they lack",
)
def run_unplaced(
    run_id: RunId, request: Request, store: StoreDep, principal: Reader, offset: Offset = 0, limit: Limit = 50
) -> dict[str, Any]:
    return _rows(store, principal, request, run_id, "unplaced", offset, limit)


__all__ = ["router"]
