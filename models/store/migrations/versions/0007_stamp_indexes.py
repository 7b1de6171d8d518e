"""stamp indexes: a region's candidates' and every vacancy's ids and last changes, read from an index alone

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-08 00:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_candidates_region_stamps", "candidates", ["region", "candidate_id", "updated_at"], unique=False)
    op.create_index("ix_vacancies_stamps", "vacancies", ["vacancy_id", "updated_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_vacancies_stamps", table_name="vacancies")
    op.drop_index("ix_candidates_region_stamps", table_name="candidates")
