"""Retention (duurzame plaatsing): how many started placements lasted 6 and 12 months.

The labels ``retained_6m`` / ``retained_12m`` of ``placements.csv`` are counted per contractor, sector,
target group and region, plus one total row. Only placements that started (status ``gestart`` or
``beeindigd``) count; labels on placements that never started are ignored, as the validator warns.
A rate is ``retained / known``: placements whose label is still unknown are left out of both.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from models.dataset import Dataset

__all__ = [
    "DIMENSIONS",
    "MIN_SAMPLE",
    "RETENTION_COLUMNS",
    "STARTED",
    "TOTAL_DIMENSION",
    "TOTAL_VALUE",
    "UNKNOWN",
    "low_sample",
    "retention_rates",
]

#: The breakdowns of the report, in report order (after the total row).
DIMENSIONS = ("contractor", "sector", "target_group", "region")
#: The ``dimension`` and ``value`` of the first row, over all started placements.
TOTAL_DIMENSION = "totaal"
TOTAL_VALUE = "alle"
#: The value of a placement whose sector, target group, region or contractor is not known.
UNKNOWN = "(onbekend)"
#: Placement statuses that mean the placement started.
STARTED = ("gestart", "beeindigd")
#: Fewer known 6-month outcomes than this make a rate unreliable (``small_sample``).
MIN_SAMPLE = 10

#: The columns of :func:`retention_rates`, in order.
RETENTION_COLUMNS = [
    "dimension",
    "value",
    "label",
    "placements",
    "known_6m",
    "retained_6m",
    "rate_6m",
    "known_12m",
    "retained_12m",
    "rate_12m",
    "small_sample",
]

_COUNTS = ["placements", "known_6m", "retained_6m", "known_12m", "retained_12m"]


def _lookup(keys: pd.Series, table: pd.DataFrame, key: str, column: str) -> np.ndarray:
    """``table[column]`` of the row whose ``key`` equals each of ``keys``, as objects (NaN when absent)."""
    index = pd.Index(table[key])
    if not index.is_unique:  # a validated dataset has unique ids; keep the first otherwise
        keep = ~index.duplicated()
        index, table = index[keep], table[keep]
    pos = index.get_indexer(keys)
    values = table[column].astype(object).to_numpy()
    out = np.full(len(keys), np.nan, dtype=object)
    found = pos >= 0
    out[found] = values[pos[found]]
    return out


def _known(values: np.ndarray) -> np.ndarray:
    """``values`` with missing entries (None, NaN) replaced by :data:`UNKNOWN`."""
    return np.asarray(pd.Series(values, dtype=object).fillna(UNKNOWN).astype(str), dtype=object)


def _started_frame(ds: Dataset) -> pd.DataFrame:
    """One row per started placement: its four keys and its label flags."""
    pl = ds.placements
    pl = pl[pl["status"].isin(STARTED).to_numpy(dtype=bool)]
    contractor = _lookup(pl["vacancy_id"], ds.vacancies, "vacancy_id", "contractor_id")
    obligation = pl["obligation_id"].astype(object).to_numpy()
    via_vacancy = _lookup(pl["vacancy_id"], ds.vacancies, "vacancy_id", "obligation_id")
    obligation = np.where(pd.isna(obligation), via_vacancy, obligation)
    sector = _lookup(pd.Series(obligation, dtype=object), ds.obligations, "obligation_id", "sector")
    target_group = _lookup(pl["candidate_id"], ds.candidates, "candidate_id", "target_group")
    region = _lookup(pl["candidate_id"], ds.candidates, "candidate_id", "region")
    r6, r12 = pl["retained_6m"], pl["retained_12m"]
    return pd.DataFrame(
        {
            "contractor": _known(contractor),
            "sector": _known(sector),
            "target_group": _known(target_group),
            "region": _known(region),
            "placements": np.ones(len(pl), dtype=np.int64),
            "known_6m": r6.notna().to_numpy(dtype=np.int64),
            "retained_6m": r6.fillna(False).to_numpy(dtype=np.int64),
            "known_12m": r12.notna().to_numpy(dtype=np.int64),
            "retained_12m": r12.fillna(False).to_numpy(dtype=np.int64),
        }
    )


def _rate(retained: pd.Series, known: pd.Series) -> pd.Series:
    k = known.to_numpy(dtype=np.float64)
    r = retained.to_numpy(dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(k > 0, r / np.where(k > 0, k, 1.0), np.nan)
    return pd.Series(rate, index=retained.index, dtype=np.float64)


def low_sample(rates: pd.DataFrame) -> pd.Series:
    """Rows whose 6-month rate rests on fewer than :data:`MIN_SAMPLE` known outcomes.

    Args:
        rates: A frame with a ``known_6m`` column, such as :func:`retention_rates` returns.

    Returns:
        A boolean series aligned with ``rates``; a report greys these rates out.
    """
    return pd.Series(rates["known_6m"].to_numpy() < MIN_SAMPLE, index=rates.index, dtype=bool)


def retention_rates(ds: Dataset) -> pd.DataFrame:
    """6- and 12-month retention of started placements, in total and per dimension value.

    The contractor of a placement is its vacancy's; the sector is that of the placement's obligation
    (else the vacancy's obligation); target group and region are the candidate's. Whatever is missing,
    including a candidate, vacancy or obligation absent from the dataset, counts under
    :data:`UNKNOWN`. Only values with at least one started placement get a row.

    Args:
        ds: The dataset.

    Returns:
        A frame with :data:`RETENTION_COLUMNS`: first the row ``("totaal", "alle")``, then the rows of
        each of :data:`DIMENSIONS` in that order, each by ``placements`` descending, then ``value``.
        ``label`` is the contractor's name for contractors, else the value. ``rate_6m`` / ``rate_12m``
        are NaN when nothing is known yet; ``small_sample`` is :func:`low_sample`.
    """
    frame = _started_frame(ds)
    total = frame[_COUNTS].sum().to_frame().T.astype(np.int64)
    total.insert(0, "value", TOTAL_VALUE)
    total.insert(0, "dimension", TOTAL_DIMENSION)
    parts = [total]
    for dimension in DIMENSIONS:
        counts = frame.groupby(dimension, sort=False)[_COUNTS].sum().astype(np.int64)
        counts = counts.rename_axis("value").reset_index()
        counts.insert(0, "dimension", dimension)
        counts = counts.sort_values(["placements", "value"], ascending=[False, True], kind="stable")
        parts.append(counts)
    out = pd.concat(parts, ignore_index=True)
    names = _lookup(out["value"], ds.contractors, "contractor_id", "name")
    is_contractor = (out["dimension"] == "contractor").to_numpy() & pd.notna(names)
    out["label"] = np.where(is_contractor, names, out["value"].to_numpy())
    out["rate_6m"] = _rate(out["retained_6m"], out["known_6m"])
    out["rate_12m"] = _rate(out["retained_12m"], out["known_12m"])
    out["small_sample"] = low_sample(out)
    for column in ("dimension", "value", "label"):
        out[column] = out[column].astype(str)
    return out[RETENTION_COLUMNS].reset_index(drop=True)
