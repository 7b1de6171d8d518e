"""The coach's own lists: the vacancies and obligations of a region that are open and current, with names.

A vacancy lies in the region whose candidates live nearest on average: the region's centre is the mean
location of its candidates, and a vacancy (at its own location, else its postcode's, else its
contractor's) belongs to the nearest centre. An obligation lies in the regions of its vacancies, or
where its contractor is when it has none. *Current*: a vacancy has places left and its obligation
has not ended (a vacancy without one: its own end date has not passed); an obligation has not ended
and has places left or still needs euros. Computed once per data version and day, from the monitoring report's progress.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from api.bootstrap import Runtime
from api.services.reports import ReportService
from matching.geo import PostcodeTable, nearest, resolve_points
from models.dataset import Dataset
from models.rules import open_positions
from models.store import Store

#: how a list may be sorted: soonest start, biggest shortfall first, nearest deadline
SORTS = ("start_date", "shortfall", "deadline")


@dataclass
class Lists:
    """Both lists for one day, every region: filtered per request."""

    version: int
    today: date
    vacancies: pd.DataFrame
    obligations: pd.DataFrame


def place_regions(ds: Dataset, postcodes: PostcodeTable | None) -> tuple[pd.Series, pd.Series]:
    """The region each vacancy lies in (aligned with ``ds.vacancies``) and each contractor (by contractor id).

    A region's centre is the mean location of its candidates; a place belongs to the nearest centre. A
    vacancy without a location of its own or a postcode lies where its contractor is.
    """
    c = ds.candidates
    la, lo, _ = resolve_points(c["lat"], c["lon"], c["postcode"], postcodes)
    known = pd.DataFrame({"region": c["region"], "lat": la, "lon": lo}).dropna()
    centres = known.groupby("region")[["lat", "lon"]].mean()
    names = [str(n) for n in centres.index]
    at = centres["lat"].to_numpy(), centres["lon"].to_numpy()
    contractors = ds.contractors.set_index("contractor_id")
    c_la, c_lo, _ = resolve_points(contractors["lat"], contractors["lon"], contractors["postcode"], postcodes)
    contractor_region = pd.Series(nearest(c_la, c_lo, names, *at), index=contractors.index)
    v = ds.vacancies
    v_la, v_lo, _ = resolve_points(v["lat"], v["lon"], v["postcode"], postcodes)
    region = pd.Series(nearest(v_la, v_lo, names, *at), index=v.index)
    return region.where(region.notna(), v["contractor_id"].map(contractor_region)), contractor_region


class WorklistService:
    def __init__(self, store: Store, runtime: Runtime, reports: ReportService) -> None:
        self.store, self.runtime, self.reports = store, runtime, reports
        self._cache: Lists | None = None
        self._lock = threading.Lock()

    def lists(self, today: date) -> Lists:
        version = self.store.version()
        with self._lock:
            hit = self._cache
            if hit is None or hit.version != version or hit.today != today:
                hit = self._cache = self._build(version, today)
            return hit

    def _build(self, version: int, today: date) -> Lists:
        ds = self.store.load_dataset(None)
        region, contractor_region = place_regions(ds, self.runtime.postcodes)
        contractors = ds.contractors.set_index("contractor_id")
        v = ds.vacancies
        progress = self.reports.report(None, today).progress.set_index("obligation_id")
        vacancies = pd.DataFrame(
            {
                "vacancy_id": v["vacancy_id"],
                "title": v["title"],
                "contractor_id": v["contractor_id"],
                "contractor_name": v["contractor_id"].map(contractors["name"]),
                "obligation_id": v["obligation_id"],
                "tender_name": v["obligation_id"].map(progress["tender_name"]),
                "sector": v["obligation_id"].map(progress["sector"]),
                "region": region,
                "hours_per_week": v["hours_per_week"],
                "positions": v["positions"],
                "open_positions": open_positions(v, ds.placements),
                "additional": v["additional"],
                "placement_type": v["placement_type"],
                "start_date": v["start_date"],
                "deadline": v["obligation_id"].map(progress["end_date"]).fillna(v["end_date"]),
                "shortfall_eur": v["obligation_id"].map(progress["open_eur"]),
                "status": v["obligation_id"].map(progress["status"]),
            }
        )
        day = pd.Timestamp(today)
        ended = pd.to_datetime(vacancies["deadline"]) < day
        vacancies["current"] = (vacancies["open_positions"] > 0) & ~ended.fillna(False)

        o = progress.reset_index()
        regions_of = vacancies.dropna(subset=["obligation_id", "region"]).groupby("obligation_id")["region"]
        by_vacancies = regions_of.agg(lambda r: sorted(set(r)))
        own = o["obligation_id"].map(by_vacancies)
        fallback = o["contractor_id"].map(contractor_region)
        o["regions"] = [
            list(r) if isinstance(r, list) else ([f] if isinstance(f, str) else [])
            for r, f in zip(own, fallback, strict=True)
        ]
        o["contractor_name"] = o["contractor"]
        o["open_positions"] = (
            o["obligation_id"].map(vacancies.groupby("obligation_id")["open_positions"].sum()).fillna(0).astype(int)
        )
        o["shortfall_eur"] = o["open_eur"]
        o["deadline"] = o["end_date"]
        o["current"] = (pd.to_datetime(o["end_date"]) >= day) & ((o["open_positions"] > 0) | (o["open_eur"] > 0))
        return Lists(version, today, vacancies, o)


def select(
    frame: pd.DataFrame,
    *,
    region: str | None,
    sector: str | None = None,
    status: str | None = None,
    contractor_id: str | None = None,
    obligation_id: str | None = None,
    text: str | None = None,
    text_columns: tuple[str, ...] = (),
    everything: bool = False,
    sort: str = "start_date",
) -> pd.DataFrame:
    """The rows a list shows: filtered (region, sector, status, contractor, obligation, text), current
    unless ``everything``, sorted by ``sort`` (ties by id)."""
    keep = np.ones(len(frame), dtype=bool)
    if region is not None:
        where = frame["regions"] if "regions" in frame else frame["region"].map(lambda r: [r])
        keep &= where.map(lambda rs: region in rs).to_numpy(dtype=bool)
    for column, value in (
        ("sector", sector),
        ("status", status),
        ("contractor_id", contractor_id),
        ("obligation_id", obligation_id),
    ):
        if value is not None:
            keep &= (frame[column] == value).to_numpy(dtype=bool)
    if text:
        needle = text.lower()
        hit = np.zeros(len(frame), dtype=bool)
        for column in text_columns:
            hit |= frame[column].astype(str).str.lower().str.contains(needle, regex=False).to_numpy(dtype=bool)
        keep &= hit
    if not everything:
        keep &= frame["current"].to_numpy(dtype=bool)
    out = frame[keep]
    key = "vacancy_id" if "vacancy_id" in out else "obligation_id"
    if sort == "shortfall":
        return out.sort_values(["shortfall_eur", key], ascending=[False, True], na_position="last", kind="stable")
    column = "deadline" if sort == "deadline" else "start_date"
    order = pd.to_datetime(out[column])
    return (
        out.assign(_order=order).sort_values(["_order", key], na_position="last", kind="stable").drop(columns="_order")
    )


def json_rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON values: dates as ISO text, NaN and NA as null."""
    out: list[dict[str, Any]] = []
    for record in frame.to_dict(orient="records"):
        row: dict[str, Any] = {}
        for name, value in record.items():
            if isinstance(value, list):
                row[str(name)] = value
            elif value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and np.isnan(value)):
                row[str(name)] = None
            elif isinstance(value, pd.Timestamp | date):
                row[str(name)] = value.isoformat()[:10]
            elif isinstance(value, np.generic):
                row[str(name)] = value.item()
            else:
                row[str(name)] = value
        out.append(row)
    return out


__all__ = ["SORTS", "Lists", "WorklistService", "json_rows", "place_regions", "select"]
