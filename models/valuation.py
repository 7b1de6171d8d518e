"""SROI valuation of a placement: the bouwblokken method of DOMAIN.md, with its schemes as data.

Each way of filling an obligation has a notional value per year for a full-time contract (a
*building block*), counted pro rata to hours and months, for at most a number of years per target
group. Schemes differ per region and change over time: a scheme has versions (:class:`Scheme` is one
version), each in force from a date, and an obligation is valued by the version in force on its
tender's publication date (else its award date; :meth:`Schemes.in_force`). Built in are the published
tables (``oost_nl`` V05, ``utrecht``, ``utrecht_oud``, ``holland_rijnland`` 2023, ``haaglanden`` 2023;
sources in docs/MONITORING.md) and ``standaard``, the installation default: Oost-NL with its gaps
(BOL, PrO/VSO) filled from Utrecht. A user-defined scheme, with versions or one table, is loaded from
a TOML file (:func:`load_schemes`, ``KOPPELAAR_VALUATION_SCHEMES``); an obligation names its scheme
in ``valuation_scheme``.

Counting rules, applied the same way for every scheme version:

- the yearly value of the candidate's target group; Participatiewet and WW may have a higher value
  when the benefit is older than a threshold (an unknown benefit start counts as the longer benefit).
  Statushouders receive Participatiewet and are valued as such; Wsw as doelgroepregister;
- a placement type with its own block (BBL, BOL internship) replaces the group's value, and its own
  counting limit the group's; a werkervaringsplek counts per month;
- bonuses stack on the yearly value: age (Utrecht 50+, Holland Rijnland 55+), a permanent contract
  (Utrecht) and a statushouder or a language level below A2 (Utrecht);
- the value is pro rata to hours (to the version's full-time hours, at most full time) and to
  months, counted for at most the group's counted years (1 year, 2 years, or always). A place
  without an end date counts 12 months;
- a placement of fewer hours a week than the version's minimum counts nothing, as does a group whose
  condition fails (Harlingen: WW only after 6 months away from the employer);
- target-group status, benefit length and age are fixed on the award date of the obligation;
- contributions that are not placements (``contributions.csv``) count by the version's blocks
  (:func:`value_contributions`);
- a PSO certificate (Prestatieladder Socialer Ondernemen) discounts the obligation by the share the
  version gives the contractor's level. The published tables give no figures for it, so the built-in
  schemes have none; a user-defined scheme sets them.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd

from models.dutch import euros, number
from models.enums import (
    ContractType,
    ContributionKind,
    LanguageLevel,
    PlacementStatus,
    PlacementType,
    PsoLevel,
    TargetGroup,
    rank,
)
from models.errors import KoppelaarError
from models.rules import obligation_values
from models.schema import CONTRIBUTION_MEASURE, default

FULL_TIME_HOURS = 36.0
DEFAULT_MONTHS = 12.0
DEFAULT_SCHEME_NAME = "standaard"

#: The scheme row a target group is valued by when a scheme does not name the group itself.
GROUP_FALLBACK: dict[str, str] = {
    TargetGroup.STATUSHOUDER: TargetGroup.PARTICIPATIEWET,
    TargetGroup.WSW: TargetGroup.BANENAFSPRAAK,
    TargetGroup.OTHER: TargetGroup.NUG,
}

GROUP_LABEL: dict[str, str] = {
    TargetGroup.PARTICIPATIEWET: "Participatiewet",
    TargetGroup.BANENAFSPRAAK: "doelgroepregister",
    TargetGroup.WAJONG: "Wajong",
    TargetGroup.WIA: "WIA/WAO",
    TargetGroup.WSW: "Wsw",
    TargetGroup.WW: "WW",
    TargetGroup.NUG: "geen uitkering (NUG)",
    TargetGroup.PRO_VSO: "PrO/VSO",
    TargetGroup.STATUSHOUDER: "statushouder (Participatiewet)",
    TargetGroup.OTHER: "overig",
}


@dataclass(frozen=True, eq=False)
class Scheme:
    """One version of a bouwblokken scheme: yearly full-time values, counting limits, bonuses,
    conditions, PSO discounts and the date from which it values tenders.

    Groups missing from ``yearly`` are valued by :data:`GROUP_FALLBACK`, else as ``nug``. Two versions
    are the same only when they are one object (so arrays of versions can be grouped).
    """

    name: str
    label: str
    yearly: dict[str, float]
    yearly_long_benefit: dict[str, float] = field(default_factory=dict)  # benefit older than the threshold
    long_benefit_years: dict[str, float] = field(default_factory=dict)
    counted_years: dict[str, float | None] = field(default_factory=dict)  # None or missing: always
    placement_type_yearly: dict[str, float] = field(default_factory=dict)  # replaces the group's value
    placement_type_counted_years: dict[str, float] = field(default_factory=dict)  # replaces the group's limit
    monthly: dict[str, float] = field(default_factory=dict)  # placement types valued per month
    age_bonus_from: int | None = None  # age (at the award date) from which the bonus counts
    age_bonus_yearly: float = 0.0
    permanent_bonus_yearly: float = 0.0  # a `vast` contract
    newcomer_bonus_yearly: float = 0.0  # a statushouder, or a language level below A2 (a language gap)
    min_hours_per_week: float = 0.0  # a placement of fewer hours counts nothing
    #: scheme row -> months: the group counts only when the person did not work for the employer in
    #: that many months before the start (Harlingen: WW, 6 months)
    not_employed_before_months: dict[str, float] = field(default_factory=dict)
    #: contribution kind -> euros per unit of its measure (an hour, a day); None: the invoice value.
    #: A kind missing here counts nothing in this version.
    blocks: dict[str, float | None] = field(default_factory=dict)
    pso_discount: dict[str, float] = field(default_factory=dict)  # PSO level -> share of the obligation
    full_time_hours: float = FULL_TIME_HOURS
    version: str = ""  # the publisher's name of this version, e.g. "V05" or "2023"
    effective_from: date | None = None  # values tenders published from this day; None: from always
    source: str = ""  # where the publisher publishes the table

    def row(self, group: str) -> str:
        """The scheme row ``group`` is valued by."""
        if group in self.yearly:
            return group
        fallback = GROUP_FALLBACK.get(group, TargetGroup.NUG)
        return fallback if fallback in self.yearly else TargetGroup.NUG

    @property
    def title(self) -> str:
        """The scheme's name and version, as every valued row names it."""
        return f"{self.name} {self.version}".strip()

    def describe(self) -> str:
        """The version in Dutch, with the day it took effect."""
        since = f" (vanaf {self.effective_from.isoformat()})" if self.effective_from is not None else ""
        return f"{self.title}{since}"


_G = TargetGroup
_COUNTED_OOST_NL: dict[str, float | None] = {
    _G.PARTICIPATIEWET: 2.0,
    _G.BANENAFSPRAAK: None,
    _G.WAJONG: None,
    _G.WIA: None,
    _G.WW: 1.0,
    _G.NUG: 1.0,
    _G.PRO_VSO: 1.0,
}

OOST_NL = Scheme(
    name="oost_nl",
    label="Oost-Nederland",
    version="V05",
    source="bouwblokkenmethode Oost-Nederland, versie V05",
    yearly={
        _G.PARTICIPATIEWET: 30_000.0,
        _G.BANENAFSPRAAK: 40_000.0,
        _G.WAJONG: 40_000.0,
        _G.WIA: 40_000.0,
        _G.WW: 10_000.0,
        _G.NUG: 10_000.0,
    },
    yearly_long_benefit={_G.PARTICIPATIEWET: 40_000.0, _G.WW: 15_000.0},
    long_benefit_years={_G.PARTICIPATIEWET: 2.0, _G.WW: 1.0},
    counted_years=_COUNTED_OOST_NL,
    placement_type_yearly={PlacementType.BBL: 20_000.0},
    monthly={PlacementType.WERKERVARINGSPLEK: 750.0},
    blocks={ContributionKind.INKOOP_SOCIALE_ONDERNEMING: None},
)

UTRECHT = Scheme(
    name="utrecht",
    label="Utrecht (nieuw, 36 uur)",
    source="https://www.utrecht.nl/ondernemen/inkopen-en-aanbesteden/social-return/social-return-berekenen-bouwblokken/",
    yearly={
        _G.PARTICIPATIEWET: 40_000.0,
        _G.BANENAFSPRAAK: 50_000.0,
        _G.WAJONG: 50_000.0,
        _G.WIA: 40_000.0,
        _G.WW: 20_000.0,
        _G.NUG: 10_000.0,
        _G.PRO_VSO: 35_000.0,
    },
    counted_years=_COUNTED_OOST_NL,
    placement_type_yearly={PlacementType.BBL: 35_000.0, PlacementType.BOL_STAGE: 20_000.0},
    age_bonus_from=50,
    age_bonus_yearly=10_000.0,
    permanent_bonus_yearly=10_000.0,
    newcomer_bonus_yearly=10_000.0,
    blocks={ContributionKind.INKOOP_SOCIALE_ONDERNEMING: None, ContributionKind.KENNISDELING: 100.0},
)

UTRECHT_OUD = Scheme(
    name="utrecht_oud",
    label="Utrecht (oud, 40 uur)",
    source="https://www.utrecht.nl/werk-en-inkomen/aan-het-werk/social-return/bouwblokkenmodel-social-return/",
    full_time_hours=40.0,
    yearly={
        _G.PARTICIPATIEWET: 30_000.0,
        _G.BANENAFSPRAAK: 35_000.0,
        _G.WAJONG: 35_000.0,
        _G.WIA: 30_000.0,
        _G.WW: 15_000.0,
        _G.NUG: 10_000.0,
    },
    yearly_long_benefit={_G.PARTICIPATIEWET: 40_000.0, _G.WW: 20_000.0},
    long_benefit_years={_G.PARTICIPATIEWET: 2.0, _G.WW: 1.0},
    counted_years=_COUNTED_OOST_NL,
    placement_type_yearly={PlacementType.BBL: 15_000.0, PlacementType.BOL_STAGE: 10_000.0},
    age_bonus_from=50,
    age_bonus_yearly=5_000.0,
    permanent_bonus_yearly=10_000.0,
    blocks={ContributionKind.INKOOP_SOCIALE_ONDERNEMING: None, ContributionKind.KENNISDELING: 100.0},
)

HOLLAND_RIJNLAND = Scheme(
    name="holland_rijnland",
    label="Holland Rijnland",
    version="2023",
    effective_from=date(2023, 9, 1),
    source="https://www.dzb.nl (bouwblokkenmethode Holland Rijnland, aanbestedingen gepubliceerd vanaf 2023-09-01)",
    yearly={
        _G.PARTICIPATIEWET: 30_000.0,
        _G.BANENAFSPRAAK: 50_000.0,
        _G.WAJONG: 25_000.0,
        _G.WIA: 40_000.0,
        _G.WW: 15_000.0,
        _G.NUG: 5_000.0,
        _G.PRO_VSO: 25_000.0,
    },
    counted_years=_COUNTED_OOST_NL,
    placement_type_yearly={PlacementType.BBL: 25_000.0, PlacementType.BOL_STAGE: 10_000.0},
    age_bonus_from=55,
    age_bonus_yearly=15_000.0,
    blocks={
        ContributionKind.INKOOP_SOCIALE_ONDERNEMING: None,
        ContributionKind.MAATSCHAPPELIJKE_ACTIVITEIT: 1_000.0,
    },
)

HAAGLANDEN = Scheme(
    name="haaglanden",
    label="Haaglanden en Zuid-Holland Centraal",
    version="2023",
    effective_from=date(2023, 7, 1),
    source="gezamenlijke bouwblokken van de 11 gemeenten van Haaglanden en Zuid-Holland Centraal, vanaf 2023-07-01",
    yearly={
        _G.PARTICIPATIEWET: 40_000.0,
        _G.BANENAFSPRAAK: 50_000.0,
        _G.WAJONG: 50_000.0,
        _G.WIA: 30_000.0,
        _G.WW: 20_000.0,
        _G.NUG: 5_000.0,
    },
    counted_years={
        _G.PARTICIPATIEWET: 2.0,
        _G.BANENAFSPRAAK: None,
        _G.WAJONG: None,
        _G.WIA: 2.0,
        _G.PRO_VSO: 2.0,
        _G.WW: 1.0,
        _G.NUG: 1.0,
    },
    placement_type_yearly={PlacementType.BBL: 25_000.0, PlacementType.BOL_STAGE: 5_000.0},
    placement_type_counted_years={PlacementType.BBL: 2.0},
    age_bonus_from=55,
    age_bonus_yearly=10_000.0,
)

DEFAULT_SCHEME = replace(
    OOST_NL,
    name=DEFAULT_SCHEME_NAME,
    label="standaard (Oost-NL, aangevuld met Utrecht)",
    version="",
    source="Oost-NL V05 met BOL en PrO/VSO uit Utrecht (nieuw)",
    yearly={**OOST_NL.yearly, _G.PRO_VSO: 35_000.0},
    placement_type_yearly={PlacementType.BBL: 20_000.0, PlacementType.BOL_STAGE: 10_000.0},
)

BUILTIN_SCHEMES: dict[str, tuple[Scheme, ...]] = {
    s.name: (s,) for s in (DEFAULT_SCHEME, OOST_NL, UTRECHT, UTRECHT_OUD, HOLLAND_RIJNLAND, HAAGLANDEN)
}


def _day(on: object) -> date | None:
    """``on`` as a day; None when unknown."""
    if on is None:
        return None
    stamp = pd.Timestamp(cast(Any, on))
    return None if pd.isna(stamp) else stamp.date()


def valuation_dates(obligations: pd.DataFrame) -> pd.Series:
    """The day each obligation is valued on: its tender's publication date, else its award date."""
    award = pd.to_datetime(obligations["award_date"])
    if "publication_date" not in obligations:
        return award
    return pd.to_datetime(obligations["publication_date"]).fillna(award)


@dataclass(frozen=True)
class Schemes:
    """The schemes an installation knows, each with its versions (oldest first), and the one
    obligations without a scheme use.

    A tender is valued by the version in force on its publication date (:func:`valuation_dates`). A
    tender published before a scheme's first version is valued by the default scheme, and its rows
    say so.
    """

    by_name: Mapping[str, tuple[Scheme, ...]] = field(default_factory=lambda: dict(BUILTIN_SCHEMES))
    default: str = DEFAULT_SCHEME_NAME

    def __post_init__(self) -> None:
        if self.default not in self.by_name:
            raise KoppelaarError(
                f"valuation scheme {self.default!r} is not known: one of {', '.join(sorted(self.by_name))}"
            )

    def get(self, name: str | None) -> Scheme:
        """The latest version of scheme ``name`` (the default scheme when None or empty)."""
        return self.by_name[self.default if name is None or name == "" else name][-1]

    def in_force(self, name: str | None, on: object) -> Scheme:
        """The version of scheme ``name`` that values a tender published ``on`` (unknown: the latest)."""
        versions = self.by_name[self.default if name is None or name == "" else name]
        day = _day(on)
        if day is None:
            return versions[-1]
        valid = [v for v in versions if v.effective_from is None or v.effective_from <= day]
        if valid:
            return valid[-1]
        if versions[0].name != self.default:
            return self.in_force(self.default, day)
        return versions[0]

    def describe(self, name: str | None, on: object) -> str:
        """Which version values a tender of scheme ``name`` published ``on``, in Dutch."""
        used = self.in_force(name, on)
        first = self.by_name[self.default if name is None or name == "" else name][0]
        if used.name != first.name and first.effective_from is not None:
            return f"{used.describe()}: {first.name} geldt pas vanaf {first.effective_from.isoformat()}"
        return used.describe()

    def for_obligations(self, obligations: pd.DataFrame, *, file: str = "obligations.csv") -> np.ndarray:
        """The scheme name of each obligation; an unknown name is a problem with its row and field."""
        names = obligations["valuation_scheme"].astype(object).where(obligations["valuation_scheme"].notna(), None)
        resolved = np.array([self.default if n is None or n == "" else str(n) for n in names], dtype=object)
        unknown = [i for i, n in enumerate(resolved) if n not in self.by_name]
        if unknown:
            known = ", ".join(sorted(self.by_name))
            ids = obligations["obligation_id"].astype(str).to_numpy() if "obligation_id" in obligations else None
            first = unknown[0]
            which = f" (obligation {ids[first]})" if ids is not None else ""
            more = f"; {len(unknown) - 1} more obligation(s) name an unknown scheme" if len(unknown) > 1 else ""
            raise KoppelaarError(
                f"{file} row {first + 2}{which}, column valuation_scheme: {resolved[first]!r} is not a valuation "
                f"scheme; known: {known} (add yours with KOPPELAAR_VALUATION_SCHEMES){more}"
            )
        return resolved

    def versions_for_obligations(self, obligations: pd.DataFrame) -> list[Scheme]:
        """The scheme version that values each obligation (:meth:`in_force` on :func:`valuation_dates`)."""
        names = self.for_obligations(obligations)
        days = valuation_dates(obligations)
        return [self.in_force(n, d) for n, d in zip(names, days, strict=True)]

    def describe_obligations(self, obligations: pd.DataFrame) -> list[str]:
        """:meth:`describe` of each obligation: the version its report row shows."""
        names = self.for_obligations(obligations)
        days = valuation_dates(obligations)
        return [self.describe(n, d) for n, d in zip(names, days, strict=True)]

    def pso_discount(self, obligations: pd.DataFrame, contractors: pd.DataFrame) -> np.ndarray:
        """The share of each obligation its contractor's PSO level discounts (0 when none)."""
        versions = self.versions_for_obligations(obligations)
        level = obligations["contractor_id"].map(
            contractors.drop_duplicates("contractor_id").set_index("contractor_id")["pso_level"].astype(object)
        )
        return np.array(
            [
                v.pso_discount.get(str(lv), 0.0) if isinstance(lv, str) else 0.0
                for v, lv in zip(versions, level, strict=True)
            ],
            dtype=float,
        )


# -- loading user-defined schemes ------------------------------------------------------------------
_ALWAYS = ("altijd", "always")


def _number(where: str, value: object, *, allow_always: bool = False) -> float | None:
    if allow_always and isinstance(value, str) and value.strip().lower() in _ALWAYS:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        allowed = ' or "altijd"' if allow_always else ""
        raise KoppelaarError(f"{where}: {value!r} must be a number ≥ 0{allowed}")
    return float(value)


def _table(where: str, value: object) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise KoppelaarError(f"{where} must be a table")
    return value


def _keys(where: str, table: Mapping[str, object], allowed: set[str]) -> None:
    bad = sorted(set(table) - allowed)
    if bad:
        raise KoppelaarError(f"{where}: unknown key(s) {', '.join(bad)}; allowed: {', '.join(sorted(allowed))}")


def _effective_from(where: str, value: object) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise KoppelaarError(f"{where}: {value!r} must be a date, e.g. 2023-09-01")


_GROUPS = {g.value for g in TargetGroup}
_TYPES = {t.value for t in PlacementType}
_PSO = {p.value for p in PsoLevel}
_KINDS = {k.value for k in ContributionKind}
_INVOICE = ("factuur", "invoice")
_VERSION_KEYS = {
    "label",
    "extends",
    "version",
    "effective_from",
    "source",
    "full_time_hours",
    "min_hours_per_week",
    "yearly",
    "long_benefit",
    "counted_years",
    "placement_types",
    "placement_type_counted_years",
    "monthly",
    "age_bonus",
    "permanent_contract_bonus",
    "newcomer_bonus",
    "not_employed_before_months",
    "blocks",
    "pso_discount",
}


def _version(where: str, name: str, spec: dict[str, Any], base: Scheme | None, known: Mapping[str, Scheme]) -> Scheme:
    """One version of scheme ``name`` from its TOML table, starting from ``base`` (or what it extends)."""
    _keys(where, spec, _VERSION_KEYS)
    base_name = spec.get("extends")
    if base_name is not None:
        if base_name not in known:
            raise KoppelaarError(
                f"{where}: extends {base_name!r}, which is not known: one of {', '.join(sorted(known))}"
            )
        base = known[base_name]
    start = base if base is not None else Scheme(name=name, label=name, yearly={})
    label = str(spec.get("label", start.label if base is not None else name))

    def groups(key: str, allowed: set[str], *, allow_always: bool = False) -> dict[str, float | None]:
        table = _table(f"{where}.{key}", spec.get(key, {}))
        _keys(f"{where}.{key}", table, allowed)
        return {k: _number(f"{where}.{key}.{k}", v, allow_always=allow_always) for k, v in table.items()}

    def amounts(key: str, allowed: set[str], inherited: Mapping[str, float]) -> dict[str, float]:
        return {**inherited, **{k: float(v or 0.0) for k, v in groups(key, allowed).items()}}

    yearly = amounts("yearly", _GROUPS, start.yearly)
    long_value, long_years = dict(start.yearly_long_benefit), dict(start.long_benefit_years)
    for group, given in _table(f"{where}.long_benefit", spec.get("long_benefit", {})).items():
        at = f"{where}.long_benefit.{group}"
        if group not in _GROUPS:
            raise KoppelaarError(f"{at}: {group!r} is not a target group: one of {', '.join(sorted(_GROUPS))}")
        rule = _table(at, given)
        _keys(at, rule, {"after_years", "yearly"})
        if set(rule) != {"after_years", "yearly"}:
            raise KoppelaarError(f"{at} needs both after_years and yearly")
        long_years[group] = float(_number(f"{at}.after_years", rule["after_years"]) or 0.0)
        long_value[group] = float(_number(f"{at}.yearly", rule["yearly"]) or 0.0)
    counted = {**start.counted_years, **groups("counted_years", _GROUPS, allow_always=True)}
    pso = amounts("pso_discount", _PSO, start.pso_discount)
    for level, share in pso.items():
        if share > 1:
            raise KoppelaarError(f"{where}.pso_discount.{level}: {share} must be a share between 0 and 1")

    def bonus(key: str, value: float) -> float:
        if key not in spec:
            return value
        rule = _table(f"{where}.{key}", spec[key])
        _keys(f"{where}.{key}", rule, {"yearly"})
        return float(_number(f"{where}.{key}.yearly", rule.get("yearly", 0)) or 0.0)

    age_from, age_value = start.age_bonus_from, start.age_bonus_yearly
    if "age_bonus" in spec:
        rule = _table(f"{where}.age_bonus", spec["age_bonus"])
        _keys(f"{where}.age_bonus", rule, {"from_age", "yearly"})
        age_from = int(_number(f"{where}.age_bonus.from_age", rule.get("from_age", 0)) or 0)
        age_value = float(_number(f"{where}.age_bonus.yearly", rule.get("yearly", 0)) or 0.0)
    hours = float(_number(f"{where}.full_time_hours", spec.get("full_time_hours", start.full_time_hours)) or 0.0)
    if hours <= 0:
        raise KoppelaarError(f"{where}.full_time_hours must be more than 0")
    min_hours = float(
        _number(f"{where}.min_hours_per_week", spec.get("min_hours_per_week", start.min_hours_per_week)) or 0.0
    )
    if not yearly:
        raise KoppelaarError(f"{where}: a scheme needs a [schemes.{name}.yearly] table or `extends`")
    blocks = dict(start.blocks)
    given_blocks = _table(f"{where}.blocks", spec.get("blocks", {}))
    _keys(f"{where}.blocks", given_blocks, _KINDS)
    for kind, rate in given_blocks.items():
        at = f"{where}.blocks.{kind}"
        if kind == ContributionKind.INKOOP_SOCIALE_ONDERNEMING:
            if rate not in _INVOICE:
                raise KoppelaarError(f'{at}: {rate!r} must be "factuur" (a purchase counts at its invoice value)')
            blocks[kind] = None
        else:
            blocks[kind] = float(_number(at, rate) or 0.0)
    effective = _effective_from(f"{where}.effective_from", spec["effective_from"]) if "effective_from" in spec else None
    return Scheme(
        name=name,
        label=label,
        yearly=yearly,
        yearly_long_benefit=long_value,
        long_benefit_years=long_years,
        counted_years=counted,
        placement_type_yearly=amounts("placement_types", _TYPES, start.placement_type_yearly),
        placement_type_counted_years=amounts(
            "placement_type_counted_years", _TYPES, start.placement_type_counted_years
        ),
        monthly=amounts("monthly", _TYPES, start.monthly),
        age_bonus_from=age_from,
        age_bonus_yearly=age_value,
        permanent_bonus_yearly=bonus("permanent_contract_bonus", start.permanent_bonus_yearly),
        newcomer_bonus_yearly=bonus("newcomer_bonus", start.newcomer_bonus_yearly),
        min_hours_per_week=min_hours,
        not_employed_before_months=amounts("not_employed_before_months", _GROUPS, start.not_employed_before_months),
        blocks=blocks,
        pso_discount=pso,
        full_time_hours=hours,
        version=str(spec.get("version", "")),
        effective_from=effective,
        source=str(spec.get("source", start.source if base is not None and base.name == name else "")),
    )


def _scheme(path: Path, name: str, spec: dict[str, Any], known: Mapping[str, tuple[Scheme, ...]]) -> tuple[Scheme, ...]:
    """The versions of scheme ``name``: one table, or ``[[schemes.NAME.versions]]`` each starting from
    the version before it (or what it extends), oldest first."""
    where = f"{path} [schemes.{name}]"
    latest = {n: versions[-1] for n, versions in known.items()}
    if "versions" not in spec:
        return (_version(where, name, spec, None, latest),)
    _keys(where, spec, {"label", "source", "versions"})
    entries = spec["versions"]
    if not isinstance(entries, list) or not entries:
        raise KoppelaarError(f"{where}.versions must be one or more [[schemes.{name}.versions]] tables")
    shared: dict[str, Any] = {k: spec[k] for k in ("label", "source") if k in spec}
    out: list[Scheme] = []
    for i, entry in enumerate(entries, start=1):
        at = f"{path} [[schemes.{name}.versions]] number {i}"
        table = {**shared, **_table(at, entry)}
        version = _version(at, name, table, out[-1] if out else None, latest)
        if i > 1 and version.effective_from is None:
            raise KoppelaarError(f"{at}: every version after the first needs effective_from")
        before = out[-1].effective_from if out else None
        if before is not None and version.effective_from is not None and version.effective_from <= before:
            raise KoppelaarError(
                f"{at}: effective_from {version.effective_from} must come after the version before it "
                f"({out[-1].effective_from})"
            )
        out.append(version)
    return tuple(out)


def load_schemes(path: Path | None = None, *, default: str | None = None) -> Schemes:
    """The built-in schemes plus those of the TOML file ``path`` (see docs/MONITORING.md).

    Raises:
        KoppelaarError: the file cannot be read, is not TOML, or a scheme in it is malformed.
    """
    known: dict[str, tuple[Scheme, ...]] = dict(BUILTIN_SCHEMES)
    if path is not None:
        try:
            data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except OSError as exc:
            raise KoppelaarError(f"cannot read valuation schemes {path}: {exc.strerror or exc}") from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise KoppelaarError(f"valuation schemes {path} is not valid TOML: {exc}") from None
        _keys(str(path), data, {"schemes"})
        for name, spec in _table(f"{path} [schemes]", data.get("schemes", {})).items():
            known[name] = _scheme(Path(path), name, _table(f"{path} [schemes.{name}]", spec), known)
    return Schemes(known, default or DEFAULT_SCHEME_NAME)


# -- valuing placements --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Valuation:
    """The euros of each placement and the rule that produced them (Dutch, for reports)."""

    euros: np.ndarray
    rules: list[str]


def _eur(x: float) -> str:
    return number(x, 0)


def _value(
    scheme: Scheme,
    *,
    group: pd.Series,
    kind: pd.Series,
    years_on_benefit: np.ndarray,
    hours: np.ndarray,
    length: np.ndarray,
    age: np.ndarray,
    permanent: np.ndarray,
    newcomer: np.ndarray,
    months_since_employer: np.ndarray,
    explain: bool,
) -> tuple[np.ndarray, list[str]]:
    row = group.map(scheme.row)
    short = row.map(scheme.yearly).to_numpy(dtype=float)
    long_value = row.map(scheme.yearly_long_benefit).to_numpy(dtype=float)
    threshold = row.map(scheme.long_benefit_years).to_numpy(dtype=float)
    is_long = ~np.isnan(long_value) & ~(years_on_benefit < threshold)  # unknown counts as long
    yearly = np.where(is_long, long_value, short)
    by_type = kind.map(scheme.placement_type_yearly).to_numpy(dtype=float)
    typed = ~np.isnan(by_type)
    yearly = np.where(typed, by_type, yearly)
    age_bonus = np.zeros(len(group))
    if scheme.age_bonus_from is not None and scheme.age_bonus_yearly:
        age_bonus = np.where(age >= scheme.age_bonus_from, scheme.age_bonus_yearly, 0.0)
    vast_bonus = np.where(permanent, scheme.permanent_bonus_yearly, 0.0)
    newcomer_bonus = np.where(newcomer, scheme.newcomer_bonus_yearly, 0.0)
    cap = row.map(scheme.counted_years.get).to_numpy(dtype=object)
    cap_months = np.array([np.inf if c is None or pd.isna(c) else 12.0 * float(c) for c in cap], dtype=float)
    type_cap = 12.0 * kind.map(scheme.placement_type_counted_years).to_numpy(dtype=float)
    cap_months = np.where(np.isnan(type_cap), cap_months, type_cap)
    counted = np.minimum(length, cap_months)
    share = np.clip(hours / scheme.full_time_hours, 0.0, 1.0)
    value = (yearly + age_bonus + vast_bonus + newcomer_bonus) * share * counted / 12.0
    per_month = kind.map(scheme.monthly).to_numpy(dtype=float)
    monthly = ~np.isnan(per_month)
    value = np.where(monthly, per_month * counted, value)
    too_few_hours = hours < scheme.min_hours_per_week
    wait = row.map(scheme.not_employed_before_months).to_numpy(dtype=float)
    employed_before = ~np.isnan(wait) & (months_since_employer < wait)  # NaN: did not work there
    value = np.where(too_few_hours | employed_before, 0.0, np.round(value, 2))
    if not explain:
        return value, []
    rules: list[str] = []
    for i in range(len(value)):
        g = str(group.iloc[i])
        if too_few_hours[i]:
            rules.append(
                f"{scheme.title}: telt niet, {number(hours[i])} uur per week is minder dan "
                f"{number(scheme.min_hours_per_week)} = {euros(0.0)}"
            )
            continue
        if employed_before[i]:
            label = GROUP_LABEL.get(g, g)
            rules.append(
                f"{scheme.title}: {label} telt niet, {number(months_since_employer[i], 1)} mnd voor de start nog "
                f"bij deze werkgever gewerkt (minder dan {number(wait[i])}) = {euros(0.0)}"
            )
            continue
        if monthly[i]:
            what = f"{kind.iloc[i]}: {_eur(per_month[i])}/maand × {number(counted[i], 1)} mnd"
        else:
            if typed[i]:
                what = f"{kind.iloc[i]} {_eur(yearly[i])}/jaar"
            else:
                label = GROUP_LABEL.get(g, g)
                if not np.isnan(long_value[i]):
                    label += f", uitkering {'>' if is_long[i] else '<'} {number(threshold[i])} jaar"
                what = f"{label} {_eur(yearly[i])}/jaar"
            if age_bonus[i]:
                what += f" + {scheme.age_bonus_from}+ bonus {_eur(age_bonus[i])}"
            if vast_bonus[i]:
                what += f" + vast contract {_eur(vast_bonus[i])}"
            if newcomer_bonus[i]:
                what += f" + statushouder/taalachterstand {_eur(newcomer_bonus[i])}"
            limit = "" if np.isinf(cap_months[i]) else f" (max {cap_months[i]:.0f})"
            worked = min(hours[i], scheme.full_time_hours)
            what += f" × {number(worked)}/{number(scheme.full_time_hours)} uur × {number(counted[i], 1)} mnd{limit}"
        rules.append(f"{scheme.title}: {what} = {euros(value[i])}")
    return value, rules


#: Below this Dutch language level (A2, the 1F the Participatiewet asks) a candidate has a language gap.
LANGUAGE_GAP_BELOW = LanguageLevel.A2


def newcomers(target_group: np.ndarray, language_level: np.ndarray | None) -> np.ndarray:
    """Who earns a scheme's newcomer bonus: statushouders and candidates with a language gap."""
    group = pd.Series(np.asarray(target_group, dtype=object))
    out = group.eq(TargetGroup.STATUSHOUDER.value).to_numpy(dtype=bool, copy=True)
    if language_level is not None:
        below = [lv.value for lv in LanguageLevel if rank(lv) < rank(LANGUAGE_GAP_BELOW)]
        level = pd.Series(np.asarray(language_level, dtype=object)).astype(object)
        out = out | level.isin(below).to_numpy(dtype=bool)
    return out


def value_placements(
    target_group: pd.Series | np.ndarray,
    *,
    benefit_years: pd.Series | np.ndarray,
    placement_type: pd.Series | np.ndarray,
    hours_per_week: pd.Series | np.ndarray,
    months: pd.Series | np.ndarray,
    scheme: Scheme | np.ndarray | pd.Series | list[Scheme] = DEFAULT_SCHEME,
    schemes: Schemes | None = None,
    age: pd.Series | np.ndarray | None = None,
    contract_type: pd.Series | np.ndarray | None = None,
    language_level: pd.Series | np.ndarray | None = None,
    months_since_employer: pd.Series | np.ndarray | None = None,
    explain: bool = False,
) -> Valuation:
    """SROI euros of placements (one per element), vectorised, with the rule of each when ``explain``.

    Args:
        target_group: the candidate's target group (a value of :class:`TargetGroup`).
        benefit_years: how long the candidate has had the benefit on the award date (NaN: unknown,
            which values as the longer benefit, as schemes do for a benefit without a start date).
        placement_type: the vacancy's placement type (empty: ``baan``).
        hours_per_week: hours of the place; counted pro rata to full time, at most full time; nothing
            below the scheme's minimum hours per week.
        months: how long the place lasts (NaN: 12 months).
        scheme: one scheme version for all, or per placement a scheme version or a scheme name (the
            latest version of that name in ``schemes``).
        age: the candidate's age on the award date (NaN: unknown, no age bonus).
        contract_type: the placement's contract type (``vast`` earns the permanent contract bonus).
        language_level: the candidate's Dutch level (below A2 earns the newcomer bonus).
        months_since_employer: months between the candidate's last work for the employer and the
            start (NaN: did not work there), for a scheme's not-employed-before condition.
        explain: also return the rule of each value.
    """
    n = len(target_group)
    groups = np.asarray(target_group, dtype=object)
    group = pd.Series(groups).fillna(TargetGroup.OTHER.value).astype(str)
    kind = (
        pd.Series(np.asarray(placement_type, dtype=object))
        .fillna(str(default("vacancies", "placement_type")))
        .astype(str)
    )
    years_on_benefit = np.asarray(benefit_years, dtype=float)
    hours = np.nan_to_num(np.asarray(hours_per_week, dtype=float), nan=0.0)
    length = np.asarray(months, dtype=float)
    length = np.where(np.isnan(length) | (length <= 0), DEFAULT_MONTHS, length)
    ages = np.full(n, np.nan) if age is None else np.asarray(age, dtype=float)
    permanent = (
        np.zeros(n, dtype=bool)
        if contract_type is None
        else pd.Series(np.asarray(contract_type, dtype=object)).eq(ContractType.VAST.value).to_numpy(dtype=bool)
    )
    newcomer = newcomers(groups, None if language_level is None else np.asarray(language_level, dtype=object))
    since = np.full(n, np.nan) if months_since_employer is None else np.asarray(months_since_employer, dtype=float)
    if isinstance(scheme, Scheme):
        codes, versions = np.zeros(n, dtype=np.int64), [scheme]
    else:
        registry = schemes or Schemes()
        codes, found = pd.factorize(pd.Series(np.asarray(scheme, dtype=object), dtype=object))
        versions = [s if isinstance(s, Scheme) else registry.get(s) for s in found]
    euros = np.zeros(n)
    rules = [""] * n if explain else []
    for code, version in enumerate(versions):
        at = np.flatnonzero(codes == code)
        sub = pd.Index(at)
        value, text = _value(
            version,
            group=group.iloc[sub].reset_index(drop=True),
            kind=kind.iloc[sub].reset_index(drop=True),
            years_on_benefit=years_on_benefit[at],
            hours=hours[at],
            length=length[at],
            age=ages[at],
            permanent=permanent[at],
            newcomer=newcomer[at],
            months_since_employer=since[at],
            explain=explain,
        )
        euros[at] = value
        if explain:
            for i, rule in zip(at, text, strict=True):
                rules[i] = rule
    return Valuation(euros, rules)


def placement_values(
    target_group: pd.Series | np.ndarray,
    *,
    benefit_years: pd.Series | np.ndarray,
    placement_type: pd.Series | np.ndarray,
    hours_per_week: pd.Series | np.ndarray,
    months: pd.Series | np.ndarray,
    scheme: Scheme | np.ndarray | pd.Series = DEFAULT_SCHEME,
    schemes: Schemes | None = None,
    age: pd.Series | np.ndarray | None = None,
    contract_type: pd.Series | np.ndarray | None = None,
) -> np.ndarray:
    """SROI euros of placements (see :func:`value_placements`), without the rules."""
    return value_placements(
        target_group,
        benefit_years=benefit_years,
        placement_type=placement_type,
        hours_per_week=hours_per_week,
        months=months,
        scheme=scheme,
        schemes=schemes,
        age=age,
        contract_type=contract_type,
    ).euros


def owed_euros(obligations: pd.DataFrame, contractors: pd.DataFrame, schemes: Schemes | None = None) -> np.ndarray:
    """Euros each obligation owes: ``obligation_eur`` (or contract value × percentage) less the
    PSO discount its scheme gives the contractor's level."""
    registry = schemes or Schemes()
    owed = obligation_values(obligations).to_numpy(dtype=float)
    return np.round(owed * (1.0 - registry.pso_discount(obligations, contractors)), 2)


#: Placements whose euros count as realised: accepted, started or ended.
REALISED_STATUSES = frozenset({PlacementStatus.GEACCEPTEERD, PlacementStatus.GESTART, PlacementStatus.BEEINDIGD})


def placement_months(start: pd.Series, end: pd.Series) -> np.ndarray:
    """How many months each placement or place lasts (NaN when it has no end)."""
    days = (pd.to_datetime(end) - pd.to_datetime(start)).dt.days.to_numpy(dtype=float, na_value=np.nan)
    return np.asarray(days / 30.4375, dtype=float)


def _years_between(later: pd.Series, earlier: pd.Series) -> np.ndarray:
    return np.asarray(
        ((pd.to_datetime(later) - pd.to_datetime(earlier)).dt.days / 365.25).to_numpy(dtype=float, na_value=np.nan)
    )


def _lookup(values: pd.Series, keys: pd.Series) -> pd.Series:
    """``values`` (indexed by unique ids) looked up for each of ``keys``, aligned with ``keys``; the
    dtype of ``values`` is kept even when nothing matches (``Series.map`` would turn it to float)."""
    return pd.Series(values.reindex(keys.astype(object).to_numpy()).to_numpy(), index=keys.index, dtype=values.dtype)


def _allows(allowed: object, group: object) -> bool:
    """An obligation's ``allowed_target_groups`` (empty: every group) let ``group`` count (unknown: counts)."""
    if not isinstance(allowed, tuple | list) or not allowed:
        return True
    return not isinstance(group, str) or group in {str(g) for g in allowed}


def credited_obligations(
    obligations: pd.DataFrame,
    *,
    named: pd.Series | np.ndarray,
    contractor: pd.Series | np.ndarray,
    target_group: pd.Series | np.ndarray,
    on: pd.Series | np.ndarray,
) -> np.ndarray:
    """The obligation (row of ``obligations``; -1: none) each placement counts for: the one rule every
    part of Koppelaar applies (eligibility, the plan's arcs, valuation, monitoring, the API).

    - A placement naming an obligation (its own, else its vacancy's) counts for that one, if the
      obligation's ``allowed_target_groups`` include the candidate's group (empty: every group; an
      unknown group counts), else for none.
    - Naming none, it counts for the contractor's obligation that has not ended on ``on`` (the
      placement's start, or the as-of date of a plan), allows the candidate's group and owes the
      most (then the lowest id); none when there is no such obligation.

    Args:
        obligations: the obligations table.
        named: per placement, the obligation id named (NaN/None/"": none).
        contractor: per placement, the contractor id of its vacancy.
        target_group: per placement, the candidate's target group (NaN: unknown).
        on: per placement, the date at which the contractor's obligations must still run (NaT: any).
    """
    n = len(named)
    out = np.full(n, -1, dtype=np.int64)
    if not len(obligations) or not n:
        return out
    ids = obligations["obligation_id"].astype(str).to_numpy()
    allowed = obligations["allowed_target_groups"].to_numpy(dtype=object)
    end = pd.to_datetime(obligations["end_date"]).to_numpy()
    # the contractor's obligations, most owed first, then by id
    order = np.lexsort((ids, -obligation_values(obligations).to_numpy(dtype=float)))
    by_contractor: dict[str, list[int]] = {}
    for i in order.tolist():
        by_contractor.setdefault(str(obligations["contractor_id"].iloc[i]), []).append(i)
    keys = pd.DataFrame(
        {
            "named": [x if isinstance(x, str) and x else "" for x in np.asarray(named, dtype=object)],
            "contractor": [str(x) for x in np.asarray(contractor, dtype=object)],
            "group": [x if isinstance(x, str) else "" for x in np.asarray(target_group, dtype=object)],
            "on": pd.to_datetime(pd.Series(np.asarray(on))).to_numpy(),
        }
    )
    codes, uniques = pd.MultiIndex.from_frame(keys).factorize()
    distinct = list(cast(pd.MultiIndex, uniques))
    rows = pd.Index(ids).get_indexer(pd.Index([k[0] for k in distinct], dtype=object))
    found = np.full(len(distinct), -1, dtype=np.int64)
    for k, (name, kid, group, day) in enumerate(distinct):
        who = group or None
        if name:
            found[k] = rows[k] if rows[k] >= 0 and _allows(allowed[rows[k]], who) else -1
            continue
        for i in by_contractor.get(kid, ()):
            if (pd.isna(day) or not end[i] < np.datetime64(day)) and _allows(allowed[i], who):
                found[k] = i
                break
    out[:] = found[codes]
    return out


def counted_target_groups(
    obligations: pd.DataFrame,
    *,
    named: pd.Series | np.ndarray,
    contractor: pd.Series | np.ndarray,
    on: np.datetime64,
    groups: tuple[str, ...],
) -> np.ndarray:
    """Per place and target group, whether a candidate of that group would count for an obligation
    through the place (:func:`credited_obligations` on ``on``): the eligibility rule on target groups.
    A place that counts for no obligation at all (none named, none of its contractor's running) is
    not an SROI place, and every group may fill it."""
    n = len(named)
    out = np.ones((n, len(groups)), dtype=bool)
    if not n:
        return out
    every = np.repeat(np.arange(n), len(groups))
    rows = credited_obligations(
        obligations,
        named=np.asarray(named, dtype=object)[every],
        contractor=np.asarray(contractor, dtype=object)[every],
        target_group=np.tile(np.asarray(groups, dtype=object), n),
        on=np.full(len(every), on),
    ).reshape(n, len(groups))
    unknown_group = credited_obligations(
        obligations,
        named=np.asarray(named, dtype=object),
        contractor=np.asarray(contractor, dtype=object),
        target_group=np.full(n, None, dtype=object),
        on=np.full(n, on),
    )
    sroi = unknown_group >= 0  # an unknown group counts wherever any obligation takes the place
    out[sroi] = rows[sroi] >= 0
    return out


@dataclass(frozen=True)
class Credit:
    """Which obligation each placement counts for (row, -1: none) and for how much."""

    obligation: np.ndarray
    valuation: Valuation


def _default_versions(registry: Schemes, days: np.ndarray) -> np.ndarray:
    """The default scheme's version in force on each of ``days`` (for placements no obligation takes)."""
    out = np.empty(len(days), dtype=object)
    if len(registry.by_name[registry.default]) == 1:
        out[:] = [registry.get(None)] * len(days)
        return out
    codes, unique = pd.factorize(pd.Series(days))
    chosen = [registry.in_force(None, d) for d in unique]
    out[:] = [chosen[c] if c >= 0 else registry.get(None) for c in codes]
    return out


def credit_placements(
    obligations: pd.DataFrame,
    *,
    named: np.ndarray,
    contractor: np.ndarray,
    target_group: np.ndarray,
    benefit_since: np.ndarray,
    birth_year: np.ndarray,
    placement_type: np.ndarray,
    hours_per_week: np.ndarray,
    months: np.ndarray,
    start: np.ndarray,
    on: np.ndarray | None = None,
    contract_type: np.ndarray | None = None,
    language_level: np.ndarray | None = None,
    worked_for_employer_until: np.ndarray | None = None,
    schemes: Schemes | None = None,
    explain: bool = False,
) -> Credit:
    """The one answer to "which obligation does this placement count for, and for how much", for a
    registered placement, a planned pair or a suggestion accepted alike.

    The obligation is :func:`credited_obligations` (its contractor's obligations must still run on
    ``on``, default ``start``); the euros are the version of that obligation's scheme in force on its
    tender's publication date (:meth:`Schemes.versions_for_obligations`; the default scheme where none),
    with target-group status, benefit length and age fixed on its award date (else ``start``).
    Arrays are per placement; unknowns are NaN/NaT/None. ``worked_for_employer_until`` is the last
    day the candidate worked for the employer before the placement (NaT: did not).
    """
    registry = schemes or Schemes()
    start_at = pd.to_datetime(pd.Series(np.asarray(start))).to_numpy()
    rows = credited_obligations(
        obligations,
        named=named,
        contractor=contractor,
        target_group=target_group,
        on=start_at if on is None else on,
    )
    counted = rows >= 0
    at = np.maximum(rows, 0)
    versions = _default_versions(registry, start_at)
    if len(obligations):
        award = pd.to_datetime(obligations["award_date"]).to_numpy()[at]
        of_obligation = np.empty(len(obligations), dtype=object)
        of_obligation[:] = registry.versions_for_obligations(obligations)
        versions = np.where(counted, of_obligation[at], versions)
    else:
        award = np.full(len(rows), np.datetime64("NaT"), dtype="datetime64[ns]")
    fixed_on = pd.Series(pd.to_datetime(np.where(counted & ~np.isnat(award), award, start_at)))
    since = pd.Series(pd.to_datetime(pd.Series(np.asarray(benefit_since))).to_numpy())
    age = fixed_on.dt.year.to_numpy(dtype=float, na_value=np.nan) - np.asarray(birth_year, dtype=float)
    gap = None
    if worked_for_employer_until is not None:
        left = pd.to_datetime(pd.Series(np.asarray(worked_for_employer_until)))
        gap = ((pd.Series(start_at) - left).dt.days / 30.4375).to_numpy(dtype=float, na_value=np.nan)
    valuation = value_placements(
        np.asarray(target_group, dtype=object),
        benefit_years=_years_between(fixed_on, since),
        placement_type=np.asarray(placement_type, dtype=object),
        hours_per_week=np.asarray(hours_per_week, dtype=float),
        months=np.asarray(months, dtype=float),
        scheme=versions,
        schemes=registry,
        age=age,
        contract_type=contract_type,
        language_level=language_level,
        months_since_employer=gap,
        explain=explain,
    )
    return Credit(rows, valuation)


def value_registered(
    placements: pd.DataFrame,
    candidates: pd.DataFrame,
    vacancies: pd.DataFrame,
    obligations: pd.DataFrame,
    schemes: Schemes | None = None,
    *,
    explain: bool = False,
) -> tuple[pd.Series, Valuation]:
    """Every registered placement credited (:func:`credit_placements`): the obligation id each counts
    towards (NaN: none) and the valuation. Placements of a candidate or vacancy not in the frames
    value as an unknown group or a job."""
    cand = candidates.drop_duplicates("candidate_id").set_index("candidate_id")
    vac = vacancies.drop_duplicates("vacancy_id").set_index("vacancy_id")
    by_candidate, by_vacancy = placements["candidate_id"], placements["vacancy_id"]
    named = placements["obligation_id"].where(
        placements["obligation_id"].notna(), _lookup(vac["obligation_id"], by_vacancy)
    )
    credit = credit_placements(
        obligations,
        named=named.to_numpy(dtype=object),
        contractor=_lookup(vac["contractor_id"].astype(object), by_vacancy).to_numpy(dtype=object),
        target_group=_lookup(cand["target_group"].astype(object), by_candidate).to_numpy(dtype=object),
        benefit_since=_lookup(cand["benefit_since"], by_candidate).to_numpy(),
        birth_year=_lookup(cand["birth_year"].astype(float), by_candidate).to_numpy(dtype=float, na_value=np.nan),
        placement_type=_lookup(vac["placement_type"].astype(object), by_vacancy).to_numpy(dtype=object),
        hours_per_week=placements["hours_per_week"].to_numpy(dtype=float, na_value=np.nan),
        months=placement_months(placements["start_date"], placements["end_date"]),
        start=pd.to_datetime(placements["start_date"]).to_numpy(),
        contract_type=placements["contract_type"].astype(object).to_numpy(dtype=object),
        language_level=(
            _lookup(cand["language_level"].astype(object), by_candidate).to_numpy(dtype=object)
            if "language_level" in cand
            else None
        ),
        worked_for_employer_until=(
            pd.to_datetime(placements["worked_for_employer_until"]).to_numpy()
            if "worked_for_employer_until" in placements
            else None
        ),
        schemes=schemes,
        explain=explain,
    )
    ids = obligations["obligation_id"].astype(object).to_numpy()
    obligation_id = pd.Series(
        [ids[r] if r >= 0 else np.nan for r in credit.obligation.tolist()], index=placements.index, dtype=object
    )
    return obligation_id, credit.valuation


def realised_euros(
    obligations: pd.DataFrame,
    placements: pd.DataFrame,
    candidates: pd.DataFrame,
    vacancies: pd.DataFrame,
    schemes: Schemes | None = None,
) -> np.ndarray:
    """Euros each obligation (row of ``obligations``) has realised with its registered placements.

    A placement counts towards its own obligation, else its vacancy's, once it is accepted,
    started or ended, valued by that obligation's scheme. ``candidates`` and ``vacancies`` must
    hold those the placements name.
    """
    realised = np.zeros(len(obligations))
    done = placements[placements["status"].isin([s.value for s in REALISED_STATUSES])]
    if not len(done):
        return realised
    obligation_id, valuation = value_registered(done, candidates, vacancies, obligations, schemes)
    rows = pd.Index(obligations["obligation_id"].astype(str)).get_indexer(pd.Index(obligation_id.astype(str)))
    ok = rows >= 0
    return np.bincount(rows[ok], weights=valuation.euros[ok], minlength=len(obligations)).astype(float)


_MEASURE_UNIT = {"hours": "uur", "days": "dag"}


def value_contributions(
    contributions: pd.DataFrame, obligations: pd.DataFrame, schemes: Schemes | None = None
) -> Valuation:
    """SROI euros of contributions other than placements, each by the version of its obligation's
    scheme (:meth:`Schemes.versions_for_obligations`), with the rule of each: a purchase at its
    invoice value, knowledge sharing per employee-hour, a social activity per day. A kind the version
    has no block for, or an obligation not in ``obligations``, counts nothing and says so."""
    registry = schemes or Schemes()
    n = len(contributions)
    if not n:
        return Valuation(np.zeros(0), [])
    at = pd.Index(obligations["obligation_id"].astype(str)).get_indexer(
        pd.Index(contributions["obligation_id"].astype(str))
    )
    versions = registry.versions_for_obligations(obligations) if len(obligations) else []
    euros_out = np.zeros(n)
    rules: list[str] = []
    for i, (kind, amount, hours, days) in enumerate(
        zip(
            contributions["kind"].astype(object),
            contributions["amount_eur"].to_numpy(dtype=float, na_value=np.nan),
            contributions["hours"].to_numpy(dtype=float, na_value=np.nan),
            contributions["days"].to_numpy(dtype=float, na_value=np.nan),
            strict=True,
        )
    ):
        if at[i] < 0:
            rules.append(f"verplichting onbekend: telt niet = {euros(0.0)}")
            continue
        version = versions[at[i]]
        if kind not in version.blocks:
            rules.append(f"{version.title}: {kind} telt niet in dit schema = {euros(0.0)}")
            continue
        rate = version.blocks[kind]
        if rate is None:
            value = round(float(np.nan_to_num(amount)), 2)
            rules.append(f"{version.title}: {kind}, factuurwaarde excl. btw = {euros(value)}")
        else:
            column = CONTRIBUTION_MEASURE[kind]
            quantity = float(np.nan_to_num(hours if column == "hours" else days))
            value = round(rate * quantity, 2)
            rules.append(
                f"{version.title}: {kind}, {_eur(rate)} per {_MEASURE_UNIT[column]} × {number(quantity)} "
                f"= {euros(value)}"
            )
        euros_out[i] = value
    return Valuation(euros_out, rules)
