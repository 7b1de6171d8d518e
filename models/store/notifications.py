"""Subscriptions, notifications (each event once per subscription) and the obligations' last seen status."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from models.store import tables as t
from models.store.store import now

#: A claim on a notification older than this is taken to be of a sender that died.
CLAIM_TIMEOUT = timedelta(minutes=10)


@dataclass(frozen=True)
class Subscription:
    subscription_id: int
    key_id: str
    role: str
    region: str | None
    topic: str
    email: str | None
    weeks: int | None
    top_k: int | None
    coach_id: str | None
    created_at: datetime
    checked_at: datetime | None


def utc(at: datetime) -> datetime:
    """A stored time in UTC: SQLite gives it back without its zone, PostgreSQL with it."""
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def _subscription(row: Any) -> Subscription:
    return Subscription(**{name: getattr(row, name) for name in Subscription.__dataclass_fields__})


_WITH_KEY = select(t.subscriptions, t.api_keys.c.role, t.api_keys.c.region).join(
    t.api_keys, t.api_keys.c.key_id == t.subscriptions.c.key_id
)


def subscribe(
    conn: Connection,
    *,
    key_id: str,
    topic: str,
    email: str | None,
    weeks: int | None = None,
    top_k: int | None = None,
    coach_id: str | None = None,
) -> int:
    """Store a subscription; its id."""
    made = conn.execute(
        t.subscriptions.insert().values(
            key_id=key_id, topic=topic, email=email, weeks=weeks, top_k=top_k, coach_id=coach_id, created_at=now()
        )
    )
    return int(made.inserted_primary_key[0])  # type: ignore[index]


def of_key(conn: Connection, key_id: str) -> list[Subscription]:
    query = _WITH_KEY.where(t.subscriptions.c.key_id == key_id).order_by(t.subscriptions.c.subscription_id)
    return [_subscription(r) for r in conn.execute(query)]


def active(conn: Connection) -> list[Subscription]:
    """Every subscription of a key that is not revoked."""
    query = _WITH_KEY.where(t.api_keys.c.revoked_at.is_(None)).order_by(t.subscriptions.c.subscription_id)
    return [_subscription(r) for r in conn.execute(query)]


def unsubscribe(conn: Connection, key_id: str, subscription_id: int) -> bool:
    """Delete the key's subscription (and its notifications); whether there was one."""
    sub = t.subscriptions.c
    conn.execute(delete(t.notifications).where(t.notifications.c.subscription_id == subscription_id))
    done = conn.execute(delete(t.subscriptions).where(sub.subscription_id == subscription_id, sub.key_id == key_id))
    return bool(done.rowcount)


def checked(conn: Connection, subscription_id: int, at: datetime) -> None:
    conn.execute(
        update(t.subscriptions).where(t.subscriptions.c.subscription_id == subscription_id).values(checked_at=at)
    )


def add(conn: Connection, subscription_id: int, event_key: str, *, subject: str, body: str, link: str) -> bool:
    """Store one event for one subscription unless it is stored already; whether it is new."""
    n = t.notifications.c
    exists = conn.execute(
        select(n.notification_id).where(n.subscription_id == subscription_id, n.event_key == event_key)
    ).first()
    if exists is not None:
        return False
    try:
        with conn.begin_nested():  # another notifier may store the same event at the same moment
            conn.execute(
                t.notifications.insert().values(
                    subscription_id=subscription_id,
                    event_key=event_key,
                    subject=subject,
                    body=body,
                    link=link,
                    created_at=now(),
                    attempts=0,
                )
            )
    except IntegrityError:
        return False
    return True


def feed(conn: Connection, key_id: str, offset: int, limit: int) -> tuple[list[dict[str, Any]], int]:
    """The key's notifications, newest first, and how many there are."""
    n, s = t.notifications.c, t.subscriptions.c
    where = s.key_id == key_id
    joined = t.notifications.join(t.subscriptions, n.subscription_id == s.subscription_id)
    total = int(conn.execute(select(func.count()).select_from(joined).where(where)).scalar() or 0)
    rows = conn.execute(
        select(n.notification_id, s.subscription_id, s.topic, n.subject, n.body, n.link, n.created_at, n.sent_at)
        .select_from(joined)
        .where(where)
        .order_by(n.created_at.desc(), n.notification_id.desc())
        .offset(offset)
        .limit(limit)
    )
    return [dict(r._mapping) for r in rows], total


@dataclass(frozen=True)
class Outgoing:
    notification_id: int
    email: str
    subject: str
    body: str
    link: str


def unsent(conn: Connection, max_attempts: int) -> list[Outgoing]:
    """Notifications with an address that are not sent yet, oldest first."""
    n, s = t.notifications.c, t.subscriptions.c
    rows = conn.execute(
        select(n.notification_id, s.email, n.subject, n.body, n.link)
        .select_from(t.notifications.join(t.subscriptions, n.subscription_id == s.subscription_id))
        .where(n.sent_at.is_(None), s.email.is_not(None), n.attempts < max_attempts)
        .order_by(n.notification_id)
    )
    return [Outgoing(r.notification_id, r.email, r.subject, r.body, r.link) for r in rows]


def claim(conn: Connection, notification_id: int) -> bool:
    """Take the notification for sending; False when another sender has it or it is sent."""
    n = t.notifications.c
    at = now()
    done = conn.execute(
        update(t.notifications)
        .where(
            n.notification_id == notification_id,
            n.sent_at.is_(None),
            or_(n.sending_at.is_(None), n.sending_at < at - CLAIM_TIMEOUT),
        )
        .values(sending_at=at)
    )
    return bool(done.rowcount)


def sent(conn: Connection, notification_id: int) -> None:
    n = t.notifications.c
    conn.execute(
        update(t.notifications)
        .where(n.notification_id == notification_id)
        .values(sent_at=now(), sending_at=None, attempts=n.attempts + 1, error=None)
    )


def failed(conn: Connection, notification_id: int, error: str) -> None:
    n = t.notifications.c
    conn.execute(
        update(t.notifications)
        .where(n.notification_id == notification_id)
        .values(sending_at=None, attempts=n.attempts + 1, error=error[:2000])
    )


def status_changes(conn: Connection, statuses: Iterable[tuple[str, str]], at: datetime) -> dict[str, datetime]:
    """Record each obligation's status; since when each has had it (``at`` for a new one or a change)."""
    o = t.obligation_states.c
    stored = {r.obligation_id: (r.status, r.since) for r in conn.execute(select(t.obligation_states))}
    since: dict[str, datetime] = {}
    new: list[dict[str, object]] = []
    for oid, status in statuses:
        old = stored.get(oid)
        if old is not None and old[0] == status:
            since[oid] = utc(old[1])
            continue
        if old is None:
            new.append({"obligation_id": oid, "status": status, "since": at})
        else:
            conn.execute(update(t.obligation_states).where(o.obligation_id == oid).values(status=status, since=at))
        since[oid] = utc(at)
    if new:
        conn.execute(t.obligation_states.insert(), new)
    return since


def coach_candidates(conn: Connection, coach_id: str, region: str | None) -> list[str]:
    """The ids of the candidates of ``coach_id`` (in ``region``, when given)."""
    c = t.candidates.c
    query = select(c.candidate_id).where(c.coach_id == coach_id)
    if region is not None:
        query = query.where(c.region == region)
    return [str(r.candidate_id) for r in conn.execute(query)]


def vacancies_changed(conn: Connection, after: datetime) -> list[tuple[str, datetime]]:
    """Vacancies added or changed after ``after``, with when."""
    v = t.vacancies.c
    query = select(v.vacancy_id, v.updated_at).where(v.updated_at > after).order_by(v.vacancy_id)
    return [(str(r.vacancy_id), utc(r.updated_at)) for r in conn.execute(query)]


__all__ = [
    "Outgoing",
    "Subscription",
    "active",
    "add",
    "checked",
    "claim",
    "coach_candidates",
    "failed",
    "feed",
    "of_key",
    "sent",
    "status_changes",
    "subscribe",
    "unsent",
    "unsubscribe",
    "utc",
    "vacancies_changed",
]
