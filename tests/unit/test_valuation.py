"""The bouwblokken valuation of a placement: per group and benefit, pro rata, counted years, types."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
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


# -- the published schemes, by hand -----------------------------------------------------------------
def _one(scheme: str, group: str, **kw: object) -> float:
    from models.valuation import Schemes, value_placements

    valuation = value_placements(
        np.array([group], dtype=object),
        benefit_years=np.array([kw.get("benefit_years", np.nan)], dtype=float),
        placement_type=np.array([kw.get("kind")], dtype=object),
        hours_per_week=np.array([kw.get("hours", 36)], dtype=float),
        months=np.array([kw.get("months", 12)], dtype=float),
        scheme=np.array([scheme], dtype=object),
        schemes=Schemes(),
        age=np.array([kw.get("age", np.nan)], dtype=float),
        contract_type=np.array([kw.get("contract")], dtype=object),
        explain=True,
    )
    assert valuation.rules[0].startswith(Schemes().get(scheme).title + ":")
    assert valuation.rules[0].endswith(f"€ {valuation.euros[0]:,.0f}".replace(",", "."))
    return float(valuation.euros[0])


@pytest.mark.parametrize(
    ("scheme", "group", "kw", "euros"),
    [
        # Oost-NL: Participatiewet 30k (< 2 yrs) / 40k, counted 2 years; WW 10k/15k counted 1 year
        ("oost_nl", "participatiewet", {"benefit_years": 1.0, "months": 36}, 60_000),
        ("oost_nl", "participatiewet", {"benefit_years": 5.0, "hours": 18, "months": 6}, 10_000),
        ("oost_nl", "banenafspraak", {"months": 36}, 120_000),  # counts always
        ("oost_nl", "wsw", {"months": 12}, 40_000),  # as doelgroepregister
        ("oost_nl", "ww", {"benefit_years": 0.5, "months": 24}, 10_000),
        ("oost_nl", "nug", {"hours": 24, "months": 12}, 6_666.67),
        ("oost_nl", "participatiewet", {"kind": "bbl", "months": 12}, 20_000),
        ("oost_nl", "participatiewet", {"kind": "werkervaringsplek", "hours": 20, "months": 6}, 4_500),
        ("oost_nl", "participatiewet", {"age": 60, "contract": "vast", "benefit_years": 1.0}, 30_000),  # no bonuses
        # Utrecht: 40k for every Participatiewet benefit; 50+ bonus and permanent contract bonus
        ("utrecht", "participatiewet", {"benefit_years": 1.0}, 40_000),
        ("utrecht", "wajong", {"months": 6}, 25_000),
        ("utrecht", "ww", {"months": 12}, 20_000),
        ("utrecht", "participatiewet", {"age": 50, "months": 12}, 50_000),
        ("utrecht", "participatiewet", {"age": 49, "months": 12}, 40_000),
        ("utrecht", "participatiewet", {"age": 52, "contract": "vast", "hours": 18}, 30_000),  # (40+10+10)/2
        ("utrecht", "statushouder", {"kind": "bol_stage"}, 30_000),  # + the statushouder bonus
        ("utrecht", "pro_vso", {"kind": "bbl", "months": 24}, 35_000),  # the group's 1-year limit holds
        # Holland Rijnland: NUG 5k, Wajong 25k, 55+ bonus 15k
        ("holland_rijnland", "nug", {}, 5_000),
        ("holland_rijnland", "wajong", {"age": 55}, 40_000),
        ("holland_rijnland", "wajong", {"age": 54}, 25_000),
        ("holland_rijnland", "participatiewet", {"hours": 18, "months": 30, "benefit_years": 3.0}, 30_000),  # 2 yrs
    ],
)
def test_each_published_scheme_values_by_hand(scheme: str, group: str, kw: dict[str, object], euros: float) -> None:
    assert _one(scheme, group, **kw) == pytest.approx(euros, abs=0.01)


def test_the_rule_says_how_the_value_came_about() -> None:
    from models.valuation import Schemes, value_placements

    v = value_placements(
        np.array(["participatiewet"], dtype=object),
        benefit_years=np.array([3.0]),
        placement_type=np.array([None], dtype=object),
        hours_per_week=np.array([18.0]),
        months=np.array([36.0]),
        scheme=np.array(["utrecht"], dtype=object),
        schemes=Schemes(),
        age=np.array([51.0]),
        contract_type=np.array(["vast"], dtype=object),
        explain=True,
    )
    assert v.rules == [
        "utrecht: Participatiewet 40.000/jaar + 50+ bonus 10.000 + vast contract 10.000 × 18/36 uur × 24,0 mnd "
        "(max 24) = € 60.000"
    ]


USER_SCHEMES = """
[schemes.mijn_regio]
label = "Mijn regio"
extends = "oost_nl"
counted_years = { nug = "altijd", wajong = 1 }
yearly = { nug = 12000 }
age_bonus = { from_age = 60, yearly = 6000 }
pso_discount = { trede1 = 0.1, trede3 = 0.25 }

[schemes.eigen]
yearly = { participatiewet = 24000, nug = 8000 }
long_benefit = { participatiewet = { after_years = 3, yearly = 36000 } }
full_time_hours = 40
"""


def test_a_user_defined_scheme_from_a_file(tmp_path: Path) -> None:
    from models.valuation import load_schemes, value_placements

    path = tmp_path / "schemes.toml"
    path.write_text(USER_SCHEMES, encoding="utf-8")
    schemes = load_schemes(path, default="eigen")
    assert {"standaard", "oost_nl", "utrecht", "holland_rijnland", "mijn_regio", "eigen"} <= set(schemes.by_name)
    mine = schemes.get("mijn_regio")
    assert mine.yearly["participatiewet"] == 30_000  # from oost_nl
    assert schemes.get(None).name == "eigen"

    def value(scheme: str, group: str, years: float, hours: float, months: float, age: float = np.nan) -> float:
        return float(
            value_placements(
                np.array([group], dtype=object),
                benefit_years=np.array([years]),
                placement_type=np.array([None], dtype=object),
                hours_per_week=np.array([hours]),
                months=np.array([months]),
                scheme=np.array([scheme], dtype=object),
                schemes=schemes,
                age=np.array([age]),
            ).euros[0]
        )

    assert value("mijn_regio", "nug", np.nan, 36, 36) == pytest.approx(36_000)  # always counted now
    assert value("mijn_regio", "wajong", np.nan, 36, 24) == pytest.approx(40_000)  # 1 year only
    assert value("mijn_regio", "nug", np.nan, 36, 12, age=61) == pytest.approx(18_000)
    assert value("eigen", "participatiewet", 2.5, 40, 12) == pytest.approx(24_000)  # full time is 40 h
    assert value("eigen", "participatiewet", 3.5, 20, 12) == pytest.approx(18_000)
    assert value("eigen", "wajong", np.nan, 40, 12) == pytest.approx(8_000)  # not in the scheme: as NUG


def test_the_pso_discount_lowers_what_an_obligation_owes(tmp_path: Path) -> None:
    from models.valuation import load_schemes, owed_euros

    path = tmp_path / "schemes.toml"
    path.write_text(USER_SCHEMES, encoding="utf-8")
    schemes = load_schemes(path)
    obligations = pd.DataFrame(
        {
            "obligation_id": ["o1", "o2", "o3", "o4"],
            "contractor_id": ["c1", "c2", "c3", "c1"],
            "contract_value_eur": [800_000.0, 800_000.0, 800_000.0, 800_000.0],
            "sroi_percentage": [5.0, 5.0, 5.0, 5.0],
            "obligation_eur": [np.nan, np.nan, 10_000.0, np.nan],
            "valuation_scheme": ["mijn_regio", "mijn_regio", "mijn_regio", None],
            "award_date": pd.to_datetime(["2026-01-01"] * 4),
        }
    )
    contractors = pd.DataFrame({"contractor_id": ["c1", "c2", "c3"], "pso_level": ["trede1", "trede3", None]})
    owed = owed_euros(obligations, contractors, schemes)
    # 40,000 less 10% (trede 1) and 25% (trede 3); no level: no discount; the default scheme has no discounts
    assert owed.tolist() == [36_000.0, 30_000.0, 10_000.0, 40_000.0]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[schemes.x]\nyearly = { nug = -1 }\n", "schemes.x].yearly.nug: -1 must be a number ≥ 0"),
        ("[schemes.x]\nyearly = { robots = 1 }\n", "unknown key(s) robots"),
        ("[schemes.x]\nextends = 'nergens'\n", "extends 'nergens', which is not known"),
        ("[schemes.x]\nlabel = 'x'\n", "needs a [schemes.x.yearly] table"),
        ("[schemes.x]\nextends = 'utrecht'\npso_discount = { trede1 = 2 }\n", "must be a share between 0 and 1"),
        ("[schemes.x]\nextends = 'utrecht'\ncounted_years = { nug = 'soms' }\n", 'or "altijd"'),
        ("[schemes.x\n", "is not valid TOML"),
        ("[other]\n", "unknown key(s) other"),
    ],
)
def test_a_bad_scheme_file_is_one_clear_error(tmp_path: Path, text: str, message: str) -> None:
    from models.errors import KoppelaarError
    from models.valuation import load_schemes

    path = tmp_path / "schemes.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(KoppelaarError, match=None) as info:
        load_schemes(path)
    assert message in str(info.value)
    assert str(path) in str(info.value)


def test_an_unknown_scheme_on_an_obligation_names_its_row() -> None:
    from models.errors import KoppelaarError
    from models.valuation import Schemes

    obligations = pd.DataFrame({"obligation_id": ["a", "b", "c"], "valuation_scheme": ["oost_nl", None, "zeeland"]})
    with pytest.raises(KoppelaarError) as info:
        Schemes().for_obligations(obligations)
    assert str(info.value).startswith(
        "obligations.csv row 4 (obligation c), column valuation_scheme: 'zeeland' is not a valuation scheme; known: "
    )
