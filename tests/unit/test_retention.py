"""Retention rates per contractor, sector, target group and region, on a hand-computed dataset."""

from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd
import pytest

from matching.monitoring.retention import (
    DIMENSIONS,
    MIN_SAMPLE,
    RETENTION_COLUMNS,
    low_sample,
    retention_rates,
)
from models.dataset import Dataset, read_dataset, table_from_records
from tests.conftest import SAMPLE

Rows = Sequence[dict[str, object]]


def dataset(
    *,
    contractors: Rows = (),
    obligations: Rows = (),
    vacancies: Rows = (),
    candidates: Rows = (),
    placements: Rows = (),
) -> Dataset:
    """A typed dataset from plain rows (absent columns are empty cells; not validated)."""
    return Dataset(
        contractors=table_from_records("contractors", list(contractors)),
        obligations=table_from_records("obligations", list(obligations)),
        vacancies=table_from_records("vacancies", list(vacancies)),
        candidates=table_from_records("candidates", list(candidates)),
        placements=table_from_records("placements", list(placements)),
    )


def placement(pid: str, candidate: str, vacancy: str, status: str, r6: bool | None = None, r12: bool | None = None,
              obligation: str | None = None) -> dict[str, object]:  # fmt: skip
    return {"placement_id": pid, "candidate_id": candidate, "vacancy_id": vacancy, "obligation_id": obligation,
            "status": status, "retained_6m": r6, "retained_12m": r12}  # fmt: skip


@pytest.fixture
def ds() -> Dataset:
    return dataset(
        contractors=[{"contractor_id": "C1", "name": "Bouw BV"}, {"contractor_id": "C2", "name": "Groen BV"}],
        obligations=[
            {"obligation_id": "O1", "contractor_id": "C1", "sector": "bouw"},
            {"obligation_id": "O2", "contractor_id": "C2", "sector": None},
        ],
        vacancies=[
            {"vacancy_id": "V1", "contractor_id": "C1", "obligation_id": "O1"},
            {"vacancy_id": "V2", "contractor_id": "C2", "obligation_id": None},
            {"vacancy_id": "V3", "contractor_id": "C2", "obligation_id": "O2"},
        ],
        candidates=[
            {"candidate_id": "K1", "target_group": "wajong", "region": "Groningen", "consent": True},
            {"candidate_id": "K2", "target_group": "ww", "region": None, "consent": True},
            {"candidate_id": "K3", "target_group": "participatiewet", "region": "Twente", "consent": True},
        ],
        placements=[
            placement("P1", "K1", "V1", "gestart", True, True),  # sector via the vacancy's obligation
            placement("P2", "K2", "V2", "beeindigd", False, False, obligation="O1"),  # its own obligation
            placement("P3", "K3", "V2", "gestart", True, None),  # no obligation at all: sector unknown
            placement("P4", "K9", "V3", "beeindigd"),  # candidate not in the dataset; O2 has no sector
            placement("P5", "K1", "V1", "voorgesteld", True, True),  # never started: not counted
            placement("P6", "K2", "V1", "geaccepteerd"),
        ],
    )


def rows(rates: pd.DataFrame, dimension: str) -> list[tuple[object, ...]]:
    part = rates[rates["dimension"] == dimension]
    cols = ["value", "placements", "known_6m", "retained_6m", "known_12m", "retained_12m"]
    return [tuple(r) for r in part[cols].itertuples(index=False)]


def test_the_columns_and_the_total_row_come_first(ds: Dataset) -> None:
    rates = retention_rates(ds)
    assert list(rates.columns) == RETENTION_COLUMNS
    assert list(rates["dimension"].drop_duplicates()) == ["totaal", *DIMENSIONS]
    total = rates.iloc[0]
    assert (total["dimension"], total["value"], total["label"]) == ("totaal", "alle", "alle")
    # only P1-P4 started: 6m known for P1-P3 (2 retained), 12m known for P1, P2 (1 retained)
    assert (total["placements"], total["known_6m"], total["retained_6m"]) == (4, 3, 2)
    assert (total["known_12m"], total["retained_12m"]) == (2, 1)
    assert total["rate_6m"] == pytest.approx(2 / 3)
    assert total["rate_12m"] == pytest.approx(0.5)


def test_contractors_are_the_vacancys_and_carry_their_name(ds: Dataset) -> None:
    rates = retention_rates(ds)
    assert rows(rates, "contractor") == [("C2", 3, 2, 1, 1, 0), ("C1", 1, 1, 1, 1, 1)]
    part = rates[rates["dimension"] == "contractor"]
    assert list(part["label"]) == ["Groen BV", "Bouw BV"]
    assert list(part["rate_6m"]) == [0.5, 1.0]
    assert list(part["rate_12m"]) == [0.0, 1.0]


def test_sector_comes_from_the_placement_else_the_vacancy_obligation(ds: Dataset) -> None:
    rates = retention_rates(ds)
    # P1 (via V1's O1) and P2 (its own O1) are bouw; P3 (no obligation) and P4 (O2 without sector) unknown
    assert rows(rates, "sector") == [("(onbekend)", 2, 1, 1, 0, 0), ("bouw", 2, 2, 1, 2, 1)]
    unknown = rates[(rates["dimension"] == "sector") & (rates["value"] == "(onbekend)")].iloc[0]
    assert unknown["rate_6m"] == 1.0
    assert math.isnan(unknown["rate_12m"])  # nothing known after 12 months
    assert unknown["label"] == "(onbekend)"


def test_target_group_and_region_are_the_candidates_with_unknown_buckets(ds: Dataset) -> None:
    rates = retention_rates(ds)
    # one placement each, so ordered by value; P4's candidate is missing
    assert rows(rates, "target_group") == [
        ("(onbekend)", 1, 0, 0, 0, 0),
        ("participatiewet", 1, 1, 1, 0, 0),
        ("wajong", 1, 1, 1, 1, 1),
        ("ww", 1, 1, 0, 1, 0),
    ]
    # K2 has no region and K9 does not exist: both unknown, and the biggest group comes first
    assert rows(rates, "region") == [
        ("(onbekend)", 2, 1, 0, 1, 0),
        ("Groningen", 1, 1, 1, 1, 1),
        ("Twente", 1, 1, 1, 0, 0),
    ]


def test_each_dimension_adds_up_to_the_total(ds: Dataset) -> None:
    rates = retention_rates(ds)
    total = rates.iloc[0]
    for dimension in DIMENSIONS:
        part = rates[rates["dimension"] == dimension]
        for col in ("placements", "known_6m", "retained_6m", "known_12m", "retained_12m"):
            assert part[col].sum() == total[col], (dimension, col)


def test_small_samples_are_marked() -> None:
    frame = pd.DataFrame({"known_6m": [0, MIN_SAMPLE - 1, MIN_SAMPLE, 50]})
    assert list(low_sample(frame)) == [True, True, False, False]
    assert MIN_SAMPLE == 10


def test_a_contractor_with_ten_known_outcomes_is_not_a_small_sample() -> None:
    ds = dataset(
        contractors=[{"contractor_id": "C1", "name": "Bouw BV"}],
        vacancies=[{"vacancy_id": "V1", "contractor_id": "C1"}],
        candidates=[{"candidate_id": f"K{i}", "target_group": "ww", "consent": True} for i in range(11)],
        placements=[placement(f"P{i}", f"K{i}", "V1", "beeindigd", i < 7, None) for i in range(10)]
        + [placement("P10", "K10", "V1", "gestart")],
    )
    rates = retention_rates(ds)
    c1 = rates[rates["dimension"] == "contractor"].iloc[0]
    assert (c1["placements"], c1["known_6m"], c1["retained_6m"]) == (11, 10, 7)
    assert c1["rate_6m"] == pytest.approx(0.7)
    assert not c1["small_sample"]
    assert c1["known_12m"] == 0
    assert math.isnan(c1["rate_12m"])


def test_no_started_placements_gives_only_the_empty_total() -> None:
    rates = retention_rates(dataset())
    assert list(rates.columns) == RETENTION_COLUMNS
    assert len(rates) == 1
    assert rates.iloc[0]["placements"] == 0
    assert math.isnan(rates.iloc[0]["rate_6m"])
    assert bool(rates.iloc[0]["small_sample"])


def test_the_sample_world_adds_up() -> None:
    sample = read_dataset(SAMPLE)
    rates = retention_rates(sample)
    started = sample.placements[sample.placements["status"].isin(["gestart", "beeindigd"])]
    total = rates.iloc[0]
    assert total["placements"] == len(started)
    assert total["retained_6m"] == int(started["retained_6m"].fillna(False).sum())
    for dimension in DIMENSIONS:
        part = rates[rates["dimension"] == dimension]
        assert part["placements"].sum() == len(started)
        assert part["placements"].is_monotonic_decreasing
    names = dict(zip(sample.contractors["contractor_id"], sample.contractors["name"], strict=True))
    contractors = rates[rates["dimension"] == "contractor"]
    assert list(contractors["label"]) == [names[c] for c in contractors["value"]]
