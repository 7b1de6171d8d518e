"""The store's tables (SQLAlchemy 2.0 Core): one per file of the format, plus match runs, coach
decisions, API keys and the audit log.

The entity tables are generated from :mod:`models.schema`, so the store cannot drift
from the exchange format: one typed column per column of the file, lists kept as their
canonical `;`-joined text. Migrations (``models/store/migrations``) create exactly these.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.types import TypeEngine

from models.schema import FILES, FileSpec, Kind

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_name)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

ID_LENGTH = 100

_TYPES: dict[Kind, TypeEngine[Any]] = {
    Kind.ID: String(ID_LENGTH),
    Kind.TEXT: Text(),
    Kind.INT: Integer(),
    Kind.FLOAT: Float(),
    Kind.BOOL: Boolean(),
    Kind.DATE: Date(),
    Kind.ENUM: String(32),
    Kind.LIST: Text(),
    Kind.ENUM_LIST: Text(),
    Kind.ID_LIST: Text(),
    Kind.EXPERIENCE_LIST: Text(),
    Kind.POSTCODE: String(6),
    Kind.KVK: String(8),
}

#: (file, column) → referenced file: enforced by the database too, not only by the validator.
_FOREIGN = {
    ("obligations", "contractor_id"): "contractors.contractor_id",
    ("vacancies", "contractor_id"): "contractors.contractor_id",
    ("vacancies", "obligation_id"): "obligations.obligation_id",
    ("placements", "candidate_id"): "candidates.candidate_id",
    ("placements", "vacancy_id"): "vacancies.vacancy_id",
    ("placements", "obligation_id"): "obligations.obligation_id",
    ("contributions", "obligation_id"): "obligations.obligation_id",
}

#: Columns the API filters on.
_INDEXED = {
    ("candidates", "region"),
    ("candidates", "status"),
    ("candidates", "coach_id"),
    ("obligations", "contractor_id"),
    ("obligations", "tender_name"),
    ("vacancies", "contractor_id"),
    ("vacancies", "obligation_id"),
    ("placements", "candidate_id"),
    ("placements", "vacancy_id"),
    ("placements", "obligation_id"),
    ("placements", "status"),
    ("contributions", "obligation_id"),
}


def _entity_table(spec: FileSpec) -> Table:
    columns: list[Column[Any]] = []
    for col in spec.columns:
        args: list[ForeignKey] = []
        target = _FOREIGN.get((spec.name, col.name))
        if target is not None:
            args.append(ForeignKey(target))
        columns.append(
            Column(
                col.name,
                _TYPES[col.kind],
                *args,
                primary_key=col.name == spec.key,
                nullable=not col.required,
                index=(spec.name, col.name) in _INDEXED,
            )
        )
    columns.append(Column("updated_at", DateTime(timezone=True), nullable=False))
    return Table(spec.name, metadata, *columns)


ENTITY_TABLES: dict[str, Table] = {spec.name: _entity_table(spec) for spec in FILES}
candidates = ENTITY_TABLES["candidates"]
contractors = ENTITY_TABLES["contractors"]
obligations = ENTITY_TABLES["obligations"]
vacancies = ENTITY_TABLES["vacancies"]
placements = ENTITY_TABLES["placements"]
contributions = ENTITY_TABLES["contributions"]

api_keys = Table(
    "api_keys",
    metadata,
    Column("key_id", String(32), primary_key=True),
    Column("label", String(200), nullable=False),
    Column("role", String(32), nullable=False),
    Column("region", String(200), nullable=True),  # None: every region (admin only)
    Column("secret_hash", String(64), nullable=False, unique=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
)

match_runs = Table(
    "match_runs",
    metadata,
    Column("run_id", String(32), primary_key=True),
    Column("scope", String(16), nullable=False),  # obligation | tender | contractor | region
    Column("scope_id", String(200), nullable=True),
    Column("region", String(200), nullable=True),  # the region whose candidates it plans; None: all
    Column("status", String(16), nullable=False, index=True),  # queued | running | done | failed
    Column("progress", Float, nullable=False),
    Column("stage", String(64), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("options", Text, nullable=False),  # JSON: today, model, locked and forbidden pairs
    Column("input_hash", String(64), nullable=True),
    Column("summary", Text, nullable=True),  # JSON
    Column("error", Text, nullable=True),
    Column("key_id", String(32), ForeignKey("api_keys.key_id"), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=True),
    Column("finished_at", DateTime(timezone=True), nullable=True),
)

run_plan = Table(
    "run_plan",
    metadata,
    Column("run_id", String(32), ForeignKey("match_runs.run_id", ondelete="CASCADE"), primary_key=True),
    Column("row", Integer, primary_key=True),
    Column("candidate_id", String(ID_LENGTH), nullable=False, index=True),
    Column("vacancy_id", String(ID_LENGTH), nullable=False),
    Column("obligation_id", String(ID_LENGTH), nullable=True),
    Column("score", Float, nullable=False),
    Column("sroi_value_eur", Float, nullable=False),
    Column("explanation", Text, nullable=False),
    Column("reasons", Text, nullable=False),
    Column("locked", Boolean, nullable=False),
    Column("displacement_warning", Boolean, nullable=False),
)

run_unfilled = Table(
    "run_unfilled",
    metadata,
    Column("run_id", String(32), ForeignKey("match_runs.run_id", ondelete="CASCADE"), primary_key=True),
    Column("row", Integer, primary_key=True),
    Column("vacancy_id", String(ID_LENGTH), nullable=False),
    Column("open_positions", Integer, nullable=False),
    Column("reason", String(64), nullable=False),
)

run_unplaced = Table(
    "run_unplaced",
    metadata,
    Column("run_id", String(32), ForeignKey("match_runs.run_id", ondelete="CASCADE"), primary_key=True),
    Column("row", Integer, primary_key=True),
    Column("candidate_id", String(ID_LENGTH), nullable=False, index=True),
    Column("reason", String(64), nullable=False),
    Column("nearest_vacancy_id", String(ID_LENGTH), nullable=True),
    Column("missing", Text, nullable=True),
)

decisions = Table(
    "decisions",
    metadata,
    Column("decision_id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("key_id", String(32), ForeignKey("api_keys.key_id"), nullable=True),
    Column("candidate_id", String(ID_LENGTH), nullable=False, index=True),
    Column("vacancy_id", String(ID_LENGTH), nullable=False),
    Column("decision", String(16), nullable=False),  # accepted | rejected
    Column("reason", Text, nullable=True),
    Column("placement_id", String(ID_LENGTH), nullable=True),
    Column("run_id", String(32), nullable=True),
    # one proposal and one rejection per pair, whoever decides and however often a page sends it
    UniqueConstraint("candidate_id", "vacancy_id", "decision", name="uq_decisions_pair"),
)

audit_events = Table(
    "audit_events",
    metadata,
    Column("event_id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False, index=True),
    Column("key_id", String(32), nullable=True),  # None: the CLI on the server itself
    Column("role", String(32), nullable=False),
    Column("region", String(200), nullable=True),
    Column("action", String(64), nullable=False),
    Column("resource", String(400), nullable=False),
)

audit_candidates = Table(
    "audit_candidates",
    metadata,
    Column("event_id", Integer, ForeignKey("audit_events.event_id", ondelete="CASCADE"), primary_key=True),
    Column("candidate_id", String(ID_LENGTH), primary_key=True, index=True),
)

#: The web page's sign-ins with an organisation account: the cookie's value is never stored, only its
#: SHA-256 hash; ``key_id`` names the account's row in ``api_keys`` once signed in (None until then).
web_sessions = Table(
    "web_sessions",
    metadata,
    Column("session_hash", String(64), primary_key=True),
    Column("key_id", String(32), ForeignKey("api_keys.key_id"), nullable=True),
    Column("data", Text, nullable=False),  # JSON: the sign-in's state, the CSRF token, a message to show
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False, index=True),
)

#: What a user asked to be told: a topic (``obligation_status``, ``obligation_deadline``, ``vacancy_match``,
#: ``import_result``), the address to e-mail (``None``: the API's feed only) and the topic's parameters.
subscriptions = Table(
    "subscriptions",
    metadata,
    Column("subscription_id", Integer, primary_key=True, autoincrement=True),
    Column("key_id", String(32), ForeignKey("api_keys.key_id", ondelete="CASCADE"), nullable=False, index=True),
    Column("topic", String(32), nullable=False),
    Column("email", String(320), nullable=True),
    Column("weeks", Integer, nullable=True),  # obligation_deadline: this many weeks before the end
    Column("top_k", Integer, nullable=True),  # vacancy_match: a candidate among the first top_k
    Column("coach_id", String(ID_LENGTH), nullable=True),  # vacancy_match: the candidates of this coach
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("checked_at", DateTime(timezone=True), nullable=True),  # vacancy_match: vacancies changed after it
)

#: Each event once per subscription (``event_key``); ``sent_at`` once the e-mail went out.
notifications = Table(
    "notifications",
    metadata,
    Column("notification_id", Integer, primary_key=True, autoincrement=True),
    Column(
        "subscription_id",
        Integer,
        ForeignKey("subscriptions.subscription_id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("event_key", String(400), nullable=False),
    Column("subject", Text, nullable=False),
    Column("body", Text, nullable=False),
    Column("link", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, index=True),
    Column("sending_at", DateTime(timezone=True), nullable=True),  # claimed by a sender (no two send one)
    Column("sent_at", DateTime(timezone=True), nullable=True),
    Column("attempts", Integer, nullable=False),
    Column("error", Text, nullable=True),
    UniqueConstraint("subscription_id", "event_key", name="uq_notifications_event"),
)

#: The status each obligation had when the notifier last looked, and since when: a change is an event.
obligation_states = Table(
    "obligation_states",
    metadata,
    Column("obligation_id", String(ID_LENGTH), primary_key=True),
    Column("status", String(16), nullable=False),
    Column("since", DateTime(timezone=True), nullable=False),
)

store_meta = Table(
    "store_meta",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", Integer, nullable=False),
)

Index("ix_match_runs_region_created", match_runs.c.region, match_runs.c.created_at)
# when each row last changed, read from the index alone (Store.stamps: after every write, by every server
# process, for a region's candidates or for every vacancy)
Index("ix_candidates_region_stamps", candidates.c.region, candidates.c.candidate_id, candidates.c.updated_at)
Index("ix_vacancies_stamps", vacancies.c.vacancy_id, vacancies.c.updated_at)

__all__ = [
    "ENTITY_TABLES",
    "api_keys",
    "audit_candidates",
    "audit_events",
    "candidates",
    "contractors",
    "decisions",
    "match_runs",
    "metadata",
    "notifications",
    "obligation_states",
    "obligations",
    "placements",
    "run_plan",
    "run_unfilled",
    "run_unplaced",
    "store_meta",
    "subscriptions",
    "vacancies",
    "web_sessions",
]
