"""Coach decisions as stored: a suggestion accepted (with the placement it proposed) or rejected."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, bindparam, func, select

from models.store import tables as t
from models.store.store import now

# built once, as the audit's inserts are: building a statement costs more than running it on SQLite
_REJECTED = {
    kind: select(t.decisions.c.candidate_id, t.decisions.c.vacancy_id).where(
        t.decisions.c.decision == "rejected", column == bindparam("key")
    )
    for kind, column in (("vacancy", t.decisions.c.vacancy_id), ("candidate", t.decisions.c.candidate_id))
}


def insert(
    conn: Connection,
    *,
    key_id: str | None,
    candidate_id: str,
    vacancy_id: str,
    decision: str,
    reason: str | None,
    placement_id: str | None = None,
    run_id: str | None = None,
) -> tuple[int, dict[str, Any]]:
    """Record a decision; its id and the values stored."""
    values = {
        "at": now(),
        "key_id": key_id,
        "candidate_id": candidate_id,
        "vacancy_id": vacancy_id,
        "decision": decision,
        "reason": reason,
        "placement_id": placement_id,
        "run_id": run_id,
    }
    decision_id = conn.execute(t.decisions.insert().values(**values).returning(t.decisions.c.decision_id)).scalar_one()
    return int(decision_id), values


def rejected(conn: Connection, kind: str, key: str) -> set[tuple[str, str]]:
    """The rejected (candidate, vacancy) pairs of one vacancy or one candidate (``kind``)."""
    return {(r.candidate_id, r.vacancy_id) for r in conn.execute(_REJECTED[kind], {"key": key})}


def every_rejected(conn: Connection) -> list[tuple[str, str]]:
    """Every rejected (candidate, vacancy) pair."""
    query = select(t.decisions.c.candidate_id, t.decisions.c.vacancy_id).where(t.decisions.c.decision == "rejected")
    return [(r.candidate_id, r.vacancy_id) for r in conn.execute(query)]


def page(
    conn: Connection,
    region: str | None,
    *,
    candidate_id: str | None = None,
    vacancy_id: str | None = None,
    offset: int = 0,
    limit: int = 50,
) -> tuple[list[dict[str, Any]], int]:
    """A page of decisions about candidates of ``region`` (without the key that made them), and the total."""
    query = select(t.decisions)
    if region is not None:
        query = query.where(
            t.decisions.c.candidate_id.in_(select(t.candidates.c.candidate_id).where(t.candidates.c.region == region))
        )
    if candidate_id is not None:
        query = query.where(t.decisions.c.candidate_id == candidate_id)
    if vacancy_id is not None:
        query = query.where(t.decisions.c.vacancy_id == vacancy_id)
    total = int(conn.execute(select(func.count()).select_from(query.subquery())).scalar() or 0)
    rows = conn.execute(query.order_by(t.decisions.c.decision_id).offset(offset).limit(limit)).all()
    items = [dict(r._mapping) for r in rows]
    for item in items:
        item.pop("key_id", None)
    return items, total


__all__ = ["every_rejected", "insert", "page", "rejected"]
