"""Issue 7 benchmark: every page of the job coaches' web page in ≤ 300 ms, with 100,000 candidates stored.

The real server (``koppelaar serve``, one process) on a fresh SQLite store, driven by Debian's Chromium:

1. a seeded world (100,000 candidates × 20,000 vacancies at scale 1) and a model trained on its
   history (:func:`tests.benchmarks.planning.write_world`), outside every clock;
2. ``koppelaar import`` of that world (timed, in its own process), then a coach key and an adviser
   key per labour-market region;
3. the server started; then, region by region:

   a. warm-up over HTTP, timed: the adviser's batch match for one obligation near the region's
      people, the first suggestions (which prepare the region's matcher), the monitoring report and
      its page (computed once per data version and day, then kept);
   b. the coach signs in on the page in Chromium and opens every page once (not timed);
   c. every page is opened in turn, ``rounds`` times: the time from setting the page's address to the
      next frame after the page set ``main[data-loaded]`` (all its requests answered and its content
      in the document), measured in the page with ``performance.now()``. The first page is also
      loaded from scratch (HTML, script and style sheet, sign-in from the tab's session).

Each page's figure is over every region's rounds: p50, p95 and the maximum. The goal is p95 ≤ 300 ms
for every page. It runs once whatever ``--repeat`` says (at least 10 samples per page).
"""

from __future__ import annotations

import math
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from tests.benchmarks.measure import Measurement

GOAL_MS = 300.0
SAMPLES = 10  # at least, per page, over all regions
CHROMIUM = Path("/usr/bin/chromium")
RUN_LIMIT_S = 900.0

#: page name (main[data-loaded]) and label; the address is filled in per region
PAGES = (
    ("vacatures", "Vacatures (lijst)"),
    ("vacature", "Vacature met voorstellen"),
    ("vacatures", "Vacatures zoeken"),
    ("kandidaten", "Kandidaten (lijst)"),
    ("kandidaat", "Kandidaat: profiel, passende vacatures, wat ontbreekt"),
    ("verplichtingen", "Verplichtingen (voortgang)"),
    ("verplichting", "Verplichting met plaatsingen"),
    ("batch", "Batchmatch"),
    ("run", "Batchmatch: plan"),
    ("rapportage", "Rapportage"),
)

#: In the page: set the address (the same address again is opened anew), wait for the page to say it
#: is loaded, then for the next frame.
MEASURE = """async ([hash, name]) => {
  const main = document.getElementById("main");
  let started = false;
  const t0 = performance.now();
  const loaded = new Promise((resolve, reject) => {
    const observer = new MutationObserver(() => {
      if (!main.hasAttribute("data-loaded")) started = true;
      else if (started && main.dataset.loaded === name) {
        observer.disconnect();
        resolve(performance.now());
      }
    });
    observer.observe(main, { attributes: true, attributeFilter: ["data-loaded"] });
    setTimeout(() => reject(new Error(`${hash} did not load within 120 s`)), 120000);
  });
  if (location.hash === hash) window.dispatchEvent(new HashChangeEvent("hashchange"));
  else location.hash = hash;
  const t1 = await loaded;
  await new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
  return [t1 - t0, performance.now() - t0];
}"""


def bench_web(repeat: int, scale: float) -> list[tuple[Measurement, str]]:
    """Import, warm-up per region, then p50/p95 per page rendered in Chromium."""
    from tests.benchmarks.http import _environment, _free_port, _import, _peak_mb, _tool, _wait_healthy, stop
    from tests.benchmarks.planning import write_world

    n, m = max(int(100_000 * scale), 200), max(int(20_000 * scale), 40)
    folder = write_world(n, m, seed=7)
    work = Path(tempfile.mkdtemp(prefix="koppelaar-bench-web-"))
    env = _environment(folder, work)
    server: subprocess.Popen[bytes] | None = None
    log = (work / "server.log").open("wb")
    samples: dict[str, list[float]] = {label: [] for _, label in PAGES}
    cold: list[float] = []
    warm: dict[str, float] = {}
    skipped: dict[str, str] = {}
    try:
        import_s, import_mb = _import(folder / "world", env, work)
        keys = _keys(folder / "world", env["KOPPELAAR_DATABASE_URL"])
        port = _free_port()
        server = subprocess.Popen(
            [_tool(), "serve", "--port", str(port)], env=env, cwd=work, stdout=log, stderr=subprocess.STDOUT
        )
        base = f"http://127.0.0.1:{port}"
        start_s = _wait_healthy(base, server, work / "server.log")
        rounds = max(1, math.ceil(max(SAMPLES, repeat) / len(keys)))
        browser_note = ""
        if not CHROMIUM.exists():
            browser_note = "Chromium not installed (.ci/chromium): pages not measured"
        for region, (coach, adviser) in keys.items():
            started = time.perf_counter()
            ids = _warm_up(base, coach, adviser)
            warm[region] = time.perf_counter() - started
            if ids is None:
                skipped[region] = "no available candidate with suggestions"
                continue
            if not browser_note:
                _measure(base, coach, ids, rounds, samples, cold)
        server_mb = _peak_mb(server.pid)
    finally:
        stop(server, log, work, folder)

    out: list[tuple[Measurement, str]] = [
        (Measurement(f"import {n:,} candidates × {m:,} vacancies into SQLite", [import_s], [import_mb], {}), ""),
        (
            Measurement(
                f"start the server and warm {len(warm)} regions (a batch match, matcher, report and its page each)",
                [start_s + sum(warm.values())],
                [server_mb],
                {
                    "server_start_s": round(start_s, 2),
                    **{f"warm-up {r}_s": round(s, 2) for r, s in warm.items()},
                    **{f"skipped {r}": why for r, why in skipped.items()},
                    **({"browser": browser_note} if browser_note else {}),
                },
            ),
            "",
        ),
    ]
    if browser_note:
        return out
    missed = []
    for label, ms in [("Vacatures, volledig geladen (HTML, script, aanmelden uit de sessie)", cold)] + [
        (label, samples[label]) for _, label in PAGES
    ]:
        figures = _figures(ms)
        goal = "goal applies at scale 1"
        if scale == 1.0:
            ok = figures["p95_ms"] <= GOAL_MS
            missed += [] if ok else [label]
            goal = f"goal p95 ≤ {GOAL_MS:g} ms: {'met' if ok else 'MISSED'} (p95 {figures['p95_ms']} ms)"
        name = f"page {label}: p50 {figures['p50_ms']} ms, p95 {figures['p95_ms']} ms"
        out.append((Measurement(name, [figures["p50_ms"] / 1000], [server_mb], figures), goal))
    if scale == 1.0:
        verdict = "met" if not missed else f"MISSED on {', '.join(missed)}"
        out.append((Measurement("every page", [0.0], [server_mb], {}), f"goal every page p95 ≤ 300 ms: {verdict}"))
    return out


def _figures(ms: list[float]) -> dict[str, Any]:
    if not ms:
        return {"samples": 0, "p50_ms": float("nan"), "p95_ms": float("nan"), "max_ms": float("nan")}
    a = np.asarray(ms)
    return {
        "samples": len(a),
        "p50_ms": round(float(np.percentile(a, 50)), 1),
        "p95_ms": round(float(np.percentile(a, 95)), 1),
        "max_ms": round(float(a.max()), 1),
    }


def _keys(world: Path, url: str) -> dict[str, tuple[str, str]]:
    """A (coach, adviser) key per region of the world's candidates."""
    from api.security import create_key
    from models.store import Store

    regions = sorted(pd.read_csv(world / "candidates.csv", usecols=["region"])["region"].dropna().unique())
    store = Store.open(url)
    try:
        with store.begin() as conn:
            return {
                str(r): (
                    create_key(conn, role="coach", region=str(r), label="bench web coach").secret,
                    create_key(conn, role="adviseur", region=str(r), label="bench web adviser").secret,
                )
                for r in regions
            }
    finally:
        store.close()


def _warm_up(base: str, coach: str, adviser: str) -> dict[str, str] | None:
    """What a region's pages show, found and computed once: the ids to open, or None."""
    import httpx

    with httpx.Client(base_url=f"{base}/api/v1", timeout=RUN_LIMIT_S) as http:

        def get(path: str, key: str = coach) -> Any:
            answer = http.get(path, headers={"X-API-Key": key})
            answer.raise_for_status()
            return answer.json() if answer.headers["content-type"].endswith("json") else answer.text

        people = get("/candidates?status=beschikbaar&consent=true&limit=50")["items"]
        found: dict[str, str] | None = None
        for person in people:  # the first call prepares the region's matcher
            for item in get(f"/candidates/{person['candidate_id']}/suggestions?top=10")["items"]:
                vacancy = get(f"/vacancies/{item['vacancy_id']}")
                if vacancy["obligation_id"]:
                    found = {
                        "candidate": person["candidate_id"],
                        "vacancy": vacancy["vacancy_id"],
                        "obligation": vacancy["obligation_id"],
                    }
                    break
            if found:
                break
        if found is None:
            return None
        run = http.post(
            "/runs", json={"scope": "obligation", "scope_id": found["obligation"]}, headers={"X-API-Key": adviser}
        )
        run.raise_for_status()
        found["run"] = run.json()["run_id"]
        deadline = time.monotonic() + RUN_LIMIT_S
        while get(f"/runs/{found['run']}")["status"] not in ("done", "failed"):
            if time.monotonic() > deadline:
                raise RuntimeError(f"the batch match {found['run']} did not finish within {RUN_LIMIT_S:g} s")
            time.sleep(0.5)
        get(f"/vacancies/{found['vacancy']}/suggestions?top=10")
        for path in ("/reports/monitoring/tables/progress", "/reports/monitoring/tables/training"):
            get(path)
        get("/reports/monitoring.html")
        return found


def _measure(
    base: str, key: str, ids: dict[str, str], rounds: int, samples: dict[str, list[float]], cold: list[float]
) -> None:
    """Sign in as the region's coach, open each page once, then ``rounds`` times each, timed."""
    from playwright.sync_api import sync_playwright

    addresses = {
        "Vacatures (lijst)": "#/vacatures",
        "Vacature met voorstellen": f"#/vacatures/{ids['vacancy']}",
        "Vacatures zoeken": "#/vacatures?q=monteur",
        "Kandidaten (lijst)": "#/kandidaten",
        "Kandidaat: profiel, passende vacatures, wat ontbreekt": f"#/kandidaten/{ids['candidate']}",
        "Verplichtingen (voortgang)": "#/verplichtingen",
        "Verplichting met plaatsingen": f"#/verplichtingen/{ids['obligation']}",
        "Batchmatch": "#/batch",
        "Batchmatch: plan": f"#/batch/{ids['run']}",
        "Rapportage": "#/rapportage",
    }
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        try:
            page = browser.new_context(viewport={"width": 1366, "height": 768}).new_page()
            page.set_default_timeout(120_000)
            page.goto(f"{base}/app/")
            page.wait_for_selector('main[data-loaded="aanmelden"]', state="attached")
            page.get_by_label("API-sleutel").fill(key)
            page.get_by_role("button", name="Aanmelden").click()
            page.wait_for_selector('main[data-loaded="vacatures"]', state="attached")
            for round_ in range(rounds + 1):  # the first round warms the browser and is not counted
                for name, label in PAGES:
                    _, painted = page.evaluate(MEASURE, [addresses[label], name])
                    if round_:
                        samples[label].append(float(painted))
                page.goto("about:blank")
                started = time.perf_counter()
                page.goto(f"{base}/app/#/vacatures")
                page.wait_for_selector('main[data-loaded="vacatures"]', state="attached")
                if round_:
                    cold.append((time.perf_counter() - started) * 1000)
        finally:
            browser.close()
