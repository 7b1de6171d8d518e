"""Request and response models of the HTTP API, generated from the exchange format.

Each file of the format gets ``XCreate`` (a new row), ``XUpdate`` (the fields to change) and
``XPublic`` (a stored row). Lists are JSON arrays of the items a CSV cell would hold
(``"Timmerman:5"`` for an occupation with years). The JSON body is turned into the same cell
texts a CSV file has and checked by the same validator, so both ways in obey the same rules.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Annotated, Any, Generic, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    create_model,
    field_validator,
)

from models.dataset.cells import LIST_JOINER, split_list
from models.schema import FILES, PLACEMENTS, Column, FileSpec, Kind
from models.store.convert import db_to_text

MAX_TEXT = 20_000
MAX_ITEMS = 200
MAX_INT = 2**31 - 1
MAX_NUMBER = 1e15  # a decimal without a range of its own in the format


class Strict(BaseModel):
    """No unknown fields, no NaN or infinity, no NUL characters or lone surrogates (a database cannot hold them)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, use_enum_values=True)

    @field_validator("*", mode="before")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        problem = _unstorable(value)
        if problem:
            raise ValueError(problem)
        return value


def _unstorable(value: Any) -> str | None:
    """Why a JSON value (a text, or texts in lists) cannot be stored, or None."""
    if isinstance(value, list | tuple):
        return next((p for p in map(_unstorable, value) if p), None)
    if not isinstance(value, str):
        return None
    if "\x00" in value:
        return "contains a NUL character"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate (JSON "\udc00"): no text encoding holds it
        return "contains an invalid character (a lone surrogate)"
    return None


def _whole_number(value: Any) -> Any:
    """A whole number as JSON Schema has it: ``2`` or ``2.0``, never ``2.5``, ``"2"`` or ``true``."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("is not a whole number")
    return value


def _decimal_field(col: Column) -> Any:
    """A decimal column in JSON: a number (an int is one, a text is not) in the format's range, finite."""
    low = col.minimum if col.minimum is not None else -MAX_NUMBER
    high = col.maximum if col.maximum is not None else MAX_NUMBER
    if col.min_exclusive:
        return Field(strict=True, gt=low, le=high)
    return Field(strict=True, ge=low, le=high)


def _date_text(value: Any) -> Any:
    """A date is a ``YYYY-MM-DD`` text: a number (seconds since 1970?) or a time of day is refused."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not DATE_TEXT.fullmatch(value):
        raise ValueError("is not a date: give it as YYYY-MM-DD")
    return value


DATE_TEXT = re.compile(r"\d{4}-\d{2}-\d{2}")
#: A date in JSON: a ``YYYY-MM-DD`` text and nothing else.
DateText = Annotated[date, BeforeValidator(_date_text)]


def _item_type(col: Column) -> Any:
    if col.kind is Kind.ENUM_LIST and col.enum is not None:
        return col.enum
    return Annotated[str, StringConstraints(min_length=1, max_length=500)]


def json_type(col: Column) -> Any:
    """The JSON (pydantic) type of a column."""
    kind = col.kind
    if kind is Kind.INT:
        low = int(col.minimum) if col.minimum is not None else -MAX_INT
        high = int(col.maximum) if col.maximum is not None else MAX_INT
        return Annotated[int, Field(ge=low, le=high), BeforeValidator(_whole_number)]
    if kind is Kind.FLOAT:
        return Annotated[float, _decimal_field(col)]
    if kind is Kind.BOOL:
        return Annotated[bool, Field(strict=True)]
    if kind is Kind.DATE:
        return DateText
    if kind is Kind.ENUM and col.enum is not None:
        return col.enum
    if kind in (Kind.LIST, Kind.ENUM_LIST, Kind.ID_LIST, Kind.EXPERIENCE_LIST):
        return Annotated[list[_item_type(col)], Field(max_length=MAX_ITEMS)]  # type: ignore[misc]
    if kind is Kind.ID:
        return Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=r"^[^\s;,]+$")]
    if kind is Kind.POSTCODE:
        return Annotated[str, StringConstraints(max_length=10)]
    if kind is Kind.KVK:
        return Annotated[str, StringConstraints(max_length=8)]
    if col.required:  # a required text holds more than white space, as the format's reader sees it
        return Annotated[str, StringConstraints(min_length=1, max_length=MAX_TEXT, pattern=r"\S")]
    return Annotated[str, StringConstraints(max_length=MAX_TEXT)]


def to_cell(value: Any, col: Column) -> str:
    """The CSV cell text of a JSON value."""
    if value is None:
        return ""
    if isinstance(value, list):
        return LIST_JOINER.join(str(v.value if isinstance(v, StrEnum) else v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, StrEnum):
        return value.value
    return str(value)


def to_json(value: object, col: Column) -> Any:
    """The JSON value of a stored (database) value."""
    if value is None:
        return [] if col.kind in (Kind.LIST, Kind.ENUM_LIST, Kind.ID_LIST, Kind.EXPERIENCE_LIST) else None
    if col.kind in (Kind.LIST, Kind.ENUM_LIST, Kind.ID_LIST, Kind.EXPERIENCE_LIST):
        return list(split_list(db_to_text(value, col)))
    if col.kind is Kind.FLOAT:
        return float(value)  # type: ignore[arg-type]
    if isinstance(value, datetime):
        return _in_utc(value).isoformat()
    return value


def _in_utc(value: datetime) -> datetime:
    """A stored time with its time zone: the store writes UTC, and SQLite gives it back without one."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


#: A moment in time as the API shows it: ISO 8601 in UTC with its offset (``2026-12-07T01:25:13+00:00``).
Timestamp = Annotated[datetime, AfterValidator(_in_utc)]


EXAMPLES: dict[str, dict[str, Any]] = {
    "candidates": {
        "candidate_id": "KND-000004",
        "target_group": "ww",
        "benefit_since": "2026-07-24",
        "region": "Groningen",
        "postcode": "9401",
        "skills": ["tegellijm aanbrengen", "tegelwerk voegen"],
        "occupations": ["Tegelzetter:3"],
        "education_level": "mbo2",
        "certificates": ["vca_basis"],
        "driving_licences": ["B"],
        "language_level": "B2",
        "hours_min": 24,
        "hours_max": 40,
        "available_from": "2026-08-17",
        "max_travel_km": 25,
        "physical_capacity": "zwaar",
        "consent": True,
        "status": "beschikbaar",
        "coach_id": "coach-AM01-01",
    },
    "contractors": {
        "contractor_id": "OPN-00002",
        "name": "Bouwcombinatie Bos BV",
        "kvk": "30089174",
        "postcode": "9741",
        "pso_level": "aspirant",
        "headcount_baseline": 33,
        "headcount_current": 32,
    },
    "obligations": {
        "obligation_id": "SROI-00003",
        "contractor_id": "OPN-00002",
        "client": "Gemeente Winschoten",
        "tender_name": "Verduurzaming huurwoningen Winschoten",
        "sector": "bouw",
        "contract_value_eur": 1038000,
        "sroi_percentage": 5,
        "award_date": "2026-10-15",
        "start_date": "2027-02-01",
        "end_date": "2028-08-16",
        "allowed_target_groups": ["participatiewet", "ww"],
    },
    "vacancies": {
        "vacancy_id": "VAC-000001",
        "contractor_id": "OPN-00002",
        "obligation_id": "SROI-00003",
        "title": "Dakdekker (m/v)",
        "required_skills": ["bitumineuze dakbedekking aanbrengen", "dakonderhoud uitvoeren"],
        "required_certificates": ["VCA Basis"],
        "required_licences": ["B"],
        "physical_load": "zwaar",
        "hours_per_week": 38,
        "positions": 2,
        "additional": True,
        "placement_type": "baan",
        "postcode": "9671",
    },
    "placements": {
        "placement_id": "PLA-0000001",
        "candidate_id": "KND-000004",
        "vacancy_id": "VAC-000001",
        "start_date": "2027-03-01",
        "hours_per_week": 38,
        "contract_type": "tijdelijk",
        "status": "voorgesteld",
    },
    "contributions": {
        "contribution_id": "BIJ-0001",
        "obligation_id": "SROI-00001",
        "kind": "kennisdeling",
        "contribution_date": "2027-03-01",
        "hours": 16,
        "description": "Gastles op een praktijkschool",
    },
}


#: One row of each file, in words.
SINGULAR = {
    "candidates": "candidate",
    "contractors": "contractor",
    "obligations": "obligation",
    "vacancies": "vacancy",
    "placements": "placement",
    "contributions": "contribution",
}


def _model(spec: FileSpec, kind: str) -> type[BaseModel]:
    fields: dict[str, Any] = {}
    for col in spec.columns:
        typ = json_type(col)
        doc = col.doc or None
        if kind == "Update" and col.name == spec.key:
            continue
        if kind == "Create" and col.required:
            fields[col.name] = (typ, Field(description=doc))
        elif kind == "Public" and col.name == spec.key:
            fields[col.name] = (str, Field(description=doc))
        else:
            fields[col.name] = (typ | None, Field(default=None, description=doc))
    example = dict(EXAMPLES[spec.name])
    if kind == "Update":
        example = {k: v for k, v in example.items() if k != spec.key and k in list(example)[1:3]}
    if kind == "Public":
        fields["updated_at"] = (Timestamp, Field(description="when the row last changed"))
        example["updated_at"] = "2026-11-22T10:00:00+00:00"
    title = SINGULAR[spec.name].capitalize() + kind
    base = Strict if kind != "Public" else BaseModel
    model = create_model(title, __base__=base, **fields)
    model.model_config["json_schema_extra"] = {"examples": [example]}
    model.model_rebuild(force=True)
    return model


CREATE: dict[str, type[BaseModel]] = {spec.name: _model(spec, "Create") for spec in FILES}
UPDATE: dict[str, type[BaseModel]] = {spec.name: _model(spec, "Update") for spec in FILES}
PUBLIC: dict[str, type[BaseModel]] = {spec.name: _model(spec, "Public") for spec in FILES}

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """One page of a list: the items, how many match in all, and where the next page starts."""

    items: list[T]
    total: int
    offset: int
    limit: int
    next_offset: int | None = None


class FieldError(BaseModel):
    field: str | None = Field(description="the field (column) at fault")
    row: int | None = Field(default=None, description="the CSV row (header = 1) for an upload")
    value: str | None = None
    message: str


class ProblemDetails(BaseModel):
    """An RFC 9457 problem: ``application/problem+json``."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    errors: list[FieldError] = Field(default_factory=list)


class ChangeCounts(BaseModel):
    inserted: int
    updated: int
    unchanged: int


class ImportResult(BaseModel):
    """What a bulk upload changed and the warnings that did not block it."""

    changes: dict[str, ChangeCounts]
    warnings: list[FieldError]
    data_version: int


class Proposal(BaseModel):
    """A standing proposal of the pair: a coach accepted it and its placement is there."""

    placement_id: str
    at: Timestamp = Field(description="when the coach proposed the pair")
    by: str | None = Field(description="the label of the key that proposed it")
    status: str = Field(description="the placement's status now (`voorgesteld`, `geaccepteerd`, ...)")


class ModelFigures(BaseModel):
    """The learned model's file and how it did on placements it was not trained on."""

    file: str
    training_size: int
    validation_size: int
    validation_auc: float = Field(description="how well it ranks lasting before failing placements (0.5: chance)")
    validation_brier: float = Field(description="mean squared error of its probabilities (lower is better)")
    base_rate: float = Field(description="share of the training placements that lasted 6 months")


class ScorerInfo(BaseModel):
    """What the `score` of suggestions and plans is on this server."""

    scorer: str = Field(description="`rule` (no model loaded) or `learned`")
    label: str = Field(description="its Dutch name: `passingsscore` or `kans op 6 maanden`")
    probability: bool = Field(description="true only for a calibrated learned model")
    explanation: str = Field(description="a short Dutch explanation for a coach")
    model: ModelFigures | None = Field(description="the model's file and validation figures; null for `rule`")


class Suggestion(BaseModel):
    rank: int
    candidate_id: str
    vacancy_id: str
    score: float = Field(
        description="how well the pair fits, 0..1. With the rule scorer (`scorer: rule`) a passingsscore: a "
        "weighted rule score, not a probability. Only with a calibrated learned model (`scorer: learned`) the "
        "predicted probability that the placement lasts 6 months. GET /scorer says which, with its validation."
    )
    confidence: float = Field(description="share of the evidence that is known (0..1): 1 when no field is unknown")
    explanation: str = Field(description="why, in Dutch, for the coach")
    reasons: str = Field(
        default="",
        description="the explanation as codes, `;`-separated: `skills:1/2`, `missing:a|b`, `km:8` (`km:~8` "
        "estimated from the region, `km:?` unknown), `soft_gap:vca_basis`, `unknown:language|hours`, "
        "`top:+skill_coverage|-distance_km`",
    )
    proposal: Proposal | None = Field(default=None, description="set when the pair is already proposed")


class SuggestionList(BaseModel):
    subject: str
    scorer: str
    items: list[Suggestion]


class AcceptSuggestion(Strict):
    """A coach accepts a suggestion: a placement is proposed (``voorgesteld``) and the decision kept."""

    candidate_id: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    vacancy_id: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    start_date: DateText | None = Field(default=None, description="default: the vacancy's start or today")
    hours_per_week: json_type(PLACEMENTS.column("hours_per_week")) | None = Field(  # type: ignore[valid-type]
        default=None, description="default: the vacancy's"
    )
    reason: Annotated[str, StringConstraints(max_length=2000)] | None = None
    run_id: Annotated[str, StringConstraints(max_length=32)] | None = None

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"candidate_id": "KND-000004", "vacancy_id": "VAC-000001"}]},
    )


class RejectSuggestion(Strict):
    """A coach turns a suggestion down: never suggested or planned together again."""

    candidate_id: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    vacancy_id: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    reason: Annotated[str, StringConstraints(max_length=2000)] | None = None

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"candidate_id": "KND-000004", "vacancy_id": "VAC-000001", "reason": "reistijd"}]
        },
    )


class Decision(BaseModel):
    decision_id: int
    at: Timestamp
    candidate_id: str
    vacancy_id: str
    decision: str
    reason: str | None
    placement_id: str | None
    run_id: str | None
    withdrawn_placement_id: str | None = Field(
        default=None, description="a rejection: the proposed placement it withdrew, if the pair was proposed"
    )


class Accepted(BaseModel):
    """The pair's proposal: made now (201) or made before and returned as it stands (200)."""

    decision_id: int
    placement: dict[str, Any] = Field(description="the placement, as GET /placements/{id} shows it")
    proposal: Proposal


class RunScope(StrEnum):
    OBLIGATION = "obligation"
    TENDER = "tender"
    CONTRACTOR = "contractor"
    REGION = "region"


class RunCreate(Strict):
    """Start a batch match for one obligation, tender, contractor or the whole region."""

    scope: RunScope
    scope_id: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = Field(
        default=None, description="obligation_id, tender_name or contractor_id; empty for a region run"
    )
    today: DateText | None = Field(default=None, description="as-of date (YYYY-MM-DD); default today")
    locked: list[tuple[str, str]] = Field(default_factory=list, max_length=10_000, description="(candidate, vacancy)")
    forbidden: list[tuple[str, str]] = Field(default_factory=list, max_length=10_000)

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"scope": "obligation", "scope_id": "SROI-00003"}]},
    )


class RunPublic(BaseModel):
    run_id: str
    scope: str
    scope_id: str | None
    region: str | None
    status: str = Field(description="queued, running, done or failed")
    progress: float
    stage: str
    attempts: int
    created_at: Timestamp
    started_at: Timestamp | None
    finished_at: Timestamp | None
    error: str | None
    input_hash: str | None
    summary: dict[str, Any] | None


class PlanRow(BaseModel):
    candidate_id: str
    vacancy_id: str
    obligation_id: str | None
    score: float
    sroi_value_eur: float
    explanation: str
    reasons: str
    locked: bool
    displacement_warning: bool
    vacancy_title: str | None = Field(default=None, description="the vacancy's title")
    contractor_name: str | None = Field(default=None, description="the name of the vacancy's contractor")
    region: str | None = Field(default=None, description="the region the vacancy lies in (GET /worklist/vacancies)")
    proposal: Proposal | None = Field(default=None, description="set when the pair is already proposed")


class UnfilledRow(BaseModel):
    vacancy_id: str
    open_positions: int
    reason: str


class UnplacedRow(BaseModel):
    candidate_id: str
    reason: str
    nearest_vacancy_id: str | None
    missing: str | None


class Progress(BaseModel):
    """How far an obligation is: euros owed, realised by registered placements, and still needed."""

    obligation_id: str
    valuation_scheme: str = Field(description="the obligation's bouwblokken scheme")
    scheme_version: str = Field(
        description="the version of the scheme that values it: the one in force on the tender's publication "
        "date (else its award date), e.g. `holland_rijnland 2023 (vanaf 2023-09-01)`"
    )
    owed_eur: float = Field(description="what the obligation owes after the PSO discount of its scheme")
    realised_eur: float = Field(description="SROI value of its placements geaccepteerd, gestart or beeindigd")
    planned_eur: float = Field(description="SROI value of its placements still voorgesteld")
    still_needed_eur: float
    fulfilment: float = Field(description="realised / owed (0..1)")
    forecast_eur: float = Field(
        description="what is secured + the expected 6-month retention × (placements still running, planned "
        "ones and the pace so far × the months left)"
    )
    forecast_low_eur: float = Field(description="the forecast at the low end of the retention's 95% interval")
    forecast_high_eur: float = Field(description="the forecast at the high end of the retention's 95% interval")
    forecast_label: str = Field(
        description="the forecast range as shares of what is owed, in Dutch: `87%–95%`, `ruim gehaald` above "
        "150%, `nog niet gestart` before the start, `nog geen tempo` in the first 3 months"
    )
    status: str = Field(description="`op schema`, `risico` or `achter`")
    reason: str = Field(description="why, in Dutch")
    months_left: float
    placements: dict[str, int] = Field(description="placements per status")
    open_positions: int
    end_date: date
    running: bool


class AuditEvent(BaseModel):
    event_id: int
    at: Timestamp
    key_id: str | None
    role: str
    region: str | None
    action: str
    resource: str
    candidate_ids: list[str]


class Erased(BaseModel):
    candidate_id: str
    erased: bool
    placements_kept: int = Field(description="placements kept for the obligations' figures, under an anonymous id")
