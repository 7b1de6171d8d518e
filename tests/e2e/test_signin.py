"""Signing in to the web page with an organisation account, against a real OpenID Connect provider.

The provider is ``tests/oidc/provider.mjs`` (the npm package ``oidc-provider``) run on Node.js as its
own server process, with its own login form; Koppelaar is ``koppelaar serve``'s app in a thread over a
SQLite store with the sample world, configured as that provider's client (private_key_jwt, PKCE).
Chromium goes through the whole flow: Koppelaar's page, the provider's login and consent, the callback.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select

from models.store import tables as t
from tests.conftest import SAMPLE
from tests.e2e.browser import (
    ARTIFACTS,
    TIMEOUT_MS,
    assert_accessible,
    chromium,
    expect,
    loaded,
    require_axe,
    serving,
)
from tests.oidc import client_key, free_port, running_provider

pytestmark = [pytest.mark.browser, pytest.mark.slow]

REGION = "Groningen"

ACCOUNTS: dict[str, dict[str, Any]] = {
    "coach-groningen": {"name": "Coach Groningen", "koppelaar_role": "coach", "koppelaar_region": REGION},
    "zonder-regio": {"name": "Zonder Regio", "koppelaar_role": "coach"},
    "andere-app": {"name": "Andere App", "koppelaar_role": "coach", "koppelaar_region": REGION},
    "klok-verkeerd": {"name": "Klok Verkeerd", "koppelaar_role": "coach", "koppelaar_region": REGION},
    "adviseur-van-beheer": {"name": "Adviseur"},  # no claims: the admin's mapping gives the rights
}
MISISSUED = {"andere-app": "wrong-audience", "klok-verkeerd": "expired"}


@dataclass
class Live:
    base: str
    store: Any

    def app(self, route: str = "") -> str:
        return f"{self.base}/app/{route}"


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    from api.http.app import create_app
    from api.settings import OidcAccount, Settings
    from models.store import Store
    from models.store.importer import import_folder

    folder = tmp_path_factory.mktemp("signin")
    key = client_key()
    key_file = folder / "koppelaar-client.pem"
    key_file.write_text(key.pem, encoding="utf-8")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with running_provider(
        folder,
        client_id="koppelaar",
        redirect_uri=f"{base}/app/auth/callback",
        post_logout_redirect_uri=f"{base}/app/",
        public_jwk=key.public_jwk,
        accounts=ACCOUNTS,
        id_tokens=MISISSUED,
    ) as provider:
        url = f"sqlite:///{folder / 'koppelaar.sqlite'}"
        store = Store.open(url)
        import_folder(store, SAMPLE)
        settings = Settings(
            database_url=url,
            warm=False,
            oidc_issuer=provider.issuer,
            oidc_client_id="koppelaar",
            oidc_client_key=key_file,
            oidc_scopes="openid profile koppelaar",
            oidc_accounts={"adviseur-van-beheer": OidcAccount(role="adviseur", region=REGION)},
        )
        try:
            with serving(create_app(settings, store=store), port):
                yield Live(base, store)
        finally:
            store.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as browser:
        yield browser


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="nl-NL")
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()
    problems: list[str] = []
    tab.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    try:
        yield tab
    finally:
        context.close()
    assert problems == []


def shot(page: Any, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"signin-{name}.png"), full_page=True)


def at_provider(page: Any, live: Live, login: str, *, screenshot: str | None = None) -> None:
    """From Koppelaar's sign-in page through the provider's own login form and consent."""
    page.goto(live.app())
    loaded(page, "aanmelden")
    page.get_by_role("link", name="Aanmelden met uw organisatieaccount").click()
    page.locator("input[name=login]").fill(login)
    page.locator("input[name=password]").fill("wachtwoord")
    if screenshot:
        page.screenshot(path=str(ARTIFACTS / f"signin-{screenshot}.png"), full_page=True)
    page.locator("button[type=submit]").click()
    page.locator("button[type=submit]").click()  # the provider's consent: "Continue"


def session_cookie(page: Any) -> dict[str, Any] | None:
    return next((c for c in page.context.cookies() if c["name"] == "koppelaar_session"), None)


def signed_in_sessions(live: Live) -> list[Any]:
    with live.store.connect() as conn:
        return list(conn.execute(select(t.web_sessions).where(t.web_sessions.c.key_id.is_not(None))))


# -- the scenarios ----------------------------------------------------------------------------------


def test_a_coach_signs_in_with_the_organisation_account_and_out_again(live: Live, page: Any) -> None:
    page.goto(live.app())
    loaded(page, "aanmelden")
    expect()(page.get_by_role("heading", name="Met uw organisatieaccount")).to_be_visible()
    shot(page, "aanmelden")
    at_provider(page, live, "coach-groningen", screenshot="provider")
    loaded(page, "vacatures")
    expect()(page.get_by_role("status")).to_contain_text(f"aangemeld als jobcoach, regio {REGION}")
    expect()(page.get_by_role("navigation", name="Hoofdmenu")).to_be_visible()
    assert page.evaluate("sessionStorage.length") == 0  # no key in the browser: the cookie stands in
    cookie = session_cookie(page)
    assert cookie is not None
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Lax"
    shot(page, "aangemeld")

    # the region applies as it does to a key: only Groningen's candidates
    page.get_by_role("navigation", name="Hoofdmenu").get_by_role("link", name="Kandidaten", exact=True).click()
    loaded(page, "kandidaten")
    with live.store.connect() as conn:
        groningen = conn.execute(select(t.candidates.c.candidate_id).where(t.candidates.c.region == REGION)).all()
    expect()(page.locator("#results")).to_have_text(f"{len(groningen)} kandidaten gevonden.")

    # the account is a row of api_keys (its id pseudonymous), and the audit log names it
    me = page.evaluate("fetch('/api/v1/me', {credentials: 'same-origin'}).then(r => r.json())")
    assert me["role"] == "coach"
    assert me["region"] == REGION
    assert re.fullmatch(r"o[0-9a-f]{12}", me["key_id"])
    with live.store.connect() as conn:
        audited = conn.execute(select(t.audit_events.c.key_id).where(t.audit_events.c.key_id == me["key_id"])).all()
    assert audited

    # a request that changes something needs the session's CSRF token, which only the page has
    refused = page.evaluate(
        """fetch('/api/v1/suggestions/accept', {method: 'POST', credentials: 'same-origin',
             headers: {'Content-Type': 'application/json'}, body: '{}'}).then(r => r.status)"""
    )
    assert refused == 403

    page.get_by_role("button", name="Afmelden").click()
    # Koppelaar's session ends, then the provider's own logout page asks, and sends the browser back
    page.get_by_role("button", name="Yes, sign me out").click()
    loaded(page, "aanmelden")
    expect()(page.get_by_role("status")).to_contain_text("U bent afgemeld, ook bij uw organisatie")
    expect()(page.get_by_role("navigation", name="Hoofdmenu")).to_be_hidden()
    assert all(s.key_id != me["key_id"] for s in signed_in_sessions(live))
    assert page.evaluate("fetch('/api/v1/me', {credentials: 'same-origin'}).then(r => r.status)") == 401
    shot(page, "afgemeld")
    # the provider's session ended too: signing in again asks for the password
    page.get_by_role("link", name="Aanmelden met uw organisatieaccount").click()
    expect()(page.locator("input[name=password]")).to_be_visible()


def test_the_admins_mapping_gives_an_account_its_role_and_region(live: Live, page: Any) -> None:
    at_provider(page, live, "adviseur-van-beheer")
    loaded(page, "vacatures")
    expect()(page.get_by_role("status")).to_contain_text(f"aangemeld als SROI-adviseur, regio {REGION}")


@pytest.mark.parametrize(
    ("login", "message"),
    [
        ("zonder-regio", "Uw account heeft geen regio. Vraag uw beheerder om u een regio te geven"),
        ("andere-app", "niet voor Koppelaar bestemd"),
        ("klok-verkeerd", "Het bewijs van aanmelding van uw organisatie was al verlopen"),
    ],
    ids=["no-region", "wrong-audience", "expired-token"],
)
def test_a_refused_sign_in_says_why_in_dutch_and_signs_nobody_in(
    live: Live, page: Any, login: str, message: str
) -> None:
    before = len(signed_in_sessions(live))
    at_provider(page, live, login)
    loaded(page, "aanmelden")
    alert = page.get_by_role("alert")
    expect()(alert).to_contain_text("Aanmelden mislukt")
    expect()(alert).to_contain_text(message)
    expect()(page.get_by_role("navigation", name="Hoofdmenu")).to_be_hidden()
    assert page.evaluate("fetch('/api/v1/me', {credentials: 'same-origin'}).then(r => r.status)") == 401
    assert len(signed_in_sessions(live)) == before
    shot(page, f"geweigerd-{login}")
    page.reload()  # the message is shown once
    loaded(page, "aanmelden")
    expect()(page.get_by_role("alert")).to_be_hidden()


def test_a_tampered_state_is_refused(live: Live, page: Any, browser: Any) -> None:
    """The provider's answer comes back with another state than the sign-in this browser started."""
    callbacks: list[str] = []
    page.on("request", lambda r: callbacks.append(r.url) if "/app/auth/callback?" in r.url else None)
    at_provider(page, live, "coach-groningen")
    loaded(page, "vacatures")
    (answer,) = callbacks
    assert re.search(r"[?&]state=[^&]+", answer)

    other = browser.new_context(viewport={"width": 1366, "height": 768}, locale="nl-NL")
    try:
        tab = other.new_page()
        tab.set_default_timeout(TIMEOUT_MS)
        tab.goto(live.app())
        loaded(tab, "aanmelden")
        tab.get_by_role("link", name="Aanmelden met uw organisatieaccount").click()  # a sign-in of its own
        expect()(tab.locator("input[name=login]")).to_be_visible()
        tab.goto(re.sub(r"([?&]state=)[^&]+", r"\1ander-verzoek", answer))
        loaded(tab, "aanmelden")
        refused = "hoort niet bij een aanmelding die in deze browser is begonnen"
        expect()(tab.get_by_role("alert")).to_contain_text(refused)
        expect()(tab.get_by_role("navigation", name="Hoofdmenu")).to_be_hidden()
        assert tab.evaluate("fetch('/api/v1/me', {credentials: 'same-origin'}).then(r => r.status)") == 401
        tab.screenshot(path=str(ARTIFACTS / "signin-geweigerd-state.png"), full_page=True)
        # the first browser's genuine answer cannot be replayed here either: its state is not this sign-in's
        tab.get_by_role("link", name="Aanmelden met uw organisatieaccount").click()
        expect()(tab.locator("input[name=login]")).to_be_visible()
        tab.goto(answer)
        loaded(tab, "aanmelden")
        expect()(tab.get_by_role("alert")).to_contain_text(refused)
    finally:
        other.close()


def test_the_sign_in_views_have_no_wcag_violations_and_work_by_keyboard(live: Live, browser: Any) -> None:
    require_axe()
    # axe-core is injected as an inline script, which the page's CSP (rightly) refuses: bypass it here only
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="nl-NL", bypass_csp=True)
    context.set_default_timeout(TIMEOUT_MS)
    try:
        tab = context.new_page()
        tab.goto(live.app())
        loaded(tab, "aanmelden")
        assert_accessible(tab, "aanmelden-organisatie")
        assert tab.evaluate("document.activeElement.textContent") == "Aanmelden met uw organisatieaccount"
        tab.keyboard.press("Enter")  # the focused link, by keyboard, to the provider
        tab.locator("input[name=login]").fill("zonder-regio")
        tab.locator("input[name=password]").fill("wachtwoord")
        tab.keyboard.press("Enter")
        tab.locator("button[type=submit]").press("Enter")  # the provider's consent
        loaded(tab, "aanmelden")
        expect()(tab.get_by_role("alert")).to_contain_text("Uw account heeft geen regio")
        assert_accessible(tab, "aanmelden-geweigerd")
    finally:
        context.close()
