"""The domain entities: one frozen dataclass per row of each dataset file.

Field names and order follow :mod:`models.schema` exactly (a test keeps them in step), so an
entity converts to and from a table row without a mapping table. Optional fields are
``None`` when unknown; the defaults the spec gives are applied by the ``effective_*``
properties, never written into the data, so "unknown" stays visible to the matcher.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date
from typing import ClassVar

from models.dataset.cells import Experience
from models.enums import (
    CandidateStatus,
    ContractType,
    DrivingLicence,
    EducationLevel,
    LanguageLevel,
    PhysicalLoad,
    PlacementStatus,
    PlacementType,
    PsoLevel,
    TargetGroup,
)
from models.errors import KoppelaarError
from models.schema import CANDIDATES, CONTRACTORS, OBLIGATIONS, PLACEMENTS, VACANCIES, FileSpec


class InvalidTransition(KoppelaarError):  # noqa: N818 -- public name, kept for callers and docs
    """A placement status change that its life cycle does not allow."""


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

    @property
    def effective_status(self) -> CandidateStatus:
        return self.status or CandidateStatus.BESCHIKBAAR

    @property
    def matchable(self) -> bool:
        """Only consenting, available candidates are ever suggested or planned."""
        return self.consent and self.effective_status is CandidateStatus.BESCHIKBAAR

    @property
    def hours_range(self) -> tuple[int, int]:
        return (
            self.hours_min if self.hours_min is not None else 0,
            self.hours_max if self.hours_max is not None else 40,
        )

    @property
    def effective_max_travel_km(self) -> float:
        return self.max_travel_km if self.max_travel_km is not None else 25.0

    def age_on(self, day: date) -> int | None:
        """Age in whole years reached in the year of ``day`` (birth year only is known)."""
        return None if self.birth_year is None else day.year - self.birth_year

    def benefit_years_on(self, day: date) -> float | None:
        """Years on the current benefit at ``day`` (valuation differs below/above 2 years)."""
        return None if self.benefit_since is None else (day - self.benefit_since).days / 365.25


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

    @property
    def displacement_warning(self) -> bool:
        """Staff fell below the baseline at award: flagged on every report (verdringing)."""
        return (
            self.headcount_baseline is not None
            and self.headcount_current is not None
            and self.headcount_current < self.headcount_baseline
        )


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
    allowed_target_groups: tuple[TargetGroup, ...] = ()

    @property
    def sroi_value_eur(self) -> float:
        """The euros of social return owed: ``obligation_eur`` when given, else value × percentage."""
        return sroi_value_eur(self.contract_value_eur, self.sroi_percentage, self.obligation_eur)

    def counts_target_group(self, group: TargetGroup) -> bool:
        """Whether a placement of ``group`` counts towards this obligation (empty list: all count)."""
        return not self.allowed_target_groups or group in self.allowed_target_groups

    def is_open_on(self, day: date) -> bool:
        return self.end_date is None or day <= self.end_date


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

    @property
    def effective_placement_type(self) -> PlacementType:
        return self.placement_type or PlacementType.BAAN

    @property
    def hard_certificates(self) -> tuple[str, ...]:
        """Required certificates the candidate must already hold (not trainable on the job)."""
        return tuple(c for c in self.required_certificates if c not in self.trainable_certificates)


#: Placements that occupy a vacancy's place (a proposal does not yet).
OCCUPYING_STATUSES = frozenset({PlacementStatus.GEACCEPTEERD, PlacementStatus.GESTART})

#: The allowed next statuses of a placement.
TRANSITIONS: dict[PlacementStatus, frozenset[PlacementStatus]] = {
    PlacementStatus.VOORGESTELD: frozenset({PlacementStatus.GEACCEPTEERD, PlacementStatus.BEEINDIGD}),
    PlacementStatus.GEACCEPTEERD: frozenset({PlacementStatus.GESTART, PlacementStatus.BEEINDIGD}),
    PlacementStatus.GESTART: frozenset({PlacementStatus.BEEINDIGD}),
    PlacementStatus.BEEINDIGD: frozenset(),
}


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

    @property
    def occupies_place(self) -> bool:
        return self.status in OCCUPYING_STATUSES

    def can_move_to(self, status: PlacementStatus) -> bool:
        return status in TRANSITIONS[self.status]

    def check_transition(self, status: PlacementStatus) -> None:
        """Raise :class:`InvalidTransition` unless ``status`` may follow the current one."""
        if not self.can_move_to(status):
            allowed = ", ".join(s.value for s in TRANSITIONS[self.status]) or "none: it has ended"
            raise InvalidTransition(
                f"placement {self.placement_id} is {self.status.value} and cannot become {status.value} "
                f"(allowed next: {allowed})"
            )


ENTITIES: dict[str, type] = {
    "candidates": Candidate,
    "contractors": Contractor,
    "obligations": Obligation,
    "vacancies": Vacancy,
    "placements": Placement,
}


def sroi_value_eur(contract_value_eur: float, sroi_percentage: float, obligation_eur: float | None) -> float:
    """The SROI obligation in euros: the given amount, else contract value × percentage / 100."""
    if obligation_eur is not None:
        return float(obligation_eur)
    return float(contract_value_eur) * float(sroi_percentage) / 100.0


def entity_field_names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in fields(cls))


__all__ = [
    "ENTITIES",
    "OCCUPYING_STATUSES",
    "TRANSITIONS",
    "Candidate",
    "Contractor",
    "InvalidTransition",
    "Obligation",
    "Placement",
    "Vacancy",
    "entity_field_names",
    "sroi_value_eur",
]
