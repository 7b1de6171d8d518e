"""one decision of each kind per pair

A coach's second *accept* of the same pair returns the first proposal instead of making another:
the store holds at most one accepted and one rejected decision per (candidate, vacancy). Duplicates
an older version wrote are dropped first, the earliest decision of each kind kept.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-07 03:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    decisions = sa.table(
        "decisions",
        sa.column("decision_id", sa.Integer()),
        sa.column("candidate_id", sa.String()),
        sa.column("vacancy_id", sa.String()),
        sa.column("decision", sa.String()),
    )
    first = (
        sa.select(sa.func.min(decisions.c.decision_id))
        .group_by(decisions.c.candidate_id, decisions.c.vacancy_id, decisions.c.decision)
        .scalar_subquery()
    )
    op.execute(decisions.delete().where(decisions.c.decision_id.not_in(first)))
    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.create_unique_constraint("uq_decisions_pair", ["candidate_id", "vacancy_id", "decision"])


def downgrade() -> None:
    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.drop_constraint("uq_decisions_pair", type_="unique")
