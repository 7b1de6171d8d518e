"""The monitoring report of a dataset folder or of the store: what the CLI and the HTTP API share.

:class:`ReportService` keeps the server's reports: computed once per (region, day) and data version,
for at most :data:`MAX_AGE_S` seconds (the fairness table also counts suggestions, which the audit
log records without changing the data version).
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from api.bootstrap import Runtime
from api.loaders import read_pairs
from api.report_files import render_html
from matching.monitoring.report import Report, build_report, records
from models.errors import KoppelaarError
from models.store import Store, audit, runs

PLAN_COLUMNS = ("candidate_id", "vacancy_id", "obligation_id", "sroi_value_eur")
#: A report is computed again when the data changed, the day changed or it is older than this.
MAX_AGE_S = 300.0


def read_plan(path: Path) -> pd.DataFrame:
    """A match plan (``koppelaar match``'s plan.csv, or the folder holding it) to count as planned."""
    file = path / "plan.csv" if path.is_dir() else path
    frame = read_pairs(file)
    missing = [c for c in PLAN_COLUMNS if c not in frame.columns]
    if missing:
        raise KoppelaarError(f"{file.name} needs the column(s) {', '.join(missing)}; it has {', '.join(frame.columns)}")
    values = pd.to_numeric(frame["sroi_value_eur"], errors="coerce")
    bad = frame.index[values.isna() | (values < 0)]
    if len(bad):
        row, value = int(bad[0]) + 2, frame["sroi_value_eur"].iloc[bad[0]]
        raise KoppelaarError(f"{file.name} row {row}, column sroi_value_eur: {value!r} is not an amount ≥ 0")
    out = frame[list(PLAN_COLUMNS)].copy()
    out["sroi_value_eur"] = values.astype(float)
    return out


def _configured(runtime: Runtime) -> dict[str, Any]:
    """What the installation's settings give every report: schemes, postcodes, the hours rule."""
    return {
        "schemes": runtime.schemes,
        "postcodes": runtime.postcodes,
        "hours_below_min": runtime.settings.hours_below_min,
    }


def folder_report(dataset: Path, today: date, runtime: Runtime, plan: Path | None = None) -> Report:
    """The report of a dataset folder, with a match plan's rows as planned when given."""
    plan_rows = read_plan(plan) if plan is not None else None
    return build_report(runtime.read(dataset), today, plan=plan_rows, **_configured(runtime))


def store_report(store: Store, today: date, runtime: Runtime, region: str | None = None) -> Report:
    """The report of the stored data for one region (or all).

    Suggestions are those the audit log recorded as shown to a coach; the plan rate counts the
    candidates in finished match runs. Planned euros are the placements still voorgesteld (an
    accepted suggestion or plan row is registered as such).
    """
    ds = store.load_dataset(region)
    with store.connect() as conn:
        suggested = audit.suggested_candidates(conn)
        planned = runs.planned_candidates(conn)
    return build_report(ds, today, region=region, suggested=suggested, planned=planned, **_configured(runtime))


@dataclass
class _Cached:
    version: int
    made: float
    report: Report
    html: str | None = None  # the page, rendered (charts and all) the first time it is asked for
    tables: dict[str, bytes] = field(default_factory=dict)  # each table's JSON document, once made


class ReportService:
    """Monitoring reports per (region, day), computed once per data version."""

    def __init__(self, store: Store, runtime: Runtime) -> None:
        self.store, self.runtime = store, runtime
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
            report = store_report(self.store, today, self.runtime, region)
            self._cache = {k: v for k, v in self._cache.items() if v.version == version}
            entry = self._cache[key] = _Cached(version, time.monotonic(), report)
            return entry


__all__ = ["MAX_AGE_S", "PLAN_COLUMNS", "ReportService", "folder_report", "read_plan", "store_report"]
