"""The monitoring report over HTTP: the same figures as ``koppelaar report``, as JSON, HTML or XLSX.

A key with a region gets its region's report (retention, fairness and training needs count its
people; obligations' euros count every region's placements, as anonymous stubs). A national key
may ask for one region with ``?region=``. Reports are aggregates: no candidate is named.
"""

from __future__ import annotations

import json
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import exists, select

from api.deps import StoreDep, require
from api.problems import ApiProblem
from api.report_files import render_html, write_report
from api.reporting import store_report
from api.routes_entities import ERRORS
from api.security import Permission, Principal
from matching.monitoring.report import TABLES, Report, records
from models.store import Store
from models.store import tables as t

router = APIRouter(prefix="/reports", tags=["reports"])
#: A report is computed again when the data changed, the day changed or it is older than this.
MAX_AGE_S = 300.0
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class _Cached:
    version: int
    made: float
    report: Report
    html: str | None = None  # the page, rendered (charts and all) the first time it is asked for
    tables: dict[str, bytes] = field(default_factory=dict)  # each table's JSON document, once made


class ReportService:
    """Monitoring reports per (region, day), computed once per data version."""

    def __init__(self, store: Store, settings: Any) -> None:
        self.store, self.settings = store, settings
        self._cache: dict[tuple[str | None, date], _Cached] = {}
        self._lock = threading.Lock()

    def report(self, region: str | None, today: date) -> Report:
        return self._entry(region, today).report

    def html(self, region: str | None, today: date) -> str:
        """The report as its page; rendering the charts costs more than a page view may, so it is kept too."""
        entry = self._entry(region, today)
        with self._lock:
            if entry.html is None:
                entry.html = render_html(entry.report)
            return entry.html

    def table_json(self, region: str | None, today: date, table: str) -> bytes:
        """One table as its JSON document: thousands of obligations are serialised once, not per request."""
        entry = self._entry(region, today)
        with self._lock:
            if table not in entry.tables:
                report = entry.report
                rows = records(report.tables()[table])
                document = {
                    "today": report.today.isoformat(),
                    "region": report.region,
                    "table": table,
                    "total": len(rows),
                    "items": rows,
                }
                entry.tables[table] = json.dumps(
                    document, ensure_ascii=False, allow_nan=False, separators=(",", ":")
                ).encode("utf-8")
            return entry.tables[table]

    def _entry(self, region: str | None, today: date) -> _Cached:
        version = self.store.version()
        key = (region, today)
        with self._lock:  # one computation at a time: reports are heavy and the figures are shared
            hit = self._cache.get(key)
            if hit is not None and hit.version == version and time.monotonic() - hit.made < MAX_AGE_S:
                return hit
            report = store_report(self.store, today, self.settings.schemes(), region, self.settings.postcodes)
            self._cache = {k: v for k, v in self._cache.items() if v.version == version}
            entry = self._cache[key] = _Cached(version, time.monotonic(), report)
            return entry


def _service(request: Request) -> ReportService:
    service: ReportService | None = getattr(request.app.state, "reports", None)
    if service is None:
        service = request.app.state.reports = ReportService(request.app.state.store, request.app.state.settings)
    return service


Reader = Annotated[Principal, Depends(require(Permission.REPORTS_READ))]
Today = Annotated[date | None, Query(description="The day of the report (default: today).")]
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
    scope = principal.region if principal.region is not None else region
    if scope is not None and principal.region is None:
        with store.connect() as conn:
            if not conn.execute(select(exists().where(t.candidates.c.region == scope))).scalar():
                raise ApiProblem(404, f"there is no region {scope}: no candidate names it")
    return scope


#: The days a report may be asked for (pandas holds dates between 1677 and 2262).
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2199, 12, 31)


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
        write_report(report, Path(folder))
        content = (Path(folder) / "report.xlsx").read_bytes()
    name = f"sroi-monitoring-{report.region or 'alle-regios'}-{report.today.isoformat()}.xlsx".replace(" ", "-")
    return Response(content, media_type=XLSX, headers={"Content-Disposition": f'attachment; filename="{name}"'})
