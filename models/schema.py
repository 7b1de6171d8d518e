"""The CSV exchange format (v1) as data: one :class:`Column` per column of each file.

This is the single source of truth for reading, validating and writing datasets, and for
the entity dataclasses (a test keeps them in step). See ``shared/specs/data-format.md``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum, StrEnum
from typing import Any

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


class Kind(Enum):
    """How a cell is parsed and written."""

    ID = "id"  # non-empty text, unique within its file when it is the key
    TEXT = "text"  # free text
    INT = "int"  # whole number
    FLOAT = "float"  # decimal number, `.` as separator
    BOOL = "bool"  # true / false
    DATE = "date"  # ISO YYYY-MM-DD
    ENUM = "enum"  # one value of ``enum``
    LIST = "list"  # `;`-separated free-text items
    ENUM_LIST = "enum_list"  # `;`-separated values of ``enum``
    ID_LIST = "id_list"  # `;`-separated ids
    EXPERIENCE_LIST = "experience_list"  # `;`-separated `label` or `label:years`
    POSTCODE = "postcode"  # PC4 `9401` or PC6 `9401AB`
    KVK = "kvk"  # 8-digit Chamber of Commerce number


@dataclass(frozen=True, slots=True)
class Column:
    """One column of a dataset file."""

    name: str
    kind: Kind
    required: bool = False
    enum: type[StrEnum] | None = None
    minimum: float | None = None
    maximum: float | None = None
    min_exclusive: bool = False
    default: Any = None  # the value a consumer assumes when the cell is empty (kept empty in tables)
    doc: str = ""


@dataclass(frozen=True, slots=True)
class FileSpec:
    """One file of a dataset: its name, key column and columns in canonical order."""

    name: str  # table name, e.g. "candidates"
    key: str
    columns: tuple[Column, ...]
    required_file: bool = True

    @property
    def filename(self) -> str:
        return f"{self.name}.csv"

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


HOURS_MAX = 80  # no one works more than this per week; catches typos like 400
#: The hours a week of a place or a placement: one hour at least, a full-time week and overtime at most.
PLACE_HOURS_MIN, PLACE_HOURS_MAX = 1, 60

CANDIDATES = FileSpec(
    name="candidates",
    key="candidate_id",
    columns=(
        Column("candidate_id", Kind.ID, required=True, doc="pseudonymous id"),
        Column("target_group", Kind.ENUM, required=True, enum=TargetGroup),
        Column("benefit_since", Kind.DATE, doc="start of the current benefit"),
        Column("birth_year", Kind.INT, minimum=1900, maximum=2100, doc="age bonuses and fairness only"),
        Column("region", Kind.TEXT, doc="arbeidsmarktregio name"),
        Column("postcode", Kind.POSTCODE),
        Column("lat", Kind.FLOAT, minimum=-90, maximum=90),
        Column("lon", Kind.FLOAT, minimum=-180, maximum=180),
        Column("skills", Kind.LIST),
        Column("occupations", Kind.EXPERIENCE_LIST, doc="`label:years` gives years of experience"),
        Column("education_level", Kind.ENUM, enum=EducationLevel),
        Column("certificates", Kind.LIST),
        Column("driving_licences", Kind.ENUM_LIST, enum=DrivingLicence),
        Column("language_level", Kind.ENUM, enum=LanguageLevel),
        Column("hours_min", Kind.INT, minimum=0, maximum=HOURS_MAX, default=0),
        Column("hours_max", Kind.INT, minimum=0, maximum=HOURS_MAX, default=40),
        Column("available_from", Kind.DATE),
        Column("max_travel_km", Kind.FLOAT, minimum=0, maximum=500, default=25),
        Column("physical_capacity", Kind.ENUM, enum=PhysicalLoad),
        Column("previous_employers", Kind.ID_LIST, doc="contractor_ids worked for before"),
        Column("consent", Kind.BOOL, required=True),
        Column("status", Kind.ENUM, enum=CandidateStatus, default=CandidateStatus.BESCHIKBAAR),
        Column("coach_id", Kind.TEXT),
        Column("profile_text", Kind.TEXT),
    ),
)

CONTRACTORS = FileSpec(
    name="contractors",
    key="contractor_id",
    columns=(
        Column("contractor_id", Kind.ID, required=True),
        Column("name", Kind.TEXT, required=True),
        Column("kvk", Kind.KVK),
        Column("postcode", Kind.POSTCODE),
        Column("lat", Kind.FLOAT, minimum=-90, maximum=90),
        Column("lon", Kind.FLOAT, minimum=-180, maximum=180),
        Column("pso_level", Kind.ENUM, enum=PsoLevel),
        Column("headcount_baseline", Kind.INT, minimum=0),
        Column("headcount_current", Kind.INT, minimum=0),
    ),
)

OBLIGATIONS = FileSpec(
    name="obligations",
    key="obligation_id",
    columns=(
        Column("obligation_id", Kind.ID, required=True),
        Column("contractor_id", Kind.ID, required=True),
        Column("client", Kind.TEXT, required=True),
        Column("tender_name", Kind.TEXT, required=True),
        Column("sector", Kind.TEXT),
        Column("contract_value_eur", Kind.FLOAT, required=True, minimum=0, min_exclusive=True),
        Column("sroi_percentage", Kind.FLOAT, required=True, minimum=0, maximum=100, min_exclusive=True),
        Column("obligation_eur", Kind.FLOAT, minimum=0),
        Column("award_date", Kind.DATE, required=True),
        Column("start_date", Kind.DATE, required=True),
        Column("end_date", Kind.DATE, required=True),
        Column("valuation_scheme", Kind.TEXT),
        Column(
            "publication_date",
            Kind.DATE,
            doc="the tender's publication date: the scheme version in force on it values the obligation",
        ),
        Column("allowed_target_groups", Kind.ENUM_LIST, enum=TargetGroup),
    ),
)

VACANCIES = FileSpec(
    name="vacancies",
    key="vacancy_id",
    columns=(
        Column("vacancy_id", Kind.ID, required=True),
        Column("contractor_id", Kind.ID, required=True),
        Column("obligation_id", Kind.ID),
        Column("title", Kind.TEXT, required=True),
        Column("occupation", Kind.TEXT),
        Column("description", Kind.TEXT),
        Column("required_skills", Kind.LIST),
        Column("optional_skills", Kind.LIST),
        Column("required_certificates", Kind.LIST),
        Column("trainable_certificates", Kind.LIST),
        Column("required_licences", Kind.ENUM_LIST, enum=DrivingLicence),
        Column("min_language_level", Kind.ENUM, enum=LanguageLevel),
        Column("min_education_level", Kind.ENUM, enum=EducationLevel),
        Column("physical_load", Kind.ENUM, enum=PhysicalLoad),
        Column("hours_per_week", Kind.FLOAT, required=True, minimum=PLACE_HOURS_MIN, maximum=PLACE_HOURS_MAX),
        Column("positions", Kind.INT, required=True, minimum=1),
        Column("additional", Kind.BOOL, required=True),
        Column("placement_type", Kind.ENUM, enum=PlacementType, default=PlacementType.BAAN),
        Column("postcode", Kind.POSTCODE),
        Column("lat", Kind.FLOAT, minimum=-90, maximum=90),
        Column("lon", Kind.FLOAT, minimum=-180, maximum=180),
        Column("start_date", Kind.DATE),
        Column("end_date", Kind.DATE),
    ),
)

PLACEMENTS = FileSpec(
    name="placements",
    key="placement_id",
    required_file=False,
    columns=(
        Column("placement_id", Kind.ID, required=True),
        Column("candidate_id", Kind.ID, required=True),
        Column("vacancy_id", Kind.ID, required=True),
        Column("obligation_id", Kind.ID),
        Column("start_date", Kind.DATE, required=True),
        Column("end_date", Kind.DATE),
        Column("hours_per_week", Kind.FLOAT, required=True, minimum=PLACE_HOURS_MIN, maximum=PLACE_HOURS_MAX),
        Column("contract_type", Kind.ENUM, enum=ContractType),
        Column("status", Kind.ENUM, required=True, enum=PlacementStatus),
        Column("retained_6m", Kind.BOOL),
        Column("retained_12m", Kind.BOOL),
        Column(
            "worked_for_employer_until",
            Kind.DATE,
            doc="the last day the candidate worked for this employer before the placement; empty: did not",
        ),
    ),
)


#: **(extension)** Contributions other than placements: purchases from a social enterprise,
#: knowledge sharing, social activities. Each counts towards one obligation, valued by its scheme.
CONTRIBUTIONS = FileSpec(
    name="contributions",
    key="contribution_id",
    required_file=False,
    columns=(
        Column("contribution_id", Kind.ID, required=True),
        Column("obligation_id", Kind.ID, required=True, doc="the obligation it counts towards"),
        Column("kind", Kind.ENUM, required=True, enum=ContributionKind),
        Column("contribution_date", Kind.DATE, required=True, doc="the day of the purchase or activity"),
        Column("amount_eur", Kind.FLOAT, minimum=0, doc="a purchase's invoice value excluding VAT"),
        Column("hours", Kind.FLOAT, minimum=0, min_exclusive=True, doc="employee-hours of knowledge sharing"),
        Column("days", Kind.FLOAT, minimum=0, min_exclusive=True, doc="days of a social activity"),
        Column("description", Kind.TEXT),
    ),
)

#: The column each contribution kind is measured in (required for that kind).
CONTRIBUTION_MEASURE: dict[str, str] = {
    ContributionKind.INKOOP_SOCIALE_ONDERNEMING: "amount_eur",
    ContributionKind.KENNISDELING: "hours",
    ContributionKind.MAATSCHAPPELIJKE_ACTIVITEIT: "days",
}


def default(file: str, column: str) -> Any:
    """The value a consumer assumes for an empty cell of ``file``'s ``column`` (the format's default)."""
    return FILES_BY_NAME[file].column(column).default


#: The files in dependency order (referenced files first).
FILES: tuple[FileSpec, ...] = (CONTRACTORS, OBLIGATIONS, VACANCIES, CANDIDATES, PLACEMENTS, CONTRIBUTIONS)
FILES_BY_NAME: dict[str, FileSpec] = {f.name: f for f in FILES}


@dataclass(frozen=True, slots=True)
class Reference:
    """A column whose values must be keys of another file."""

    file: str
    column: str
    target: str  # file name whose key is referenced
    optional: bool  # an empty cell is fine


REFERENCES: tuple[Reference, ...] = (
    Reference("obligations", "contractor_id", "contractors", optional=False),
    Reference("vacancies", "contractor_id", "contractors", optional=False),
    Reference("vacancies", "obligation_id", "obligations", optional=True),
    Reference("placements", "candidate_id", "candidates", optional=False),
    Reference("placements", "vacancy_id", "vacancies", optional=False),
    Reference("placements", "obligation_id", "obligations", optional=True),
    Reference("contributions", "obligation_id", "obligations", optional=False),
)

#: (file, start column, end column): the end may not lie before the start.
DATE_ORDER: tuple[tuple[str, str, str], ...] = (
    ("obligations", "publication_date", "award_date"),
    ("obligations", "award_date", "end_date"),
    ("obligations", "start_date", "end_date"),
    ("vacancies", "start_date", "end_date"),
    ("placements", "start_date", "end_date"),
    ("placements", "worked_for_employer_until", "start_date"),
)
