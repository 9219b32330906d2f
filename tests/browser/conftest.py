"""The console in a real browser: Debian's chromium driven by Playwright, against the API (with
its console) and a projector served over HTTP on 127.0.0.1, as `irm serve` runs them.

Skipped, with the reason, where Playwright or chromium is missing: .ci/run's browser stage
installs both (chromium with apt-get; no browser is ever downloaded).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import asyncpg
import pytest
import pytest_asyncio

from services.console.install import create_app_with_console
from services.incident_api.settings import ApiSettings
from services.projector.settings import ProjectorSettings
from shared.tokens import Scope, create_token
from tests.served_app import served_with_projector

CHROMIUM = os.environ.get("IRM_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "img"

if TYPE_CHECKING:
    from playwright.async_api import Browser, BrowserContext, Page


def missing_browser() -> str | None:
    """Why the browser tests cannot run on this machine, or None when they can."""
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        return "Playwright is not installed (pip install -e '.[browser]'; .ci/run's browser stage)"
    if shutil.which(CHROMIUM) is None:
        return f"no chromium at {CHROMIUM} (apt-get install chromium; .ci/run's browser stage)"
    return None


MISSING = missing_browser()
if MISSING is not None and os.environ.get("IRM_BROWSER_TESTS_REQUIRED") == "1":
    # .ci/run's browser stage: a missing browser there is a failure, not a skip.
    raise RuntimeError(f"the browser tests cannot run: {MISSING}")
NEEDS_BROWSER = pytest.mark.skipif(MISSING is not None, reason=str(MISSING))
"""Every browser test: collected always, skipped with the reason where it cannot run (so a run
of tests/browser alone on such a machine passes with skips rather than collecting nothing)."""


@dataclass
class Console:
    """The running API with its console, and how to sign people in to it."""

    url: str
    app: Any
    pool: asyncpg.Pool

    async def token(self, principal: str, scope: Scope = Scope.WRITE) -> str:
        """A new API token for `principal`."""
        return await create_token(self.pool, principal=principal, scope=scope)

    async def signed_in(
        self, browser: Browser, principal: str, *, inject_axe: bool = False
    ) -> tuple[BrowserContext, Page]:
        """A fresh browser context (its own cookies), signed in as `principal` via the form.
        `inject_axe` lets the test add axe-core to pages whose policy allows only their own
        script (Content-Security-Policy)."""
        context = await browser.new_context(
            viewport={"width": 1280, "height": 800}, bypass_csp=inject_axe
        )
        page = await context.new_page()
        await sign_in(page, self.url, await self.token(principal))
        return context, page


async def sign_in(page: Page, url: str, token: str) -> None:
    """Paste the token into the sign-in form, as a person does."""
    await page.goto(f"{url}/ui/sign-in")
    await page.get_by_label("API token").fill(token)
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_url(f"{url}/ui/")


@pytest_asyncio.fixture(loop_scope="session")
async def console(
    api_settings: ApiSettings,
    projector_settings: ProjectorSettings,
    database_url: str,
    pool: asyncpg.Pool,
) -> AsyncIterator[Console]:
    """The API (with /ui) on a free port of 127.0.0.1 and a projector, in this event loop."""
    app = create_app_with_console(api_settings)
    async with served_with_projector(app, pool, database_url, projector_settings) as url:
        yield Console(url, app, pool)


@pytest_asyncio.fixture(loop_scope="session", scope="session")
async def browser() -> AsyncIterator[Browser]:
    """Debian's chromium, headless, with no network beyond this machine needed."""
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM)
        try:
            yield launched
        finally:
            await launched.close()
