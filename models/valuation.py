"""SROI valuation of a placement: the bouwblokken method (DOMAIN.md), with one default scheme.

Each way of filling an obligation has a notional value per year for a full-time contract, counted
pro rata to hours and months, for at most a number of years per target group. The default scheme
follows the Oost-NL table (the most complete published one) and fills its gaps from Utrecht's:

- Participatiewet (and statushouders, who receive it): 30,000 a year when the benefit is younger than
  2 years, 40,000 when older or unknown, counted for at most 2 years;
- doelgroepregister/banenafspraak, Wsw, Wajong, WIA: 40,000, counted for the whole place;
- WW: 10,000 (benefit < 1 year) or 15,000, counted 1 year; no benefit (NUG) and other: 10,000, 1 year;
- PrO/VSO pupils: 35,000, 1 year;
- a BBL place 20,000 a year and a BOL internship 10,000 a year whatever the group; a werkervaringsplek
  750 a month.

Full time is 36 hours. A place without an end date counts 12 months. The monitoring issue makes the
scheme configurable per obligation (``valuation_scheme``); until then every obligation uses this one.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from models.enums import PlacementStatus, PlacementType, TargetGroup

FULL_TIME_HOURS = 36.0
DEFAULT_MONTHS = 12.0


@dataclass(frozen=True)
class Scheme:
    """A bouwblokken scheme: yearly full-time values and how many years count, per target group."""

    name: str
    yearly: dict[str, float]
    yearly_long_benefit: dict[str, float]  # when the benefit is older than ``long_benefit_years``
    counted_years: dict[str, float | None]  # None: the whole place counts
    long_benefit_years: dict[str, float]
    placement_type_yearly: dict[str, float] = field(default_factory=dict)  # overrides the group's value
    monthly: dict[str, float] = field(default_factory=dict)  # placement types valued per month


DEFAULT_SCHEME = Scheme(
    name="standaard",
    yearly={
        TargetGroup.PARTICIPATIEWET: 30_000.0,
        TargetGroup.STATUSHOUDER: 30_000.0,
        TargetGroup.BANENAFSPRAAK: 40_000.0,
        TargetGroup.WSW: 40_000.0,
        TargetGroup.WAJONG: 40_000.0,
        TargetGroup.WIA: 40_000.0,
        TargetGroup.WW: 10_000.0,
        TargetGroup.NUG: 10_000.0,
        TargetGroup.PRO_VSO: 35_000.0,
        TargetGroup.OTHER: 10_000.0,
    },
    yearly_long_benefit={
        TargetGroup.PARTICIPATIEWET: 40_000.0,
        TargetGroup.STATUSHOUDER: 40_000.0,
        TargetGroup.WW: 15_000.0,
    },
    counted_years={
        TargetGroup.PARTICIPATIEWET: 2.0,
        TargetGroup.STATUSHOUDER: 2.0,
        TargetGroup.BANENAFSPRAAK: None,
        TargetGroup.WSW: None,
        TargetGroup.WAJONG: None,
        TargetGroup.WIA: None,
        TargetGroup.WW: 1.0,
        TargetGroup.NUG: 1.0,
        TargetGroup.PRO_VSO: 1.0,
        TargetGroup.OTHER: 1.0,
    },
    long_benefit_years={
        TargetGroup.PARTICIPATIEWET: 2.0,
        TargetGroup.STATUSHOUDER: 2.0,
        TargetGroup.WW: 1.0,
    },
    placement_type_yearly={PlacementType.BBL: 20_000.0, PlacementType.BOL_STAGE: 10_000.0},
    monthly={PlacementType.WERKERVARINGSPLEK: 750.0},
)


def placement_values(
    target_group: pd.Series | np.ndarray,
    *,
    benefit_years: pd.Series | np.ndarray,
    placement_type: pd.Series | np.ndarray,
    hours_per_week: pd.Series | np.ndarray,
    months: pd.Series | np.ndarray,
    scheme: Scheme = DEFAULT_SCHEME,
) -> np.ndarray:
    """SROI euros of placements (one per element), vectorised.

    Args:
        target_group: the candidate's target group (a value of :class:`TargetGroup`).
        benefit_years: how long the candidate has had the benefit at the start (NaN: unknown, which
            values as the longer benefit, as schemes do for a benefit without a start date).
        placement_type: the vacancy's placement type (empty: ``baan``).
        hours_per_week: hours of the place; counted pro rata to full time, at most full time.
        months: how long the place lasts (NaN: 12 months).
    """
    group = pd.Series(np.asarray(target_group, dtype=object)).fillna(TargetGroup.OTHER.value).astype(str)
    kind = pd.Series(np.asarray(placement_type, dtype=object)).fillna(PlacementType.BAAN.value).astype(str)
    years_on_benefit = np.asarray(benefit_years, dtype=float)
    hours = np.clip(np.nan_to_num(np.asarray(hours_per_week, dtype=float), nan=0.0) / FULL_TIME_HOURS, 0.0, 1.0)
    length = np.asarray(months, dtype=float)
    length = np.where(np.isnan(length) | (length <= 0), DEFAULT_MONTHS, length)

    short = group.map(scheme.yearly).fillna(scheme.yearly[TargetGroup.OTHER]).to_numpy(dtype=float)
    long_value = group.map(scheme.yearly_long_benefit).to_numpy(dtype=float)
    threshold = group.map(scheme.long_benefit_years).to_numpy(dtype=float)
    is_long = ~np.isnan(long_value) & ~(years_on_benefit < threshold)  # unknown counts as long
    yearly = np.where(is_long, long_value, short)
    by_type = kind.map(scheme.placement_type_yearly).to_numpy(dtype=float)
    yearly = np.where(np.isnan(by_type), yearly, by_type)

    cap = group.map(scheme.counted_years).to_numpy(dtype=object)
    cap_months = np.array([np.inf if pd.isna(c) else 12.0 * float(c) for c in cap], dtype=float)
    counted = np.minimum(length, cap_months)
    value = yearly * hours * counted / 12.0
    per_month = kind.map(scheme.monthly).to_numpy(dtype=float)
    value = np.where(np.isnan(per_month), value, per_month * counted)
    return np.asarray(np.round(value, 2), dtype=float)


#: Placements whose euros count as realised: accepted, started or ended.
REALISED_STATUSES = frozenset({PlacementStatus.GEACCEPTEERD, PlacementStatus.GESTART, PlacementStatus.BEEINDIGD})


def placement_months(start: pd.Series, end: pd.Series) -> np.ndarray:
    """How many months each placement or place lasts (NaN when it has no end)."""
    days = (pd.to_datetime(end) - pd.to_datetime(start)).dt.days.to_numpy(dtype=float, na_value=np.nan)
    return np.asarray(days / 30.4375, dtype=float)


def realised_euros(
    obligations: pd.DataFrame,
    placements: pd.DataFrame,
    candidates: pd.DataFrame,
    vacancies: pd.DataFrame,
    scheme: Scheme = DEFAULT_SCHEME,
) -> np.ndarray:
    """Euros each obligation (row of ``obligations``) has realised with its registered placements.

    A placement counts towards its own obligation, else its vacancy's, once it is accepted,
    started or ended. ``candidates`` and ``vacancies`` must hold those the placements name.
    """
    realised = np.zeros(len(obligations))
    done = placements[placements["status"].isin([s.value for s in REALISED_STATUSES])]
    if not len(done):
        return realised
    cand = candidates.set_index("candidate_id")
    vac = vacancies.set_index("vacancy_id")
    obligation_id = done["obligation_id"].where(
        done["obligation_id"].notna(), done["vacancy_id"].map(vac["obligation_id"])
    )
    rows = pd.Index(obligations["obligation_id"].astype(str)).get_indexer(pd.Index(obligation_id.astype(str)))
    start = pd.to_datetime(done["start_date"])
    since = pd.to_datetime(done["candidate_id"].map(cand["benefit_since"]))
    values = placement_values(
        done["candidate_id"].map(cand["target_group"]).to_numpy(dtype=object),
        benefit_years=((start - since).dt.days / 365.25).to_numpy(dtype=float, na_value=np.nan),
        placement_type=done["vacancy_id"].map(vac["placement_type"]).to_numpy(dtype=object),
        hours_per_week=done["hours_per_week"].to_numpy(dtype=float, na_value=np.nan),
        months=placement_months(done["start_date"], done["end_date"]),
        scheme=scheme,
    )
    ok = rows >= 0
    return np.bincount(rows[ok], weights=values[ok], minlength=len(obligations)).astype(float)
