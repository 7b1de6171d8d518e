"""``/worklist/vacancies`` and ``/worklist/obligations``: the coach's own lists, open and current, with names.

The catalogue (vacancies, obligations, contractors) is shared by every region; these lists place it
(api/services/worklist.py) and show a key's own region by default. No candidate is in them.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request

from api.http.common import ERRORS, MAX_PAGE, page
from api.http.deps import StoreDep, require
from api.http.problems import ApiProblem
from api.http.reports import _day
from api.security import Permission, Principal
from api.services.regions import UnknownRegionError, check_region
from api.services.worklist import WorklistService, json_rows, select
from models.store import Store

router = APIRouter(responses=ERRORS)
Reader = Annotated[Principal, Depends(require(Permission.CATALOGUE_READ))]
Text = Annotated[str | None, Query(max_length=200)]
Sort = Annotated[
    Literal["start_date", "shortfall", "deadline"],
    Query(description="`start_date` (soonest first), `shortfall` (most euros still needed first) or `deadline`"),
]
Everything = Annotated[bool, Query(alias="all", description="also ended obligations and vacancies without places left")]
Offset = Annotated[int, Query(ge=0, le=10_000_000)]
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE)]
Region = Annotated[
    str | None,
    Query(max_length=200, description="default: the key's own region (a national key: every region); `*`: every"),
]


def _service(request: Request) -> WorklistService:
    service: WorklistService = request.app.state.worklist
    return service


def _region(store: Store, principal: Principal, region: str | None) -> str | None:
    if region is None:
        return principal.region
    if region == "*":
        return None
    try:
        return check_region(region, store.regions(), what="region")
    except UnknownRegionError as exc:
        raise ApiProblem(422, str(exc), errors=[{"field": "region", "value": region, "message": str(exc)}]) from None


def _listed(
    request: Request,
    store: Store,
    principal: Principal,
    table: str,
    today: date | None,
    window: tuple[int, int],
    *,
    region: str | None,
    text: str | None,
    **filters: Any,
) -> dict[str, Any]:
    """One page of a coach's list (``vacancies`` or ``obligations``) after the filters, with the day it is for."""
    lists = _service(request).lists(_day(today))
    rows = select(
        getattr(lists, table),
        region=_region(store, principal, region),
        text=(text or "").strip() or None,
        **filters,
    )
    offset, limit = window
    return {**page(json_rows(rows.iloc[offset : offset + limit]), len(rows), offset, limit), "today": str(lists.today)}


@router.get(
    "/worklist/vacancies",
    tags=["worklist"],
    summary="The region's open vacancies, with contractor and obligation names",
    description="Vacancies with places left whose obligation has not ended, in the key's region by default "
    "(the region whose candidates live nearest), each with its contractor's name, obligation, region, open "
    "places, deadline (the obligation's end) and the obligation's shortfall in euros.",
)
def vacancies(
    request: Request,
    store: StoreDep,
    principal: Reader,
    region: Region = None,
    sector: Text = None,
    status: Text = None,
    contractor_id: Text = None,
    obligation_id: Text = None,
    q: Annotated[str | None, Query(max_length=200, description="title, contractor or obligation contains")] = None,
    everything: Everything = False,
    sort: Sort = "start_date",
    today: date | None = None,
    offset: Offset = 0,
    limit: Limit = 50,
) -> dict[str, Any]:
    return _listed(
        request,
        store,
        principal,
        "vacancies",
        today,
        (offset, limit),
        region=region,
        sector=sector,
        status=status,
        contractor_id=contractor_id,
        obligation_id=obligation_id,
        text=q,
        text_columns=("title", "vacancy_id", "contractor_name", "tender_name"),
        everything=everything,
        sort=sort,
    )


@router.get(
    "/worklist/obligations",
    tags=["worklist"],
    summary="The region's running obligations, with their progress and contractor names",
    description="Obligations that have not ended and have places left or still need euros, in the key's region by "
    "default (the "
    "regions of their vacancies, or of their contractor), each with its progress row (as in the monitoring "
    "report), contractor name, regions and open places.",
)
def obligations(
    request: Request,
    store: StoreDep,
    principal: Reader,
    region: Region = None,
    sector: Text = None,
    status: Text = None,
    contractor_id: Text = None,
    q: Annotated[str | None, Query(max_length=200, description="tender, client or contractor contains")] = None,
    everything: Everything = False,
    sort: Sort = "deadline",
    today: date | None = None,
    offset: Offset = 0,
    limit: Limit = 50,
) -> dict[str, Any]:
    return _listed(
        request,
        store,
        principal,
        "obligations",
        today,
        (offset, limit),
        region=region,
        sector=sector,
        status=status,
        contractor_id=contractor_id,
        text=q,
        text_columns=("obligation_id", "tender_name", "client", "contractor_name"),
        everything=everything,
        sort=sort,
    )


__all__ = ["router"]
