"""The server side of the web page's organisation sign-in, without a browser or a provider: a signed-in
session stands in for a key (region, revocation and expiry included), writes need its CSRF token, and
sign-out ends it. The whole flow through a real provider is tested in tests/e2e/test_signin.py."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import Response

from api.http.app import create_app
from api.http.web.signin import COOKIE, CSRF_HEADER, _set_cookie
from api.security import hash_secret, revoke_key
from api.settings import Settings
from models.store import Store
from models.store import keys as key_rows
from models.store import sessions as session_rows
from models.store import tables as t
from models.store.store import now


@pytest.fixture
def client(store: Store) -> Iterator[TestClient]:
    app = create_app(Settings(database_url="sqlite://", warm=False), store=store, run_jobs=False)
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def signed_in(store: Store, *, region: str = "Groningen", hours: float = 8) -> tuple[str, str, str]:
    """A session as a finished sign-in leaves it: the account's key id, the session id and its CSRF token."""
    key_id, session_id, csrf = "o" + secrets.token_hex(6), secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    with store.begin() as conn:
        key_rows.upsert_account(
            conn,
            key_id=key_id,
            secret_hash=hash_secret(secrets.token_urlsafe(32)),
            role="coach",
            region=region,
            label="organisatieaccount Test",
        )
        session_rows.create(
            conn, hash_secret(session_id), {"csrf": csrf}, now() + timedelta(hours=hours), key_id=key_id
        )
    return key_id, session_id, csrf


def test_without_a_provider_the_page_signs_in_with_keys_only(client: TestClient) -> None:
    assert client.get("/app/auth/session").json() == {
        "organisation_sign_in": False,
        "signed_in": False,
        "csrf_token": None,
        "message": None,
    }
    login = client.get("/app/auth/login", follow_redirects=False)
    assert login.status_code == 404
    assert login.headers["content-type"] == "application/problem+json"
    assert "KOPPELAAR_OIDC_ISSUER" in login.json()["detail"]


def test_a_signed_in_session_stands_in_for_a_key(client: TestClient, store: Store) -> None:
    key_id, session_id, csrf = signed_in(store)
    client.cookies.set(COOKIE, session_id)
    me = client.get("/api/v1/me")
    assert me.status_code == 200
    assert (me.json()["key_id"], me.json()["role"], me.json()["region"]) == (key_id, "coach", "Groningen")
    state = client.get("/app/auth/session").json()
    assert state["signed_in"] is True
    assert state["csrf_token"] == csrf
    with store.engine.connect() as conn:
        assert session_id not in str(list(conn.execute(select(t.web_sessions))))  # only its hash

    body = {"candidate_id": "KND-000001", "vacancy_id": "VAC-000001"}
    refused = client.post("/api/v1/suggestions/accept", json=body)
    assert refused.status_code == 403
    assert CSRF_HEADER in refused.json()["detail"]
    wrong = client.post("/api/v1/suggestions/accept", json=body, headers={CSRF_HEADER: "anders"})
    assert wrong.status_code == 403
    allowed = client.post("/api/v1/suggestions/accept", json={}, headers={CSRF_HEADER: csrf})
    assert allowed.status_code == 422  # past authentication: the (empty) body is what is wrong

    with store.begin() as conn:
        assert revoke_key(conn, key_id)
    assert client.get("/api/v1/me").status_code == 401  # the admin's revocation ends the session at once


def test_an_expired_or_unknown_session_is_not_signed_in(client: TestClient, store: Store) -> None:
    _, expired, _ = signed_in(store, hours=-1)
    client.cookies.set(COOKIE, expired)
    assert client.get("/api/v1/me").status_code == 401
    assert client.get("/app/auth/session").json()["signed_in"] is False
    client.cookies.set(COOKIE, secrets.token_urlsafe(32))
    assert client.get("/api/v1/me").status_code == 401


def test_signing_out_needs_the_csrf_token_and_ends_the_session(client: TestClient, store: Store) -> None:
    _, session_id, csrf = signed_in(store)
    client.cookies.set(COOKIE, session_id)
    assert client.post("/app/auth/logout").status_code == 403
    assert client.get("/api/v1/me").status_code == 200
    out = client.post("/app/auth/logout", headers={CSRF_HEADER: csrf})
    assert out.status_code == 200
    assert out.json() == {"end_session_url": None}  # no provider here to log out of
    assert f"{COOKIE}=" in out.headers["set-cookie"]
    with store.connect() as conn:
        assert session_rows.load(conn, hash_secret(session_id)) is None
    client.cookies.set(COOKIE, session_id)
    assert client.get("/api/v1/me").status_code == 401


@pytest.mark.parametrize(
    ("url", "secure"),
    [
        ("https://koppelaar.gemeente.example/app/auth/login", True),
        ("http://koppelaar.gemeente.example/app/auth/login", True),  # never sent then: use HTTPS
        ("http://127.0.0.1:8000/app/auth/login", False),
        ("http://localhost:8000/app/auth/login", False),
    ],
)
def test_the_session_cookie_is_secure_except_on_a_loopback_address_over_http(url: str, secure: bool) -> None:
    scheme, rest = url.split("://")
    host, _, path = rest.partition("/")
    name, _, port = host.partition(":")
    request = Request(
        {
            "type": "http",
            "method": "GET",
            "scheme": scheme,
            "server": (name, int(port or (443 if scheme == "https" else 80))),
            "path": "/" + path,
            "headers": [(b"host", host.encode())],
            "query_string": b"",
        }
    )
    response = Response()
    _set_cookie(request, response, "x", 60)
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert ("Secure" in cookie) is secure
