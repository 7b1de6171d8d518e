"""Signing in to the web page with the organisation's account: OpenID Connect, authorization code flow
with PKCE (S256), state and nonce, and private_key_jwt at the token endpoint, following the NL GOV
OpenID Connect profile; authlib does the protocol.

``/app/auth/login`` starts a sign-in, ``/app/auth/callback`` finishes it, ``/app/auth/session`` tells the
page whether it is signed in (and its CSRF token), ``/app/auth/logout`` ends it (and sends the
browser on to the provider's logout, RP-initiated, so that its session ends too). A sign-in is a
server-side session (``web_sessions``): the browser holds a random id in an HttpOnly, SameSite=Lax
cookie (Secure unless the server is reached on a loopback address over plain HTTP), the store only
its hash. The account becomes a row of ``api_keys`` (whose secret nobody knows), so roles, regions,
revocation and the audit log apply to it as to a key. API keys stay for systems.

The role and region come from the admin's mapping (``KOPPELAAR_OIDC_ACCOUNTS``) or else the ID token's
and userinfo's claims; a user without a region is refused with a message that says so.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from authlib.integrations.base_client.errors import MismatchingStateError, OAuthError
from authlib.integrations.starlette_client import OAuth
from authlib.oauth2.rfc7523 import PrivateKeyJWT
from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from joserfc.errors import ExpiredTokenError, InvalidClaimError, JoseError
from starlette.responses import JSONResponse, RedirectResponse, Response

from api.http.problems import ApiProblem
from api.security import Principal, Role, hash_secret
from api.settings import Settings
from models.store import Store
from models.store import keys as key_rows
from models.store import sessions as session_rows
from models.store.store import now

log = logging.getLogger("koppelaar.signin")

COOKIE = "koppelaar_session"
CSRF_HEADER = "X-CSRF-Token"
#: How far the provider's clock may differ from ours when an ID token's times are checked.
CLOCK_SKEW_SECONDS = 60
#: How long a started sign-in may take at the provider before its state is forgotten.
SIGN_IN_MINUTES = 15
_CLIENT = "organisation"
_MESSAGE = "message"
_CSRF = "csrf"
_ID_TOKEN = "id_token"  # kept for the provider's logout (id_token_hint)

#: What the page says when a sign-in fails; the server's log names the reason's kind only.
REFUSED_NO_REGION = (
    "Uw account heeft geen regio. Vraag uw beheerder om u een regio te geven; tot dan kunt u Koppelaar niet gebruiken."
)
REFUSED_NO_ROLE = (
    "Uw account heeft geen rol in Koppelaar. Vraag uw beheerder om u een rol te geven (jobcoach, SROI-adviseur "
    "of werkgeversservicepunt)."
)
REFUSED_REVOKED = "Uw account is door de beheerder geblokkeerd voor Koppelaar."
FAILED_STATE = (
    "De aanmelding kon niet worden gecontroleerd: het antwoord van uw organisatie hoort niet bij een aanmelding "
    "die in deze browser is begonnen. Meld u opnieuw aan."
)
FAILED_EXPIRED = (
    "Het bewijs van aanmelding van uw organisatie was al verlopen. Meld u opnieuw aan; lukt het dan nog niet, "
    "neem dan contact op met uw beheerder."
)
FAILED_AUDIENCE = (
    "Het bewijs van aanmelding van uw organisatie is niet voor Koppelaar bestemd. Neem contact op met uw beheerder."
)
FAILED_DENIED = "U heeft de aanmelding bij uw organisatie afgebroken."
FAILED_OTHER = (
    "Aanmelden bij uw organisatie is mislukt. Probeer het opnieuw; lukt het niet, neem dan contact op met uw beheerder."
)


class SignInRefusedError(Exception):
    """A signed-in account that Koppelaar does not let in; its message is Dutch, for the user."""


@dataclass(frozen=True)
class Rights:
    role: Role
    region: str | None


def rights_of(claims: dict[str, Any], settings: Settings) -> Rights:
    """The role and region of an account: the admin's mapping first, else the claims (and the default role)."""
    mapped = settings.oidc_accounts.get(str(claims.get("sub", "")))
    if mapped is not None:
        role = Role(mapped.role)
        region = (mapped.region or "").strip() or None
        if region is None and role is not Role.ADMIN:
            raise SignInRefusedError(REFUSED_NO_REGION)
        return Rights(role, region)
    role_value = claims.get(settings.oidc_role_claim) or settings.oidc_default_role
    try:
        role = Role(str(role_value))
    except ValueError:
        raise SignInRefusedError(REFUSED_NO_ROLE) from None
    if role is Role.ADMIN:  # every region is the admin's mapping to give, never a claim's
        raise SignInRefusedError(REFUSED_NO_ROLE)
    region = claims.get(settings.oidc_region_claim)
    if not isinstance(region, str) or not region.strip():
        raise SignInRefusedError(REFUSED_NO_REGION)
    return Rights(role, region.strip())


def account_key_id(issuer: str, subject: str) -> str:
    """The pseudonymous id of an organisation account's row in ``api_keys``."""
    return "o" + hashlib.sha256(f"{issuer}\0{subject}".encode()).hexdigest()[:12]


# -- the session --------------------------------------------------------------------------------------


def _hash(session_id: str) -> str:
    return hash_secret(session_id)


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _set_cookie(request: Request, response: Response, session_id: str, max_age: int) -> None:
    secure = request.url.scheme == "https" or not _loopback(request.url.hostname or "")
    response.set_cookie(COOKIE, session_id, max_age=max_age, path="/", secure=secure, httponly=True, samesite="lax")


def _forget_cookie(request: Request, response: Response) -> None:
    secure = request.url.scheme == "https" or not _loopback(request.url.hostname or "")
    response.delete_cookie(COOKIE, path="/", secure=secure, httponly=True, samesite="lax")


def _store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _new_session(store: Store, data: dict[str, Any], lifetime: timedelta) -> str:
    session_id = secrets.token_urlsafe(32)
    with store.begin() as conn:
        session_rows.remove_expired(conn)
        session_rows.create(conn, _hash(session_id), data, now() + lifetime)
    return session_id


def _load(store: Store, request: Request) -> tuple[str, str | None, dict[str, Any]] | None:
    session_id = request.cookies.get(COOKIE)
    if not session_id:
        return None
    with store.connect() as conn:
        found = session_rows.load(conn, _hash(session_id))
    if found is None:
        return None
    return session_id, found[0], found[1]


def session_principal(store: Store, request: Request) -> Principal | None:
    """The principal of the request's signed-in session, or ``None``. A request that changes something
    must carry the session's CSRF token in the ``X-CSRF-Token`` header (else 403)."""
    session_id = request.cookies.get(COOKIE)
    if not session_id:
        return None
    with store.connect() as conn:
        account = session_rows.signed_in(conn, _hash(session_id))
    if account is None:
        return None
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        token = request.headers.get(CSRF_HEADER, "")
        if not token or not secrets.compare_digest(token, str(account.data.get(_CSRF, ""))):
            raise ApiProblem(403, f"a signed-in page must send its CSRF token in the {CSRF_HEADER} header")
    return Principal(account.key_id, Role(account.role), account.region)


# -- the routes ---------------------------------------------------------------------------------------


def _oauth(request: Request) -> Any:
    oauth: OAuth | None = getattr(request.app.state, "oidc", None)
    if oauth is None:
        raise ApiProblem(404, "signing in with an organisation account is not configured (KOPPELAAR_OIDC_ISSUER)")
    return oauth.create_client(_CLIENT)


async def _login(request: Request) -> Response:
    """Start a sign-in in a new session (a new id: a session id is never carried into a sign-in)."""
    client = _oauth(request)
    store = _store(request)
    lifetime = timedelta(minutes=SIGN_IN_MINUTES)
    data: dict[str, Any] = {_CSRF: secrets.token_urlsafe(32)}
    request.scope["session"] = data
    redirect: Response = await client.authorize_redirect(request, str(request.url_for("oidc-callback")))
    session_id = await run_in_threadpool(_new_session, store, data, lifetime)
    _set_cookie(request, redirect, session_id, int(lifetime.total_seconds()))
    return redirect


async def _callback(request: Request) -> Response:
    """Finish a sign-in: check the provider's answer, find the account's rights, start the signed-in session."""
    client = _oauth(request)
    store, settings = _store(request), _settings(request)
    found = await run_in_threadpool(_load, store, request)
    data: dict[str, Any] = found[2] if found else {}
    request.scope["session"] = data
    try:
        token = await client.authorize_access_token(
            request,
            leeway=CLOCK_SKEW_SECONDS,
            claims_options={
                "iss": {"essential": True, "value": settings.oidc_issuer},
                "aud": {"essential": True, "value": settings.oidc_client_id},
            },
        )
        claims = dict(token.get("userinfo") or {})
        if not claims.get("sub"):
            raise OAuthError(error="no_id_token")
        extra = await client.userinfo(token=token)
        if extra.get("sub") != claims["sub"]:
            raise OAuthError(error="userinfo_subject_differs")
        rights = rights_of({**extra, **claims}, settings)
    except SignInRefusedError as exc:
        log.warning("a sign-in was refused: %s", "no region" if str(exc) == REFUSED_NO_REGION else "no role")
        return await _failed(request, str(exc))
    except MismatchingStateError:
        log.warning("a sign-in was refused: its state does not match a sign-in of this browser")
        return await _failed(request, FAILED_STATE)
    except ExpiredTokenError:
        log.warning("a sign-in was refused: the ID token has expired")
        return await _failed(request, FAILED_EXPIRED)
    except InvalidClaimError as exc:
        log.warning("a sign-in was refused: the ID token's %s claim is wrong", exc.claim)
        return await _failed(request, FAILED_AUDIENCE if exc.claim in ("aud", "azp") else FAILED_OTHER)
    except OAuthError as exc:
        log.warning("a sign-in failed: %s", exc.error)
        return await _failed(request, FAILED_DENIED if exc.error == "access_denied" else FAILED_OTHER)
    except JoseError as exc:
        log.warning("a sign-in was refused: the ID token is invalid (%s)", type(exc).__name__)
        return await _failed(request, FAILED_OTHER)
    issuer = str(settings.oidc_issuer)
    name = str(claims.get("name") or claims["sub"])
    key_id = account_key_id(issuer, str(claims["sub"]))
    lifetime = timedelta(hours=settings.session_hours)

    def sign_in() -> str | None:
        session_id = secrets.token_urlsafe(32)
        with store.begin() as conn:
            allowed = key_rows.upsert_account(
                conn,
                key_id=key_id,
                secret_hash=hash_secret(secrets.token_urlsafe(32)),  # no one knows it: the account has no key
                role=rights.role.value,
                region=rights.region,
                label=f"organisatieaccount {name}"[:200],
            )
            if not allowed:
                return None
            if found is not None:
                session_rows.remove(conn, _hash(found[0]))
            data = {_CSRF: secrets.token_urlsafe(32), _ID_TOKEN: token.get("id_token")}
            session_rows.create(conn, _hash(session_id), data, now() + lifetime, key_id=key_id)
        return session_id

    session_id = await run_in_threadpool(sign_in)
    if session_id is None:
        log.warning("a sign-in was refused: the account is revoked")
        return await _failed(request, REFUSED_REVOKED)
    response = RedirectResponse("/app/", status_code=303)
    _set_cookie(request, response, session_id, int(lifetime.total_seconds()))
    return response


async def _failed(request: Request, message: str) -> Response:
    """Back to the page, signed out, in a new session that holds only the message to show."""
    store = _store(request)
    lifetime = timedelta(minutes=SIGN_IN_MINUTES)
    old = request.cookies.get(COOKIE)

    def replace() -> str:
        if old:
            with store.begin() as conn:
                session_rows.remove(conn, _hash(old))
        return _new_session(store, {_CSRF: secrets.token_urlsafe(32), _MESSAGE: message}, lifetime)

    session_id = await run_in_threadpool(replace)
    response = RedirectResponse("/app/", status_code=303)
    _set_cookie(request, response, session_id, int(lifetime.total_seconds()))
    return response


def _session(request: Request) -> JSONResponse:
    """Whether organisation sign-in is on, whether this browser is signed in, its CSRF token, and a
    message of a failed sign-in (shown once)."""
    store = _store(request)
    found = _load(store, request)
    message = None
    if found is not None and _MESSAGE in found[2]:
        session_id, key_id, data = found
        message = data.pop(_MESSAGE)
        with store.begin() as conn:
            session_rows.save(conn, _hash(session_id), data, key_id)
    signed_in = found is not None and found[1] is not None and session_principal(store, request) is not None
    body = {
        "organisation_sign_in": getattr(request.app.state, "oidc", None) is not None,
        "signed_in": signed_in,
        "csrf_token": found[2].get(_CSRF) if signed_in and found is not None else None,
        "message": message,
    }
    return JSONResponse(body, headers={"Cache-Control": "no-store"})


async def _logout(request: Request) -> Response:
    """End this browser's session (the CSRF token must come with it). The answer names the provider's
    logout page (RP-initiated logout) when the session came from the provider and it has one: the page
    goes there, so that the provider's own session ends too and the next sign-in asks for the password."""
    store = _store(request)
    found = await run_in_threadpool(_load, store, request)
    end_session_url = None
    if found is not None:
        token = request.headers.get(CSRF_HEADER, "")
        if not token or not secrets.compare_digest(token, str(found[2].get(_CSRF, ""))):
            raise ApiProblem(403, f"signing out needs this session's CSRF token in the {CSRF_HEADER} header")

        def remove() -> None:
            with store.begin() as conn:
                session_rows.remove(conn, _hash(found[0]))

        await run_in_threadpool(remove)
        id_token = found[2].get(_ID_TOKEN)
        if id_token and getattr(request.app.state, "oidc", None) is not None:
            end_session_url = await _provider_logout_url(request, str(id_token))
    response = JSONResponse({"end_session_url": end_session_url}, headers={"Cache-Control": "no-store"})
    _forget_cookie(request, response)
    return response


async def _provider_logout_url(request: Request, id_token: str) -> str | None:
    client = _oauth(request)
    metadata = await client.load_server_metadata()
    endpoint = metadata.get("end_session_endpoint")
    if not endpoint:
        return None
    query = urlencode(
        {
            "id_token_hint": id_token,
            "post_logout_redirect_uri": str(request.url_for("web-page")),
            "client_id": _settings(request).oidc_client_id,
        }
    )
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}"


def mount_signin(app: FastAPI, settings: Settings, prefix: str) -> None:
    """Add the sign-in routes under ``prefix``/auth; the provider is registered when one is configured."""
    app.state.oidc = None
    if settings.oidc_issuer and settings.oidc_client_key is not None:
        oauth = OAuth()
        oauth.register(
            name=_CLIENT,
            client_id=settings.oidc_client_id,
            client_secret=settings.oidc_client_key.read_text(encoding="utf-8"),
            server_metadata_url=settings.oidc_issuer.rstrip("/") + "/.well-known/openid-configuration",
            client_kwargs={
                "scope": settings.oidc_scopes,
                "code_challenge_method": "S256",
                "token_endpoint_auth_method": PrivateKeyJWT.name,
            },
            client_auth_methods=[PrivateKeyJWT(alg="RS256")],
        )
        app.state.oidc = oauth
    app.add_route(f"{prefix}/auth/login", _login, methods=["GET"], include_in_schema=False)
    app.add_route(f"{prefix}/auth/callback", _callback, methods=["GET"], name="oidc-callback", include_in_schema=False)
    app.add_route(f"{prefix}/auth/session", _session, methods=["GET"], include_in_schema=False)
    app.add_route(f"{prefix}/auth/logout", _logout, methods=["POST"], include_in_schema=False)


__all__ = [
    "COOKIE",
    "CSRF_HEADER",
    "Rights",
    "SignInRefusedError",
    "account_key_id",
    "mount_signin",
    "rights_of",
    "session_principal",
]
