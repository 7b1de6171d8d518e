"""FastAPI dependencies: the store, the calling key and what it may do."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Connection

from api.problems import ApiProblem
from api.security import Permission, Principal, authenticate
from models.store import Store
from models.store import tables as t
from models.store.store import now

_api_key = APIKeyHeader(name="X-API-Key", auto_error=False, description="a key from `koppelaar apikey create`")
_bearer = HTTPBearer(auto_error=False, description="the same key as a bearer token")


def get_store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


StoreDep = Annotated[Store, Depends(get_store)]


def get_principal(
    store: StoreDep,
    key: Annotated[str | None, Depends(_api_key)],
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    secret = key or (bearer.credentials if bearer is not None else None)
    if not secret:
        raise ApiProblem(
            401, "give your API key in the X-API-Key header", headers={"WWW-Authenticate": 'Bearer realm="koppelaar"'}
        )
    with store.connect() as conn:
        principal = authenticate(conn, secret)
    if principal is None:
        raise ApiProblem(401, "this API key is unknown or revoked", headers={"WWW-Authenticate": "Bearer"})
    return principal


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def require(permission: Permission) -> Callable[[Principal], Principal]:
    """A dependency that lets the request through only when the key's role has ``permission``."""

    def check(principal: PrincipalDep) -> Principal:
        if not principal.can(permission):
            raise ApiProblem(403, f"a {principal.role.value} key may not do this (needs {permission.value})")
        return principal

    return check


def audit(
    conn: Connection, principal: Principal, action: str, resource: str, candidate_ids: Iterable[str] = ()
) -> None:
    """Record who read or changed which candidates' data, and when (in the caller's transaction)."""
    ids = sorted(set(candidate_ids))
    event_id = conn.execute(
        t.audit_events.insert()
        .values(
            at=now(),
            key_id=principal.key_id,
            role=principal.role.value,
            region=principal.region,
            action=action,
            resource=resource[:400],
        )
        .returning(t.audit_events.c.event_id)
    ).scalar_one()
    if ids:
        conn.execute(t.audit_candidates.insert(), [{"event_id": event_id, "candidate_id": c} for c in ids])


__all__ = ["PrincipalDep", "StoreDep", "audit", "get_principal", "get_store", "require"]
