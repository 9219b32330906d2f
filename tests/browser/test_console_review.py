"""After the incident, in a real browser: the post-mortem written through its forms is the
API's Markdown document (shown and downloaded), its follow-ups are tracked on /ui/follow-ups
until done, and /ui/metrics draws the figures as SVG charts."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import httpx
import pytest

from tests.browser.conftest import MISSING, NEEDS_BROWSER, SCREENSHOTS, Console
from tests.browser.test_console_pages import axe_violations, describe
from tests.browser.test_console_refusals import declared_with_roles

if TYPE_CHECKING or MISSING is None:
    from playwright.async_api import Browser, expect

pytestmark = [pytest.mark.slow, NEEDS_BROWSER]


async def resolved_p2(console: Console) -> str:
    """A P2 that alice ran as IC and resolved: its review is required."""
    incident = await declared_with_roles(console, {"incident_commander": "alice"})
    reference = incident["reference"]
    headers = {"Authorization": f"Bearer {await console.token('alice')}"}
    async with httpx.AsyncClient(base_url=console.url, headers=headers) as http:
        resolved = await http.post(
            f"/v1/incidents/{reference}/resolve",
            json={"resolution": "restored", "summary": "Payments provider failover"},
        )
        assert resolved.status_code == 200, resolved.text
    return str(reference)


async def test_a_review_written_in_the_console_is_the_apis_document(
    console: Console, browser: Browser
) -> None:
    """Start, root cause, a follow-up and publish through the forms; the page shows the API's
    Markdown document, the download is that document byte for byte, and the follow-up is on
    /ui/follow-ups under its owner until it is marked done there."""
    reference = await resolved_p2(console)
    context, page = await console.signed_in(browser, "alice", inject_axe=True)
    await page.goto(f"{console.url}/ui/incidents/{reference}")
    await page.get_by_role("link", name="none (required, pending)").click()
    await expect(page.get_by_test_id("review-status")).to_have_text("none")

    start = page.locator("#form-start")
    await start.get_by_label("Facilitator (handle)").fill("alice")
    await start.get_by_role("button").click()
    await expect(page.get_by_test_id("review-status")).to_have_text("started")

    cause = page.locator("#form-root-cause")
    await cause.get_by_label("Root cause").fill("An expired certificate at the provider")
    await cause.get_by_role("button").click()
    await expect(page.get_by_test_id("document")).to_contain_text("An expired certificate")

    due = (datetime.now(UTC) - timedelta(days=1)).date().isoformat()
    follow_up = page.locator("#form-follow-ups")
    await follow_up.get_by_label("Action").fill("Alert on certificate expiry")
    await follow_up.get_by_label("Owner (handle)").fill("bob")
    await follow_up.get_by_label("Due date").fill(due)
    await follow_up.get_by_role("button").click()
    await expect(page.get_by_test_id("document")).to_contain_text("Alert on certificate expiry")

    await page.locator("#form-publish").get_by_role("button").click()
    await expect(page.get_by_test_id("review-status")).to_have_text("published")
    if os.environ.get("IRM_CONSOLE_SCREENSHOTS") == "1":
        await page.screenshot(path=SCREENSHOTS / "console-postmortem.png")
    assert not (found := await axe_violations(page)), describe(found)

    async with page.expect_download() as downloading:
        await page.get_by_role("link", name="Download the Markdown document").click()
    downloaded = await (await downloading.value).path()
    headers = {"Authorization": f"Bearer {await console.token('alice')}", "Accept": "text/markdown"}
    async with httpx.AsyncClient(base_url=console.url, headers=headers) as http:
        document = (await http.get(f"/v1/incidents/{reference}/postmortem")).text
    assert downloaded.read_text() == document
    assert "An expired certificate at the provider" in document

    await page.get_by_role("link", name="Follow-ups").click()
    await expect(page.get_by_test_id("follow-up-count")).to_have_text("1 open, 1 overdue.")
    await expect(page.get_by_role("heading", name="bob (1)")).to_be_visible()
    await expect(page.locator("tr.overdue")).to_contain_text("OVERDUE")
    assert not (found := await axe_violations(page)), describe(found)
    await page.get_by_role("button", name="Mark done: Alert on certificate expiry").click()
    await expect(page.get_by_test_id("follow-up-count")).to_have_text("0 open, 0 overdue.")
    await context.close()


async def test_metrics_are_drawn_as_svg_on_the_server(console: Console, browser: Browser) -> None:
    """/ui/metrics draws four SVG charts with no script in them, and the table gives the same
    figures as the API for the window chosen."""
    await resolved_p2(console)
    context, page = await console.signed_in(browser, "alice", inject_axe=True)
    scripts: list[str] = []
    page.on("request", lambda r: scripts.append(r.url) if r.resource_type == "script" else None)
    await page.get_by_role("link", name="Metrics").click()
    await expect(page.get_by_test_id("metrics-summary")).to_contain_text("1 incident declared")
    assert await page.locator("figure.chart svg[role='img']").count() == 4
    assert await page.locator("figure.chart svg script").count() == 0
    assert scripts == [f"{console.url}/ui/static/console.js"]
    p2 = page.get_by_test_id("metrics-table").get_by_role("row", name="P2")
    await expect(p2.get_by_role("cell").first).to_have_text("1")
    assert not (found := await axe_violations(page)), describe(found)

    await page.get_by_label("Incidents declared in the").select_option("1")
    await page.get_by_role("button", name="Show").click()
    assert page.url.endswith("/ui/metrics?days=1")
    await expect(page.get_by_test_id("metrics-summary")).to_contain_text("1 incident declared")
    await context.close()
