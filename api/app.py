"""``api.app:create_app``: the HTTP API's factory, which lives in :mod:`api.http.app`."""

from api.http.app import create_app

__all__ = ["create_app"]
