"""The API's own documentation pages, Swagger UI at ``/docs`` and ReDoc at ``/redoc``, needing no internet.

Their scripts and style sheets are the built files the ``fastapi-offline`` package ships (Swagger UI's
bundle and ReDoc's standalone script), served from ``/docs/static/``: the pages load nothing from
outside, so they work on a network without internet as the coaches' page does.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.staticfiles import StaticFiles
from starlette.responses import HTMLResponse

#: the vendored assets: swagger-ui-bundle.js, swagger-ui.css, redoc.standalone.js, favicon.png
ASSETS = Path(str(files("fastapi_offline") / "static"))
DOCS, REDOC, STATIC = "/docs", "/redoc", "/docs/static"


def mount_docs(app: FastAPI, title: str, openapi_url: str) -> None:
    """Add the Swagger UI page ``/docs``, the ReDoc page ``/redoc`` and their files to ``app``."""

    async def swagger(request: Request) -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{title}: Swagger UI",
            swagger_js_url=f"{STATIC}/swagger-ui-bundle.js",
            swagger_css_url=f"{STATIC}/swagger-ui.css",
            swagger_favicon_url=f"{STATIC}/favicon.png",
        )

    async def redoc(request: Request) -> HTMLResponse:
        return get_redoc_html(
            openapi_url=openapi_url,
            title=f"{title}: ReDoc",
            redoc_js_url=f"{STATIC}/redoc.standalone.js",
            redoc_favicon_url=f"{STATIC}/favicon.png",
            with_google_fonts=False,
        )

    app.add_route(DOCS, swagger, methods=["GET", "HEAD"], include_in_schema=False)
    app.add_route(REDOC, redoc, methods=["GET", "HEAD"], include_in_schema=False)
    app.mount(STATIC, StaticFiles(directory=ASSETS), name="docs-static")


__all__ = ["DOCS", "REDOC", "mount_docs"]
