"""Shared by the browser tests of sign-in and accessibility: a live server in a thread, Debian's
Chromium through Playwright, and axe-core's WCAG 2.1 AA check of a page.

axe-core (npm, installed by ``npm ci``) is injected by the tests into the page under test; it is
never served to users. Its script is inline, so the contexts that run it bypass the page's CSP.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
TIMEOUT_MS = 20_000
#: The rules of WCAG 2.0 and 2.1, levels A and AA, as axe-core tags them.
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@contextmanager
def serving(app: Any, port: int) -> Iterator[str]:
    """``app`` served by uvicorn in a thread on 127.0.0.1:``port`` until the block ends; its base URL."""
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, name="live-server", daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                break
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the live server did not start")
        time.sleep(0.05)
    try:
        yield base
    finally:
        server.should_exit = True
        thread.join(timeout=15)


@contextmanager
def chromium() -> Iterator[Any]:
    """Debian's Chromium, headless; fails under CI and skips elsewhere when it is missing."""
    sync_api = pytest.importorskip("playwright.sync_api")
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail("Debian's Chromium is not at /usr/bin/chromium in CI (.ci/chromium installs it)")
        pytest.skip("Debian's Chromium is not installed (run .ci/chromium)")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        try:
            yield browser
        finally:
            browser.close()


def require_axe() -> None:
    if not AXE.exists():
        if os.environ.get("CI"):
            pytest.fail("axe-core is missing in CI: `make test` installs it (npm ci)")
        pytest.skip("axe-core is not installed (run `make node-packages`)")


def expect() -> Any:
    from playwright.sync_api import expect as _expect

    return _expect


#: true once <main> holds page ``name`` rendered, with all its data, for the hash route now current
_LOADED = """name => {
  const main = document.getElementById("main");
  if (!main || main.dataset.loaded !== name) return false;  // (another site's page, during a sign-in)
  if (name === "aanmelden") return true;
  return main.dataset.route === (location.hash.replace(/^#/, "") || "/vacatures");
}"""


def loaded(page: Any, name: str) -> None:
    """Wait until the app has rendered page ``name`` with all its data, for the current address."""
    page.wait_for_function(_LOADED, arg=name)


def shot(page: Any, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def wcag_violations(page: Any) -> list[str]:
    """axe-core's WCAG 2.1 A and AA violations on the page as it is now, one line per rule and element."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
        WCAG_21_AA,
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {json.dumps(node['target'])}: {node['failureSummary']}"
        for v in result["violations"]
        for node in v["nodes"]
    ]


def assert_accessible(page: Any, view: str) -> None:
    """Zero WCAG 2.1 AA violations on ``view`` (axe-core), and its screenshot saved."""
    shot(page, view)
    problems = wcag_violations(page)
    assert problems == [], f"{view}:\n" + "\n".join(problems)
