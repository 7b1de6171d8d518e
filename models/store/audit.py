"""The audit log: who read or changed which candidates' data, and when."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, func, select

from models.store import tables as t
from models.store.store import now

# built once: every read of candidate data writes an event, and building the statement anew each
# time costs more than the insert itself
_NEW_EVENT = t.audit_events.insert()
_EVENT_CANDIDATES = t.audit_candidates.insert()


def record(
    conn: Connection,
    *,
    key_id: str | None,
    role: str,
    region: str | None,
    action: str,
    resource: str,
    candidate_ids: Iterable[str] = (),
) -> None:
    """One event and the candidates it names, in the caller's transaction."""
    ids = sorted(set(candidate_ids))
    values = {
        "at": now(),
        "key_id": key_id,
        "role": role,
        "region": region,
        "action": action,
        "resource": resource[:400],
    }
    # the new row's id: SQLite's last row id (cheaper than a RETURNING clause), PostgreSQL's RETURNING
    event_id = conn.execute(_NEW_EVENT, values).inserted_primary_key[0]  # type: ignore[index]
    if ids:
        conn.execute(_EVENT_CANDIDATES, [{"event_id": event_id, "candidate_id": c} for c in ids])


def events(
    conn: Connection,
    *,
    region: str | None,
    candidate_id: str | None = None,
    key_id: str | None = None,
    offset: int = 0,
    limit: int = 50,
) -> tuple[list[dict[str, Any]], int]:
    """A page of events (``region``: only those of keys of that region) with their candidate ids, and the total."""
    query = select(t.audit_events)
    if region is not None:
        query = query.where(t.audit_events.c.region == region)
    if candidate_id is not None:
        query = query.where(
            t.audit_events.c.event_id.in_(
                select(t.audit_candidates.c.event_id).where(t.audit_candidates.c.candidate_id == candidate_id)
            )
        )
    if key_id is not None:
        query = query.where(t.audit_events.c.key_id == key_id)
    total = int(conn.execute(select(func.count()).select_from(query.subquery())).scalar() or 0)
    found = [
        dict(r._mapping) for r in conn.execute(query.order_by(t.audit_events.c.event_id).offset(offset).limit(limit))
    ]
    ids = [e["event_id"] for e in found]
    who: dict[int, list[str]] = {i: [] for i in ids}
    if ids:
        for r in conn.execute(
            select(t.audit_candidates)
            .where(t.audit_candidates.c.event_id.in_(ids))
            .order_by(t.audit_candidates.c.candidate_id)
        ):
            who[r.event_id].append(r.candidate_id)
    for e in found:
        e["candidate_ids"] = who[e["event_id"]]
    return found, total


def suggested_candidates(conn: Connection) -> set[str]:
    """The candidates the audit log records as shown in a suggestion."""
    shown = (
        select(t.audit_candidates.c.candidate_id)
        .join(t.audit_events, t.audit_events.c.event_id == t.audit_candidates.c.event_id)
        .where(t.audit_events.c.action.like("suggest for %"))
        .distinct()
    )
    return {str(r[0]) for r in conn.execute(shown)}


__all__ = ["events", "record", "suggested_candidates"]
