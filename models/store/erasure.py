"""The right to erasure: a candidate's profile goes; what obligations' euros need stays, anonymised."""

from __future__ import annotations

import secrets

from sqlalchemy import Connection, func, select, update

from models.store import tables as t
from models.store.access import visible
from models.store.store import now

#: Every table that names a candidate outside the candidate's own row.
NAMING_TABLES = (t.run_plan, t.run_unplaced, t.decisions, t.audit_candidates)


def anonymous_id() -> str:
    return "verwijderd-" + secrets.token_hex(8)


def erase_candidate(conn: Connection, candidate_id: str, region: str | None, token: str) -> int | None:
    """Erase a candidate ``region`` sees, in the caller's transaction; ``None`` when there is none.

    When they have placements, a stub with the id ``token`` keeps the target group, benefit start and
    birth year (what the valuation schemes read), so obligations' euros do not change. The old id is
    replaced by ``token`` in placements, plans, decisions and the audit log. Returns the placements kept.
    """
    row = conn.execute(
        select(t.candidates).where(t.candidates.c.candidate_id == candidate_id, visible("candidates", region))
    ).first()
    if row is None:
        return None
    kept = int(
        conn.execute(
            select(func.count()).select_from(t.placements).where(t.placements.c.candidate_id == candidate_id)
        ).scalar()
        or 0
    )
    if kept:
        conn.execute(
            t.candidates.insert().values(
                candidate_id=token,
                target_group=row.target_group,
                benefit_since=row.benefit_since,
                birth_year=row.birth_year,
                region=row.region,
                consent=False,
                status="inactief",
                updated_at=now(),
            )
        )
        conn.execute(update(t.placements).where(t.placements.c.candidate_id == candidate_id).values(candidate_id=token))
    for table in NAMING_TABLES:
        conn.execute(update(table).where(table.c.candidate_id == candidate_id).values(candidate_id=token))
    conn.execute(t.candidates.delete().where(t.candidates.c.candidate_id == candidate_id))
    return kept


__all__ = ["anonymous_id", "erase_candidate"]
