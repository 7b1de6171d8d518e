"""API keys, roles and what each role may do.

A key is shown once when made (``koppelaar apikey create``) and stored only as its SHA-256
hash: a key is 32 random bytes, so a fast hash is as safe as a slow one and keeps every
request cheap. Each key has one role and (except a national admin key) one region; a regional
key never reads or changes another region's candidates, placements or match runs.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import Connection

from models.errors import KoppelaarError
from models.store import keys

KEY_PREFIX = "kop_"


class Role(StrEnum):
    COACH = "coach"
    ADVISEUR = "adviseur"
    WERKGEVERSSERVICE = "werkgeversservice"
    ADMIN = "admin"


class Permission(StrEnum):
    CATALOGUE_READ = "catalogue:read"  # contractors, obligations, vacancies, progress
    CATALOGUE_WRITE = "catalogue:write"
    CANDIDATES_READ = "candidates:read"
    CANDIDATES_WRITE = "candidates:write"
    CANDIDATES_ERASE = "candidates:erase"
    PLACEMENTS_READ = "placements:read"
    PLACEMENTS_WRITE = "placements:write"
    SUGGEST = "suggest"
    RUNS_READ = "runs:read"
    RUNS_WRITE = "runs:write"
    UPLOAD = "upload"
    AUDIT_READ = "audit:read"
    REPORTS_READ = "reports:read"  # monitoring figures: aggregates, no candidate named


P = Permission
#: The least each role needs (docs/API.md explains why).
ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    # a job coach: their region's candidates, suggestions, placements of their people
    Role.COACH: frozenset(
        {
            P.CATALOGUE_READ,
            P.CANDIDATES_READ,
            P.CANDIDATES_WRITE,
            P.PLACEMENTS_READ,
            P.PLACEMENTS_WRITE,
            P.SUGGEST,
            P.RUNS_READ,
            P.REPORTS_READ,
        }
    ),
    # an SROI adviser: tenders, obligations and vacancies, batch matches, progress
    Role.ADVISEUR: frozenset(
        {
            P.CATALOGUE_READ,
            P.CATALOGUE_WRITE,
            P.CANDIDATES_READ,
            P.PLACEMENTS_READ,
            P.SUGGEST,
            P.RUNS_READ,
            P.RUNS_WRITE,
            P.REPORTS_READ,
        }
    ),
    # a regional employer service's own systems: everything of its region, in bulk too
    Role.WERKGEVERSSERVICE: frozenset(set(Permission) - {P.CANDIDATES_ERASE, P.AUDIT_READ}),
    Role.ADMIN: frozenset(Permission),
}


@dataclass(frozen=True)
class Principal:
    """Who is calling: the key's id, role and region (``None``: every region)."""

    key_id: str | None
    role: Role
    region: str | None

    def can(self, permission: Permission) -> bool:
        return permission in ROLE_PERMISSIONS[self.role]

    def sees_region(self, region: object) -> bool:
        return self.region is None or region == self.region


#: The CLI on the server itself acts with every right and is audited as such.
LOCAL = Principal(None, Role.ADMIN, None)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class NewKey:
    key_id: str
    secret: str  # shown once, never stored
    role: Role
    region: str | None


def create_key(conn: Connection, *, role: str, region: str | None, label: str = "") -> NewKey:
    """Make and store a key; only its hash is kept."""
    try:
        parsed = Role(role)
    except ValueError:
        raise KoppelaarError(f"role {role!r} is not one of {', '.join(r.value for r in Role)}") from None
    region = region.strip() if region else None
    if region is None and parsed is not Role.ADMIN:
        raise KoppelaarError(f"a {parsed.value} key needs --region: only an admin key may span every region")
    key_id = "k" + secrets.token_hex(6)
    secret = f"{KEY_PREFIX}{key_id}_{secrets.token_urlsafe(32)}"
    keys.insert(
        conn,
        key_id=key_id,
        secret_hash=hash_secret(secret),
        role=parsed.value,
        region=region,
        label=label or f"{parsed.value} {region or 'alle regios'}",
    )
    return NewKey(key_id, secret, parsed, region)


def revoke_key(conn: Connection, key_id: str) -> bool:
    """Revoke an active key: it stops working at once. Whether there was one."""
    return keys.revoke(conn, key_id)


def authenticate(conn: Connection, secret: str) -> Principal | None:
    """The principal of a presented key, or ``None`` when it is unknown or revoked."""
    row = keys.active(conn, hash_secret(secret))
    if row is None:
        return None
    return Principal(row.key_id, Role(row.role), row.region)


__all__ = [
    "LOCAL",
    "ROLE_PERMISSIONS",
    "NewKey",
    "Permission",
    "Principal",
    "Role",
    "authenticate",
    "create_key",
    "hash_secret",
    "revoke_key",
]
