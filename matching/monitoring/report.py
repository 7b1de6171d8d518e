"""The monitoring report as data: every table the HTML, CSV, XLSX and JSON forms show.

:func:`build_report` computes it; ``api/report_files.py`` writes it and the API serves it. Nothing
here identifies a candidate: the tables are aggregates, and the placements table names placements
and obligations, not people.
"""

from __future__ import annotations

import time
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from matching.geo import PostcodeTable
from matching.monitoring.fairness import fairness_report
from matching.monitoring.progress import STATUSES, alerts, obligation_progress, valued_placements
from matching.monitoring.retention import retention_rates
from matching.monitoring.training import TrainingNeeds, training_needs
from matching.normalise import Normaliser
from models.dataset import Dataset
from models.rules import displacement_warnings, matchable
from models.valuation import Schemes

#: The tables of the report, in the order the HTML shows them, with their file names.
TABLES = (
    "progress",
    "alerts",
    "placements",
    "retention",
    "calendar",
    "demand",
    "training",
    "fairness",
)


@dataclass
class Report:
    """Every figure of the monitoring report, for one region or all of them."""

    today: date
    region: str | None
    progress: pd.DataFrame
    alerts: pd.DataFrame
    placements: pd.DataFrame
    retention: pd.DataFrame
    training: TrainingNeeds
    fairness: pd.DataFrame
    overview: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)

    def tables(self) -> dict[str, pd.DataFrame]:
        """The tables by name (:data:`TABLES`), as the CSV files and the workbook sheets hold them."""
        return {
            "progress": self.progress,
            "alerts": self.alerts,
            "placements": self.placements,
            "retention": self.retention,
            "calendar": self.training.calendar,
            "demand": self.training.demand,
            "training": self.training.one_step,
            "fairness": self.fairness,
        }

    def as_json(self) -> dict[str, Any]:
        """Plain JSON-ready data: the overview and every table as a list of records."""
        return {
            "today": self.today.isoformat(),
            "region": self.region,
            "overview": self.overview,
            **{name: records(frame) for name, frame in self.tables().items()},
        }


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON-ready dicts: NaN as None, dates as ISO text, numpy scalars as Python ones."""
    out: list[dict[str, Any]] = []
    for row in frame.to_dict(orient="records"):
        clean: dict[str, Any] = {}
        for key, value in row.items():
            if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA or value is pd.NaT:
                clean[str(key)] = None
            elif isinstance(value, pd.Timestamp | date):
                clean[str(key)] = value.isoformat()[:10]
            elif isinstance(value, np.generic):
                clean[str(key)] = value.item()
            else:
                clean[str(key)] = value
        out.append(clean)
    return out


def build_report(
    ds: Dataset,
    today: date,
    *,
    schemes: Schemes | None = None,
    region: str | None = None,
    plan: pd.DataFrame | None = None,
    suggested: Collection[str] | None = None,
    planned: Collection[str] | None = None,
    normaliser: Normaliser | None = None,
    postcodes: PostcodeTable | None = None,
    hours_below_min: float = 0.0,
) -> Report:
    """Compute the monitoring report of ``ds`` on ``today``.

    Args:
        ds: the dataset (for a region: its candidates, with other regions' placements as stubs).
        today: the day of the report.
        schemes: valuation schemes (default: the built-in ones).
        region: the region the report is for; retention and fairness then count its people only.
        plan: match plan rows (``candidate_id, vacancy_id, obligation_id, sroi_value_eur``): they
            count as planned euros and as "in a plan" in the fairness table.
        suggested: ids of candidates who were suggested to a coach, for the fairness table.
        planned: ids of candidates in a match plan, for the fairness table (default: those of ``plan``).
        normaliser: taxonomy normaliser for the training needs (default: the built-in taxonomy).
        postcodes: postcode table placing rows without coordinates, as the matcher does.
        hours_below_min: the matcher's setting of that name, for the training needs.
    """
    timings: dict[str, float] = {}
    t = time.perf_counter()
    registry = schemes or Schemes()
    valued = valued_placements(ds, registry)
    progress = obligation_progress(ds, today, schemes=registry, plan=plan, valued=valued)
    flagged = alerts(progress)
    timings["progress_s"] = time.perf_counter() - t

    t = time.perf_counter()
    own = ds
    if region is not None:  # other regions' placements count towards euros, not towards this region's rates
        mine = set(ds.candidates.loc[ds.candidates["region"] == region, "candidate_id"].astype(str))
        keep = ds.placements["candidate_id"].astype(str).isin(mine)
        own = Dataset(
            contractors=ds.contractors,
            obligations=ds.obligations,
            vacancies=ds.vacancies,
            candidates=ds.candidates[ds.candidates["region"] == region].reset_index(drop=True),
            placements=ds.placements[keep].reset_index(drop=True),
            contributions=ds.contributions,
        )
    retention = retention_rates(own)
    planned_ids = set(planned) if planned is not None else None
    if planned_ids is None and plan is not None:
        planned_ids = set(plan["candidate_id"].astype(str))
    fairness = fairness_report(own, today, suggested=suggested, planned=planned_ids)
    timings["retention_fairness_s"] = time.perf_counter() - t

    t = time.perf_counter()
    training = training_needs(own, today, normaliser=normaliser, postcodes=postcodes, hours_below_min=hours_below_min)
    timings["training_s"] = time.perf_counter() - t

    placements = valued.drop(columns=["counts"])
    if region is not None:  # the region's own placements; others' count in the euros only
        placements = placements[placements["placement_id"].isin(set(own.placements["placement_id"]))]
    placements = placements.sort_values(["obligation_id", "placement_id"], kind="stable")
    con = ds.contractors
    total = retention.iloc[0] if len(retention) else None
    overview: dict[str, Any] = {
        "obligations": len(progress),
        "running": int(((progress["months_left"] > 0) & (progress["months_elapsed"] > 0)).sum()),
        "by_status": {s: int((progress["status"] == s).sum()) for s in STATUSES},
        "required_eur": round(float(progress["required_eur"].sum()), 2),
        "realised_eur": round(float(progress["realised_eur"].sum()), 2),
        "planned_eur": round(float(progress["planned_eur"].sum()), 2),
        "alerts": len(flagged),
        "placements": len(ds.placements),
        "pool": int(matchable(own.candidates).sum()),
        "retention_6m": None if total is None or pd.isna(total["rate_6m"]) else round(float(total["rate_6m"]), 4),
        "retention_12m": None if total is None or pd.isna(total["rate_12m"]) else round(float(total["rate_12m"]), 4),
        "future_obligations": len(training.calendar),
        "future_places": int(training.calendar["places"].sum()) if len(training.calendar) else 0,
        "fairness_gaps": int(fairness["gap"].sum()) if len(fairness) else 0,
        "displacement_warnings": sorted(con.loc[displacement_warnings(con), "name"].astype(str).tolist()),
    }
    return Report(
        today=today,
        region=region,
        progress=progress,
        alerts=flagged,
        placements=placements.reset_index(drop=True),
        retention=retention,
        training=training,
        fairness=fairness,
        overview=overview,
        timings=timings,
    )
