"""The HTTP API: ``create_app(settings)`` is the composition root, nothing connects at import time.

Routes live under ``/api/v1``, one router per resource; ``/docs`` shows the OpenAPI description.
Run it with ``koppelaar serve``; with ``--workers N`` uvicorn starts N processes, each of which
calls ``create_app()`` (``api.http.app:create_app`` as a factory) with the settings of the environment.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from typing import Any
from urllib.parse import parse_qsl

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.bootstrap import Runtime
from api.http import (
    audit,
    calendar,
    entities,
    erasure,
    keys,
    notifications,
    obligations,
    problems,
    reports,
    runs,
    suggestions,
    worklist,
)
from api.http.common import ERRORS
from api.http.docs import mount_docs
from api.http.problems import allowed_methods
from api.http.throttle import AuthThrottle
from api.http.web import mount_web
from api.services.matching import MatchingService
from api.services.notify import NotifyLoop
from api.services.reports import ReportService
from api.services.runs import JobRunner
from api.services.worklist import WorklistService
from api.settings import Settings, load_settings
from models.store import Store

log = logging.getLogger("koppelaar.api")

API_PREFIX = "/api/v1"

DESCRIPTION = """
Koppelaar matches people with a distance to the labour market to the work places contractors offer
towards their Social Return (SROI) obligations.

**Keys.** Every call needs an API key (`X-API-Key: kop_…` or `Authorization: Bearer kop_…`), made on
the server with `koppelaar apikey create --role ROLE --region REGION`. Roles: `coach`, `adviseur`,
`werkgeversservice`, `admin`. A regional key never sees another region's candidates, placements or runs.

**Errors** are `application/problem+json` documents with the field and the reason for each problem.
"""


class BodyLimit:
    """Refuse request bodies above a size with 413, whether or not they declare their length."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(scope, send)
            return
        seen = 0
        exceeded = False

        async def limited() -> Message:
            nonlocal seen, exceeded
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    exceeded = True
                    raise _TooLargeError
            return message

        async def unless_exceeded(message: Message) -> None:
            # FastAPI turns an error while it reads a JSON body into its own 400; the 413 replaces it
            if not exceeded:
                await send(message)

        with suppress(_TooLargeError):
            await self.app(scope, limited, unless_exceeded)
        if exceeded:
            await self._refuse(scope, send)

    async def _refuse(self, scope: Scope, send: Send) -> None:
        detail = f"the request body is larger than {self.max_bytes / 1_000_000:g} MB; split the upload"
        await _send_problem(send, scope, status=413, title="Request too large", detail=detail, errors=[])


class RefuseNul:
    """Refuse a NUL character in the path or the query with 422: no database text column can hold one."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        fields = _nul_fields(scope) if scope["type"] == "http" else []
        if not fields:
            await self.app(scope, receive, send)
            return
        errors = [{"field": f, "row": None, "value": None, "message": "contains a NUL character"} for f in fields]
        detail = f"invalid input in {', '.join(fields)}"
        await _send_problem(send, scope, status=422, title="Invalid input", detail=detail, errors=errors)


def _nul_fields(scope: Scope) -> list[str]:
    fields = {"path"} if "\x00" in scope.get("path", "") else set()
    query = scope.get("query_string", b"").decode("latin-1")
    if "%00" in query or "\x00" in query:
        fields |= {
            name or "query" for name, value in parse_qsl(query, keep_blank_values=True) if "\x00" in name + value
        }
    return sorted(fields)


#: What :class:`RefuseNul` refuses, as the OpenAPI document says it of every text in a path or a query.
NO_NUL_PATTERN = "^[^\\x00]*$"


def _declare_no_nul(app: FastAPI) -> None:
    """The OpenAPI document gives every text parameter of a path or a query :data:`NO_NUL_PATTERN`, so a
    client (and a fuzzer) reads there that a NUL character is refused."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        document = generate()
        for operations in document.get("paths", {}).values():
            for operation in operations.values():
                for parameter in operation.get("parameters", []):
                    schema = parameter.get("schema", {})
                    for variant in [schema, *schema.get("anyOf", [])]:
                        if variant.get("type") == "string" and "pattern" not in variant and "format" not in variant:
                            variant["pattern"] = NO_NUL_PATTERN
        app.openapi_schema = document
        return document

    app.openapi = openapi  # type: ignore[method-assign]


async def _send_problem(
    send: Send, scope: Scope, *, status: int, title: str, detail: str, errors: list[dict[str, Any]]
) -> None:
    """Answer with a problem document from a middleware, before the app (and its handlers) runs."""
    document = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    body = json.dumps({**document, "instance": scope.get("path"), "errors": errors}).encode()
    headers = [(b"content-type", b"application/problem+json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class _TooLargeError(Exception):
    pass


class CatchUnexpected:
    """Answer an unexpected error with a 500 problem document and log its type only, never its message or
    traceback (either could hold a stored value); the error goes no further, so the server logs nothing more
    and the connection stays usable."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking)
        except Exception as exc:  # every error becomes a problem document
            log.error("unexpected %s on %s %s", type(exc).__name__, scope.get("method"), scope.get("path"))
            if not started:
                detail = "an unexpected error occurred; it has been logged"
                await _send_problem(send, scope, status=500, title="Internal error", detail=detail, errors=[])


class CatchUpAfterWrites:
    """Before a successful write request is answered, bring this process's matchers up to date with it
    (:meth:`MatchingService.catch_up`, in a worker thread), so that the next question to this process
    sees what was written; other processes take it in in the background."""

    WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") not in self.WRITES:
            await self.app(scope, receive, send)
            return

        async def caught_up(message: Message) -> None:
            if message["type"] == "http.response.start" and int(message["status"]) < 400:
                service: MatchingService | None = getattr(scope["app"].state, "matching", None)
                if service is not None:
                    try:
                        await run_in_threadpool(service.catch_up)
                    except Exception as exc:  # the write stands; the next question brings the matcher up to date
                        log.warning("could not update the matchers after a write (%s)", type(exc).__name__)
            await send(message)

        await self.app(scope, receive, caught_up)


class AnswerOptions:
    """``OPTIONS`` on a path of the API: 204 with ``Allow`` naming its methods (404 for a path that has none)."""

    def __init__(self, app: ASGIApp, routes: ASGIApp) -> None:
        self.app = app
        self.routes = routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") != "OPTIONS":
            await self.app(scope, receive, send)
            return
        methods = allowed_methods(self.routes, scope)
        if not methods:
            await self.app(scope, receive, send)
            return
        headers = [(b"allow", ", ".join(methods).encode()), (b"content-length", b"0")]
        await send({"type": "http.response.start", "status": 204, "headers": headers})
        await send({"type": "http.response.body", "body": b""})


#: Set by ``koppelaar serve --workers N`` to a file that does not exist yet: the one worker that makes
#: it resumes the interrupted match runs, so that no run is resumed twice by a server's processes.
RECOVERY_MARKER_ENV = "KOPPELAAR_SERVE_RECOVERY_MARKER"


def _resumes_runs() -> bool:
    """Whether this process resumes interrupted runs: always when it serves alone, else the first worker."""
    marker = os.environ.get(RECOVERY_MARKER_ENV)
    if not marker:
        return True
    try:
        os.close(os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    except FileExistsError:
        return False
    return True


def create_app(settings: Settings | None = None, *, store: Store | None = None, run_jobs: bool = True) -> FastAPI:
    """Build the API for ``settings`` (default: from the environment); ``store`` overrides the database (tests)."""
    settings = settings or load_settings()
    runtime = Runtime(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        own = store is None
        app.state.store = store if store is not None else Store.open(settings.database_url)
        app.state.settings = settings
        app.state.runtime = runtime
        app.state.matching = MatchingService(app.state.store, runtime)
        app.state.jobs = JobRunner(app.state.store, runtime)
        app.state.reports = ReportService(app.state.store, runtime)
        app.state.worklist = WorklistService(app.state.store, runtime, app.state.reports)
        app.state.notifier = NotifyLoop(app.state.store, runtime, app.state.matching, app.state.worklist)
        if run_jobs:  # KOPPELAAR_NOTIFY_MINUTES > 0: the server looks for events and sends them itself
            app.state.notifier.start()
        if run_jobs and _resumes_runs():
            resumed = app.state.jobs.recover()
            if resumed:
                log.info("resumed %d interrupted match run(s)", len(resumed))
        if settings.warm:  # in the background: /healthz answers at once, with "matchers": "warming"
            app.state.matching.start_warming()
        try:
            yield
        finally:
            app.state.notifier.stop()
            app.state.matching.close()
            app.state.jobs.shutdown()
            if own:
                app.state.store.close()

    app = FastAPI(
        title="Koppelaar API",
        version="1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=None,  # served from vendored assets by api.http.docs
        redoc_url=None,
    )
    problems.install(app)
    _declare_no_nul(app)
    # routes are matched in this order: the suggestions, the most frequent requests, first (their paths
    # share none with the other routers)
    for router in (
        suggestions.router,
        *entities.routers(),
        keys.router,
        runs.router,
        obligations.router,
        erasure.router,
        audit.router,
        reports.router,
        worklist.router,
        calendar.router,
        notifications.router,
    ):
        app.include_router(router, prefix=API_PREFIX)
    mount_web(app, settings)  # the job coaches' page at /app/, outside the API
    mount_docs(app, app.title, app.openapi_url or "")  # Swagger UI and ReDoc, no internet needed

    @app.get(
        "/healthz",
        tags=["health"],
        responses={500: ERRORS[500]},  # the database cannot be reached
        summary="Liveness: the server answers and reaches its database; readiness: its matchers are prepared",
        description="`matchers` is `warming` while this server process prepares every region's matcher after its "
        "start (a suggestion for a region not yet prepared waits for it), then `ready`; `on demand` when warm-up is "
        "off (KOPPELAAR_WARM=false). `pid` names the process that answered: with `--workers`, each has its own.",
    )
    def health() -> dict[str, Any]:
        with app.state.store.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
        return {
            "status": "ok",
            "schema": app.state.store.revision(),
            "data_version": app.state.store.version(),
            "matchers": app.state.matching.state,
            "pid": os.getpid(),
        }

    app.add_middleware(BodyLimit, max_bytes=int(settings.max_body_mb * 1_000_000))
    app.add_middleware(RefuseNul)
    app.add_middleware(CatchUpAfterWrites)
    app.add_middleware(AnswerOptions, routes=app)
    app.add_middleware(CatchUnexpected)
    app.state.auth_throttle = AuthThrottle(settings.auth_failures_per_minute)
    return app


__all__ = ["API_PREFIX", "RECOVERY_MARKER_ENV", "create_app"]
