"""``/calendar.ics``: the tender calendar of a region as an iCalendar feed (api/services/calendar.py).

A key with a region gets its own region's obligations; a national key every region's, or one with
``?region=``. The catalogue holds no candidate, so neither does the feed.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy import select

from api.http.common import ERRORS
from api.http.deps import StoreDep, require
from api.http.reports import Region, Today, _day, _scope
from api.security import Permission, Principal
from api.services.calendar import calendar_feed
from api.services.worklist import WorklistService
from models.store import tables as t

router = APIRouter(tags=["obligations"], responses=ERRORS)
Reader = Annotated[Principal, Depends(require(Permission.CATALOGUE_READ))]
ICALENDAR = "text/calendar"


@router.get(
    "/calendar.ics",
    summary="The tender calendar as iCalendar: each obligation's award, start and end (its deadline)",
    description="All-day events with stable UIDs, for Outlook, Google Calendar or Apple Calendar (import the file "
    "or subscribe through a proxy that sends the key). A key with a region gets its region's obligations "
    "(where their vacancies lie, else their contractor); a national key every region's, or `region`'s.",
    response_class=Response,
    responses={200: {"content": {ICALENDAR: {}}, "description": "the calendar (RFC 5545)"}},
)
def calendar(
    request: Request, store: StoreDep, principal: Reader, region: Region = None, today: Today = None
) -> Response:
    scope = _scope(store, principal, region)
    worklist: WorklistService = request.app.state.worklist
    lists = worklist.lists(_day(today))
    with store.connect() as conn:
        rows = conn.execute(
            select(t.obligations.c.obligation_id, t.obligations.c.award_date, t.obligations.c.updated_at)
        )
        award_dates: dict[str, date] = {}
        stamps: dict[str, datetime] = {}
        for oid, award, stamp in rows:
            award_dates[str(oid)] = award
            stamps[str(oid)] = stamp
    body = calendar_feed(lists, award_dates, stamps, scope)
    name = f"sroi-tenderkalender-{scope or 'alle-regios'}.ics".replace(" ", "-")
    return Response(
        body,
        media_type=f"{ICALENDAR}; charset=utf-8",
        headers={"Content-Disposition": f'inline; filename="{name}"'},
    )


__all__ = ["router"]
