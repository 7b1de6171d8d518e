"""A summary of a dataset for people: the pool, the obligations and the open places.

Returns plain data (dicts of numbers and small tables); the CLI and the API render it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from models.dataset import Dataset
from models.rules import displacement_warnings, matchable, obligation_values, open_positions


@dataclass
class DatasetSummary:
    counts: dict[str, int]
    pool: dict[str, int]
    pool_by_region: list[tuple[str, int, int]]  # region, candidates, matchable
    pool_by_target_group: list[tuple[str, int, float]]  # group, candidates, share
    profile_completeness: dict[str, float]  # field -> share of candidates with it filled
    obligations: dict[str, float]
    obligations_by_sector: list[tuple[str, int, float]]  # sector, count, euros owed
    vacancies: dict[str, int]
    open_places_by_sector: list[tuple[str, int]]
    placements: dict[str, float]
    displacement_flags: list[str] = field(default_factory=list)  # contractor names


def _share(mask: pd.Series) -> float:
    return float(mask.mean()) if len(mask) else 0.0


def summarise(ds: Dataset, today: date | None = None) -> DatasetSummary:
    """Compute the summary of ``ds``; ``today`` decides which obligations are still running."""
    cands, obl, vac, plc, con = ds.candidates, ds.obligations, ds.vacancies, ds.placements, ds.contractors
    ok = matchable(cands)
    region = cands["region"].fillna("(onbekend)")
    by_region = (
        pd.DataFrame({"region": region, "ok": ok})
        .groupby("region")
        .agg(n=("ok", "size"), m=("ok", "sum"))
        .sort_values("n", ascending=False)
    )
    groups = cands["target_group"].astype("str").value_counts()
    completeness = {
        name: _share(cands[name].notna() if cands[name].dtype != object else cands[name].map(len) > 0)
        for name in (
            "postcode",
            "skills",
            "occupations",
            "education_level",
            "certificates",
            "language_level",
            "physical_capacity",
        )
    }
    values = obligation_values(obl)
    running = obl["end_date"] >= pd.Timestamp(today) if today is not None else pd.Series(True, index=obl.index)
    sector = obl["sector"].fillna("(onbekend)")
    obligation_rows = pd.DataFrame({"sector": sector, "eur": values, "running": running})
    by_sector = (
        obligation_rows[obligation_rows["running"]]
        .groupby("sector")
        .agg(n=("eur", "size"), eur=("eur", "sum"))
        .sort_values("eur", ascending=False)
    )
    free = open_positions(vac, plc)
    vac_sector = (
        vac["obligation_id"]
        .map(obl.drop_duplicates("obligation_id").set_index("obligation_id")["sector"])
        .fillna("(onbekend)")
    )
    open_by_sector = free.groupby(vac_sector).sum().sort_values(ascending=False)
    status_counts = plc["status"].astype("str").value_counts()
    known6 = plc["retained_6m"].dropna()
    known12 = plc["retained_12m"].dropna()
    flags = con.loc[displacement_warnings(con), "name"].astype(str).tolist()
    return DatasetSummary(
        counts=ds.counts(),
        pool={
            "candidates": len(cands),
            "matchable": int(ok.sum()),
            "no_consent": int((~cands["consent"].fillna(False)).sum()),
        },
        pool_by_region=[(str(r), int(row.n), int(row.m)) for r, row in by_region.iterrows()],
        pool_by_target_group=[(str(g), int(n), n / max(len(cands), 1)) for g, n in groups.items()],
        profile_completeness=completeness,
        obligations={
            "count": len(obl),
            "running": int(running.sum()),
            "owed_eur": float(values[running].sum()),
            "contract_value_eur": float(obl.loc[running, "contract_value_eur"].sum()),
        },
        obligations_by_sector=[(str(s), int(row.n), float(row.eur)) for s, row in by_sector.iterrows()],
        vacancies={
            "count": len(vac),
            "positions": int(vac["positions"].fillna(0).sum()),
            "open_places": int(free.sum()),
            "not_additional_positions": int(
                vac.loc[~vac["additional"].fillna(False).astype(bool), "positions"].fillna(0).sum()
            ),
        },
        open_places_by_sector=[(str(s), int(n)) for s, n in open_by_sector.items() if n > 0],
        placements={
            "count": len(plc),
            **{f"status_{k}": int(v) for k, v in status_counts.items()},
            "retention_6m": float(known6.mean()) if len(known6) else float("nan"),
            "retention_12m": float(known12.mean()) if len(known12) else float("nan"),
            "labelled_6m": len(known6),
        },
        displacement_flags=flags,
    )
