"""The domain entities: one frozen dataclass per row of each dataset file.

Field names and order follow :mod:`models.schema` exactly (a test keeps them in step), so an
entity converts to and from a table row without a mapping table. Optional fields are
``None`` when unknown: the defaults the spec gives are applied by the rules that need them
(:mod:`models.rules`, the matcher), never written into the data, so "unknown" stays visible.
The rules themselves work on whole tables (:mod:`models.rules`).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date
from typing import ClassVar

from models.dataset.cells import Experience
from models.enums import (
    CandidateStatus,
    ContractType,
    ContributionKind,
    DrivingLicence,
    EducationLevel,
    LanguageLevel,
    PhysicalLoad,
    PlacementStatus,
    PlacementType,
    PsoLevel,
    TargetGroup,
)
from models.errors import DatasetInvalid
from models.schema import CANDIDATES, CONTRACTORS, CONTRIBUTIONS, OBLIGATIONS, PLACEMENTS, VACANCIES, FileSpec


class InvalidTransition(DatasetInvalid):
    """A write whose only errors are placement status changes that the life cycle does not allow.

    Nothing of the write was stored. The API answers it with 409 (the request conflicts with the
    stored state), the command line like any other invalid dataset.
    """

    def __str__(self) -> str:
        return "; ".join(p.message for p in self.errors) + "; nothing was written"


@dataclass(frozen=True, slots=True)
class Candidate:
    """A person in the regional pool. Pseudonymous: the id is the only identity."""

    SPEC: ClassVar[FileSpec] = CANDIDATES

    candidate_id: str
    target_group: TargetGroup
    benefit_since: date | None = None
    birth_year: int | None = None
    region: str | None = None
    postcode: str | None = None
    lat: float | None = None
    lon: float | None = None
    skills: tuple[str, ...] = ()
    occupations: tuple[Experience, ...] = ()
    education_level: EducationLevel | None = None
    certificates: tuple[str, ...] = ()
    driving_licences: tuple[DrivingLicence, ...] = ()
    language_level: LanguageLevel | None = None
    hours_min: int | None = None
    hours_max: int | None = None
    available_from: date | None = None
    max_travel_km: float | None = None
    physical_capacity: PhysicalLoad | None = None
    previous_employers: tuple[str, ...] = ()
    consent: bool = False
    status: CandidateStatus | None = None
    coach_id: str | None = None
    profile_text: str | None = None


@dataclass(frozen=True, slots=True)
class Contractor:
    """A contractor (opdrachtnemer) that must fulfil SROI obligations."""

    SPEC: ClassVar[FileSpec] = CONTRACTORS

    contractor_id: str
    name: str
    kvk: str | None = None
    postcode: str | None = None
    lat: float | None = None
    lon: float | None = None
    pso_level: PsoLevel | None = None
    headcount_baseline: int | None = None
    headcount_current: int | None = None


@dataclass(frozen=True, slots=True)
class Obligation:
    """The SROI obligation of one awarded tender."""

    SPEC: ClassVar[FileSpec] = OBLIGATIONS

    obligation_id: str
    contractor_id: str
    client: str
    tender_name: str
    sector: str | None = None
    contract_value_eur: float = 0.0
    sroi_percentage: float = 0.0
    obligation_eur: float | None = None
    award_date: date | None = None
    start_date: date | None = None
    end_date: date | None = None
    valuation_scheme: str | None = None
    publication_date: date | None = None
    allowed_target_groups: tuple[TargetGroup, ...] = ()


@dataclass(frozen=True, slots=True)
class Vacancy:
    """A work place offered towards an obligation."""

    SPEC: ClassVar[FileSpec] = VACANCIES

    vacancy_id: str
    contractor_id: str
    obligation_id: str | None = None
    title: str = ""
    occupation: str | None = None
    description: str | None = None
    required_skills: tuple[str, ...] = ()
    optional_skills: tuple[str, ...] = ()
    required_certificates: tuple[str, ...] = ()
    trainable_certificates: tuple[str, ...] = ()
    required_licences: tuple[DrivingLicence, ...] = ()
    min_language_level: LanguageLevel | None = None
    min_education_level: EducationLevel | None = None
    physical_load: PhysicalLoad | None = None
    hours_per_week: float = 0.0
    positions: int = 1
    additional: bool = False
    placement_type: PlacementType | None = None
    postcode: str | None = None
    lat: float | None = None
    lon: float | None = None
    start_date: date | None = None
    end_date: date | None = None


#: Placements that occupy a vacancy's place (a proposal does not yet).
OCCUPYING_STATUSES = frozenset({PlacementStatus.GEACCEPTEERD, PlacementStatus.GESTART})

#: The allowed next statuses of a placement.
TRANSITIONS: dict[PlacementStatus, frozenset[PlacementStatus]] = {
    PlacementStatus.VOORGESTELD: frozenset({PlacementStatus.GEACCEPTEERD, PlacementStatus.BEEINDIGD}),
    PlacementStatus.GEACCEPTEERD: frozenset({PlacementStatus.GESTART, PlacementStatus.BEEINDIGD}),
    PlacementStatus.GESTART: frozenset({PlacementStatus.BEEINDIGD}),
    PlacementStatus.BEEINDIGD: frozenset(),
}


def transition_refusal(placement_id: str, old: PlacementStatus, new: PlacementStatus) -> str | None:
    """Why a stored placement cannot move from ``old`` to ``new``, or ``None`` when its life cycle allows it."""
    if new == old or new in TRANSITIONS[old]:
        return None
    order = list(PlacementStatus)
    allowed = ", ".join(s.value for s in sorted(TRANSITIONS[old], key=order.index)) or "none: it has ended"
    return f"placement {placement_id} is {old.value} and cannot become {new.value} (allowed next: {allowed})"


@dataclass(frozen=True, slots=True)
class Placement:
    """A registered placement of a candidate in a vacancy."""

    SPEC: ClassVar[FileSpec] = PLACEMENTS

    placement_id: str
    candidate_id: str
    vacancy_id: str
    obligation_id: str | None = None
    start_date: date | None = None
    end_date: date | None = None
    hours_per_week: float = 0.0
    contract_type: ContractType | None = None
    status: PlacementStatus = PlacementStatus.VOORGESTELD
    retained_6m: bool | None = None
    retained_12m: bool | None = None
    worked_for_employer_until: date | None = None


@dataclass(frozen=True, slots=True)
class Contribution:
    """A contribution to an obligation other than a placement (purchase, knowledge sharing, activity)."""

    SPEC: ClassVar[FileSpec] = CONTRIBUTIONS

    contribution_id: str
    obligation_id: str
    kind: ContributionKind
    contribution_date: date | None = None
    amount_eur: float | None = None
    hours: float | None = None
    days: float | None = None
    description: str | None = None


ENTITIES: dict[str, type] = {
    "candidates": Candidate,
    "contractors": Contractor,
    "obligations": Obligation,
    "vacancies": Vacancy,
    "placements": Placement,
    "contributions": Contribution,
}


def entity_field_names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in fields(cls))


__all__ = [
    "ENTITIES",
    "OCCUPYING_STATUSES",
    "TRANSITIONS",
    "Candidate",
    "Contractor",
    "Contribution",
    "InvalidTransition",
    "Obligation",
    "Placement",
    "Vacancy",
    "entity_field_names",
    "transition_refusal",
]
