"""The bouwblokken valuation of a placement: per group and benefit, pro rata, counted years, types."""

from __future__ import annotations

import numpy as np
import pytest

from models.valuation import placement_values


@pytest.mark.parametrize(
    ("group", "benefit_years", "kind", "hours", "months", "euros"),
    [
        ("participatiewet", 1.0, "baan", 36, 12, 30_000),  # benefit < 2 years
        ("participatiewet", 3.0, "baan", 36, 12, 40_000),  # benefit > 2 years
        ("participatiewet", np.nan, "baan", 36, 12, 40_000),  # unknown start: the longer benefit
        ("participatiewet", 1.0, "baan", 18, 12, 15_000),  # pro rata to hours
        ("participatiewet", 1.0, "baan", 40, 12, 30_000),  # at most full time
        ("participatiewet", 1.0, "baan", 36, 36, 60_000),  # counted for at most 2 years
        ("banenafspraak", np.nan, "baan", 36, 36, 120_000),  # counts for the whole place
        ("ww", 0.5, "baan", 36, 6, 5_000),
        ("ww", 2.0, "baan", 36, 24, 15_000),  # counted 1 year
        ("nug", np.nan, "baan", 36, np.nan, 10_000),  # no end date: 12 months
        ("wajong", np.nan, "bbl", 36, 12, 20_000),  # a BBL place whatever the group
        ("statushouder", 0.5, "werkervaringsplek", 20, 6, 4_500),  # 750 a month
        ("pro_vso", np.nan, None, 36, 12, 35_000),  # no type: a job
    ],
)
def test_a_placement_is_valued_by_the_default_scheme(
    group: str, benefit_years: float, kind: str | None, hours: float, months: float, euros: float
) -> None:
    value = placement_values(
        np.array([group], dtype=object),
        benefit_years=np.array([benefit_years]),
        placement_type=np.array([kind], dtype=object),
        hours_per_week=np.array([hours], dtype=float),
        months=np.array([months], dtype=float),
    )
    assert value[0] == pytest.approx(euros)
