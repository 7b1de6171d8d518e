"""Suggestions (who fits this vacancy, where does this person fit) and the coach decisions about them."""

from __future__ import annotations

import math
import secrets
from datetime import date
from typing import Annotated, Any

import numpy as np
from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError
from starlette.responses import Response

from api.http.common import ERRORS, MAX_PAGE, page, public_row
from api.http.deps import RuntimeDep, StoreDep, audit, record_audit_async, require
from api.http.entities import get_row, region_guard
from api.http.problems import ApiProblem
from api.http.schemas import (
    Accepted,
    AcceptSuggestion,
    Decision,
    Page,
    Proposal,
    RejectSuggestion,
    ScorerInfo,
    SuggestionList,
)
from api.security import Permission, Principal
from api.services.matching import MatchingService
from matching.matcher import Matcher, Suggestions, UnknownIdError
from matching.scorers import score_meaning
from models.dataset.reader import raw_from_cells
from models.errors import DatasetInvalid
from models.schema import FILES_BY_NAME
from models.store import Store, access, decisions
from models.store.importer import import_raw
from models.store.obligations import contractor_obligations
from models.valuation import credited_obligations

router = APIRouter(responses=ERRORS)
Key = Annotated[str, Path(min_length=1, max_length=100)]
Top = Annotated[int, Query(ge=1, le=100, description="how many suggestions")]
Suggester = Annotated[Principal, Depends(require(Permission.SUGGEST))]


def _service(request: Request) -> MatchingService:
    service: MatchingService = request.app.state.matching
    return service


# -- suggestions ------------------------------------------------------------------------------


def _suggestions(
    found: Suggestions, rejected: set[tuple[str, str]], proposed: dict[tuple[str, str], dict[str, Any]], top: int
) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for candidate_id, vacancy_id, score, confidence, explanation, reasons in zip(
        found.candidate_ids.tolist(),
        found.vacancy_ids.tolist(),
        found.scores.tolist(),
        found.confidences.tolist(),
        found.explanations,
        found.reasons,
        strict=True,
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
                "proposal": _proposal_json(proposed.get((str(candidate_id), str(vacancy_id)))),
            }
        )
        if len(items) == top:
            break
    return items


def _proposal_json(proposal: dict[str, Any] | None) -> dict[str, Any] | None:
    return None if proposal is None else Proposal.model_validate(proposal).model_dump(mode="json")


def _number(value: Any) -> float | None:
    """A float for the JSON answer (``null`` for NaN, as the response model's serialiser wrote it)."""
    number = float(value)
    return number if math.isfinite(number) else None


async def _suggest(request: Request, principal: Principal, kind: str, key: str, top: int) -> JSONResponse:
    """Top suggestions for a vacancy or a candidate from the key's region, minus rejected pairs; audited.

    The question is answered in a worker thread (:func:`_answer`), the audit event committed, and
    the answer built from plain values that already are a :class:`~api.http.schemas.SuggestionList`.
    The event loop only reads and writes the connections: a question answered on the loop would
    make every other request's next step (a write's body, its endpoint's result) wait for it and
    for every question ready beside it, while threads share the interpreter in short turns.
    """
    store = request.app.state.store
    day = date.today()
    items, scorer = await run_in_threadpool(_answer, store, _service(request), principal, kind, key, top, day)
    shown = [i["candidate_id"] for i in items] if kind == "vacancy" else [key]
    await record_audit_async(store, principal, f"suggest for {kind}", str(request.url.path), shown)
    return JSONResponse({"subject": f"{kind} {key}", "scorer": scorer, "items": items})


def _answer(
    store: Store, service: MatchingService, principal: Principal, kind: str, key: str, top: int, day: date
) -> tuple[list[dict[str, Any]], str]:
    """The items of the answer and the scorer's name. One connection reads the data version, (for a
    candidate) whether the key's region holds them, and the rejected pairs and proposals; the
    prepared matcher answers. Only preparing a region's matcher (seconds: its first, a new day, a
    change to the catalogue) makes the question wait. After other writes the matcher in hand
    answers while it is brought up to date (:meth:`MatchingService.answering`), without the pairs
    the rows as they are now rule out (:meth:`MatchingService.suggestable`); a subject that matcher
    does not know yet waits for the current one."""
    with store.connect() as conn:
        version = store.matching_version(conn, principal.region)
        if kind == "candidate" and not _visible_candidate_id(conn, principal, key):
            raise ApiProblem(404, f"there is no candidate {key}")
        rejected = decisions.rejected(conn, kind, key)
        proposed = (
            decisions.proposals(conn, vacancy_ids=[key])
            if kind == "vacancy"
            else decisions.proposals(conn, candidate_ids=[key])
        )
    answering = service.answering(principal.region, version, day)
    if answering is None:
        answering = service.matcher(principal.region, day, version), False
    matcher, behind = answering
    want = top + len(rejected) + (BEHIND_MARGIN if behind else 0)
    try:
        found = _suggest_from(matcher, kind, key, want)
    except UnknownIdError:
        if not behind:
            raise ApiProblem(404, f"there is no {kind} {key}") from None
        matcher, behind = service.matcher(principal.region, day, version), False
        try:
            found = _suggest_from(matcher, kind, key, want)
        except UnknownIdError:
            raise ApiProblem(404, f"there is no {kind} {key}") from None
    if behind:
        found = service.suggestable(found, principal.region)
    return _suggestions(found, rejected, proposed, top), matcher.scorer.name


#: Suggestions asked beyond ``top`` from a matcher behind the store, for those :meth:`MatchingService.suggestable`
#: removes.
BEHIND_MARGIN = 10


def _suggest_from(matcher: Matcher, kind: str, key: str, k: int) -> Suggestions:
    return matcher.suggestions_for_vacancy(key, k) if kind == "vacancy" else matcher.suggestions_for_candidate(key, k)


def _visible_candidate_id(conn: Connection, principal: Principal, candidate_id: str) -> bool:
    """Whether the candidate exists for the key: in its region (the same WHERE as every candidate read)."""
    return access.has_candidate(conn, candidate_id, principal.region)


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


@router.get(
    "/scorer",
    response_model=ScorerInfo,
    tags=["suggestions"],
    summary="What a suggestion's score is",
    description="Without a model (`KOPPELAAR_MODEL`) the score is a rule score, the *passingsscore*: not a "
    "probability. With a model from `koppelaar train` it is the calibrated probability that a placement lasts 6 "
    "months, and this names the model and its validation figures.",
)
def scorer_info(request: Request, runtime: RuntimeDep, principal: Suggester) -> dict[str, Any]:
    model = runtime.model
    meaning = score_meaning(model)
    figures = None
    if model is not None:
        metrics = model.metrics_
        figures = {
            "file": runtime.settings.model.name if runtime.settings.model else "",
            "training_size": int(model.training_size_),
            "validation_size": int(metrics["validation_size"]),
            "validation_auc": float(metrics["validation_auc"]),
            "validation_brier": float(metrics["validation_brier"]),
            "base_rate": float(metrics["base_rate"]),
        }
    return {
        "scorer": model.name if model is not None else "rule",
        "label": meaning.label,
        "probability": meaning.probability,
        "explanation": meaning.explanation,
        "model": figures,
    }


# -- coach decisions --------------------------------------------------------------------------


def _visible_candidate(store: Store, principal: Principal, candidate_id: str) -> dict[str, Any]:
    with store.connect() as conn:
        row = get_row(conn, "candidates", candidate_id, principal)
    if row is None:
        raise ApiProblem(
            422,
            f"there is no candidate {candidate_id}",
            errors=[{"field": "candidate_id", "message": "does not exist"}],
        )
    return row


def _proposal_of(conn: Connection, decision: dict[str, Any]) -> dict[str, Any] | None:
    """The accept answer for a pair proposed before: its decision, placement and proposal; ``None`` when withdrawn."""
    placement = access.get_row(conn, "placements", str(decision["placement_id"]), None)
    if placement is None:
        return None
    stands = decisions.proposals(conn, candidate_ids=[decision["candidate_id"]], vacancy_ids=[decision["vacancy_id"]])
    return {
        "decision_id": int(decision["decision_id"]),
        "placement": public_row(FILES_BY_NAME["placements"], placement),
        "proposal": stands[decision["candidate_id"], decision["vacancy_id"]],
    }


def _decided(conn: Connection, candidate_id: str, vacancy_id: str) -> dict[str, Any] | None:
    """The standing proposal of the pair, ``None`` when it has none; a problem when it was turned down."""
    rejected = decisions.find(conn, candidate_id, vacancy_id, "rejected")
    if rejected is not None:
        when = rejected["at"].date().isoformat()
        because = f": {rejected['reason']}" if rejected["reason"] else ""
        raise ApiProblem(409, f"{candidate_id} was turned down for {vacancy_id} on {when}{because}")
    accepted = decisions.find(conn, candidate_id, vacancy_id, "accepted")
    if accepted is None:
        return None
    answer = _proposal_of(conn, accepted)
    if answer is None:
        raise ApiProblem(409, f"the proposal of {candidate_id} for {vacancy_id} was withdrawn")
    return answer


@router.post(
    "/suggestions/accept",
    status_code=201,
    response_model=Accepted,
    responses={200: {"model": Accepted, "description": "The pair was proposed before: that proposal, unchanged"}},
    tags=["suggestions"],
    summary="Accept a suggestion: propose the placement",
    description="Records a placement `voorgesteld` for the pair and the coach's decision (201); "
    "move it on with PATCH /placements/{id} (geaccepteerd → gestart → beeindigd). A pair is proposed once: "
    "accepting it again, also at the same moment from another page, returns the standing proposal (200). "
    "A pair turned down cannot be proposed (409).",
)
def accept(
    body: AcceptSuggestion,
    request: Request,
    response: Response,
    store: StoreDep,
    runtime: RuntimeDep,
    principal: Annotated[Principal, Depends(require(Permission.PLACEMENTS_WRITE))],
) -> dict[str, Any]:
    candidate = _visible_candidate(store, principal, body.candidate_id)
    with store.connect() as conn:
        vacancy = get_row(conn, "vacancies", body.vacancy_id, principal)
        if vacancy is None:
            raise ApiProblem(
                422,
                f"there is no vacancy {body.vacancy_id}",
                errors=[{"field": "vacancy_id", "message": "does not exist"}],
            )
        standing = _decided(conn, body.candidate_id, body.vacancy_id)
    if standing is not None:
        response.status_code = 200
        return standing
    start = body.start_date or vacancy.get("start_date") or date.today()
    placement_id = "PLA-" + secrets.token_hex(6).upper()
    spec = FILES_BY_NAME["placements"]
    obligations = contractor_obligations(store, str(vacancy["contractor_id"]))
    credited = credited_obligations(
        obligations,
        named=np.array([vacancy.get("obligation_id") or None], dtype=object),
        contractor=np.array([vacancy["contractor_id"]], dtype=object),
        target_group=np.array([candidate.get("target_group")], dtype=object),
        on=np.array([np.datetime64(start, "D")]),
    )[0]
    cells = {
        "placement_id": placement_id,
        "candidate_id": body.candidate_id,
        "vacancy_id": body.vacancy_id,
        # the obligation the placement counts for (models.valuation.credited_obligations), written down
        "obligation_id": str(obligations["obligation_id"].iloc[credited]) if credited >= 0 else "",
        "start_date": str(start),
        "hours_per_week": repr(float(body.hours_per_week or vacancy["hours_per_week"])),
        "status": "voorgesteld",
    }
    answer: dict[str, Any] = {}

    def record(conn: Connection) -> None:
        decision_id, _ = decisions.insert(
            conn,
            key_id=principal.key_id,
            candidate_id=body.candidate_id,
            vacancy_id=body.vacancy_id,
            decision="accepted",
            reason=body.reason,
            placement_id=placement_id,
            run_id=body.run_id,
        )
        answer.update(
            _proposal_of(conn, {**body.model_dump(), "decision_id": decision_id, "placement_id": placement_id}) or {}
        )
        audit(conn, principal, "accept suggestion", str(request.url.path), [body.candidate_id])

    try:
        import_raw(
            store,
            {"placements": raw_from_cells(spec, [cells])},
            spec.filename,
            [],
            region_guard(principal),
            then=record,
            schemes=runtime.known_schemes,
        )
    except DatasetInvalid as exc:  # the placement's rules, consent among them
        detail = "; ".join(f"{p.column}: {p.message}" for p in exc.errors)
        raise ApiProblem(422, detail, errors=[{"field": p.column, "message": p.message} for p in exc.errors]) from None
    except IntegrityError:
        # the same pair proposed at the same moment by another request: its proposal stands, this one is
        # rolled back whole (placement and decision)
        with store.connect() as conn:
            standing = _decided(conn, body.candidate_id, body.vacancy_id)
        if standing is None:
            raise
        response.status_code = 200
        return standing
    return answer


@router.post(
    "/suggestions/reject",
    status_code=201,
    response_model=Decision,
    responses={200: {"model": Decision, "description": "The pair was turned down before: that decision"}},
    tags=["suggestions"],
    summary="Turn a suggestion down",
    description="The pair is not suggested again and every later match run treats it as forbidden. When the "
    "pair was proposed and its placement is still `voorgesteld`, the proposal is withdrawn: the placement "
    "goes, and with it the obligation's planned euros (`withdrawn_placement_id`). A pair turned down before "
    "returns that decision (200).",
)
def reject(
    body: RejectSuggestion,
    request: Request,
    response: Response,
    store: StoreDep,
    principal: Annotated[Principal, Depends(require(Permission.PLACEMENTS_WRITE))],
) -> dict[str, Any]:
    _visible_candidate(store, principal, body.candidate_id)
    try:
        with store.begin() as conn:
            if get_row(conn, "vacancies", body.vacancy_id, principal) is None:
                raise ApiProblem(
                    422,
                    f"there is no vacancy {body.vacancy_id}",
                    errors=[{"field": "vacancy_id", "message": "does not exist"}],
                )
            before = decisions.find(conn, body.candidate_id, body.vacancy_id, "rejected")
            if before is not None:
                response.status_code = 200
                return _public_decision(before)
            proposed = decisions.find(conn, body.candidate_id, body.vacancy_id, "accepted")
            withdrawn = None
            if proposed is not None and proposed["placement_id"] and decisions.withdraw(conn, proposed["placement_id"]):
                withdrawn = str(proposed["placement_id"])
                store.bump_version(conn)
            decision_id, values = decisions.insert(
                conn,
                key_id=principal.key_id,
                candidate_id=body.candidate_id,
                vacancy_id=body.vacancy_id,
                decision="rejected",
                reason=body.reason,
            )
            audit(conn, principal, "reject suggestion", str(request.url.path), [body.candidate_id])
    except IntegrityError:  # turned down at the same moment by another request: that decision stands
        with store.connect() as conn:
            before = decisions.find(conn, body.candidate_id, body.vacancy_id, "rejected")
        if before is None:
            raise
        response.status_code = 200
        return _public_decision(before)
    return {"decision_id": decision_id, **_public_decision(values), "withdrawn_placement_id": withdrawn}


def _public_decision(values: dict[str, Any]) -> dict[str, Any]:
    """A stored decision as the API shows it: without the key that made it."""
    return {name: value for name, value in values.items() if name != "key_id"}


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
    with store.begin() as conn:
        items, total = decisions.page(
            conn, principal.region, candidate_id=candidate_id, vacancy_id=vacancy_id, offset=offset, limit=limit
        )
        if items:  # a coach's decision about a person is that person's data
            audit(conn, principal, "list decisions", str(request.url.path), [str(i["candidate_id"]) for i in items])
    return page(items, total, offset, limit)


__all__ = ["router"]
