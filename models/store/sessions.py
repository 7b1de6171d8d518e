"""The web page's sign-in sessions as stored: the hash of the cookie's value, the signed-in account
(a row of ``api_keys``), the session's data as JSON and when it expires."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, select, update

from models.store import tables as t
from models.store.store import now


def load(conn: Connection, session_hash: str) -> tuple[str | None, dict[str, Any]] | None:
    """The account and data of an unexpired session, or ``None``."""
    row = conn.execute(
        select(t.web_sessions.c.key_id, t.web_sessions.c.data).where(
            t.web_sessions.c.session_hash == session_hash, t.web_sessions.c.expires_at > now()
        )
    ).first()
    if row is None:
        return None
    return row.key_id, json.loads(row.data)


def create(
    conn: Connection, session_hash: str, data: dict[str, Any], expires_at: datetime, key_id: str | None = None
) -> None:
    conn.execute(
        t.web_sessions.insert().values(
            session_hash=session_hash, key_id=key_id, data=json.dumps(data), created_at=now(), expires_at=expires_at
        )
    )


def save(conn: Connection, session_hash: str, data: dict[str, Any], key_id: str | None) -> None:
    conn.execute(
        update(t.web_sessions)
        .where(t.web_sessions.c.session_hash == session_hash)
        .values(data=json.dumps(data), key_id=key_id)
    )


def remove(conn: Connection, session_hash: str) -> None:
    conn.execute(delete(t.web_sessions).where(t.web_sessions.c.session_hash == session_hash))


def remove_expired(conn: Connection) -> int:
    """Delete every expired session; how many."""
    return int(conn.execute(delete(t.web_sessions).where(t.web_sessions.c.expires_at <= now())).rowcount or 0)


@dataclass(frozen=True)
class SignedIn:
    key_id: str
    role: str
    region: str | None
    data: dict[str, Any]


def signed_in(conn: Connection, session_hash: str) -> SignedIn | None:
    """The active account an unexpired session is signed in with (its key id, role and region) and the
    session's data, or ``None``."""
    row = conn.execute(
        select(t.api_keys.c.key_id, t.api_keys.c.role, t.api_keys.c.region, t.web_sessions.c.data)
        .join(t.web_sessions, t.web_sessions.c.key_id == t.api_keys.c.key_id)
        .where(
            t.web_sessions.c.session_hash == session_hash,
            t.web_sessions.c.expires_at > now(),
            t.api_keys.c.revoked_at.is_(None),
        )
    ).first()
    if row is None:
        return None
    return SignedIn(row.key_id, row.role, row.region, json.loads(row.data))


__all__ = ["SignedIn", "create", "load", "remove", "remove_expired", "save", "signed_in"]
