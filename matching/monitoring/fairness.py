"""Fairness report: who gets suggested, planned and placed, against their share of the pool.

Matching people to work is high-risk AI under the EU AI Act, so every run can be checked for groups
that are left behind. Per target group, age band and region the report gives the pool, the
suggestion, plan and placement rates, each rate as a ratio to the pool's overall rate, and flags a
gap by the four-fifths rule: a ratio below :data:`GAP_THRESHOLD` or above its inverse. Groups smaller
than :data:`MIN_GROUP` are reported but never flagged; their rates are noise.

The pool is the candidates who consented to be matched; the others are stored but never matched.
Age (from ``birth_year``) is used here and for age bonuses only, never as a match feature.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date

import numpy as np
import pandas as pd
from fairlearn.metrics import MetricFrame

from models.dataset import Dataset

__all__ = [
    "AGE_BANDS",
    "DIMENSIONS",
    "FAIRNESS_COLUMNS",
    "GAP_THRESHOLD",
    "INTERVAL_COLUMNS",
    "MIN_GROUP",
    "PLACED",
    "UNKNOWN",
    "fairness_report",
    "pool_members",
    "rate_intervals",
]

#: Age bands, youngest first (ages at ``today.year``: up to 26, 27 to 49, 50 to 54, 55 and over).
AGE_BANDS = ("<27", "27-49", "50-54", "55+", "(onbekend)")
#: The four-fifths rule: a rate below 0.8× (or above 1.25×) the overall rate is a gap.
GAP_THRESHOLD = 0.8
#: Groups with fewer pool members are never flagged (``small_group``).
MIN_GROUP = 20
#: The breakdowns of the report, in report order.
DIMENSIONS = ("target_group", "age_band", "region")
#: The group of candidates whose target group, age or region is not known.
UNKNOWN = "(onbekend)"
#: Placement statuses that count as placed.
PLACED = ("geaccepteerd", "gestart", "beeindigd")

#: The columns of :func:`fairness_report`, in order.
FAIRNESS_COLUMNS = [
    "dimension",
    "group",
    "pool",
    "pool_share",
    "suggested",
    "suggestion_rate",
    "suggestion_ratio",
    "planned",
    "plan_rate",
    "plan_ratio",
    "placed",
    "placement_rate",
    "placement_ratio",
    "placed_share",
    "small_group",
    "gap",
    "note",
]

_TARGET_GROUP_LABELS = {
    "participatiewet": "Participatiewet",
    "banenafspraak": "Banenafspraak",
    "wajong": "Wajong",
    "wia": "WIA",
    "wsw": "Wsw",
    "ww": "WW",
    "nug": "NUG",
    "pro_vso": "PrO/VSO",
    "statushouder": "Statushouder",
    "other": "Overig",
}
#: (count column, rate column, ratio column, Dutch name of the rate in a note).
_MEASURES = (
    ("suggested", "suggestion_rate", "suggestion_ratio", "voorstelkans"),
    ("planned", "plan_rate", "plan_ratio", "kans op een plek in het plan"),
    ("placed", "placement_rate", "placement_ratio", "plaatsingskans"),
)
#: Ratios within this distance of a threshold count as on it (0.2 / 0.25 is not below 0.8).
_EPS = 1e-9


def _age_band(birth_year: pd.Series, today: date) -> np.ndarray:
    age = today.year - birth_year.to_numpy(dtype=np.float64, na_value=np.nan)
    bands = np.select(
        [np.isnan(age), age < 27, age < 50, age < 55],
        [AGE_BANDS[4], AGE_BANDS[0], AGE_BANDS[1], AGE_BANDS[2]],
        default=AGE_BANDS[3],
    )
    return np.asarray(bands, dtype=object)


def _text(values: pd.Series) -> np.ndarray:
    return np.asarray(values.astype(object).fillna(UNKNOWN).astype(str), dtype=object)


def _label(dimension: str, group: str) -> str:
    if dimension == "target_group":
        return "Doelgroep onbekend" if group == UNKNOWN else _TARGET_GROUP_LABELS.get(group, group)
    if dimension == "age_band":
        return "Leeftijd onbekend" if group == UNKNOWN else f"Leeftijd {group}"
    return "Regio onbekend" if group == UNKNOWN else group


def _dutch(value: float, spec: str) -> str:
    return format(value, spec).replace(".", ",")


def _divide(num: np.ndarray, den: np.ndarray | float) -> np.ndarray:
    num = np.asarray(num, dtype=np.float64)
    den = np.broadcast_to(np.asarray(den, dtype=np.float64), num.shape)
    out = np.full(num.shape, np.nan)
    ok = den > 0
    out[ok] = num[ok] / den[ok]
    return out


def _off(ratio: np.ndarray, small: np.ndarray) -> np.ndarray:
    """The four-fifths rule: a ratio below :data:`GAP_THRESHOLD` or above its inverse, in a group that is not small."""
    with np.errstate(invalid="ignore"):
        off = (ratio < GAP_THRESHOLD - _EPS) | (ratio > 1 / GAP_THRESHOLD + _EPS)
    return np.asarray(off & ~small, dtype=bool)


def _member(ids: pd.Series, chosen: Collection[str] | None) -> np.ndarray | None:
    if chosen is None:
        return None
    return ids.isin(list(chosen)).to_numpy(dtype=bool)


def pool_members(
    ds: Dataset,
    today: date,
    *,
    suggested: Collection[str] | None = None,
    planned: Collection[str] | None = None,
) -> tuple[pd.DataFrame, list[str]]:
    """One row per pool member: their group in each of :data:`DIMENSIONS`, ``pool`` (1) and, as 0/1, whether
    they were ``suggested``, ``planned`` (left out when the argument is ``None``) and ``placed``; and the
    count columns present. The one definition of who is in the pool, in which group, and what counts."""
    cand = ds.candidates
    pool = cand[cand["consent"].fillna(False).to_numpy(dtype=bool)]
    ids = pool["candidate_id"]
    pl = ds.placements
    placed_ids = pl.loc[pl["status"].isin(PLACED).to_numpy(dtype=bool), "candidate_id"]
    flags: dict[str, np.ndarray | None] = {
        "suggested": _member(ids, suggested),
        "planned": _member(ids, planned),
        "placed": ids.isin(placed_ids).to_numpy(dtype=bool),
    }
    members = pd.DataFrame(
        {
            "target_group": _text(pool["target_group"]),
            "age_band": _age_band(pool["birth_year"], today),
            "region": _text(pool["region"]),
            "pool": np.ones(len(pool), dtype=np.int64),
        }
    )
    counted = ["pool"]
    for name, flag in flags.items():
        if flag is not None:
            members[name] = flag.astype(np.int64)
            counted.append(name)
    return members, counted


def fairness_report(
    ds: Dataset,
    today: date,
    *,
    suggested: Collection[str] | None = None,
    planned: Collection[str] | None = None,
) -> pd.DataFrame:
    """Suggestion, plan and placement rates per target group, age band and region, with gaps flagged.

    Args:
        ds: The dataset; its candidates with ``consent`` true form the pool.
        today: The day the ages are taken on (age = ``today.year - birth_year``).
        suggested: Ids of the candidates that were suggested (e.g. the union of suggestion lists);
            ``None`` leaves ``suggested`` and its rate and ratio missing.
        planned: Ids of the candidates that got a place in a match plan; ``None`` as for ``suggested``.

    Returns:
        A frame with :data:`FAIRNESS_COLUMNS`, one row per (dimension, group) with at least one pool
        member: the dimensions in :data:`DIMENSIONS` order, age bands in :data:`AGE_BANDS` order, other
        groups by ``pool`` descending, then name. A candidate is ``placed`` with a placement of status
        ``geaccepteerd``, ``gestart`` or ``beeindigd``. Each ``*_ratio`` is the group's rate over the
        pool's overall rate (NaN when that is zero or unknown). ``gap`` is true when a group of at
        least :data:`MIN_GROUP` has a ratio below :data:`GAP_THRESHOLD` or above its inverse, and
        ``note`` then says so in Dutch; it is empty otherwise. Ids outside the pool are not counted.
    """
    members, counted = pool_members(ds, today, suggested=suggested, planned=planned)
    n_pool = len(members)
    overall = {name: _divide(np.array([members[name].sum()]), n_pool)[0] for name in counted[1:]}

    parts = []
    for dimension in DIMENSIONS:
        counts = members.groupby(dimension, sort=False)[counted].sum().rename_axis("group").reset_index()
        if dimension == "age_band":
            counts["order"] = counts["group"].map({band: i for i, band in enumerate(AGE_BANDS)})
            counts = counts.sort_values("order", kind="stable").drop(columns="order")
        else:
            counts = counts.sort_values(["pool", "group"], ascending=[False, True], kind="stable")
        counts.insert(0, "dimension", dimension)
        parts.append(counts)
    out = pd.concat(parts, ignore_index=True)

    size = out["pool"].to_numpy(dtype=np.float64)
    out["pool_share"] = _divide(size, n_pool)
    out["small_group"] = size < MIN_GROUP
    gap = np.zeros(len(out), dtype=bool)
    notes: list[list[str]] = [[] for _ in range(len(out))]
    for count, rate, ratio, term in _MEASURES:
        if count not in overall:
            out[count] = pd.array([pd.NA] * len(out), dtype="Int64")
            out[rate] = np.nan
            out[ratio] = np.nan
            continue
        out[count] = out[count].astype(np.int64 if count == "placed" else "Int64")
        out[rate] = _divide(out[count].to_numpy(), size)
        out[ratio] = _divide(out[rate].to_numpy(), overall[count])
        r = out[ratio].to_numpy()
        rates = out[rate].to_numpy()
        off = _off(r, out["small_group"].to_numpy(dtype=bool))
        gap |= off
        for i in np.flatnonzero(off):
            notes[i].append(
                f"{term} {_dutch(float(r[i]), '.2f')}× het gemiddelde "
                f"({_dutch(float(rates[i]), '.1%')} tegen {_dutch(overall[count], '.1%')})"
            )
    total_placed = out.loc[out["dimension"] == DIMENSIONS[0], "placed"].sum()
    out["placed_share"] = _divide(out["placed"].to_numpy(), float(total_placed))
    out["gap"] = gap
    out["note"] = [
        f"{_label(d, g)}: {'; '.join(n)}" if n else ""
        for d, g, n in zip(out["dimension"], out["group"], notes, strict=True)
    ]
    for column in ("dimension", "group", "note"):
        out[column] = out[column].astype(str)
    return out[FAIRNESS_COLUMNS].reset_index(drop=True)


#: The columns of :func:`rate_intervals`, in order.
INTERVAL_COLUMNS = [
    "dimension",
    "group",
    "pool",
    "measure",
    "rate",
    "ci_low",
    "ci_high",
    "overall_rate",
    "ratio",
    "small_group",
    "gap",
]


def _share(y_true: np.ndarray, y_pred: np.ndarray, flags: np.ndarray) -> float:
    """The share of ``flags`` that are 1: a rate as a fairlearn metric that reads its own column."""
    return float(np.mean(flags)) if len(flags) else float("nan")


def rate_intervals(
    ds: Dataset,
    today: date,
    *,
    suggested: Collection[str] | None = None,
    planned: Collection[str] | None = None,
    n_boot: int = 100,
    level: float = 0.95,
    seed: int = 0,
) -> pd.DataFrame:
    """Each group's suggestion, plan and placement rate with a bootstrap confidence interval, beside the
    four-fifths check of :func:`fairness_report`.

    The rates come from fairlearn's :class:`~fairlearn.metrics.MetricFrame` over the pool of
    :func:`pool_members` (so they equal :func:`fairness_report`'s), one frame per dimension; ``n_boot``
    bootstrap resamples of the pool (seeded by ``seed``) give the ``level`` interval ``ci_low``..``ci_high``.
    A measure whose ids are not given (``suggested``/``planned`` ``None``) is left out. ``ratio`` and
    ``small_group`` are :func:`fairness_report`'s; ``gap`` is its four-fifths rule for this measure alone.
    """
    members, counted = pool_members(ds, today, suggested=suggested, planned=planned)
    if not len(members):
        return pd.DataFrame(columns=INTERVAL_COLUMNS)
    checked = fairness_report(ds, today, suggested=suggested, planned=planned).set_index(["dimension", "group"])
    measures = [(count, rate, ratio) for count, rate, ratio, _ in _MEASURES if count in counted]
    tail = (1 - level) / 2
    rows: list[dict[str, object]] = []
    for dimension in DIMENSIONS:
        first = members[measures[0][0]].to_numpy(dtype=np.int64)
        frame = MetricFrame(
            metrics={rate: _share for _, rate, _ in measures},
            y_true=first,
            y_pred=first,
            sensitive_features=pd.Series(members[dimension].to_numpy(), name=dimension),
            sample_params={rate: {"flags": members[count].to_numpy(dtype=np.int64)} for count, rate, _ in measures},
            n_boot=n_boot,
            ci_quantiles=[tail, 1 - tail],
            random_state=seed,
        )
        low, high = frame.by_group_ci
        for _, rate, ratio in measures:
            for group in checked.loc[dimension].index:
                row = checked.loc[(dimension, group)]
                rows.append(
                    {
                        "dimension": dimension,
                        "group": group,
                        "pool": int(row["pool"]),
                        "measure": rate,
                        "rate": float(frame.by_group.at[group, rate]),
                        "ci_low": float(low.at[group, rate]),
                        "ci_high": float(high.at[group, rate]),
                        "overall_rate": float(frame.overall[rate]),
                        "ratio": float(row[ratio]),
                        "small_group": bool(row["small_group"]),
                        "gap": bool(_off(np.array([float(row[ratio])]), np.array([bool(row["small_group"])]))[0]),
                    }
                )
    return pd.DataFrame(rows, columns=INTERVAL_COLUMNS)
