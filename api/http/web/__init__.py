"""The job coaches' web page: a small Dutch single-page app over the JSON API, served by ``koppelaar serve``.

``GET /`` sends the browser to ``/app/``; ``/app/`` is the page and ``/app/static/`` its script and
style sheet. Everything is served from the package: the page needs no internet. The page holds no
data of its own: it calls ``/api/v1`` with the key the user signed in with, so every rule of the
API (roles, regions, audit) applies to it unchanged. These routes are outside ``/api/v1`` and not
part of the OpenAPI description. The page signs in with an API key, or with the organisation's
account (OpenID Connect), after which a server-side session cookie stands in for the key.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.responses import Response

from api.http.web.signin import mount_signin
from api.settings import Settings

STATIC = Path(__file__).resolve().parent / "static"
PREFIX = "/app"

#: The page loads only its own files. The report is shown in a sandboxed frame from a blob: URL and
#: carries inline styles and SVG; the workbook is downloaded through a blob: URL too.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
    "frame-src blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "Cache-Control": "no-cache",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


class _Static(StaticFiles):
    """The page's assets, revalidated on every load (they change with the package) and never sniffed."""

    def file_response(
        self, full_path: str | os.PathLike[str], stat_result: os.stat_result, scope: Any, status_code: int = 200
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers["Cache-Control"] = "no-cache"
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response


async def _to_app(request: Request) -> RedirectResponse:
    return RedirectResponse(f"{PREFIX}/", status_code=307)


async def _page(request: Request) -> FileResponse:
    return FileResponse(STATIC / "index.html", media_type="text/html; charset=utf-8", headers=HEADERS)


def mount_web(app: FastAPI, settings: Settings) -> None:
    """Add ``/`` and ``/app`` (redirects), the page ``/app/`` and its files ``/app/static/`` to ``app``.

    These are plain Starlette routes, not API operations: they carry no data, need no key and stay
    out of the OpenAPI description (whose every operation the isolation matrix checks). The sign-in
    with an organisation account lives under ``/app/auth/`` (:mod:`api.http.web.signin`).
    """
    app.add_route("/", _to_app, methods=["GET", "HEAD"], include_in_schema=False)
    app.add_route(PREFIX, _to_app, methods=["GET", "HEAD"], include_in_schema=False)
    app.add_route(f"{PREFIX}/", _page, methods=["GET", "HEAD"], name="web-page", include_in_schema=False)
    mount_signin(app, settings, PREFIX)
    app.mount(f"{PREFIX}/static", _Static(directory=STATIC, check_dir=False), name="web-static")


__all__ = ["CSP", "PREFIX", "STATIC", "mount_web"]
