"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-22 14:27:24.310974
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_keys",
        sa.Column("key_id", sa.String(length=32), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("region", sa.String(length=200), nullable=True),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("key_id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("secret_hash", name=op.f("uq_api_keys_secret_hash")),
    )
    op.create_table(
        "audit_events",
        sa.Column("event_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("key_id", sa.String(length=32), nullable=True),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("region", sa.String(length=200), nullable=True),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("resource", sa.String(length=400), nullable=False),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_audit_events")),
    )
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_events_at"), ["at"], unique=False)

    op.create_table(
        "candidates",
        sa.Column("candidate_id", sa.String(length=100), nullable=False),
        sa.Column("target_group", sa.String(length=32), nullable=False),
        sa.Column("benefit_since", sa.Date(), nullable=True),
        sa.Column("birth_year", sa.Integer(), nullable=True),
        sa.Column("region", sa.Text(), nullable=True),
        sa.Column("postcode", sa.String(length=6), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("skills", sa.Text(), nullable=True),
        sa.Column("occupations", sa.Text(), nullable=True),
        sa.Column("education_level", sa.String(length=32), nullable=True),
        sa.Column("certificates", sa.Text(), nullable=True),
        sa.Column("driving_licences", sa.Text(), nullable=True),
        sa.Column("language_level", sa.String(length=32), nullable=True),
        sa.Column("hours_min", sa.Integer(), nullable=True),
        sa.Column("hours_max", sa.Integer(), nullable=True),
        sa.Column("available_from", sa.Date(), nullable=True),
        sa.Column("max_travel_km", sa.Float(), nullable=True),
        sa.Column("physical_capacity", sa.String(length=32), nullable=True),
        sa.Column("previous_employers", sa.Text(), nullable=True),
        sa.Column("consent", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=True),
        sa.Column("coach_id", sa.Text(), nullable=True),
        sa.Column("profile_text", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("candidate_id", name=op.f("pk_candidates")),
    )
    with op.batch_alter_table("candidates", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_candidates_coach_id"), ["coach_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_candidates_region"), ["region"], unique=False)
        batch_op.create_index(batch_op.f("ix_candidates_status"), ["status"], unique=False)

    op.create_table(
        "contractors",
        sa.Column("contractor_id", sa.String(length=100), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("kvk", sa.String(length=8), nullable=True),
        sa.Column("postcode", sa.String(length=6), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("pso_level", sa.String(length=32), nullable=True),
        sa.Column("headcount_baseline", sa.Integer(), nullable=True),
        sa.Column("headcount_current", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("contractor_id", name=op.f("pk_contractors")),
    )
    op.create_table(
        "store_meta",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_store_meta")),
    )
    op.create_table(
        "audit_candidates",
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("candidate_id", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["audit_events.event_id"],
            name=op.f("fk_audit_candidates_event_id_audit_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("event_id", "candidate_id", name=op.f("pk_audit_candidates")),
    )
    with op.batch_alter_table("audit_candidates", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_candidates_candidate_id"), ["candidate_id"], unique=False)

    op.create_table(
        "decisions",
        sa.Column("decision_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("key_id", sa.String(length=32), nullable=True),
        sa.Column("candidate_id", sa.String(length=100), nullable=False),
        sa.Column("vacancy_id", sa.String(length=100), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("placement_id", sa.String(length=100), nullable=True),
        sa.Column("run_id", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(["key_id"], ["api_keys.key_id"], name=op.f("fk_decisions_key_id_api_keys")),
        sa.PrimaryKeyConstraint("decision_id", name=op.f("pk_decisions")),
    )
    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_decisions_candidate_id"), ["candidate_id"], unique=False)

    op.create_table(
        "match_runs",
        sa.Column("run_id", sa.String(length=32), nullable=False),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("scope_id", sa.String(length=200), nullable=True),
        sa.Column("region", sa.String(length=200), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("progress", sa.Float(), nullable=False),
        sa.Column("stage", sa.String(length=64), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("options", sa.Text(), nullable=False),
        sa.Column("input_hash", sa.String(length=64), nullable=True),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("key_id", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["key_id"], ["api_keys.key_id"], name=op.f("fk_match_runs_key_id_api_keys")),
        sa.PrimaryKeyConstraint("run_id", name=op.f("pk_match_runs")),
    )
    with op.batch_alter_table("match_runs", schema=None) as batch_op:
        batch_op.create_index("ix_match_runs_region_created", ["region", "created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_match_runs_status"), ["status"], unique=False)

    op.create_table(
        "obligations",
        sa.Column("obligation_id", sa.String(length=100), nullable=False),
        sa.Column("contractor_id", sa.String(length=100), nullable=False),
        sa.Column("client", sa.Text(), nullable=False),
        sa.Column("tender_name", sa.Text(), nullable=False),
        sa.Column("sector", sa.Text(), nullable=True),
        sa.Column("contract_value_eur", sa.Float(), nullable=False),
        sa.Column("sroi_percentage", sa.Float(), nullable=False),
        sa.Column("obligation_eur", sa.Float(), nullable=True),
        sa.Column("award_date", sa.Date(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("valuation_scheme", sa.Text(), nullable=True),
        sa.Column("allowed_target_groups", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["contractor_id"], ["contractors.contractor_id"], name=op.f("fk_obligations_contractor_id_contractors")
        ),
        sa.PrimaryKeyConstraint("obligation_id", name=op.f("pk_obligations")),
    )
    with op.batch_alter_table("obligations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_obligations_contractor_id"), ["contractor_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_obligations_tender_name"), ["tender_name"], unique=False)

    op.create_table(
        "run_plan",
        sa.Column("run_id", sa.String(length=32), nullable=False),
        sa.Column("row", sa.Integer(), nullable=False),
        sa.Column("candidate_id", sa.String(length=100), nullable=False),
        sa.Column("vacancy_id", sa.String(length=100), nullable=False),
        sa.Column("obligation_id", sa.String(length=100), nullable=True),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("sroi_value_eur", sa.Float(), nullable=False),
        sa.Column("explanation", sa.Text(), nullable=False),
        sa.Column("reasons", sa.Text(), nullable=False),
        sa.Column("locked", sa.Boolean(), nullable=False),
        sa.Column("displacement_warning", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["match_runs.run_id"], name=op.f("fk_run_plan_run_id_match_runs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("run_id", "row", name=op.f("pk_run_plan")),
    )
    with op.batch_alter_table("run_plan", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_run_plan_candidate_id"), ["candidate_id"], unique=False)

    op.create_table(
        "run_unfilled",
        sa.Column("run_id", sa.String(length=32), nullable=False),
        sa.Column("row", sa.Integer(), nullable=False),
        sa.Column("vacancy_id", sa.String(length=100), nullable=False),
        sa.Column("open_positions", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["match_runs.run_id"], name=op.f("fk_run_unfilled_run_id_match_runs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("run_id", "row", name=op.f("pk_run_unfilled")),
    )
    op.create_table(
        "run_unplaced",
        sa.Column("run_id", sa.String(length=32), nullable=False),
        sa.Column("row", sa.Integer(), nullable=False),
        sa.Column("candidate_id", sa.String(length=100), nullable=False),
        sa.Column("reason", sa.String(length=64), nullable=False),
        sa.Column("nearest_vacancy_id", sa.String(length=100), nullable=True),
        sa.Column("missing", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"], ["match_runs.run_id"], name=op.f("fk_run_unplaced_run_id_match_runs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("run_id", "row", name=op.f("pk_run_unplaced")),
    )
    with op.batch_alter_table("run_unplaced", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_run_unplaced_candidate_id"), ["candidate_id"], unique=False)

    op.create_table(
        "vacancies",
        sa.Column("vacancy_id", sa.String(length=100), nullable=False),
        sa.Column("contractor_id", sa.String(length=100), nullable=False),
        sa.Column("obligation_id", sa.String(length=100), nullable=True),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("occupation", sa.Text(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("required_skills", sa.Text(), nullable=True),
        sa.Column("optional_skills", sa.Text(), nullable=True),
        sa.Column("required_certificates", sa.Text(), nullable=True),
        sa.Column("trainable_certificates", sa.Text(), nullable=True),
        sa.Column("required_licences", sa.Text(), nullable=True),
        sa.Column("min_language_level", sa.String(length=32), nullable=True),
        sa.Column("min_education_level", sa.String(length=32), nullable=True),
        sa.Column("physical_load", sa.String(length=32), nullable=True),
        sa.Column("hours_per_week", sa.Float(), nullable=False),
        sa.Column("positions", sa.Integer(), nullable=False),
        sa.Column("additional", sa.Boolean(), nullable=False),
        sa.Column("placement_type", sa.String(length=32), nullable=True),
        sa.Column("postcode", sa.String(length=6), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["contractor_id"], ["contractors.contractor_id"], name=op.f("fk_vacancies_contractor_id_contractors")
        ),
        sa.ForeignKeyConstraint(
            ["obligation_id"], ["obligations.obligation_id"], name=op.f("fk_vacancies_obligation_id_obligations")
        ),
        sa.PrimaryKeyConstraint("vacancy_id", name=op.f("pk_vacancies")),
    )
    with op.batch_alter_table("vacancies", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_vacancies_contractor_id"), ["contractor_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_vacancies_obligation_id"), ["obligation_id"], unique=False)

    op.create_table(
        "placements",
        sa.Column("placement_id", sa.String(length=100), nullable=False),
        sa.Column("candidate_id", sa.String(length=100), nullable=False),
        sa.Column("vacancy_id", sa.String(length=100), nullable=False),
        sa.Column("obligation_id", sa.String(length=100), nullable=True),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("hours_per_week", sa.Float(), nullable=False),
        sa.Column("contract_type", sa.String(length=32), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("retained_6m", sa.Boolean(), nullable=True),
        sa.Column("retained_12m", sa.Boolean(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["candidate_id"], ["candidates.candidate_id"], name=op.f("fk_placements_candidate_id_candidates")
        ),
        sa.ForeignKeyConstraint(
            ["obligation_id"], ["obligations.obligation_id"], name=op.f("fk_placements_obligation_id_obligations")
        ),
        sa.ForeignKeyConstraint(
            ["vacancy_id"], ["vacancies.vacancy_id"], name=op.f("fk_placements_vacancy_id_vacancies")
        ),
        sa.PrimaryKeyConstraint("placement_id", name=op.f("pk_placements")),
    )
    with op.batch_alter_table("placements", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_placements_candidate_id"), ["candidate_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_placements_obligation_id"), ["obligation_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_placements_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_placements_vacancy_id"), ["vacancy_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("placements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_placements_vacancy_id"))
        batch_op.drop_index(batch_op.f("ix_placements_status"))
        batch_op.drop_index(batch_op.f("ix_placements_obligation_id"))
        batch_op.drop_index(batch_op.f("ix_placements_candidate_id"))

    op.drop_table("placements")
    with op.batch_alter_table("vacancies", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_vacancies_obligation_id"))
        batch_op.drop_index(batch_op.f("ix_vacancies_contractor_id"))

    op.drop_table("vacancies")
    with op.batch_alter_table("run_unplaced", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_run_unplaced_candidate_id"))

    op.drop_table("run_unplaced")
    op.drop_table("run_unfilled")
    with op.batch_alter_table("run_plan", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_run_plan_candidate_id"))

    op.drop_table("run_plan")
    with op.batch_alter_table("obligations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_obligations_tender_name"))
        batch_op.drop_index(batch_op.f("ix_obligations_contractor_id"))

    op.drop_table("obligations")
    with op.batch_alter_table("match_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_match_runs_status"))
        batch_op.drop_index("ix_match_runs_region_created")

    op.drop_table("match_runs")
    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_decisions_candidate_id"))

    op.drop_table("decisions")
    with op.batch_alter_table("audit_candidates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_candidates_candidate_id"))

    op.drop_table("audit_candidates")
    op.drop_table("store_meta")
    op.drop_table("contractors")
    with op.batch_alter_table("candidates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_candidates_status"))
        batch_op.drop_index(batch_op.f("ix_candidates_region"))
        batch_op.drop_index(batch_op.f("ix_candidates_coach_id"))

    op.drop_table("candidates")
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_events_at"))

    op.drop_table("audit_events")
    op.drop_table("api_keys")
