"""Errors as ``application/problem+json`` (RFC 9457): the field and the reason, never a stack trace."""

from __future__ import annotations

import json
from collections.abc import MutableMapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from models.entities import InvalidTransition
from models.errors import DatasetInvalid, KoppelaarError, Problem

PROBLEM_JSON = "application/problem+json"

TITLES = {
    400: "Bad request",
    401: "Not authenticated",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Request too large",
    415: "Unsupported media type",
    422: "Invalid input",
    429: "Too many requests",
    500: "Internal error",
    503: "Unavailable",
}


class ApiProblem(Exception):  # noqa: N818 -- it is a problem document, not an error class of the domain
    """Raise to answer with a problem document."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        errors: list[dict[str, Any]] | None = None,
        title: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.errors = errors or []
        self.title = title or TITLES.get(status, "Error")
        self.headers = headers


class ProblemResponse(JSONResponse):
    """A problem document; non-ASCII is escaped, so an echoed lone surrogate cannot break the answer."""

    media_type = PROBLEM_JSON

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=True, allow_nan=False, separators=(",", ":")).encode("ascii")


def problem_response(
    request: Request,
    status: int,
    detail: str | None,
    *,
    errors: list[dict[str, Any]] | None = None,
    title: str | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title or TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "instance": request.url.path,
        "errors": errors or [],
    }
    return ProblemResponse(body, status_code=status, headers=headers)


#: The methods an operation of the API can have.
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def allowed_methods(app: Any, scope: MutableMapping[str, Any]) -> list[str]:
    """The methods the routes of ``scope``'s path answer, with OPTIONS; empty when no route has the path."""
    routes = getattr(getattr(app, "router", None), "routes", [])
    methods = {
        method
        for method in METHODS
        if any(route.matches({**scope, "method": method})[0] is Match.FULL for route in routes)
    }
    return sorted(methods | {"OPTIONS"}) if methods else []


def field_errors(problems: list[Problem]) -> list[dict[str, Any]]:
    return [
        {"field": p.column, "row": p.row, "value": p.value, "message": p.message, "file": p.file}
        for p in problems
        if p.severity == "error"
    ]


def _loc(loc: tuple[Any, ...]) -> str:
    parts = [str(x) for x in loc if x not in ("body", "query", "path", "header")]
    return ".".join(parts) or str(loc[-1] if loc else "")


def install(app: FastAPI) -> None:
    """Register the handlers that turn every error into a problem document."""

    @app.exception_handler(ApiProblem)
    async def _api_problem(request: Request, exc: ApiProblem) -> JSONResponse:
        return problem_response(
            request, exc.status, exc.detail, errors=exc.errors, title=exc.title, headers=exc.headers
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {
                "field": _loc(tuple(e.get("loc", ()))),
                "row": None,
                "value": None if e.get("type") == "missing" else _short(e.get("input")),
                "message": str(e.get("msg", "is not valid")),
            }
            for e in exc.errors()
        ]
        fields = ", ".join(sorted({str(e["field"]) for e in errors})) or "the request"
        return problem_response(request, 422, f"invalid input in {fields}", errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else None
        headers = dict(getattr(exc, "headers", None) or {})
        if exc.status_code == 405:  # every method of the path, not only those of the route that matched first
            headers["Allow"] = ", ".join(allowed_methods(request.app, request.scope))
        return problem_response(request, exc.status_code, detail, headers=headers or None)

    @app.exception_handler(DatasetInvalid)
    async def _invalid(request: Request, exc: DatasetInvalid) -> JSONResponse:
        return problem_response(request, 422, str(exc), errors=field_errors(exc.problems))

    @app.exception_handler(InvalidTransition)
    async def _transition(request: Request, exc: InvalidTransition) -> JSONResponse:
        return problem_response(request, 409, str(exc), errors=field_errors(exc.problems))

    @app.exception_handler(KoppelaarError)
    async def _domain(request: Request, exc: KoppelaarError) -> JSONResponse:
        return problem_response(request, 422, str(exc))


def _short(value: Any) -> str | None:
    if value is None or isinstance(value, dict | list):
        return None
    text = str(value)
    return text if len(text) <= 200 else text[:200] + "…"


__all__ = ["PROBLEM_JSON", "ApiProblem", "allowed_methods", "field_errors", "install", "problem_response"]
