"""WCAG 2.1 AA on every page and view of the coaches' page, and its keyboard paths, in Chromium.

axe-core checks each view as a user reaches it (with its data loaded, its messages and forms shown)
and must find zero violations; each view's screenshot goes to ``test-artifacts/screenshots/``. The
keyboard tests go where a mouse would: skip link, menu, search, sign-in and a suggestion's buttons.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.conftest import SAMPLE
from tests.e2e.browser import (
    TIMEOUT_MS,
    assert_accessible,
    chromium,
    expect,
    loaded,
    require_axe,
    serving,
    shot,
)
from tests.oidc import free_port

pytestmark = [pytest.mark.browser, pytest.mark.slow]

REGION = "Groningen"
VACANCY, OBLIGATION, CANDIDATE = "VAC-000029", "SROI-00008", "KND-000329"
BATCH_OBLIGATION = "SROI-00003"


@dataclass
class Live:
    base: str
    keys: dict[str, str]
    run_id: str

    def app(self, route: str = "") -> str:
        return f"{self.base}/app/{route}"


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    """The app over the sample world, a coach's and an adviser's key, and one finished batch match."""
    from api.http.app import create_app
    from api.security import create_key
    from api.settings import Settings
    from models.store import Store
    from models.store.importer import import_folder

    url = f"sqlite:///{tmp_path_factory.mktemp('a11y') / 'koppelaar.sqlite'}"
    store = Store.open(url)
    import_folder(store, SAMPLE)
    with store.begin() as conn:
        keys = {
            role: create_key(conn, role=role, region=REGION, label=f"a11y {role}").secret
            for role in ("coach", "adviseur")
        }
    try:
        with serving(create_app(Settings(database_url=url), store=store), free_port()) as base:
            headers = {"X-API-Key": keys["adviseur"]}
            run = httpx.post(
                f"{base}/api/v1/runs", json={"scope": "obligation", "scope_id": BATCH_OBLIGATION}, headers=headers
            ).json()
            deadline = time.monotonic() + 180
            while httpx.get(f"{base}/api/v1/runs/{run['run_id']}", headers=headers).json()["status"] != "done":
                assert time.monotonic() < deadline, "the batch match did not finish"
                time.sleep(0.2)
            yield Live(base, keys, run["run_id"])
    finally:
        store.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    require_axe()
    with chromium() as browser:
        yield browser


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    # axe-core is injected as an inline script, which the page's CSP (rightly) refuses: bypass it here only
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="nl-NL", bypass_csp=True)
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        yield tab
    finally:
        context.close()
    assert errors == []


def sign_in(page: Any, live: Live, role: str) -> None:
    page.goto(live.app())
    loaded(page, "aanmelden")
    page.get_by_label("API-sleutel").fill(live.keys[role])
    page.get_by_role("button", name="Aanmelden").click()
    loaded(page, "vacatures")


def visit(page: Any, live: Live, route: str, name: str) -> None:
    page.goto(live.app(route))
    loaded(page, name)


def test_every_view_of_a_coach_has_no_wcag_violations(live: Live, page: Any) -> None:
    page.goto(live.app())
    loaded(page, "aanmelden")
    assert_accessible(page, "aanmelden")
    page.get_by_role("button", name="Aanmelden").click()  # no key: the form says what is missing
    expect()(page.get_by_role("alert")).to_be_visible()
    assert_accessible(page, "aanmelden-fout")

    sign_in(page, live, "coach")
    assert_accessible(page, "vacatures")
    visit(page, live, f"#/vacatures/{VACANCY}", "vacature")
    assert_accessible(page, "vacature")
    card = page.get_by_role("article").first
    card.get_by_role("button", name="Afwijzen").click()  # the rejection form, open
    expect()(card.get_by_role("button", name="Afwijzing bevestigen")).to_be_visible()
    assert_accessible(page, "vacature-afwijzen")
    visit(page, live, "#/kandidaten", "kandidaten")
    assert_accessible(page, "kandidaten")
    visit(page, live, f"#/kandidaten/{CANDIDATE}", "kandidaat")
    assert_accessible(page, "kandidaat")
    visit(page, live, "#/verplichtingen", "verplichtingen")
    assert_accessible(page, "verplichtingen")
    visit(page, live, f"#/verplichtingen/{OBLIGATION}", "verplichting")
    assert_accessible(page, "verplichting")
    visit(page, live, "#/batch", "batch")
    assert_accessible(page, "batch-coach")
    visit(page, live, "#/rapportage", "rapportage")
    assert_accessible(page, "rapportage")
    visit(page, live, "#/kandidaten/KND-999999", "kandidaat")  # a page that cannot be shown
    expect()(page.get_by_role("alert")).to_be_visible()
    assert_accessible(page, "niet-gevonden")


def test_the_batch_views_of_an_adviser_have_no_wcag_violations(live: Live, page: Any) -> None:
    sign_in(page, live, "adviseur")
    visit(page, live, "#/batch", "batch")
    assert_accessible(page, "batch")
    visit(page, live, f"#/batch/{live.run_id}", "run")
    expect()(page.get_by_role("heading", name="Plan")).to_be_visible()
    assert_accessible(page, "batch-plan")


def focused(page: Any) -> dict[str, Any]:
    """What has the keyboard focus: its text, id and whether its focus ring shows."""
    focus: dict[str, Any] = page.evaluate(
        """() => {
          const e = document.activeElement;
          const style = getComputedStyle(e);
          return {
            text: (e.textContent || e.value || "").trim(),
            id: e.id,
            tag: e.tagName.toLowerCase(),
            label: e.getAttribute("aria-label") || (e.labels && e.labels[0] ? e.labels[0].textContent.trim() : ""),
            ring: style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2,
          };
        }"""
    )
    return focus


def test_the_keyboard_signs_in_skips_to_the_content_and_searches(live: Live, page: Any) -> None:
    page.goto(live.app())
    loaded(page, "aanmelden")
    assert focused(page)["label"] == "API-sleutel"  # the sign-in form has the focus at once
    page.keyboard.type(live.keys["coach"])
    page.keyboard.press("Enter")  # the form submits from the keyboard
    loaded(page, "vacatures")

    page.reload()
    loaded(page, "vacatures")
    order = []
    for _ in range(8):
        page.keyboard.press("Tab")
        now = focused(page)
        assert now["ring"], f"no visible focus on {now}"
        order.append(now["text"])
    # the tab order follows the page: skip link, the header's sign-out, the menu, then the content
    assert order[:7] == [
        "Naar de inhoud",
        "Afmelden",
        "Vacatures",
        "Kandidaten",
        "Verplichtingen",
        "Batchmatch",
        "Rapportage",
    ]

    page.reload()
    loaded(page, "vacatures")
    page.keyboard.press("Tab")
    assert focused(page)["text"] == "Naar de inhoud"
    assert page.evaluate("document.activeElement.getBoundingClientRect().top >= 0")  # shown while focused
    shot(page, "toetsenbord-skiplink")
    page.keyboard.press("Enter")
    assert focused(page)["id"] in ("page-title", "main")  # the skip link lands on the content
    tab_to(page, "Zoek op functie of beroep", at_most=5)
    page.keyboard.type("cv-monteur")
    page.keyboard.press("Enter")
    expect()(page).to_have_url(re.compile(r"#/vacatures\?q=cv-monteur$"))
    loaded(page, "vacatures")
    expect()(page.locator("#results")).to_contain_text("gevonden voor ‘cv-monteur’")


def tab_to(page: Any, text: str, *, at_most: int = 80) -> None:
    """Press Tab until the element with ``text`` (or that label) has the focus, its focus ring showing at every step."""
    for _ in range(at_most):
        page.keyboard.press("Tab")
        now = focused(page)
        assert now["ring"], f"no visible focus on {now}"
        if text in (now["text"], now["label"]):
            return
    raise AssertionError(f"{text!r} is not reached with {at_most} presses of Tab")


def test_the_keyboard_rejects_a_suggestion_with_a_reason(live: Live, page: Any) -> None:
    sign_in(page, live, "coach")
    visit(page, live, f"#/vacatures/{VACANCY}", "vacature")
    tab_to(page, "Afwijzen")
    page.keyboard.press("Enter")
    card = page.get_by_role("article").first
    expect()(card.get_by_role("button", name="Afwijzing bevestigen")).to_be_visible()
    now = focused(page)  # the form opens with its field focused
    assert now["label"] == "Reden van afwijzing (verplicht)"
    assert now["ring"]
    shot(page, "toetsenbord-afwijzen")
    tab_to(page, "Afwijzing bevestigen")
    page.keyboard.press("Enter")  # no reason given: the form says so and nothing is rejected
    expect()(page.get_by_role("alert")).to_contain_text("reden: is verplicht")


def test_axe_finds_a_violation_when_there_is_one(live: Live, page: Any) -> None:
    """The check itself: an unlabelled field and an image without a text are reported."""
    from tests.e2e.browser import wcag_violations

    sign_in(page, live, "coach")
    assert wcag_violations(page) == []
    page.evaluate(
        """() => {
          const main = document.getElementById("main");
          main.append(Object.assign(document.createElement("input"), {type: "text", id: "zonder-label"}));
          main.append(Object.assign(document.createElement("img"), {src: "data:,"}));
        }"""
    )
    found = wcag_violations(page)
    assert any(v.startswith("label ") and "zonder-label" in v for v in found), found
    assert any(v.startswith("image-alt ") for v in found), found
