"""FastAPI dependencies: the store, the calling key and what it may do."""

from __future__ import annotations

import threading
import weakref
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


# built once: every read of candidate data writes an event, and building the statement anew each
# time costs more than the insert itself
_NEW_EVENT = t.audit_events.insert().returning(t.audit_events.c.event_id)
_EVENT_CANDIDATES = t.audit_candidates.insert()


def audit(
    conn: Connection, principal: Principal, action: str, resource: str, candidate_ids: Iterable[str] = ()
) -> None:
    """Record who read or changed which candidates' data, and when (in the caller's transaction)."""
    ids = sorted(set(candidate_ids))
    values = {
        "at": now(),
        "key_id": principal.key_id,
        "role": principal.role.value,
        "region": principal.region,
        "action": action,
        "resource": resource[:400],
    }
    event_id = conn.execute(_NEW_EVENT, values).scalar_one()
    if ids:
        conn.execute(_EVENT_CANDIDATES, [{"event_id": event_id, "candidate_id": c} for c in ids])


_writers: weakref.WeakKeyDictionary[Store, threading.Lock] = weakref.WeakKeyDictionary()
_writers_guard = threading.Lock()


def _writer(store: Store) -> threading.Lock | None:
    """SQLite has one writer at a time; waiting for it in SQLite's busy handler means sleeps of up to
    100 ms each, under load, so this process's threads take turns on a lock (woken at once) instead."""
    if store.engine.dialect.name != "sqlite":
        return None
    with _writers_guard:
        lock = _writers.get(store)
        if lock is None:
            lock = _writers[store] = threading.Lock()
        return lock


def record_audit(
    store: Store, principal: Principal, action: str, resource: str, candidate_ids: Iterable[str] = ()
) -> None:
    """:func:`audit` in a transaction of its own, committed before the answer goes out."""
    lock = _writer(store)
    if lock is None:
        with store.begin() as conn:
            audit(conn, principal, action, resource, candidate_ids)
        return
    with lock, store.begin() as conn:
        audit(conn, principal, action, resource, candidate_ids)


__all__ = ["PrincipalDep", "StoreDep", "audit", "get_principal", "get_store", "record_audit", "require"]
