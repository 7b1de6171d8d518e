"""The monitoring report over HTTP: the same figures as ``koppelaar report``, as JSON, HTML or XLSX.

A key with a region gets its region's report (retention, fairness and training needs count its
people; obligations' euros count every region's placements, as anonymous stubs). A national key
may ask for one region with ``?region=``. Reports are aggregates: no candidate is named.
"""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, Response

from api.http.common import ERRORS
from api.http.deps import StoreDep, require
from api.http.problems import ApiProblem
from api.http.schemas import DateText
from api.report_files import write_report
from api.security import Permission, Principal
from api.services.regions import UnknownRegionError, check_region
from api.services.reports import ReportService
from matching.monitoring.report import TABLES, Report
from models.store import Store

router = APIRouter(prefix="/reports", tags=["reports"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _service(request: Request) -> ReportService:
    service: ReportService = request.app.state.reports
    return service


Reader = Annotated[Principal, Depends(require(Permission.REPORTS_READ))]
#: The days a report may be asked for (pandas holds dates between 1677 and 2262).
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2199, 12, 31)
#: The same range in the OpenAPI: the date's text starts with a year from 1900 to 2199.
DAY_PATTERN = r"^(19|2[01])[0-9]{2}-"
Today = Annotated[
    DateText | None,
    Query(
        description=f"The day of the report, YYYY-MM-DD from {FIRST_DAY} to {LAST_DAY} (default: today).",
        json_schema_extra={"pattern": DAY_PATTERN},
    ),
]
Region = Annotated[
    str | None,
    Query(max_length=200, description="A national key's choice of region; a key with a region always gets its own."),
]
TableName = Literal["progress", "alerts", "placements", "retention", "calendar", "demand", "training", "fairness"]
assert set(TableName.__args__) == set(TABLES)  # type: ignore[attr-defined]


def _scope(store: Store, principal: Principal, region: str | None) -> str | None:
    """The region a report is for: the key's own, or a national key's choice (which must exist)."""
    if principal.region is not None and region is not None and region != principal.region:
        raise ApiProblem(404, f"there is no region {region} for your key; it reports on {principal.region}")
    if principal.region is not None:
        return principal.region
    if region is None:
        return None
    try:
        return check_region(region, store.regions(), what="region")
    except UnknownRegionError as exc:
        raise ApiProblem(404, str(exc), errors=[{"field": "region", "value": region, "message": str(exc)}]) from None


def _day(today: date | None) -> date:
    if today is not None and not FIRST_DAY <= today <= LAST_DAY:
        raise ApiProblem(
            422,
            f"today {today.isoformat()} is out of range",
            errors=[{"field": "today", "message": f"must lie between {FIRST_DAY} and {LAST_DAY}"}],
        )
    return today or date.today()


def _report(request: Request, store: Store, principal: Principal, region: str | None, today: date | None) -> Report:
    return _service(request).report(_scope(store, principal, region), _day(today))


@router.get(
    "/monitoring",
    summary="The monitoring report: progress, alerts, retention, tender calendar, training needs, fairness",
    responses=ERRORS,
)
def monitoring(
    request: Request, store: StoreDep, principal: Reader, region: Region = None, today: Today = None
) -> dict[str, Any]:
    return _report(request, store, principal, region, today).as_json()


@router.get(
    "/monitoring/tables/{table}",
    summary="One table of the monitoring report",
    response_model=dict[str, Any],
    responses=ERRORS,
)
def monitoring_table(
    table: Annotated[TableName, PathParam()],
    request: Request,
    store: StoreDep,
    principal: Reader,
    region: Region = None,
    today: Today = None,
) -> Response:
    scope = _scope(store, principal, region)
    return Response(_service(request).table_json(scope, _day(today), table), media_type="application/json")


@router.get(
    "/monitoring.html",
    summary="The monitoring report as a page with charts (Dutch)",
    response_class=HTMLResponse,
    responses=ERRORS,
)
def monitoring_html(
    request: Request, store: StoreDep, principal: Reader, region: Region = None, today: Today = None
) -> HTMLResponse:
    return HTMLResponse(_service(request).html(_scope(store, principal, region), _day(today)))


@router.get(
    "/monitoring.xlsx",
    summary="The monitoring report as an XLSX workbook",
    response_class=Response,
    responses={**ERRORS, 200: {"content": {XLSX: {}}, "description": "the workbook"}},
)
def monitoring_xlsx(
    request: Request, store: StoreDep, principal: Reader, region: Region = None, today: Today = None
) -> Response:
    report = _report(request, store, principal, region, today)
    with tempfile.TemporaryDirectory() as folder:
        written = write_report(report, Path(folder) / "report")
        content = next(p for p in written if p.name == "report.xlsx").read_bytes()
    name = f"sroi-monitoring-{report.region or 'alle-regios'}-{report.today.isoformat()}.xlsx".replace(" ", "-")
    return Response(content, media_type=XLSX, headers={"Content-Disposition": f'attachment; filename="{name}"'})
