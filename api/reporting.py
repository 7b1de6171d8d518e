"""The monitoring report from the store or a dataset folder: what the CLI and the API share."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
from sqlalchemy import select

from api.loaders import read_pairs, read_postcodes
from matching.geo import PostcodeTable
from matching.monitoring.report import Report, build_report
from models.dataset import read_dataset
from models.errors import KoppelaarError
from models.store import Store
from models.store import tables as t
from models.valuation import Schemes

PLAN_COLUMNS = ("candidate_id", "vacancy_id", "obligation_id", "sroi_value_eur")


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


def _postcodes(postcodes: Path | None) -> PostcodeTable | None:
    return read_postcodes(postcodes) if postcodes is not None else None


def folder_report(
    dataset: Path, today: date, schemes: Schemes, plan: Path | None = None, postcodes: Path | None = None
) -> Report:
    """The report of a dataset folder, with a match plan's rows as planned when given."""
    plan_rows = read_plan(plan) if plan is not None else None
    ds = read_dataset(dataset)
    return build_report(ds, today, schemes=schemes, plan=plan_rows, postcodes=_postcodes(postcodes))


def store_report(
    store: Store, today: date, schemes: Schemes, region: str | None = None, postcodes: Path | None = None
) -> Report:
    """The report of the stored data for one region (or all).

    Suggestions are those the audit log recorded as shown to a coach; the plan rate counts the
    candidates in finished match runs. Planned euros are the placements still voorgesteld (an
    accepted suggestion or plan row is registered as such).
    """
    ds = store.load_dataset(region)
    with store.connect() as conn:
        shown = (
            select(t.audit_candidates.c.candidate_id)
            .join(t.audit_events, t.audit_events.c.event_id == t.audit_candidates.c.event_id)
            .where(t.audit_events.c.action.like("suggest for %"))
            .distinct()
        )
        in_runs = (
            select(t.run_plan.c.candidate_id)
            .join(t.match_runs, t.match_runs.c.run_id == t.run_plan.c.run_id)
            .where(t.match_runs.c.status == "done")
            .distinct()
        )
        suggested = {str(r[0]) for r in conn.execute(shown)}
        planned = {str(r[0]) for r in conn.execute(in_runs)}
    return build_report(
        ds,
        today,
        schemes=schemes,
        region=region,
        suggested=suggested,
        planned=planned,
        postcodes=_postcodes(postcodes),
    )
