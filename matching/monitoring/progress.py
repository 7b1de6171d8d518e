"""Obligation progress: required, realised and planned euros, a forecast range, a status.

- *scheme version*: the version of the obligation's scheme that values it (models.valuation);
- *required*: ``obligation_eur`` (or contract value × percentage) less the version's PSO discount;
- *realised*: the SROI value of placements geaccepteerd, gestart or beeindigd, and of contributions
  other than placements made by the report's day (``contributions_eur``);
- *planned*: placements still voorgesteld (a coach accepted a suggestion or a plan), contributions
  dated later and, when given, the rows of a match plan not yet registered;
- *pace*: realised euros of placements per month since the start, once the obligation has run
  :data:`PACE_MIN_MONTHS` months (before that there is no pace yet);
- *forecast*: what is secured (placements ended, or known to have lasted 6 months) plus the expected
  retention times the rest: placements still running, planned ones and the pace times the months
  left. The expected retention is the share of the contractor's started placements that lasted 6
  months (its own record, so one obligation's page and the region's report agree), with its 95%
  Wilson interval; the interval's ends give the forecast's range (low, high), the share the forecast;
- *status*: ``op schema`` (met, or the forecast reaches the requirement, or no pace yet),
  ``risico`` (the forecast reaches at least :data:`RISK_SHARE` of it) or ``achter`` (less, or the
  term ended short), with the reason in Dutch.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from matching.monitoring.retention import STARTED
from models.dataset import Dataset
from models.dutch import euros, plural
from models.enums import PlacementStatus
from models.rules import displacement_warnings, obligation_values
from models.valuation import REALISED_STATUSES, Schemes, owed_euros, value_contributions, value_registered

ON_TRACK, AT_RISK, BEHIND = "op schema", "risico", "achter"
STATUSES = (ON_TRACK, AT_RISK, BEHIND)
#: A forecast below the requirement but at least this share of it is a risk; below it, behind.
RISK_SHARE = 0.8
DAYS_PER_MONTH = 30.4375

COLUMNS = (
    "obligation_id",
    "contractor_id",
    "contractor",
    "tender_name",
    "client",
    "sector",
    "valuation_scheme",
    "scheme_version",
    "start_date",
    "end_date",
    "months_total",
    "months_elapsed",
    "months_left",
    "obligation_eur",
    "pso_discount_eur",
    "required_eur",
    "realised_eur",
    "contributions_eur",
    "planned_eur",
    "open_eur",
    "fulfilment",
    "planned_fulfilment",
    "pace_eur_per_month",
    "forecast_eur",
    "forecast_low_eur",
    "forecast_high_eur",
    "forecast_label",
    "placements_realised",
    "placements_planned",
    "displacement_warning",
    "status",
    "reason",
)


#: A forecast above this share of the requirement reads "ruim gehaald": an exact 3003% says more than
#: the estimate knows.
AMPLY_MET_SHARE = 1.5
#: An obligation has a pace once it has run this many months; before, a pace would be a guess.
PACE_MIN_MONTHS = 3.0
#: The z of the 95% interval of the expected retention.
Z95 = 1.959964


def _pct(x: float) -> str:
    return f"{100 * x:.0f}%"


def _share(x: float) -> str:
    return "ruim gehaald" if x > AMPLY_MET_SHARE else _pct(x)


def forecast_label(low: float, high: float, *, started: bool, paced: bool = True) -> str:
    """The forecast range as a coach reads it, as shares of the requirement: "87%–95%"; "ruim
    gehaald" above :data:`AMPLY_MET_SHARE`; "nog niet gestart" before the start and "nog geen tempo"
    before :data:`PACE_MIN_MONTHS` months, instead of a number."""
    if not started:
        return "nog niet gestart"
    if not paced:
        return "nog geen tempo"
    lo, hi = _share(low), _share(high)
    if lo == hi:
        return lo
    return f"{lo} tot ruim gehaald" if hi == "ruim gehaald" else f"{lo}–{hi}"


@dataclass(frozen=True)
class Retention:
    """The expected 6-month retention of a placement per contractor: the observed share and its 95%
    Wilson interval (no known outcome: 0 to 1, the share halfway)."""

    share: np.ndarray
    low: np.ndarray
    high: np.ndarray
    known: np.ndarray  # started placements whose 6-month outcome is known


def wilson(retained: np.ndarray, known: np.ndarray) -> Retention:
    """The share ``retained / known`` with its 95% Wilson interval, element-wise."""
    n = np.asarray(known, dtype=float)
    p = np.divide(retained, n, out=np.full(len(n), 0.5), where=n > 0)
    safe = np.maximum(n, 1.0)
    centre = (p + Z95**2 / (2 * safe)) / (1 + Z95**2 / safe)
    half = Z95 * np.sqrt(p * (1 - p) / safe + Z95**2 / (4 * safe * safe)) / (1 + Z95**2 / safe)
    low = np.where(n > 0, np.clip(centre - half, 0.0, 1.0), 0.0)
    high = np.where(n > 0, np.clip(centre + half, 0.0, 1.0), 1.0)
    return Retention(p, low, high, n.astype(np.int64))


def expected_retention(ds: Dataset, contractors: pd.Series) -> Retention:
    """The expected retention of each of ``contractors``: the share of its started placements (at its
    vacancies) whose 6-month outcome is known that lasted 6 months."""
    plc = ds.placements
    started = plc[plc["status"].isin(list(STARTED)) & plc["retained_6m"].notna()]
    owner = started["vacancy_id"].map(
        ds.vacancies.drop_duplicates("vacancy_id").set_index("vacancy_id")["contractor_id"]
    )
    outcome = pd.DataFrame({"contractor": owner.astype(object), "kept": started["retained_6m"].astype(bool)})
    per = outcome.groupby("contractor", sort=False)["kept"].agg(["sum", "count"])
    keys = contractors.astype(object)
    retained = keys.map(per["sum"]).fillna(0).to_numpy(dtype=float)
    known = keys.map(per["count"]).fillna(0).to_numpy(dtype=float)
    return wilson(retained, known)


def valued_placements(ds: Dataset, schemes: Schemes | None = None) -> pd.DataFrame:
    """Every registered placement with its obligation, SROI euros and the rule that produced them."""
    plc = ds.placements
    obligation_id, valuation = value_registered(plc, ds.candidates, ds.vacancies, ds.obligations, schemes, explain=True)
    return pd.DataFrame(
        {
            "placement_id": plc["placement_id"].to_numpy(dtype=object),
            "vacancy_id": plc["vacancy_id"].to_numpy(dtype=object),
            "obligation_id": obligation_id.to_numpy(dtype=object),
            "status": plc["status"].astype(object).to_numpy(dtype=object),
            "start_date": plc["start_date"].to_numpy(),
            "end_date": plc["end_date"].to_numpy(),
            "hours_per_week": plc["hours_per_week"].to_numpy(dtype=float, na_value=np.nan),
            "sroi_value_eur": valuation.euros,
            "counts": plc["status"].isin([s.value for s in REALISED_STATUSES]).to_numpy(dtype=bool),
            "rule": valuation.rules,
        }
    )


def _months(later: pd.Series | pd.Timestamp, earlier: pd.Series | pd.Timestamp) -> np.ndarray:
    delta = pd.to_datetime(later) - pd.to_datetime(earlier)
    days = delta.dt.days if isinstance(delta, pd.Series) else pd.Series([delta.days])
    return np.asarray(days.to_numpy(dtype=float, na_value=np.nan) / DAYS_PER_MONTH, dtype=float)


def obligation_progress(
    ds: Dataset,
    today: date,
    *,
    schemes: Schemes | None = None,
    plan: pd.DataFrame | None = None,
    valued: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Progress of every obligation on ``today``, one row each, in the order of :data:`COLUMNS`.

    Args:
        ds: the dataset.
        today: the day of the report.
        schemes: the valuation schemes (default: the built-in ones).
        plan: rows of a match plan (``candidate_id, vacancy_id, obligation_id, sroi_value_eur``) that
            count as planned unless the pair is already a registered placement.
        valued: :func:`valued_placements` of ``ds`` when the caller has it already.
    """
    registry = schemes or Schemes()
    obl, con = ds.obligations, ds.contractors
    n = len(obl)
    valued = valued if valued is not None else valued_placements(ds, registry)
    index = pd.Index(obl["obligation_id"].astype(str))
    rows = index.get_indexer(pd.Index(valued["obligation_id"].astype(str)))
    counts = valued["counts"].to_numpy(dtype=bool) & (rows >= 0)
    proposed = valued["status"].eq(PlacementStatus.VOORGESTELD.value).to_numpy(dtype=bool) & (rows >= 0)
    euros = valued["sroi_value_eur"].to_numpy(dtype=float)
    realised = np.bincount(rows[counts], weights=euros[counts], minlength=n).astype(float)
    plc = ds.placements
    lasted_ids = plc.loc[plc["retained_6m"].fillna(False).astype(bool).to_numpy(), "placement_id"]
    done = valued["status"].eq(PlacementStatus.BEEINDIGD.value).to_numpy(dtype=bool)
    lasted = valued["placement_id"].isin(lasted_ids).to_numpy(dtype=bool)
    sure = counts & (done | lasted)
    secured = np.bincount(rows[sure], weights=euros[sure], minlength=n).astype(float)
    planned = np.bincount(rows[proposed], weights=euros[proposed], minlength=n).astype(float)
    n_realised = np.bincount(rows[counts], minlength=n)
    n_planned = np.bincount(rows[proposed], minlength=n)
    if plan is not None and len(plan):
        registered = set(
            zip(ds.placements["candidate_id"].astype(str), ds.placements["vacancy_id"].astype(str), strict=True)
        )
        fresh = plan[
            [
                (c, v) not in registered
                for c, v in zip(plan["candidate_id"].astype(str), plan["vacancy_id"].astype(str), strict=True)
            ]
        ]
        at = index.get_indexer(pd.Index(fresh["obligation_id"].astype(str)))
        ok = at >= 0
        planned += np.bincount(at[ok], weights=fresh["sroi_value_eur"].to_numpy(dtype=float)[ok], minlength=n)
        n_planned += np.bincount(at[ok], minlength=n)

    gross = obligation_values(obl).to_numpy(dtype=float)
    required = owed_euros(obl, con, registry)
    now = pd.Timestamp(today)
    start, end = pd.to_datetime(obl["start_date"]), pd.to_datetime(obl["end_date"])
    total = np.maximum(_months(end, start), 0.0)
    elapsed = np.clip(_months(pd.Series(now, index=obl.index), start), 0.0, total)
    left = np.clip(_months(end, pd.Series(now, index=obl.index)), 0.0, None)
    paced = elapsed >= PACE_MIN_MONTHS
    pace = np.where(paced, realised / np.maximum(elapsed, 1.0), 0.0)  # of placements: contributions are one-offs
    contributed, coming = _contributions(ds, obl, index, now, registry)
    realised, planned, secured = realised + contributed, planned + coming, secured + contributed
    retention = expected_retention(ds, obl["contractor_id"])
    uncertain = realised - secured + planned + pace * left
    forecast = secured + retention.share * uncertain
    low = secured + retention.low * uncertain
    high = secured + retention.high * uncertain
    with np.errstate(divide="ignore", invalid="ignore"):
        fulfilment = np.where(required > 0, np.minimum(realised / required, 1.0), 1.0)
        planned_fulfilment = np.where(required > 0, np.minimum((realised + planned) / required, 1.0), 1.0)
        low_share = np.where(required > 0, low / required, 1.0)
        high_share = np.where(required > 0, high / required, 1.0)
    names = con.drop_duplicates("contractor_id").set_index("contractor_id")
    flagged = set(con.loc[displacement_warnings(con), "contractor_id"].astype(str))
    status, reason = _status(
        required=required,
        realised=realised,
        planned=planned,
        forecast=forecast,
        low=low,
        high=high,
        paced=paced,
        elapsed=elapsed,
        started=(start <= now).to_numpy(dtype=bool),
        ended=(end < now).to_numpy(dtype=bool),
        start=start,
        left=left,
    )
    frame = pd.DataFrame(
        {
            "obligation_id": obl["obligation_id"].to_numpy(dtype=object),
            "contractor_id": obl["contractor_id"].to_numpy(dtype=object),
            "contractor": obl["contractor_id"].map(names["name"]).to_numpy(dtype=object),
            "tender_name": obl["tender_name"].to_numpy(dtype=object),
            "client": obl["client"].to_numpy(dtype=object),
            "sector": obl["sector"].astype(object).to_numpy(dtype=object),
            "valuation_scheme": registry.for_obligations(obl),
            "scheme_version": registry.describe_obligations(obl),
            "start_date": start.dt.date.to_numpy(dtype=object),
            "end_date": end.dt.date.to_numpy(dtype=object),
            "months_total": np.round(total, 1),
            "months_elapsed": np.round(elapsed, 1),
            "months_left": np.round(left, 1),
            "obligation_eur": np.round(gross, 2),
            "pso_discount_eur": np.round(gross - required, 2),
            "required_eur": np.round(required, 2),
            "realised_eur": np.round(realised, 2),
            "contributions_eur": np.round(contributed, 2),
            "planned_eur": np.round(planned, 2),
            "open_eur": np.round(np.maximum(required - realised - planned, 0.0), 2),
            "fulfilment": np.round(fulfilment, 4),
            "planned_fulfilment": np.round(planned_fulfilment, 4),
            "pace_eur_per_month": np.round(pace, 2),
            "forecast_eur": np.round(forecast, 2),
            "forecast_low_eur": np.round(low, 2),
            "forecast_high_eur": np.round(high, 2),
            "forecast_label": [
                forecast_label(float(lo), float(hi), started=bool(began), paced=bool(p))
                for lo, hi, began, p in zip(
                    low_share, high_share, (start <= now).to_numpy(dtype=bool), paced, strict=True
                )
            ],
            "placements_realised": n_realised.astype(np.int64),
            "placements_planned": n_planned.astype(np.int64),
            "displacement_warning": obl["contractor_id"].astype(str).isin(flagged).to_numpy(dtype=bool),
            "status": status,
            "reason": reason,
        },
        columns=list(COLUMNS),
    )
    return frame.sort_values(["end_date", "obligation_id"], kind="stable").reset_index(drop=True)


def _contributions(
    ds: Dataset, obl: pd.DataFrame, index: pd.Index, now: pd.Timestamp, registry: Schemes
) -> tuple[np.ndarray, np.ndarray]:
    """Per obligation, the euros of contributions other than placements made by ``now`` (realised) and
    dated later (planned)."""
    n = len(obl)
    contrib = ds.contributions
    if not len(contrib):
        return np.zeros(n), np.zeros(n)
    valued = value_contributions(contrib, obl, registry).euros
    rows = index.get_indexer(pd.Index(contrib["obligation_id"].astype(str)))
    made = (pd.to_datetime(contrib["contribution_date"]) <= now).to_numpy(dtype=bool)
    ok = rows >= 0
    done, later = ok & made, ok & ~made
    return (
        np.bincount(rows[done], weights=valued[done], minlength=n).astype(float),
        np.bincount(rows[later], weights=valued[later], minlength=n).astype(float),
    )


def _status(
    *,
    required: np.ndarray,
    realised: np.ndarray,
    planned: np.ndarray,
    forecast: np.ndarray,
    low: np.ndarray,
    high: np.ndarray,
    paced: np.ndarray,
    elapsed: np.ndarray,
    started: np.ndarray,
    ended: np.ndarray,
    start: pd.Series,
    left: np.ndarray,
) -> tuple[list[str], list[str]]:
    status, reason = [], []
    for i in range(len(required)):
        need, got = required[i], realised[i]
        if got >= need:
            status.append(ON_TRACK)
            reason.append(f"voldaan: {euros(got)} van {euros(need)} gerealiseerd")
        elif ended[i]:
            status.append(BEHIND)
            reason.append(f"looptijd verstreken met {euros(need - got)} tekort")
        elif not started[i]:
            status.append(ON_TRACK)
            when = start.iloc[i].date().isoformat()
            reason.append(f"start op {when}; {euros(realised[i] + planned[i])} van {euros(need)} al gepland")
        elif not paced[i]:
            status.append(ON_TRACK)
            reason.append(
                f"nog geen tempo na {plural(round(float(elapsed[i])), 'maand', 'maanden')}: "
                f"{euros(realised[i])} gerealiseerd en {euros(planned[i])} gepland van {euros(need)}"
            )
        else:
            share = forecast[i] / need if need > 0 else 1.0
            gap = need - forecast[i]
            between = forecast_label(low[i] / need, high[i] / need, started=True) if need > 0 else "100%"
            if share >= 1.0:
                status.append(ON_TRACK)
                reason.append(f"prognose {between} bij het huidige tempo en behoud")
            else:
                status.append(AT_RISK if share >= RISK_SHARE else BEHIND)
                reason.append(
                    f"prognose {between}: naar verwachting {euros(gap)} tekort bij het huidige tempo en behoud, "
                    f"nog {plural(round(float(left[i])), 'maand', 'maanden')}"
                )
    return status, reason


def alerts(progress: pd.DataFrame) -> pd.DataFrame:
    """Obligations at risk or behind, the largest shortfall first."""
    flagged = progress[progress["status"].isin([AT_RISK, BEHIND])].copy()
    flagged["shortfall_eur"] = np.round(
        np.maximum(flagged["required_eur"] - np.maximum(flagged["forecast_eur"], flagged["realised_eur"]), 0.0), 2
    )
    return flagged.sort_values(["shortfall_eur", "obligation_id"], ascending=[False, True], kind="stable").reset_index(
        drop=True
    )
