"""FastAPI dependencies: the store, the calling key and what it may do."""

from __future__ import annotations

import threading
import weakref
from collections.abc import Awaitable, Callable, Iterable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Connection
from sqlalchemy.exc import OperationalError

from api.bootstrap import Runtime
from api.http.problems import ApiProblem
from api.http.throttle import throttle_of
from api.http.web.signin import session_principal
from api.security import Permission, Principal, authenticate
from models.store import Store
from models.store import audit as audit_log
from models.store.store import BUSY_TIMEOUT_MS

SQLITE_BUSY = 5  # sqlite3.SQLITE_BUSY: the database is locked by another connection

_api_key = APIKeyHeader(name="X-API-Key", auto_error=False, description="a key from `koppelaar apikey create`")
_bearer = HTTPBearer(auto_error=False, description="the same key as a bearer token")


# The dependencies are ``async`` although none of them awaits: FastAPI runs a plain function in a worker
# thread, and on a busy event loop each such hop waits its turn to come back; reading the key is one
# indexed read, done on the event loop as every question does. A write request then waits for the loop
# twice (its endpoint's thread and back), not six times.


def _store_of(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


async def get_store(request: Request) -> Store:
    return _store_of(request)


StoreDep = Annotated[Store, Depends(get_store)]


async def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def _presented(key: str | None, bearer: HTTPAuthorizationCredentials | None) -> str:
    secret = key or (bearer.credentials if bearer is not None else None)
    if not secret:
        raise ApiProblem(
            401, "give your API key in the X-API-Key header", headers={"WWW-Authenticate": 'Bearer realm="koppelaar"'}
        )
    return secret


def authorize(conn: Connection, secret: str, permission: Permission | None = None) -> Principal:
    """The principal of ``secret`` (401 when unknown or revoked), allowed ``permission`` (else 403)."""
    principal = authenticate(conn, secret)
    if principal is None:
        raise ApiProblem(401, "this API key is unknown or revoked", headers={"WWW-Authenticate": "Bearer"})
    if permission is not None and not principal.can(permission):
        raise ApiProblem(403, _forbidden(principal, permission))
    return principal


def _forbidden(principal: Principal, permission: Permission) -> str:
    return f"a {principal.role.value} key may not do this (needs {permission.value})"


def _authenticated(
    request: Request, key: str | None, bearer: HTTPAuthorizationCredentials | None, permission: Permission | None
) -> Principal:
    """The principal of the presented key, unless its client failed too often (429); a 401 counts as a failure."""
    throttle = throttle_of(request)
    throttle.check(request)
    try:
        if bearer is None and "authorization" in request.headers:  # credentials that do not parse are refused
            raise ApiProblem(
                401,
                "the Authorization header must be 'Bearer' and your API key",
                headers={"WWW-Authenticate": 'Bearer realm="koppelaar"'},
            )
        if not key and bearer is None:  # the web page, signed in with an organisation account
            signed_in = session_principal(_store_of(request), request)
            if signed_in is not None:
                if permission is not None and not signed_in.can(permission):
                    raise ApiProblem(403, _forbidden(signed_in, permission))
                return signed_in
        secret = _presented(key, bearer)
        with _store_of(request).connect() as conn:
            return authorize(conn, secret, permission)
    except ApiProblem as exc:
        if exc.status == 401:
            throttle.failed(request)
        raise


async def get_principal(
    request: Request,
    key: Annotated[str | None, Depends(_api_key)],
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    return _authenticated(request, key, bearer, None)


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def require(permission: Permission) -> Callable[..., Awaitable[Principal]]:
    """A dependency that lets the request through only when the key's role has ``permission``: 401 for a
    key that is unknown or revoked, then 403 for a role without it."""

    async def check(
        request: Request,
        key: Annotated[str | None, Depends(_api_key)],
        bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> Principal:
        return _authenticated(request, key, bearer, permission)

    return check


def audit(
    conn: Connection, principal: Principal, action: str, resource: str, candidate_ids: Iterable[str] = ()
) -> None:
    """Record who read or changed which candidates' data, and when (in the caller's transaction)."""
    audit_log.record(
        conn,
        key_id=principal.key_id,
        role=principal.role.value,
        region=principal.region,
        action=action,
        resource=resource,
        candidate_ids=candidate_ids,
    )


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


#: How long an audit write on the event loop may wait for SQLite's writer (another process's audit
#: write takes well under a millisecond) before it gives up and waits in a worker thread instead.
NO_WAIT_BUSY_MS = 50


def _record_audit_at_once(
    store: Store, principal: Principal, action: str, resource: str, candidate_ids: Iterable[str]
) -> bool:
    """:func:`record_audit` if it need not wait: SQLite only, with this process's writer lock free and
    the database's write lock had within :data:`NO_WAIT_BUSY_MS`. False when nothing was written."""
    lock = _writer(store)
    if lock is None or not lock.acquire(blocking=False):
        return False
    try:
        with store.begin() as conn:
            raw = conn.connection.driver_connection
            raw.execute(f"PRAGMA busy_timeout={NO_WAIT_BUSY_MS}")  # type: ignore[union-attr]
            try:
                audit(conn, principal, action, resource, candidate_ids)
            finally:
                raw.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")  # type: ignore[union-attr]
    except OperationalError as exc:
        if getattr(exc.orig, "sqlite_errorcode", 0) & 0xFF != SQLITE_BUSY:
            raise
        return False  # a long write (an import) holds the database: wait for it off the event loop
    finally:
        lock.release()
    return True


async def record_audit_async(
    store: Store, principal: Principal, action: str, resource: str, candidate_ids: Iterable[str] = ()
) -> None:
    """:func:`record_audit` from an ``async`` endpoint, committed before the answer goes out.

    On SQLite the write (a few hundred microseconds) runs on the event loop when it can start at
    once, which spares a thread hop; otherwise (PostgreSQL, whose commit waits for its disk, or a
    SQLite writer that is busy) it runs in a worker thread, so the event loop never waits on it.
    """
    ids = list(candidate_ids)
    if not _record_audit_at_once(store, principal, action, resource, ids):
        await run_in_threadpool(record_audit, store, principal, action, resource, ids)


__all__ = [
    "PrincipalDep",
    "RuntimeDep",
    "StoreDep",
    "audit",
    "authorize",
    "get_principal",
    "get_runtime",
    "get_store",
    "record_audit",
    "record_audit_async",
    "require",
]
