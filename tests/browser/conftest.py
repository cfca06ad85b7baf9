"""Browser tests: Debian's Chromium driven by Playwright against a real web app and sandbox.

Chromium must be at /usr/bin/chromium (``make test`` installs it). If it cannot start, the tests
fail: there is no skip. Screenshots of every page land in ``test-artifacts/browser/``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.support.web import web_app
from tradebind.sandbox.server import SandboxServer
from tradebind.web.server import WebServer

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"


# Module scope, not session: Playwright's sync API keeps an asyncio loop running on the main thread
# while it is open, and every async test collected after this module would then find a running loop.
@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def web(sandbox: SandboxServer, tmp_path: Path) -> Iterator[WebServer]:
    with web_app(sandbox.url, tmp_path) as server:
        yield server


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(30_000)
    p = context.new_page()
    yield p
    context.close()


class Shots:
    """Numbered full-page screenshots of one test."""

    def __init__(self, page: Page, name: str) -> None:
        self.page = page
        self.dir = ARTIFACTS / name
        self.dir.mkdir(parents=True, exist_ok=True)
        self.n = 0

    def __call__(self, label: str) -> None:
        self.n += 1
        self.page.screenshot(path=str(self.dir / f"{self.n:02d}-{label}.png"), full_page=True)


@pytest.fixture
def shots(page: Page, request: pytest.FixtureRequest) -> Shots:
    return Shots(page, request.node.name)
