"""The shipped schemes against their published tables, versions in force by publication date, and
the counting rules that change a placement's value: month caps, minimum hours, the WW condition."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from models.valuation import Schemes, credit_placements, load_schemes, value_placements

# The published tables (DOMAIN.md, checked against the publishers' pages): euros per year for a
# full-time contract, per target group (or placement type), without bonuses.
PUBLISHED: dict[str, dict[tuple[str, str | None, float], float]] = {
    # (group, placement type, years on benefit) -> yearly euros
    "oost_nl": {
        ("participatiewet", None, 1.0): 30_000,
        ("participatiewet", None, 3.0): 40_000,
        ("banenafspraak", None, 0.0): 40_000,
        ("wsw", None, 0.0): 40_000,
        ("wajong", None, 0.0): 40_000,
        ("wia", None, 0.0): 40_000,
        ("ww", None, 0.5): 10_000,
        ("ww", None, 2.0): 15_000,
        ("nug", None, 0.0): 10_000,
        ("nug", "bbl", 0.0): 20_000,
    },
    "utrecht": {
        ("participatiewet", None, 1.0): 40_000,
        ("participatiewet", None, 3.0): 40_000,
        ("banenafspraak", None, 0.0): 50_000,
        ("wajong", None, 0.0): 50_000,
        ("pro_vso", None, 0.0): 35_000,
        ("wia", None, 0.0): 40_000,
        ("ww", None, 2.0): 20_000,
        ("nug", None, 0.0): 10_000,
        ("nug", "bbl", 0.0): 35_000,
        ("nug", "bol_stage", 0.0): 20_000,
    },
    "utrecht_oud": {
        ("participatiewet", None, 1.0): 30_000,
        ("participatiewet", None, 3.0): 40_000,
        ("ww", None, 0.5): 15_000,
        ("ww", None, 2.0): 20_000,
        ("wia", None, 0.0): 30_000,
        ("banenafspraak", None, 0.0): 35_000,
        ("nug", None, 0.0): 10_000,
        ("nug", "bbl", 0.0): 15_000,
        ("nug", "bol_stage", 0.0): 10_000,
    },
    "holland_rijnland": {
        ("participatiewet", None, 1.0): 30_000,
        ("participatiewet", None, 3.0): 30_000,
        ("banenafspraak", None, 0.0): 50_000,
        ("wsw", None, 0.0): 50_000,
        ("wajong", None, 0.0): 25_000,
        ("wia", None, 0.0): 40_000,
        ("ww", None, 2.0): 15_000,
        ("nug", None, 0.0): 5_000,
        ("pro_vso", None, 0.0): 25_000,
        ("nug", "bbl", 0.0): 25_000,
        ("nug", "bol_stage", 0.0): 10_000,
    },
    "haaglanden": {
        ("participatiewet", None, 3.0): 40_000,
        ("banenafspraak", None, 0.0): 50_000,
        ("wajong", None, 0.0): 50_000,
        ("wsw", None, 0.0): 50_000,
        ("wia", None, 0.0): 30_000,
        ("ww", None, 0.5): 20_000,
        ("nug", None, 0.0): 5_000,
        ("nug", "bbl", 0.0): 25_000,
        ("nug", "bol_stage", 0.0): 5_000,
    },
}
FULL_TIME = {"oost_nl": 36, "utrecht": 36, "utrecht_oud": 40, "holland_rijnland": 36, "haaglanden": 36}


def _value(scheme: str, group: str, *, schemes: Schemes | None = None, **kw: object) -> tuple[float, str]:
    registry = schemes or Schemes()
    v = value_placements(
        np.array([group], dtype=object),
        benefit_years=np.array([kw.get("benefit_years", np.nan)], dtype=float),
        placement_type=np.array([kw.get("kind")], dtype=object),
        hours_per_week=np.array([kw.get("hours", FULL_TIME.get(scheme, 36))], dtype=float),
        months=np.array([kw.get("months", 12)], dtype=float),
        scheme=np.array([scheme], dtype=object),
        schemes=registry,
        age=np.array([kw.get("age", np.nan)], dtype=float),
        contract_type=np.array([kw.get("contract")], dtype=object),
        language_level=np.array([kw.get("language")], dtype=object),
        months_since_employer=np.array([kw.get("since", np.nan)], dtype=float),
        explain=True,
    )
    return float(v.euros[0]), v.rules[0]


@pytest.mark.parametrize(
    ("scheme", "group", "kind", "benefit_years", "yearly"),
    [(scheme, *key, yearly) for scheme, table in PUBLISHED.items() for key, yearly in table.items()],
)
def test_each_shipped_scheme_gives_its_published_figure(
    scheme: str, group: str, kind: str | None, benefit_years: float, yearly: float
) -> None:
    euros, rule = _value(scheme, group, kind=kind, benefit_years=benefit_years)
    assert euros == pytest.approx(yearly)
    assert rule.startswith(f"{Schemes().get(scheme).title}:")


def test_every_shipped_scheme_names_its_source_and_hours_basis() -> None:
    for name in PUBLISHED:
        scheme = Schemes().get(name)
        assert scheme.source, name
        assert scheme.full_time_hours == FULL_TIME[name]
    assert Schemes().get("oost_nl").version == "V05"
    assert Schemes().get("holland_rijnland").effective_from == date(2023, 9, 1)
    assert Schemes().get("haaglanden").effective_from == date(2023, 7, 1)


@pytest.mark.parametrize(
    ("scheme", "group", "kw", "euros"),
    [
        # bonuses stack on the yearly value
        ("utrecht", "participatiewet", {"age": 51, "contract": "vast"}, 60_000),
        ("utrecht", "statushouder", {}, 50_000),  # Participatiewet 40k + statushouder 10k
        ("utrecht", "nug", {"language": "A1"}, 20_000),  # a language gap: + 10k
        ("utrecht", "nug", {"language": "A2"}, 10_000),  # A2 is no gap
        ("utrecht", "participatiewet", {"age": 55, "contract": "vast", "language": "A0"}, 70_000),
        ("utrecht_oud", "participatiewet", {"age": 50, "benefit_years": 1.0}, 35_000),  # 50+ gives 5k
        ("utrecht_oud", "participatiewet", {"hours": 36, "benefit_years": 1.0}, 27_000),  # 36 of 40 hours
        ("holland_rijnland", "wajong", {"age": 55}, 40_000),  # 55+ gives 15k
        ("haaglanden", "ww", {"age": 55}, 30_000),  # 55+ gives 10k
        ("oost_nl", "participatiewet", {"kind": "werkervaringsplek", "months": 4}, 3_000),  # 750 a month
    ],
)
def test_bonuses_and_bases_as_published(scheme: str, group: str, kw: dict[str, Any], euros: float) -> None:
    assert _value(scheme, group, **kw)[0] == pytest.approx(euros)


@pytest.mark.parametrize(
    ("group", "kind", "months", "counted"),
    [
        ("ww", None, 24, 12),  # at most 12 months
        ("nug", None, 18, 12),
        ("participatiewet", None, 36, 24),  # 24 for Participatiewet, WIA, PrO/VSO
        ("wia", None, 36, 24),
        ("banenafspraak", None, 48, 48),  # always for banenafspraak
        ("wajong", None, 48, 48),
        ("nug", "bbl", 36, 24),  # BBL up to level 2: at most 24 months
    ],
)
def test_the_haaglanden_month_caps_change_a_placements_value(
    group: str, kind: str | None, months: float, counted: float
) -> None:
    yearly = PUBLISHED["haaglanden"][
        (group, kind, 3.0 if group == "participatiewet" else 0.5 if group == "ww" else 0.0)
    ]
    euros, rule = _value("haaglanden", group, kind=kind, months=months, benefit_years=1.0)
    assert euros == pytest.approx(yearly * counted / 12)
    # Oost-NL counts the same placement differently: its table has other limits
    if group == "wia":
        assert _value("oost_nl", group, months=months)[0] == pytest.approx(40_000 * months / 12)
    assert f"× {counted:.1f} mnd".replace(".", ",") in rule


HARLINGEN = """
[schemes.harlingen]
label = "Harlingen"
extends = "oost_nl"
version = "2024"
source = "gemeente Harlingen, social return"
min_hours_per_week = 12
not_employed_before_months = { ww = 6 }
"""


def test_the_harlingen_rules_change_a_placements_value(tmp_path: Path) -> None:
    path = tmp_path / "schemes.toml"
    path.write_text(HARLINGEN, encoding="utf-8")
    schemes = load_schemes(path)
    # WW counts only when the person did not work for that employer in the 6 months before
    never, _ = _value("harlingen", "ww", schemes=schemes, benefit_years=0.5)
    long_ago, _ = _value("harlingen", "ww", schemes=schemes, benefit_years=0.5, since=8.0)
    recent, rule = _value("harlingen", "ww", schemes=schemes, benefit_years=0.5, since=3.0)
    assert (never, long_ago, recent) == (10_000, 10_000, 0)
    assert "WW telt niet" in rule
    assert "6" in rule
    # the condition is WW's: another group that worked there recently still counts
    assert _value("harlingen", "nug", schemes=schemes, since=3.0)[0] == 10_000
    # at least 12 hours a week
    assert _value("harlingen", "nug", schemes=schemes, hours=12)[0] == pytest.approx(10_000 / 3, abs=0.01)
    eleven, rule = _value("harlingen", "nug", schemes=schemes, hours=11)
    assert eleven == 0
    assert "minder dan 12" in rule
    # Oost-NL, which Harlingen extends, has neither rule
    assert _value("oost_nl", "ww", benefit_years=0.5, since=3.0)[0] == 10_000
    assert _value("oost_nl", "nug", hours=11)[0] == pytest.approx(10_000 * 11 / 36, abs=0.01)


def _obligations(**extra: pd.DatetimeIndex) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "obligation_id": ["HR-2023-06", "HR-2023-10"],
            "contractor_id": ["c1", "c1"],
            "valuation_scheme": ["holland_rijnland", "holland_rijnland"],
            "contract_value_eur": [800_000.0, 800_000.0],
            "sroi_percentage": [5.0, 5.0],
            "obligation_eur": [np.nan, np.nan],
            "award_date": pd.to_datetime(["2023-06-15", "2023-10-15"]),
            "start_date": pd.to_datetime(["2023-07-01", "2023-11-01"]),
            "end_date": pd.to_datetime(["2026-12-31", "2026-12-31"]),
            "allowed_target_groups": [(), ()],
            **extra,
        }
    )


def test_holland_rijnland_obligations_of_2023_06_and_2023_10_are_valued_by_different_versions() -> None:
    schemes = Schemes()
    obligations = _obligations()
    june, october = schemes.versions_for_obligations(obligations)
    assert october.title == "holland_rijnland 2023"
    assert june is not october
    assert june.name == "standaard"
    assert schemes.describe_obligations(obligations) == [
        "standaard: holland_rijnland geldt pas vanaf 2023-09-01",
        "holland_rijnland 2023 (vanaf 2023-09-01)",
    ]
    credit = credit_placements(
        obligations,
        named=np.array(["HR-2023-06", "HR-2023-10"], dtype=object),
        contractor=np.array(["c1", "c1"], dtype=object),
        target_group=np.array(["nug", "nug"], dtype=object),
        benefit_since=np.array(["NaT", "NaT"], dtype="datetime64[ns]"),
        birth_year=np.array([np.nan, np.nan]),
        placement_type=np.array([None, None], dtype=object),
        hours_per_week=np.array([36.0, 36.0]),
        months=np.array([12.0, 12.0]),
        start=pd.to_datetime(["2024-01-01", "2024-01-01"]).to_numpy(),
        schemes=schemes,
        explain=True,
    )
    assert credit.obligation.tolist() == [0, 1]
    assert credit.valuation.euros.tolist() == [10_000.0, 5_000.0]  # NUG: standaard 10k, Holland Rijnland 5k
    assert credit.valuation.rules[1].startswith("holland_rijnland 2023:")


def test_the_publication_date_decides_before_the_award_date() -> None:
    published = pd.to_datetime(["2023-05-01", "2023-08-31"])  # both published before 2023-09-01
    versions = Schemes().versions_for_obligations(_obligations(publication_date=published))
    assert [v.name for v in versions] == ["standaard", "standaard"]
    published = pd.DatetimeIndex(["2023-09-01", pd.NaT])  # the day itself; unknown: the award date
    versions = Schemes().versions_for_obligations(_obligations(publication_date=published))
    assert [v.title for v in versions] == ["holland_rijnland 2023", "holland_rijnland 2023"]


VERSIONED = """
[schemes.regio]
label = "Mijn regio"
source = "https://example.org/bouwblokken"

[[schemes.regio.versions]]
version = "2021"
extends = "oost_nl"

[[schemes.regio.versions]]
version = "2024"
effective_from = 2024-01-01
yearly = { nug = 12000 }
"""


def test_own_schemes_have_versions_each_building_on_the_one_before(tmp_path: Path) -> None:
    path = tmp_path / "schemes.toml"
    path.write_text(VERSIONED, encoding="utf-8")
    schemes = load_schemes(path)
    old, new = schemes.by_name["regio"]
    assert (old.version, old.effective_from, new.version, new.effective_from) == (
        "2021",
        None,
        "2024",
        date(2024, 1, 1),
    )
    assert old.yearly["nug"] == 10_000
    assert new.yearly["nug"] == 12_000
    assert new.yearly["wia"] == 40_000  # from the version before, which extends oost_nl
    assert new.label == "Mijn regio"
    assert new.source == "https://example.org/bouwblokken"
    assert schemes.in_force("regio", date(2023, 12, 31)) is old
    assert schemes.in_force("regio", date(2024, 1, 1)) is new
    assert schemes.in_force("regio", None) is new


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "[schemes.x]\n[[schemes.x.versions]]\nextends = 'oost_nl'\n[[schemes.x.versions]]\nversion = 'b'\n",
            "every version after the first needs effective_from",
        ),
        (
            "[schemes.x]\n[[schemes.x.versions]]\nextends = 'oost_nl'\neffective_from = 2024-01-01\n"
            "[[schemes.x.versions]]\neffective_from = 2023-01-01\n",
            "must come after the version before it",
        ),
        ("[schemes.x]\nextends = 'oost_nl'\neffective_from = 'gisteren'\n", "must be a date"),
        ("[schemes.x]\nversions = 3\n", "one or more [[schemes.x.versions]] tables"),
        ("[schemes.x]\nextends = 'oost_nl'\nnot_employed_before_months = { wwx = 6 }\n", "unknown key(s) wwx"),
        ("[schemes.x]\nextends = 'oost_nl'\nmin_hours_per_week = -1\n", "min_hours_per_week: -1 must be a number"),
    ],
)
def test_a_bad_versioned_scheme_is_one_clear_error(tmp_path: Path, text: str, message: str) -> None:
    from models.errors import KoppelaarError

    path = tmp_path / "schemes.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(KoppelaarError, match=None) as err:
        load_schemes(path)
    assert message in str(err.value)
    assert str(path) in str(err.value)
