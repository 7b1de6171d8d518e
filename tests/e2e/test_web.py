"""The job coaches' web page in a real browser: Playwright driving Debian's Chromium, headless.

One live server (``uvicorn`` in a thread) over a SQLite store holding the committed sample world.
Each test opens its own browser context (so its own sessionStorage: its own sign-in) and saves a
full-page screenshot of what it shows to ``test-artifacts/screenshots/web-<page>.png``.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from models.store import tables as t
from tests.conftest import SAMPLE
from tests.e2e.browser import ARTIFACTS, chromium, serving
from tests.oidc import free_port

pytestmark = [pytest.mark.browser, pytest.mark.slow]

A, B = "Groningen", "Midden-Utrecht"
VACANCY, OBLIGATION = "VAC-000029", "SROI-00008"  # a Groningen vacancy with many suggestions, and its obligation
BATCH_OBLIGATION = "SROI-00003"  # two open places in Winschoten
TIMEOUT_MS = 20_000


@dataclass
class Live:
    base: str
    store: Any
    keys: dict[tuple[str, str], str]

    def app(self, route: str = "") -> str:
        return f"{self.base}/app/{route}"


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    """``koppelaar serve`` in a thread, over a SQLite store with the sample imported, and keys per role."""
    from api.http.app import create_app
    from api.security import create_key
    from api.settings import Settings
    from models.store import Store
    from models.store.importer import import_folder

    url = f"sqlite:///{tmp_path_factory.mktemp('web') / 'koppelaar.sqlite'}"
    store = Store.open(url)
    import_folder(store, SAMPLE)
    keys: dict[tuple[str, str], str] = {}
    with store.begin() as conn:
        for role, region in (("coach", A), ("adviseur", A), ("coach", B)):
            keys[role, region] = create_key(conn, role=role, region=region, label=f"web test {role}").secret
    app = create_app(Settings(database_url=url), store=store)
    try:
        with serving(app, free_port()) as base:
            yield Live(base, store, keys)
    finally:
        store.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as launched:
        yield launched


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh tab at a laptop's screen size; page errors and failed console messages fail the test."""
    context = browser.new_context(viewport={"width": 1366, "height": 768}, accept_downloads=True, locale="nl-NL")
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()
    problems: list[str] = []
    tab.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    tab.on("console", lambda msg: problems.append(f"console {msg.type}: {msg.text}") if msg.type == "error" else None)
    try:
        yield tab
    finally:
        context.close()
    # a refused request (401/404) is logged by Chromium as a failed resource load: that is the page
    # telling the user, not a fault; anything else is
    unexpected = [p for p in problems if "Failed to load resource" not in p]
    assert unexpected == []


# -- helpers ----------------------------------------------------------------------------------------


def expect() -> Any:
    from playwright.sync_api import expect as _expect

    return _expect


#: true once <main> holds page ``name`` rendered, with all its data, for the hash route now current.
#: A click on an in-page link changes the hash at once and the page only after its ``hashchange``, so
#: ``data-loaded`` alone may still name the page that was there before the click.
_LOADED = """name => {
  const main = document.getElementById("main");
  if (main.dataset.loaded !== name) return false;
  if (name === "aanmelden") return true;
  return main.dataset.route === (location.hash.replace(/^#/, "") || "/vacatures");
}"""


def loaded(page: Any, name: str) -> None:
    """Wait until the app has rendered page ``name`` with all its data, for the current address."""
    page.wait_for_function(_LOADED, arg=name)


def sign_in(page: Any, live: Live, key: str, *, then: str = "vacatures") -> None:
    page.goto(live.app())
    loaded(page, "aanmelden")
    page.get_by_label("API-sleutel").fill(key)
    page.get_by_role("button", name="Aanmelden").click()
    loaded(page, then)


def nav(page: Any, name: str) -> None:
    page.get_by_role("navigation", name="Hoofdmenu").get_by_role("link", name=name, exact=True).click()


def shot(page: Any, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"web-{name}.png"), full_page=True)


def euros(text: str) -> int:
    return int(re.sub(r"[^\d-]", "", text) or 0)


def placements_of(live: Live, **where: str) -> list[Any]:
    query = select(t.placements)
    for column, value in where.items():
        query = query.where(t.placements.c[column] == value)
    with live.store.connect() as conn:
        return list(conn.execute(query))


def region_ids(live: Live, region: str) -> set[str]:
    with live.store.connect() as conn:
        rows = conn.execute(select(t.candidates.c.candidate_id).where(t.candidates.c.region == region))
        return {r.candidate_id for r in rows}


# -- the scenarios ------------------------------------------------------------------------------------


def test_a_coach_proposes_a_candidate_and_the_obligation_progresses(live: Live, page: Any) -> None:
    """Sign in, find a vacancy, read its suggestions, propose one; planned and then realised euros rise."""
    sign_in(page, live, live.keys["coach", A])
    expect()(page.get_by_role("status")).to_contain_text(f"aangemeld als jobcoach, regio {A}")
    expect()(page.get_by_role("navigation", name="Hoofdmenu")).to_be_visible()

    nav(page, "Verplichtingen")
    loaded(page, "verplichtingen")
    row = page.get_by_role("row").filter(has_text=OBLIGATION)
    planned_before = euros(row.get_by_role("cell").nth(3).inner_text())
    bars = page.get_by_role("progressbar")
    assert bars.count() == page.locator("tbody tr").count() >= 3  # one per obligation of the region
    assert row.get_by_role("progressbar").get_attribute("aria-valuenow") is not None
    shot(page, "verplichtingen")

    nav(page, "Vacatures")
    loaded(page, "vacatures")
    page.get_by_label("Zoek op functie of beroep").fill("cv-monteur")
    page.get_by_role("button", name="Zoeken").click()
    expect()(page).to_have_url(re.compile(r"#/vacatures\?q=cv-monteur$"))
    loaded(page, "vacatures")
    expect()(page.locator("#results")).to_contain_text("gevonden voor ‘cv-monteur’")
    shot(page, "vacatures")
    page.get_by_role("row").filter(has_text=VACANCY).get_by_role("link").first.click()
    loaded(page, "vacature")
    expect()(page.get_by_role("heading", level=1)).to_have_text("Cv-monteur")

    cards = page.get_by_role("article")
    assert cards.count() >= 3
    first = cards.first
    expect()(first).to_contain_text("Passingsscore")  # no model loaded: a rule score, never called a chance
    expect()(first).to_contain_text("Reisafstand")  # the explanation's sentence
    expect()(first.locator("dl")).to_contain_text("Afstand")  # and its parts
    candidate = re.search(r"KND-\d+", first.get_by_role("heading").inner_text()).group(0)  # type: ignore[union-attr]
    shot(page, "vacature")

    first.get_by_role("button", name="Voordragen").click()
    status = page.get_by_role("status")
    expect()(status).to_contain_text(f"{candidate} is voorgedragen voor Cv-monteur ({VACANCY})")
    placement = re.search(r"PLA-[0-9A-F]+", status.inner_text()).group(0)  # type: ignore[union-attr]
    stored = placements_of(live, placement_id=placement)
    assert [(p.candidate_id, p.vacancy_id, p.obligation_id, p.status) for p in stored] == [
        (candidate, VACANCY, OBLIGATION, "voorgesteld")
    ]
    expect()(first).to_contain_text("voorgedragen op")
    expect()(first.get_by_role("button", name="Voordragen")).to_have_count(0)

    nav(page, "Verplichtingen")
    loaded(page, "verplichtingen")
    row = page.get_by_role("row").filter(has_text=OBLIGATION)
    assert euros(row.get_by_role("cell").nth(3).inner_text()) > planned_before

    row.get_by_role("link").first.click()
    loaded(page, "verplichting")
    realised = page.locator(".figure").filter(has_text="Gerealiseerd").locator(".value")
    realised_before = euros(realised.inner_text())
    page.get_by_role("button", name=f"{placement} als geaccepteerd registreren").click()
    expect()(page.get_by_role("status")).to_contain_text(f"Plaatsing {placement} is geregistreerd als geaccepteerd")
    loaded(page, "verplichting")
    assert euros(realised.inner_text()) > realised_before
    assert placements_of(live, placement_id=placement)[0].status == "geaccepteerd"
    expect()(page.get_by_role("row").filter(has_text=placement)).to_contain_text("geaccepteerd")
    shot(page, "verplichting")


def test_a_rejected_candidate_leaves_the_suggestions(live: Live, page: Any) -> None:
    sign_in(page, live, live.keys["coach", A])
    page.goto(live.app(f"#/vacatures/{VACANCY}"))
    loaded(page, "vacature")
    card = page.get_by_role("article").last
    candidate = re.search(r"KND-\d+", card.get_by_role("heading").inner_text()).group(0)  # type: ignore[union-attr]
    card.get_by_role("button", name="Afwijzen").click()
    card.get_by_role("button", name="Afwijzing bevestigen").click()
    expect()(page.get_by_role("alert")).to_contain_text("reden: is verplicht")  # a reason is required
    card.get_by_label("Reden van afwijzing (verplicht)").fill("Reisafstand te groot")
    card.get_by_role("button", name="Afwijzing bevestigen").click()
    expect()(page.get_by_role("status")).to_contain_text(f"Voorstel afgewezen (Reisafstand te groot): {candidate}")
    expect()(page.get_by_role("article", name=re.compile(candidate))).to_have_count(0)
    with live.store.connect() as conn:
        decisions = conn.execute(
            select(t.decisions.c.decision, t.decisions.c.reason).where(
                t.decisions.c.candidate_id == candidate, t.decisions.c.vacancy_id == VACANCY
            )
        ).all()
    assert [tuple(d) for d in decisions] == [("rejected", "Reisafstand te groot")]
    page.reload()  # still signed in (sessionStorage), and still gone
    loaded(page, "vacature")
    assert page.get_by_role("article").count() >= 1
    expect()(page.get_by_role("article", name=re.compile(candidate))).to_have_count(0)


def test_a_candidate_profile_shows_fitting_vacancies_and_what_is_missing(live: Live, page: Any) -> None:
    sign_in(page, live, live.keys["coach", A])
    nav(page, "Kandidaten")
    loaded(page, "kandidaten")
    groningen = region_ids(live, A)
    expect()(page.locator("#results")).to_have_text(f"{len(groningen)} kandidaten gevonden.")
    shot(page, "kandidaten")
    page.get_by_label("Zoek op kandidaatnummer").fill("329")
    page.get_by_role("button", name="Zoeken").click()
    loaded(page, "kandidaten")
    expect()(page.locator("#results")).to_have_text("1 kandidaat gevonden.")
    page.get_by_role("link", name="KND-000329").click()
    loaded(page, "kandidaat")
    expect()(page.get_by_role("heading", level=1)).to_have_text("Kandidaat KND-000329")
    expect()(page.locator("dl.facts").first).to_contain_text("Doelgroep")
    fits = page.get_by_role("list", name="Passende vacatures").get_by_role("article")
    assert fits.count() >= 1
    missing = page.get_by_role("region", name="Wat ontbreekt")
    expect()(missing).to_contain_text("VCA Basis (certificaat)")
    expect()(missing).to_contain_text("Een cursus VCA Basis maakt")  # the training advice closes the gap
    shot(page, "kandidaat")


def test_another_regions_coach_sees_none_of_the_first_regions_candidates(live: Live, page: Any) -> None:
    sign_in(page, live, live.keys["coach", B])
    nav(page, "Kandidaten")
    loaded(page, "kandidaten")
    utrecht, groningen = region_ids(live, B), region_ids(live, A)
    expect()(page.locator("#results")).to_have_text(f"{len(utrecht)} kandidaten gevonden.")
    shown: set[str] = set()
    while True:
        shown |= set(page.locator("tbody tr td:first-child a").all_inner_texts())
        following = page.get_by_role("link", name="Volgende →")
        if not following.count():
            break
        following.click()
        loaded(page, "kandidaten")
    assert shown == utrecht
    assert not shown & groningen
    mine = next(iter(sorted(groningen)))
    page.get_by_label("Zoek op kandidaatnummer").fill(mine)
    page.get_by_role("button", name="Zoeken").click()
    loaded(page, "kandidaten")
    expect()(page.locator("#results")).to_have_text("0 kandidaten gevonden.")
    page.goto(live.app(f"#/kandidaten/{mine}"))
    loaded(page, "kandidaat")
    expect()(page.get_by_role("alert")).to_contain_text("niet gevonden")
    expect()(page.get_by_role("heading", level=1)).to_have_text("Niet gevonden")
    assert page.locator("dl.facts").count() == 0
    shot(page, "niet-gevonden")


def test_a_batch_match_shows_progress_and_a_plan_a_coach_accepts(live: Live, page: Any) -> None:
    sign_in(page, live, live.keys["adviseur", A])
    nav(page, "Batchmatch")
    loaded(page, "batch")
    choose = page.get_by_label("Kies de verplichting")
    assert any(BATCH_OBLIGATION in o for o in choose.locator("option").all_inner_texts())  # picked from a list
    choose.select_option(BATCH_OBLIGATION)
    page.get_by_role("button", name="Batchmatch starten").click()
    loaded(page, "run")
    expect()(page.get_by_role("heading", level=1)).to_have_text(f"Batchmatch verplichting {BATCH_OBLIGATION}")
    bar = page.get_by_role("progressbar", name="Voortgang van de batchmatch")
    expect()(bar).to_be_visible()
    expect()(page.get_by_role("heading", name="Plan")).to_be_visible(timeout=60_000)
    expect()(bar).to_have_attribute("aria-valuenow", "100")
    run_id = re.search(r"run-[0-9a-f]+", page.url).group(0)  # type: ignore[union-attr]
    boxes = page.get_by_role("checkbox", name=re.compile(r"^KND-\d+ naar VAC-\d+ selecteren$"))
    assert boxes.count() == 2
    accept = page.get_by_role("button", name="Geselecteerde voordragen")
    expect()(accept).to_be_disabled()  # an adviser plans, a coach proposes
    assert "mag niet voordragen" in (accept.get_attribute("title") or "")
    shot(page, "batch-plan")

    page.get_by_role("button", name="Afmelden").click()
    loaded(page, "aanmelden")
    sign_in(page, live, live.keys["coach", A])
    expect()(page.get_by_role("link", name="Batchmatch")).to_be_visible()
    nav(page, "Batchmatch")
    loaded(page, "batch")
    expect()(page.get_by_role("button", name="Batchmatch starten")).to_be_disabled()
    shot(page, "batch")
    page.get_by_role("link", name=run_id).click()
    loaded(page, "run")
    page.get_by_label("Alles selecteren").check()
    page.get_by_role("button", name="Geselecteerde voordragen (2)").click()
    expect()(page.get_by_role("status")).to_contain_text("2 plaatsingen voorgedragen")
    with live.store.connect() as conn:
        decided = conn.execute(
            select(t.decisions.c.placement_id).where(
                t.decisions.c.run_id == run_id, t.decisions.c.decision == "accepted"
            )
        ).all()
    placed = [placements_of(live, placement_id=d.placement_id)[0] for d in decided]
    assert len(placed) == 2
    assert {p.status for p in placed} == {"voorgesteld"}
    assert {p.obligation_id for p in placed} == {BATCH_OBLIGATION}


def test_the_report_page_shows_the_charts_and_the_workbook(live: Live, page: Any) -> None:
    sign_in(page, live, live.keys["coach", A])
    nav(page, "Rapportage")
    loaded(page, "rapportage")
    report = page.frame_locator("iframe[title=Monitoringsrapport]")
    expect()(report.get_by_role("heading", name="Voortgang per verplichting")).to_be_visible()
    charts = report.locator("figure.chart svg")
    expect()(charts).to_have_count(3)
    assert report.get_by_role("progressbar").count() >= 20
    shot(page, "rapportage")
    report.get_by_role("link", name="Behoud").click()  # the report's own table of contents works in the frame
    expect()(report.get_by_role("heading", name="Behoud").first).to_be_in_viewport()
    expect()(charts.first).to_be_in_viewport()
    shot(page, "rapportage-grafiek")
    report.get_by_role("link", name="Eerlijkheid").click()
    expect()(report.get_by_role("heading", name="Eerlijkheid").first).to_be_in_viewport()
    # a region with thousands of obligations: the frame shows the first 100 rows of that table
    rows = "".join(f"<tr><td>SROI-{i:05d}</td></tr>" for i in range(150))
    table = f"<table><tbody>{rows}</tbody></table>"
    big = f'<html><head></head><body><main><section id="voortgang">{table}</section></main>'
    light = page.evaluate("html => window.Koppelaar.lighten(html)", big)
    assert light.count("<tr>") == 101
    assert "SROI-00099" in light
    assert "SROI-00100" not in light
    assert "… en nog 50 verplichtingen" in light
    assert "content-visibility: auto" in light
    with page.expect_download() as download:
        page.get_by_role("button", name="Excel-bestand downloaden (XLSX)").click()
    assert download.value.suggested_filename == f"sroi-monitoring-{A}-{time.strftime('%Y-%m-%d')}.xlsx"
    expect()(page.get_by_role("status")).to_contain_text("gedownload")


def test_a_wrong_key_shows_an_error_and_no_data(live: Live, page: Any) -> None:
    page.goto(live.app("#/kandidaten"))
    loaded(page, "aanmelden")
    page.get_by_role("button", name="Aanmelden").click()
    expect()(page.get_by_role("alert")).to_contain_text("Vul uw API-sleutel in")
    page.get_by_label("API-sleutel").fill("kop_k000000000000_verkeerd")
    page.get_by_role("button", name="Aanmelden").click()
    alert = page.get_by_role("alert")
    expect()(alert).to_contain_text("Aanmelden mislukt")
    expect()(alert).to_contain_text("Deze API-sleutel is onbekend of ingetrokken")
    expect()(page.get_by_role("navigation", name="Hoofdmenu")).to_be_hidden()
    expect()(page.get_by_role("button", name="Afmelden")).to_be_hidden()
    assert page.locator("table").count() == 0
    assert page.evaluate("sessionStorage.length") == 0
    assert not re.search(r"KND-\d+", page.locator("body").inner_text())
    shot(page, "aanmelden")


def test_the_keyboard_reaches_the_menu_and_opens_a_page(live: Live, page: Any) -> None:
    sign_in(page, live, live.keys["coach", A])
    page.reload()  # still signed in; the focus starts at the top of the page
    loaded(page, "vacatures")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Naar de inhoud"
    names = []
    for _ in range(6):
        page.keyboard.press("Tab")
        names.append(page.evaluate("document.activeElement.textContent"))
        if names[-1] == "Kandidaten":
            break
    assert names[-2:] == ["Vacatures", "Kandidaten"]
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") == "solid"  # visible focus
    page.keyboard.press("Enter")
    loaded(page, "kandidaten")
    expect()(page).to_have_url(re.compile(r"#/kandidaten$"))
    assert page.evaluate("document.activeElement.id") == "page-title"  # focus moves to the new page's heading
    assert page.evaluate("document.activeElement.textContent") == "Kandidaten"
    # on every page: one heading of the first level, and a label on every input
    for route, name in (
        ("#/vacatures", "vacatures"),
        (f"#/vacatures/{VACANCY}", "vacature"),
        ("#/kandidaten", "kandidaten"),
        ("#/kandidaten/KND-000329", "kandidaat"),
        ("#/verplichtingen", "verplichtingen"),
        (f"#/verplichtingen/{OBLIGATION}", "verplichting"),
        ("#/batch", "batch"),
        ("#/rapportage", "rapportage"),
        ("#/score", "score"),
    ):
        page.goto(live.app(route))
        loaded(page, name)
        assert page.get_by_role("heading", level=1).count() == 1, route
        unlabelled = page.evaluate(
            """[...document.querySelectorAll('input, select, textarea')]
                 .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label'))
                 .map(e => e.id || e.name || e.type)"""
        )
        assert unlabelled == [], route


# -- one proposal per pair, decisions that stick, the coach's own lists, honest scores ---------------


def _card_of(page: Any, candidate: str) -> Any:
    return page.get_by_role("article", name=re.compile(candidate))


def _planned_euros(page: Any, obligation: str) -> int:
    nav(page, "Verplichtingen")
    loaded(page, "verplichtingen")
    return euros(page.get_by_role("row").filter(has_text=obligation).get_by_role("cell").nth(3).inner_text())


def test_proposing_twice_from_two_tabs_makes_one_placement(live: Live, page: Any, browser: Any) -> None:
    sign_in(page, live, live.keys["coach", A])
    page.goto(live.app(f"#/vacatures/{VACANCY}"))
    loaded(page, "vacature")
    open_cards = page.get_by_role("article").filter(has=page.get_by_role("button", name="Voordragen"))
    card = open_cards.nth(1)
    candidate = re.search(r"KND-\d+", card.get_by_role("heading").inner_text()).group(0)  # type: ignore[union-attr]
    # a second tab of the same coach, opened before the first proposes
    other = browser.new_context(viewport={"width": 1366, "height": 768}, locale="nl-NL").new_page()
    try:
        sign_in(other, live, live.keys["coach", A])
        other.goto(live.app(f"#/vacatures/{VACANCY}"))
        loaded(other, "vacature")
        _card_of(page, candidate).get_by_role("button", name="Voordragen").click()
        expect()(page.get_by_role("status")).to_contain_text(f"{candidate} is voorgedragen")
        _card_of(other, candidate).get_by_role("button", name="Voordragen").click()
        expect()(other.get_by_role("status")).to_contain_text(f"{candidate} was al voorgedragen")
        expect()(other.get_by_role("status")).to_contain_text("geen tweede voordracht")
    finally:
        other.context.close()
    assert len(placements_of(live, candidate_id=candidate, vacancy_id=VACANCY)) == 1
    page.reload()
    loaded(page, "vacature")
    marked = _card_of(page, candidate)
    expect()(marked).to_contain_text("voorgedragen op")
    expect()(marked).to_contain_text("door web test coach")
    expect()(marked.get_by_role("button", name="Voordragen")).to_have_count(0)
    shot(page, "vacature-voorgedragen")


def test_a_rejection_after_a_proposal_withdraws_it_and_the_planned_euros_follow(live: Live, page: Any) -> None:
    sign_in(page, live, live.keys["coach", A])
    before = _planned_euros(page, OBLIGATION)
    page.goto(live.app(f"#/vacatures/{VACANCY}"))
    loaded(page, "vacature")
    card = page.get_by_role("article").filter(has=page.get_by_role("button", name="Voordragen")).first
    candidate = re.search(r"KND-\d+", card.get_by_role("heading").inner_text()).group(0)  # type: ignore[union-attr]
    card.get_by_role("button", name="Voordragen").click()
    status = page.get_by_role("status")
    expect()(status).to_contain_text(f"{candidate} is voorgedragen")
    placement = re.search(r"PLA-[0-9A-F]+", status.inner_text()).group(0)  # type: ignore[union-attr]
    proposed = _planned_euros(page, OBLIGATION)
    assert proposed > before

    page.goto(live.app(f"#/vacatures/{VACANCY}"))
    loaded(page, "vacature")
    card = _card_of(page, candidate)
    card.get_by_role("button", name="Afwijzen").click()
    card.get_by_label("Reden van afwijzing (verplicht)").fill("Werkgever heeft al iemand")
    card.get_by_role("button", name="Afwijzing bevestigen").click()
    expect()(page.get_by_role("status")).to_contain_text(f"De voordracht (plaatsing {placement}) is ingetrokken")
    assert placements_of(live, placement_id=placement) == []
    assert _planned_euros(page, OBLIGATION) == before
    with live.store.connect() as conn:
        reasons = conn.execute(
            select(t.decisions.c.decision, t.decisions.c.reason).where(
                t.decisions.c.candidate_id == candidate, t.decisions.c.vacancy_id == VACANCY
            )
        ).all()
    assert sorted(tuple(r) for r in reasons) == [("accepted", None), ("rejected", "Werkgever heeft al iemand")]


def test_a_coachs_default_lists_hold_only_the_regions_current_items(live: Live, page: Any) -> None:
    from datetime import date

    from models.rules import open_positions

    ds = live.store.load_dataset()
    today = date.today().isoformat()
    free = dict(zip(ds.vacancies["vacancy_id"], open_positions(ds.vacancies, ds.placements), strict=True))
    ends = {o: str(e)[:10] for o, e in zip(ds.obligations["obligation_id"], ds.obligations["end_date"], strict=True)}
    names = set(ds.contractors["name"])

    sign_in(page, live, live.keys["coach", A])
    loaded(page, "vacatures")
    rows = page.locator("tbody tr")
    assert 0 < rows.count() <= 50
    shown = set()
    for i in range(rows.count()):
        cells = rows.nth(i).get_by_role("cell")
        vacancy = re.search(r"VAC-\d+", cells.nth(0).inner_text()).group(0)  # type: ignore[union-attr]
        shown.add(vacancy)
        assert cells.nth(1).inner_text() in names  # the contractor's name, not its id
        assert cells.nth(3).inner_text() == A
        assert free[vacancy] > 0
        obligation = ds.vacancies.set_index("vacancy_id").at[vacancy, "obligation_id"]
        if isinstance(obligation, str):
            assert ends[obligation] >= today
    total = int(re.match(r"\d+", page.locator("#results").inner_text()).group(0))  # type: ignore[union-attr]
    everything = httpx.get(
        f"{live.base}/api/v1/worklist/vacancies?region=*&all=true&limit=1",
        headers={"X-API-Key": live.keys["coach", A]},
    ).json()["total"]
    assert total < everything
    shot(page, "vacatures-regio")

    nav(page, "Verplichtingen")
    loaded(page, "verplichtingen")
    listed = re.findall(r"SROI-\d+", page.locator("tbody").inner_text())
    assert listed
    assert all(ends[o] >= today for o in listed)
    page.get_by_label("Ook afgelopen en voldane verplichtingen").check()
    page.get_by_role("button", name="Zoeken").click()
    expect()(page).to_have_url(re.compile(r"alle=1"))
    loaded(page, "verplichtingen")
    assert len(re.findall(r"SROI-\d+", page.locator("tbody").inner_text())) >= len(set(listed))


def test_no_rule_score_is_called_a_chance(live: Live, page: Any) -> None:
    sign_in(page, live, live.keys["coach", A])
    for route, name in ((f"#/vacatures/{VACANCY}", "vacature"), ("#/kandidaten/KND-000329", "kandidaat")):
        page.goto(live.app(route))
        loaded(page, name)
        text = page.locator("main").inner_text()
        assert "Passingsscore" in text, route
        assert not re.search(r"\bkans\b|waarschijnlijk|Zekerheid", text, re.IGNORECASE), route
        hint = page.get_by_role("article").first.locator("[title]").first
        assert "geen percentage" in (hint.get_attribute("title") or "").lower()
    page.get_by_role("link", name="Wat betekent dit?").first.click()
    loaded(page, "score")
    expect()(page.get_by_role("heading", level=1)).to_have_text("Over de score")
    expect()(page.locator("main")).to_contain_text("Er is geen getraind model geladen")
    shot(page, "score")
