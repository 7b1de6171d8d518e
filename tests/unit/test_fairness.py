"""The fairness report: pool, rates and four-fifths gaps per target group, age band and region."""

from __future__ import annotations

import math
from datetime import date

import pandas as pd
import pytest

from matching.monitoring.fairness import (
    AGE_BANDS,
    DIMENSIONS,
    FAIRNESS_COLUMNS,
    GAP_THRESHOLD,
    MIN_GROUP,
    fairness_report,
)
from models.dataset import Dataset, read_dataset
from tests.conftest import SAMPLE
from tests.unit.test_retention import dataset

TODAY = date(2026, 6, 1)

#: (target group, region, pool members, of whom placed). Pool 100, placed 20: overall rate 0.2.
GROUPS = [
    ("participatiewet", "Twente", 40, 10),  # 0.25 → ratio 1.25: on the upper bound, no gap
    ("ww", "Groningen", 25, 4),  # 0.16 → ratio 0.80: on the four-fifths bound, no gap
    ("wajong", "Groningen", 20, 3),  # 0.15 → ratio 0.75: a gap (20 members is big enough)
    ("nug", "Groningen", 10, 0),  # ratio 0, but a small group
    ("statushouder", "Twente", 5, 3),  # ratio 3, but a small group
]


def candidate(cid: str, group: str | None, region: str | None = None, birth_year: int | None = None,
              consent: bool = True) -> dict[str, object]:  # fmt: skip
    return {"candidate_id": cid, "target_group": group, "region": region, "birth_year": birth_year,
            "consent": consent}  # fmt: skip


def placed(pid: str, cid: str, status: str = "gestart") -> dict[str, object]:
    return {"placement_id": pid, "candidate_id": cid, "vacancy_id": "V1", "status": status}


def ids(group: str, n: int, prefix: str = "") -> list[str]:
    return [f"{prefix}{group}-{i}" for i in range(n)]


@pytest.fixture
def ds() -> Dataset:
    candidates, placements = [], []
    for group, region, n, k in GROUPS:
        for i, cid in enumerate(ids(group, n)):
            candidates.append(candidate(cid, group, region))
            if i < k:
                placements.append(placed(f"P-{cid}", cid, ("geaccepteerd", "gestart", "beeindigd")[i % 3]))
    placements.append(placed("P-twice", "participatiewet-0", "beeindigd"))  # placed twice counts once
    placements.append(placed("P-proposed", "nug-0", "voorgesteld"))  # only proposed: not placed
    for cid in ids("wajong", 5, prefix="x"):  # no consent: stored, placed even, but outside the pool
        candidates.append(candidate(cid, "wajong", "Groningen", consent=False))
        placements.append(placed(f"P-{cid}", cid))
    return dataset(candidates=candidates, placements=placements)


def row(report: pd.DataFrame, dimension: str, group: str) -> pd.Series:
    found = report[(report["dimension"] == dimension) & (report["group"] == group)]
    assert len(found) == 1, (dimension, group)
    return found.iloc[0]


def test_columns_and_order(ds: Dataset) -> None:
    report = fairness_report(ds, TODAY)
    assert list(report.columns) == FAIRNESS_COLUMNS
    assert list(report["dimension"].drop_duplicates()) == list(DIMENSIONS)
    groups = report.loc[report["dimension"] == "target_group", "group"]
    assert list(groups) == ["participatiewet", "ww", "wajong", "nug", "statushouder"]  # pool descending
    assert list(report.loc[report["dimension"] == "region", "group"]) == ["Groningen", "Twente"]  # 55, 45
    assert list(report.loc[report["dimension"] == "age_band", "group"]) == ["(onbekend)"]  # no birth years


def test_pool_is_the_consenting_candidates_and_rates_are_per_group(ds: Dataset) -> None:
    report = fairness_report(ds, TODAY)
    tg = report[report["dimension"] == "target_group"]
    assert list(tg["pool"]) == [40, 25, 20, 10, 5]
    assert list(tg["placed"]) == [10, 4, 3, 0, 3]
    assert tg["pool"].sum() == 100  # the 5 without consent are outside the pool, placed or not
    assert list(tg["pool_share"]) == pytest.approx([0.4, 0.25, 0.2, 0.1, 0.05])
    assert list(tg["placement_rate"]) == pytest.approx([0.25, 0.16, 0.15, 0.0, 0.6])
    assert list(tg["placement_ratio"]) == pytest.approx([1.25, 0.8, 0.75, 0.0, 3.0])
    assert list(tg["placed_share"]) == pytest.approx([0.5, 0.2, 0.15, 0.0, 0.15])
    for dimension in DIMENSIONS:
        part = report[report["dimension"] == dimension]
        assert part["pool"].sum() == 100
        assert part["placed_share"].sum() == pytest.approx(1.0)


def test_the_four_fifths_rule_flags_groups_beyond_the_bounds(ds: Dataset) -> None:
    assert GAP_THRESHOLD == 0.8
    report = fairness_report(ds, TODAY)
    assert not row(report, "target_group", "participatiewet")["gap"]  # exactly 1.25
    assert not row(report, "target_group", "ww")["gap"]  # exactly 0.8
    wajong = row(report, "target_group", "wajong")
    assert wajong["gap"]
    assert not wajong["small_group"]
    assert wajong["note"] == "Wajong: plaatsingskans 0,75× het gemiddelde (15,0% tegen 20,0%)"
    assert row(report, "target_group", "ww")["note"] == ""
    # regions: Twente 13 of 45 placed (1.44×), Groningen 7 of 55 (0.64×): both flagged
    twente, groningen = row(report, "region", "Twente"), row(report, "region", "Groningen")
    assert twente["gap"]
    assert groningen["gap"]
    assert twente["placement_ratio"] == pytest.approx((13 / 45) / 0.2)
    assert twente["note"] == "Twente: plaatsingskans 1,44× het gemiddelde (28,9% tegen 20,0%)"


def test_small_groups_are_never_flagged(ds: Dataset) -> None:
    assert MIN_GROUP == 20
    report = fairness_report(ds, TODAY)
    for group in ("nug", "statushouder"):  # ratios 0 and 3, but 10 and 5 members
        r = row(report, "target_group", group)
        assert r["small_group"]
        assert not r["gap"]
        assert r["note"] == ""
    assert not row(report, "target_group", "wajong")["small_group"]  # exactly MIN_GROUP members counts


def test_without_suggestions_or_plan_their_rates_are_missing(ds: Dataset) -> None:
    report = fairness_report(ds, TODAY)
    for column in ("suggested", "planned"):
        assert report[column].isna().all()
    for column in ("suggestion_rate", "suggestion_ratio", "plan_rate", "plan_ratio"):
        assert report[column].isna().all()
        assert report[column].dtype == "float64"


def test_suggestions_and_plan_are_counted_within_the_pool(ds: Dataset) -> None:
    suggested = set(ids("participatiewet", 40) + ids("ww", 25) + ids("wajong", 5, prefix="x"))
    planned = ids("participatiewet", 10) + ids("ww", 10)  # 20 of 100 planned
    report = fairness_report(ds, TODAY, suggested=suggested, planned=planned)
    tg = report[report["dimension"] == "target_group"]
    assert list(tg["suggested"]) == [40, 25, 0, 0, 0]  # the candidates without consent do not count
    assert list(tg["suggestion_rate"]) == pytest.approx([1.0, 1.0, 0.0, 0.0, 0.0])
    assert list(tg["suggestion_ratio"]) == pytest.approx([1 / 0.65, 1 / 0.65, 0.0, 0.0, 0.0])
    assert list(tg["planned"]) == [10, 10, 0, 0, 0]
    assert list(tg["plan_ratio"]) == pytest.approx([1.25, 2.0, 0.0, 0.0, 0.0])
    participatiewet = row(report, "target_group", "participatiewet")
    assert participatiewet["gap"]  # over-represented in the suggestions; plan ratio 1.25 is on the bound
    assert participatiewet["note"] == "Participatiewet: voorstelkans 1,54× het gemiddelde (100,0% tegen 65,0%)"
    wajong = row(report, "target_group", "wajong")
    assert wajong["note"] == (
        "Wajong: voorstelkans 0,00× het gemiddelde (0,0% tegen 65,0%); kans op een plek in het plan 0,00× het "
        "gemiddelde (0,0% tegen 20,0%); plaatsingskans 0,75× het gemiddelde (15,0% tegen 20,0%)"
    )


def test_age_bands_at_their_boundaries() -> None:
    years = {"a26": 2000, "a27": 1999, "a49": 1977, "a50": 1976, "a54": 1972, "a55": 1971, "none": None}
    ds = dataset(candidates=[candidate(cid, "ww", "Twente", year) for cid, year in years.items()])
    report = fairness_report(ds, TODAY, suggested=["a26", "a50"])
    ages = report[report["dimension"] == "age_band"]
    assert list(ages["group"]) == list(AGE_BANDS)  # band order, not pool order
    assert list(ages["pool"]) == [1, 2, 2, 1, 1]
    assert list(ages["suggested"]) == [1, 0, 1, 0, 0]
    # the age is taken at today's year, whatever the day
    same = fairness_report(ds, date(2026, 12, 31), suggested=["a26", "a50"])
    pd.testing.assert_frame_equal(report, same)
    later = fairness_report(ds, date(2027, 1, 1))
    bands = later[later["dimension"] == "age_band"]
    # a year on, 26 → 27, 49 → 50 and 54 → 55; the empty band "<27" has no row
    assert dict(zip(bands["group"], bands["pool"], strict=True)) == {"27-49": 2, "50-54": 2, "55+": 2, "(onbekend)": 1}


def test_unknown_target_group_and_region_have_their_own_group() -> None:
    ds = dataset(candidates=[candidate("K1", None, None, 1990), candidate("K2", "ww", "Twente", 1990)])
    report = fairness_report(ds, TODAY)
    assert row(report, "target_group", "(onbekend)")["pool"] == 1
    assert row(report, "region", "(onbekend)")["pool"] == 1
    assert report["small_group"].all()
    assert not report["gap"].any()


def test_no_placements_gives_missing_ratios_and_no_gaps() -> None:
    ds = dataset(candidates=[candidate(f"K{i}", "ww", "Twente", 1990) for i in range(30)])
    report = fairness_report(ds, TODAY)
    assert (report["placed"] == 0).all()
    assert report["placement_ratio"].isna().all()
    assert report["placed_share"].isna().all()
    assert not report["gap"].any()


def test_an_empty_pool_gives_an_empty_report() -> None:
    ds = dataset(candidates=[candidate("K1", "ww", "Twente", 1990, consent=False)])
    report = fairness_report(ds, TODAY, suggested=["K1"])
    assert list(report.columns) == FAIRNESS_COLUMNS
    assert report.empty


def test_the_sample_world_has_a_row_for_every_target_group_in_the_pool() -> None:
    sample = read_dataset(SAMPLE)
    pool = sample.candidates[sample.candidates["consent"].fillna(False).astype(bool)]
    report = fairness_report(sample, TODAY, suggested=set(pool["candidate_id"].iloc[::2]))
    tg = report[report["dimension"] == "target_group"]
    assert set(tg["group"]) == set(pool["target_group"].astype(str))
    counts = pool["target_group"].astype(str).value_counts()
    assert dict(zip(tg["group"], tg["pool"], strict=True)) == counts.to_dict()
    assert len(pool) < len(sample.candidates)  # the sample has candidates without consent
    for dimension in DIMENSIONS:
        part = report[report["dimension"] == dimension]
        assert part["pool"].sum() == len(pool)
        assert part["pool_share"].sum() == pytest.approx(1.0)
        assert part["suggested"].sum() == math.ceil(len(pool) / 2)
    notes = report.loc[report["gap"], "note"]
    assert (notes != "").all()
    assert (report.loc[~report["gap"], "note"] == "").all()


def test_rates_with_intervals_equal_the_reports_rates_and_hold_them(ds: Dataset) -> None:
    from matching.monitoring.fairness import INTERVAL_COLUMNS, rate_intervals

    suggested = ids("participatiewet", 30) + ids("ww", 5)
    out = rate_intervals(ds, TODAY, suggested=suggested, n_boot=40, seed=3)
    assert list(out.columns) == INTERVAL_COLUMNS
    assert set(out["measure"]) == {"suggestion_rate", "placement_rate"}  # no plan given: no plan rate
    report = fairness_report(ds, TODAY, suggested=suggested).set_index(["dimension", "group"])
    for r in out.to_dict(orient="records"):
        expected = report.loc[(r["dimension"], r["group"])]
        assert r["rate"] == pytest.approx(expected[r["measure"]])
        assert r["ci_low"] <= r["rate"] + 1e-12 <= r["ci_high"] + 2e-12
        assert r["pool"] == expected["pool"]
    wajong = out[(out["group"] == "wajong") & (out["measure"] == "placement_rate")].iloc[0]
    assert wajong["gap"]  # 0.75× the overall rate in a group of 20: the four-fifths rule, for this measure
    assert wajong["ci_high"] > wajong["ci_low"]
    again = rate_intervals(ds, TODAY, suggested=suggested, n_boot=40, seed=3)
    pd.testing.assert_frame_equal(out, again)  # seeded: the same intervals
