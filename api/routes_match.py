"""Suggestions, coach decisions, match runs, obligation progress, erasure and the audit log."""

from __future__ import annotations

import json
import math
import secrets
from datetime import date
from functools import lru_cache
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from sqlalchemy import Connection, bindparam, func, or_, select, update

from api.deps import PrincipalDep, StoreDep, audit, record_audit_async, require, require_async
from api.jobs import create_run
from api.problems import ApiProblem
from api.routes_entities import ERRORS, MAX_PAGE, get_row, page, public_row, region_guard, visible
from api.schemas import (
    AcceptSuggestion,
    AuditEvent,
    Decision,
    Erased,
    Page,
    PlanRow,
    Progress,
    RejectSuggestion,
    RunCreate,
    RunPublic,
    SuggestionList,
    UnfilledRow,
    UnplacedRow,
)
from api.security import ROLE_PERMISSIONS, Permission, Principal
from api.service import MatchingService
from matching.matcher import UnknownIdError
from matching.monitoring.progress import obligation_progress
from models.dataset import Dataset
from models.dataset.reader import raw_from_cells
from models.errors import DatasetInvalid
from models.rules import open_positions
from models.schema import FILES_BY_NAME
from models.store import tables as t
from models.store.convert import db_rows_to_table
from models.store.importer import import_raw
from models.store.store import now

router = APIRouter(responses=ERRORS)
Key = Annotated[str, Path(min_length=1, max_length=100)]
Top = Annotated[int, Query(ge=1, le=100, description="how many suggestions")]
Suggester = Annotated[Principal, Depends(require_async(Permission.SUGGEST))]


def _service(request: Request) -> MatchingService:
    service: MatchingService = request.app.state.matching
    return service


# -- who am I ---------------------------------------------------------------------------------


@router.get("/me", tags=["keys"], summary="The calling key's role, region and rights")
def me(principal: PrincipalDep) -> dict[str, Any]:
    return {
        "key_id": principal.key_id,
        "role": principal.role.value,
        "region": principal.region,
        "permissions": sorted(p.value for p in ROLE_PERMISSIONS[principal.role]),
    }


# -- suggestions ------------------------------------------------------------------------------


# built once, as the audit's inserts are: building a statement costs more than running it on SQLite
_REJECTED = {
    kind: select(t.decisions.c.candidate_id, t.decisions.c.vacancy_id).where(
        t.decisions.c.decision == "rejected", column == bindparam("key")
    )
    for kind, column in (("vacancy", t.decisions.c.vacancy_id), ("candidate", t.decisions.c.candidate_id))
}


def _rejected(conn: Connection, kind: str, key: str) -> set[tuple[str, str]]:
    return {(r.candidate_id, r.vacancy_id) for r in conn.execute(_REJECTED[kind], {"key": key})}


@lru_cache(maxsize=1024)
def _candidate_query(principal: Principal) -> Any:
    """Is this candidate there for the key: the same ``visible`` clause as every read, built once per key."""
    return select(t.candidates.c.candidate_id).where(
        t.candidates.c.candidate_id == bindparam("key"), visible("candidates", principal)
    )


def _suggestions(frame: Any, rejected: set[tuple[str, str]], top: int) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    columns = ("candidate_id", "vacancy_id", "score", "confidence", "explanation", "reasons")
    for candidate_id, vacancy_id, score, confidence, explanation, reasons in zip(
        *(frame[c].tolist() for c in columns), strict=True
    ):
        if (candidate_id, vacancy_id) in rejected:
            continue
        items.append(
            {
                "rank": len(items) + 1,
                "candidate_id": str(candidate_id),
                "vacancy_id": str(vacancy_id),
                "score": _number(score),
                "confidence": _number(confidence),
                "explanation": str(explanation),
                "reasons": str(reasons),
            }
        )
        if len(items) == top:
            break
    return items


def _number(value: Any) -> float | None:
    """A float for the JSON answer (``null`` for NaN, as the response model's serialiser wrote it)."""
    number = float(value)
    return number if math.isfinite(number) else None


async def _suggest(request: Request, principal: Principal, kind: str, key: str, top: int) -> JSONResponse:
    """Top suggestions for a vacancy or a candidate from the key's region, minus rejected pairs; audited.

    The hot path of the API, so it runs on the event loop: one connection reads the data version,
    (for a candidate) whether the key's region holds them, and the rejected pairs; the
    prepared matcher answers; the audit event is committed; the answer is built from plain values
    that already are a :class:`~api.schemas.SuggestionList`. Only preparing a region's matcher
    (seconds, after a change to the data) goes to a worker thread.
    """
    store = request.app.state.store
    service = _service(request)
    day = date.today()
    with store.connect() as conn:
        version = store.version(conn)
        if kind == "candidate" and not _visible_candidate_id(conn, principal, key):
            raise ApiProblem(404, f"there is no candidate {key}")
        rejected = _rejected(conn, kind, key)
    matcher = service.prepared(principal.region, version, day)
    if matcher is None:
        matcher = await run_in_threadpool(service.matcher, principal.region, day, version)
    suggest = matcher.suggest_for_vacancy if kind == "vacancy" else matcher.suggest_for_candidate
    try:
        frame = suggest(key, top + len(rejected))
    except UnknownIdError:
        raise ApiProblem(404, f"there is no {kind} {key}") from None
    items = _suggestions(frame, rejected, top)
    shown = [i["candidate_id"] for i in items] if kind == "vacancy" else [key]
    await record_audit_async(store, principal, f"suggest for {kind}", str(request.url.path), shown)
    return JSONResponse({"subject": f"{kind} {key}", "scorer": matcher.scorer.name, "items": items})


def _visible_candidate_id(conn: Connection, principal: Principal, candidate_id: str) -> bool:
    """Whether the candidate exists for the key: in its region (the same WHERE as every candidate read)."""
    return conn.execute(_candidate_query(principal), {"key": candidate_id}).first() is not None


@router.get(
    "/vacancies/{vacancy_id}/suggestions",
    response_model=SuggestionList,
    tags=["suggestions"],
    summary="Who fits this vacancy?",
    description="The best eligible candidates of your region (consent given, available), each with its explanation.",
)
async def suggest_for_vacancy(vacancy_id: Key, request: Request, principal: Suggester, top: Top = 10) -> JSONResponse:
    return await _suggest(request, principal, "vacancy", vacancy_id, top)


@router.get(
    "/candidates/{candidate_id}/suggestions",
    response_model=SuggestionList,
    tags=["suggestions"],
    summary="Where does this person fit?",
    description="The open vacancies a candidate of your region is eligible for, best first, with explanations.",
)
async def suggest_for_candidate(
    candidate_id: Key, request: Request, principal: Suggester, top: Top = 10
) -> JSONResponse:
    return await _suggest(request, principal, "candidate", candidate_id, top)


# -- coach decisions --------------------------------------------------------------------------


def _visible_candidate(store: Any, principal: Principal, candidate_id: str) -> dict[str, Any]:
    with store.connect() as conn:
        row = get_row(conn, "candidates", candidate_id, principal)
    if row is None:
        raise ApiProblem(
            422,
            f"there is no candidate {candidate_id}",
            errors=[{"field": "candidate_id", "message": "does not exist"}],
        )
    return row


@router.post(
    "/suggestions/accept",
    status_code=201,
    tags=["suggestions"],
    summary="Accept a suggestion: propose the placement",
    description="Records a placement `voorgesteld` for the pair and the coach's decision; "
    "move it on with PATCH /placements/{id} (geaccepteerd → gestart → beeindigd).",
)
def accept(
    body: AcceptSuggestion,
    request: Request,
    store: StoreDep,
    principal: Annotated[Principal, Depends(require(Permission.PLACEMENTS_WRITE))],
) -> dict[str, Any]:
    candidate = _visible_candidate(store, principal, body.candidate_id)
    with store.connect() as conn:
        vacancy = get_row(conn, "vacancies", body.vacancy_id, principal)
    if vacancy is None:
        raise ApiProblem(
            422, f"there is no vacancy {body.vacancy_id}", errors=[{"field": "vacancy_id", "message": "does not exist"}]
        )
    if not candidate["consent"]:
        raise ApiProblem(
            422,
            "this candidate has not consented to being matched",
            errors=[{"field": "candidate_id", "message": "consent is false"}],
        )
    start = body.start_date or vacancy.get("start_date") or date.today()
    placement_id = "PLA-" + secrets.token_hex(6).upper()
    spec = FILES_BY_NAME["placements"]
    cells = {
        "placement_id": placement_id,
        "candidate_id": body.candidate_id,
        "vacancy_id": body.vacancy_id,
        "obligation_id": vacancy.get("obligation_id") or "",
        "start_date": str(start),
        "hours_per_week": repr(float(body.hours_per_week or vacancy["hours_per_week"])),
        "status": "voorgesteld",
    }
    decision: dict[str, Any] = {}

    def record(conn: Any) -> None:
        decision["id"] = conn.execute(
            t.decisions.insert()
            .values(
                at=now(),
                key_id=principal.key_id,
                candidate_id=body.candidate_id,
                vacancy_id=body.vacancy_id,
                decision="accepted",
                reason=body.reason,
                placement_id=placement_id,
                run_id=body.run_id,
            )
            .returning(t.decisions.c.decision_id)
        ).scalar_one()
        decision["placement"] = conn.execute(
            select(t.placements).where(t.placements.c.placement_id == placement_id)
        ).one()
        audit(conn, principal, "accept suggestion", str(request.url.path), [body.candidate_id])

    try:
        import_raw(
            store,
            {"placements": raw_from_cells(spec, [cells])},
            spec.filename,
            [],
            region_guard(principal),
            then=record,
        )
    except DatasetInvalid as exc:
        raise ApiProblem(
            422, str(exc), errors=[{"field": p.column, "message": p.message} for p in exc.errors]
        ) from None
    return {"decision_id": decision["id"], "placement": public_row(spec, decision["placement"])}


@router.post(
    "/suggestions/reject",
    status_code=201,
    response_model=Decision,
    tags=["suggestions"],
    summary="Turn a suggestion down",
    description="The pair is not suggested again and every later match run treats it as forbidden.",
)
def reject(
    body: RejectSuggestion,
    request: Request,
    store: StoreDep,
    principal: Annotated[Principal, Depends(require(Permission.PLACEMENTS_WRITE))],
) -> dict[str, Any]:
    _visible_candidate(store, principal, body.candidate_id)
    with store.begin() as conn:
        if get_row(conn, "vacancies", body.vacancy_id, principal) is None:
            raise ApiProblem(
                422,
                f"there is no vacancy {body.vacancy_id}",
                errors=[{"field": "vacancy_id", "message": "does not exist"}],
            )
        values = {
            "at": now(),
            "key_id": principal.key_id,
            "candidate_id": body.candidate_id,
            "vacancy_id": body.vacancy_id,
            "decision": "rejected",
            "reason": body.reason,
            "placement_id": None,
            "run_id": None,
        }
        decision_id = conn.execute(
            t.decisions.insert().values(**values).returning(t.decisions.c.decision_id)
        ).scalar_one()
        audit(conn, principal, "reject suggestion", str(request.url.path), [body.candidate_id])
    return {"decision_id": decision_id, **values}


@router.get("/decisions", response_model=Page[Decision], tags=["suggestions"], summary="Coach decisions")
def list_decisions(
    request: Request,
    store: StoreDep,
    principal: Annotated[Principal, Depends(require(Permission.PLACEMENTS_READ))],
    candidate_id: Annotated[str | None, Query(max_length=100)] = None,
    vacancy_id: Annotated[str | None, Query(max_length=100)] = None,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
) -> dict[str, Any]:
    query = select(t.decisions)
    if principal.region is not None:
        query = query.where(
            t.decisions.c.candidate_id.in_(
                select(t.candidates.c.candidate_id).where(t.candidates.c.region == principal.region)
            )
        )
    if candidate_id is not None:
        query = query.where(t.decisions.c.candidate_id == candidate_id)
    if vacancy_id is not None:
        query = query.where(t.decisions.c.vacancy_id == vacancy_id)
    with store.begin() as conn:
        total = int(conn.execute(select(func.count()).select_from(query.subquery())).scalar() or 0)
        rows = conn.execute(query.order_by(t.decisions.c.decision_id).offset(offset).limit(limit)).all()
        items = [dict(r._mapping) for r in rows]
        if items:  # a coach's decision about a person is that person's data
            audit(conn, principal, "list decisions", str(request.url.path), [str(i["candidate_id"]) for i in items])
    for item in items:
        item.pop("key_id", None)
    return page(items, total, offset, limit)


# -- match runs -------------------------------------------------------------------------------


def _run(store: Any, principal: Principal, run_id: str) -> dict[str, Any]:
    query = select(t.match_runs).where(t.match_runs.c.run_id == run_id)
    if principal.region is not None:
        query = query.where(t.match_runs.c.region == principal.region)
    with store.connect() as conn:
        row = conn.execute(query).first()
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
    table = {"obligation": t.obligations, "contractor": t.contractors, "tender": t.obligations}.get(scope)
    if table is not None:
        column = {"obligation": "obligation_id", "contractor": "contractor_id", "tender": "tender_name"}[scope]
        with store.connect() as conn:
            found = conn.execute(select(table.c[column]).where(table.c[column] == data["scope_id"]).limit(1)).first()
        if found is None:
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
    principal: Annotated[Principal, Depends(require(Permission.RUNS_READ))],
    status: Annotated[str | None, Query(pattern="^(queued|running|done|failed)$")] = None,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
) -> dict[str, Any]:
    query = select(t.match_runs.c.run_id)
    if principal.region is not None:
        query = query.where(t.match_runs.c.region == principal.region)
    if status is not None:
        query = query.where(t.match_runs.c.status == status)
    with store.connect() as conn:
        total = int(conn.execute(select(func.count()).select_from(query.subquery())).scalar() or 0)
        ids = [
            r.run_id
            for r in conn.execute(
                query.order_by(t.match_runs.c.created_at.desc(), t.match_runs.c.run_id).offset(offset).limit(limit)
            )
        ]
    items = [_run(store, principal, i) for i in ids]
    return page(items, total, offset, limit)


@router.get("/runs/{run_id}", response_model=RunPublic, tags=["runs"], summary="A match run: status, progress, summary")
def get_run(
    run_id: Annotated[str, Path(max_length=32)],
    store: StoreDep,
    principal: Annotated[Principal, Depends(require(Permission.RUNS_READ))],
) -> dict[str, Any]:
    return _run(store, principal, run_id)


def _rows(
    store: Any,
    principal: Principal,
    request: Request,
    run_id: str,
    table: Any,
    offset: int,
    limit: int,
) -> dict[str, Any]:
    run = _run(store, principal, run_id)
    if run["status"] != "done":
        raise ApiProblem(409, f"match run {run_id} is {run['status']}; its result is there once it is done")
    query = select(table).where(table.c.run_id == run_id)
    with store.begin() as conn:
        total = int(conn.execute(select(func.count()).select_from(query.subquery())).scalar() or 0)
        rows = [dict(r._mapping) for r in conn.execute(query.order_by(table.c.row).offset(offset).limit(limit))]
        if "candidate_id" in table.c and rows:
            audit(conn, principal, f"read {table.name}", str(request.url.path), [str(r["candidate_id"]) for r in rows])
    for r in rows:
        r.pop("run_id")
        r.pop("row")
    return page(rows, total, offset, limit)


RunId = Annotated[str, Path(max_length=32)]
Offset = Annotated[int, Query(ge=0, le=10_000_000)]
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE)]


@router.get("/runs/{run_id}/plan", response_model=Page[PlanRow], tags=["runs"], summary="The plan: who goes where")
def run_plan(
    run_id: RunId,
    request: Request,
    store: StoreDep,
    principal: Annotated[Principal, Depends(require(Permission.RUNS_READ))],
    offset: Offset = 0,
    limit: Limit = 50,
) -> dict[str, Any]:
    return _rows(store, principal, request, run_id, t.run_plan, offset, limit)


@router.get(
    "/runs/{run_id}/unfilled", response_model=Page[UnfilledRow], tags=["runs"], summary="Places left open, and why"
)
def run_unfilled(
    run_id: RunId,
    request: Request,
    store: StoreDep,
    principal: Annotated[Principal, Depends(require(Permission.RUNS_READ))],
    offset: Offset = 0,
    limit: Limit = 50,
) -> dict[str, Any]:
    return _rows(store, principal, request, run_id, t.run_unfilled, offset, limit)


@router.get(
    "/runs/{run_id}/unplaced",
    response_model=Page[UnplacedRow],
    tags=["runs"],
    summary="Eligible people left without a place: the nearest vacancy and what they lack",
)
def run_unplaced(
    run_id: RunId,
    request: Request,
    store: StoreDep,
    principal: Annotated[Principal, Depends(require(Permission.RUNS_READ))],
    offset: Offset = 0,
    limit: Limit = 50,
) -> dict[str, Any]:
    return _rows(store, principal, request, run_id, t.run_unplaced, offset, limit)


# -- obligation progress ----------------------------------------------------------------------


@router.get(
    "/obligations/{obligation_id}/progress",
    response_model=Progress,
    tags=["obligations"],
    summary="How far an obligation is",
)
def progress(
    obligation_id: Key,
    request: Request,
    store: StoreDep,
    principal: Annotated[Principal, Depends(require(Permission.CATALOGUE_READ))],
) -> dict[str, Any]:
    with store.connect() as conn:
        obl_rows = store.fetch_rows(conn, "obligations", [obligation_id])
        if not obl_rows:
            raise ApiProblem(404, f"there is no obligation {obligation_id}")
        vac_ids = [
            r.vacancy_id
            for r in conn.execute(select(t.vacancies.c.vacancy_id).where(t.vacancies.c.obligation_id == obligation_id))
        ]
        plc_rows = [
            dict(r._mapping)
            for r in conn.execute(
                select(t.placements).where(
                    or_(t.placements.c.obligation_id == obligation_id, t.placements.c.vacancy_id.in_(vac_ids))
                )
            )
        ]
        vac_rows = store.fetch_rows(conn, "vacancies", set(vac_ids) | {str(r["vacancy_id"]) for r in plc_rows})
        cand_rows = store.fetch_rows(conn, "candidates", {str(r["candidate_id"]) for r in plc_rows})
        con_rows = store.fetch_rows(conn, "contractors", [str(obl_rows[0]["contractor_id"])])
    obligations = db_rows_to_table(FILES_BY_NAME["obligations"], obl_rows)
    placements = db_rows_to_table(FILES_BY_NAME["placements"], plc_rows)
    # a placement counts towards its own obligation when it names one
    placements = placements[placements["obligation_id"].isna() | (placements["obligation_id"] == obligation_id)]
    vacancies = db_rows_to_table(FILES_BY_NAME["vacancies"], vac_rows)
    ds = Dataset(
        contractors=db_rows_to_table(FILES_BY_NAME["contractors"], con_rows),
        obligations=obligations,
        vacancies=vacancies,
        candidates=db_rows_to_table(FILES_BY_NAME["candidates"], cand_rows),
        placements=placements.reset_index(drop=True),
    )
    today = date.today()
    row = obligation_progress(ds, today, schemes=request.app.state.settings.schemes()).iloc[0]
    own_vacancies = vacancies[vacancies["obligation_id"] == obligation_id]
    free = int(open_positions(own_vacancies, placements).sum()) if len(own_vacancies) else 0
    counts = placements["status"].astype(str).value_counts().to_dict()
    end = obl_rows[0]["end_date"]
    return {
        "obligation_id": obligation_id,
        "owed_eur": float(row["required_eur"]),
        "realised_eur": float(row["realised_eur"]),
        "planned_eur": float(row["planned_eur"]),
        "still_needed_eur": round(max(float(row["required_eur"]) - float(row["realised_eur"]), 0.0), 2),
        "fulfilment": float(row["fulfilment"]),
        "forecast_eur": float(row["forecast_eur"]),
        "status": str(row["status"]),
        "reason": str(row["reason"]),
        "months_left": float(row["months_left"]),
        "placements": {str(k): int(v) for k, v in counts.items()},
        "open_positions": free,
        "end_date": end,
        "running": end >= today,
    }


# -- erasure and audit ------------------------------------------------------------------------


@router.delete(
    "/candidates/{candidate_id}",
    response_model=Erased,
    tags=["candidates"],
    summary="Erase a candidate (right to erasure)",
    description="Removes the candidate's profile. Placements stay, under an anonymous id with only the target "
    "group, benefit start and birth year the obligations' euros need, so aggregate figures do not change. The id is "
    "replaced in plans, decisions and the audit log too.",
)
def erase(
    candidate_id: Key,
    request: Request,
    store: StoreDep,
    principal: Annotated[Principal, Depends(require(Permission.CANDIDATES_ERASE))],
) -> dict[str, Any]:
    return _erase(store, principal, candidate_id, str(request.url.path))


def _erase(store: Any, principal: Principal, candidate_id: str, path: str) -> dict[str, Any]:
    token = "verwijderd-" + secrets.token_hex(8)
    with store.begin() as conn:
        row = conn.execute(
            select(t.candidates).where(t.candidates.c.candidate_id == candidate_id, visible("candidates", principal))
        ).first()
        if row is None:
            raise ApiProblem(404, f"there is no candidate {candidate_id}")
        kept = int(
            conn.execute(
                select(func.count()).select_from(t.placements).where(t.placements.c.candidate_id == candidate_id)
            ).scalar()
            or 0
        )
        if kept:
            conn.execute(
                t.candidates.insert().values(
                    candidate_id=token,
                    target_group=row.target_group,
                    benefit_since=row.benefit_since,
                    birth_year=row.birth_year,
                    region=row.region,
                    consent=False,
                    status="inactief",
                    updated_at=now(),
                )
            )
            conn.execute(
                update(t.placements).where(t.placements.c.candidate_id == candidate_id).values(candidate_id=token)
            )
        for table in (t.run_plan, t.run_unplaced, t.decisions, t.audit_candidates):
            conn.execute(update(table).where(table.c.candidate_id == candidate_id).values(candidate_id=token))
        conn.execute(t.candidates.delete().where(t.candidates.c.candidate_id == candidate_id))
        store.bump_version(conn)
        audit(conn, principal, "erase candidate", path.replace(candidate_id, token), [token])
    return {"candidate_id": candidate_id, "erased": True, "placements_kept": kept}


@router.get("/audit", response_model=Page[AuditEvent], tags=["audit"], summary="Who read or changed candidate data")
def audit_log(
    store: StoreDep,
    principal: Annotated[Principal, Depends(require(Permission.AUDIT_READ))],
    candidate_id: Annotated[str | None, Query(max_length=100)] = None,
    key_id: Annotated[str | None, Query(max_length=32)] = None,
    offset: Offset = 0,
    limit: Limit = 50,
) -> dict[str, Any]:
    query = select(t.audit_events)
    if principal.region is not None:
        query = query.where(t.audit_events.c.region == principal.region)
    if candidate_id is not None:
        query = query.where(
            t.audit_events.c.event_id.in_(
                select(t.audit_candidates.c.event_id).where(t.audit_candidates.c.candidate_id == candidate_id)
            )
        )
    if key_id is not None:
        query = query.where(t.audit_events.c.key_id == key_id)
    with store.connect() as conn:
        total = int(conn.execute(select(func.count()).select_from(query.subquery())).scalar() or 0)
        events = [
            dict(r._mapping)
            for r in conn.execute(query.order_by(t.audit_events.c.event_id).offset(offset).limit(limit))
        ]
        ids = [e["event_id"] for e in events]
        who: dict[int, list[str]] = {i: [] for i in ids}
        if ids:
            for r in conn.execute(
                select(t.audit_candidates)
                .where(t.audit_candidates.c.event_id.in_(ids))
                .order_by(t.audit_candidates.c.candidate_id)
            ):
                who[r.event_id].append(r.candidate_id)
    for e in events:
        e["candidate_ids"] = who[e["event_id"]]
    return page(events, total, offset, limit)


__all__ = ["router"]
