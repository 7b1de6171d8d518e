"""scheme versions: a tender's publication date and a placement's earlier work for the employer

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07 12:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("obligations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("publication_date", sa.Date(), nullable=True))
    with op.batch_alter_table("placements", schema=None) as batch_op:
        batch_op.add_column(sa.Column("worked_for_employer_until", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("placements", schema=None) as batch_op:
        batch_op.drop_column("worked_for_employer_until")
    with op.batch_alter_table("obligations", schema=None) as batch_op:
        batch_op.drop_column("publication_date")
