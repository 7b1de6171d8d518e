"""API keys as stored: their SHA-256 hash, role, region and label, never the secret."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, bindparam, select, update

from models.store import tables as t
from models.store.store import now

# read by every request with a key: built once (building it costs more than running it on SQLite)
_ACTIVE = select(t.api_keys.c.key_id, t.api_keys.c.role, t.api_keys.c.region).where(
    t.api_keys.c.secret_hash == bindparam("secret_hash"), t.api_keys.c.revoked_at.is_(None)
)


def insert(conn: Connection, *, key_id: str, secret_hash: str, role: str, region: str | None, label: str) -> None:
    conn.execute(
        t.api_keys.insert().values(
            key_id=key_id, label=label, role=role, region=region, secret_hash=secret_hash, created_at=now()
        )
    )


def upsert_account(
    conn: Connection, *, key_id: str, secret_hash: str, role: str, region: str | None, label: str
) -> bool:
    """Store an organisation account's row (made on its first sign-in, its role, region and label
    brought up to date on each next one); False when the admin has revoked it."""
    row = conn.execute(select(t.api_keys.c.revoked_at).where(t.api_keys.c.key_id == key_id)).first()
    if row is None:
        insert(conn, key_id=key_id, secret_hash=secret_hash, role=role, region=region, label=label)
        return True
    if row.revoked_at is not None:
        return False
    conn.execute(update(t.api_keys).where(t.api_keys.c.key_id == key_id).values(role=role, region=region, label=label))
    return True


def revoke(conn: Connection, key_id: str) -> bool:
    """Revoke an active key; whether there was one."""
    done = conn.execute(
        update(t.api_keys)
        .where(t.api_keys.c.key_id == key_id, t.api_keys.c.revoked_at.is_(None))
        .values(revoked_at=now())
    )
    return bool(done.rowcount)


def active(conn: Connection, secret_hash: str) -> Any:
    """The key id, role and region of the active key with this hash, or ``None``."""
    return conn.execute(_ACTIVE, {"secret_hash": secret_hash}).first()


def all_keys(conn: Connection) -> list[Any]:
    """Every key, oldest first (revoked ones too)."""
    return list(conn.execute(select(t.api_keys).order_by(t.api_keys.c.created_at)).all())


__all__ = ["active", "all_keys", "insert", "revoke", "upsert_account"]
