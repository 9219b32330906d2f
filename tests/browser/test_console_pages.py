"""The console's pages as people and assistive technology meet them: axe-core finds no serious
or critical violation on the board, the room and the declare page; screenshots of the board
and the room at 1280x800; the board's filters; /docs with no internet access."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from tests.browser.conftest import MISSING, NEEDS_BROWSER, SCREENSHOTS, Console

if TYPE_CHECKING or MISSING is None:
    from playwright.async_api import Browser, Page, Request, Route, expect

pytestmark = [pytest.mark.slow, NEEDS_BROWSER]
AXE_SCRIPT = "axe_playwright_python/axe.min.js"
SEVERE = ("serious", "critical")


async def busy_night(console: Console) -> list[str]:
    """A board worth looking at: four incidents in three severities, roles handed out,
    updates posted, and a P1 whose customer update is overdue (the tests' P1 cadence is 3 s)."""
    alice = {"Authorization": f"Bearer {await console.token('alice')}"}
    references: list[str] = []
    async with httpx.AsyncClient(base_url=console.url, headers=alice) as http:

        async def ok(path: str, body: dict[str, Any]) -> dict[str, Any]:
            answer = await http.post(path, json=body)
            assert answer.status_code in (200, 201), answer.text
            result: dict[str, Any] = answer.json()
            return result

        for title, severity, services, roles in (
            ("Checkout returns 500s in eu-west", "P1", ["checkout", "payments"],
             {"incident_commander": "alice", "communications_lead": "carol",
              "operations_lead": "dave"}),
            ("Search results delayed by minutes", "P2", ["search"],
             {"communications_lead": "erin", "incident_commander": "bob"}),
            ("Nightly export job failing", "P3", ["exports"], {}),
            ("Status page shows stale data", "P4", ["status-page"], {}),
        ):  # fmt: skip
            declared = await ok(
                "/v1/incidents",
                {"title": title, "severity": severity, "services": services,
                 "criteria": ["production_workloads_affected"]},
            )  # fmt: skip
            reference = declared["reference"]
            references.append(reference)
            for role, person in roles.items():
                await ok(f"/v1/incidents/{reference}/roles", {"role": role, "assignee": person,
                                                             "note": "taking over"})  # fmt: skip
        first = references[0]
        impact = {"impact": "About 30% of card payments fail", "scope": "EU customers"}
        await ok(f"/v1/incidents/{first}/impact", impact)
        await ok(f"/v1/incidents/{first}/tickets", {"system": "zendesk", "key": "ZD-4412"})
        await ok(f"/v1/incidents/{first}/updates",
                 {"audience": "internal", "body": "Rolling back payments-api 2.14"})  # fmt: skip
        await ok(f"/v1/incidents/{first}/escalations",
                 {"target": "payments-oncall", "reason": "Rollback did not help"})  # fmt: skip
    erin = {"Authorization": f"Bearer {await console.token('erin')}"}
    async with httpx.AsyncClient(base_url=console.url, headers=erin) as http:
        answer = await http.post(
            f"/v1/incidents/{references[1]}/updates",
            json={"audience": "customer", "body": "Search is slower than usual; we are on it."},
        )
        assert answer.status_code == 200, answer.text
    # Past the P1 cadence with no customer update: the board marks INC-1 overdue.
    await asyncio.sleep(3.5)
    return references


async def axe_violations(page: Page) -> list[dict[str, Any]]:
    """The serious and critical violations axe-core finds on the page as it is now."""
    import axe_playwright_python

    script = Path(axe_playwright_python.__file__).parent / "axe.min.js"
    await page.add_script_tag(content=script.read_text())
    results: dict[str, Any] = await page.evaluate("axe.run(document)")
    return [v for v in results["violations"] if v["impact"] in SEVERE]


def describe(violations: list[dict[str, Any]]) -> str:
    """The violations, one line each, for a failure message."""
    return "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']]}"
        for v in violations
    )


async def test_board_room_and_declare_have_no_serious_accessibility_violations(
    console: Console, browser: Browser, tmp_path: Path
) -> None:
    """axe-core on the board, the room and the declare page: 0 serious or critical. The board
    and the room are photographed at 1280x800 (into docs/img/ with IRM_CONSOLE_SCREENSHOTS=1)."""
    references = await busy_night(console)
    shots = SCREENSHOTS if os.environ.get("IRM_CONSOLE_SCREENSHOTS") == "1" else tmp_path
    context, page = await console.signed_in(browser, "alice", inject_axe=True)

    await page.goto(f"{console.url}/ui/")
    overdue = page.locator(f"tr[data-incident='{references[0]}']")
    await expect(overdue.get_by_test_id("last-update")).to_contain_text("OVERDUE")
    await expect(page.locator("#live-status")).to_have_text("Live")
    await page.screenshot(path=shots / "console-board.png")
    assert not (found := await axe_violations(page)), describe(found)

    await page.goto(f"{console.url}/ui/incidents/{references[0]}")
    await expect(page.get_by_test_id("timeline")).to_contain_text("Rolling back payments-api")
    await expect(page.locator("#live-status")).to_have_text("Live")
    await page.screenshot(path=shots / "console-room.png")
    assert not (found := await axe_violations(page)), describe(found)

    await page.goto(f"{console.url}/ui/declare")
    assert not (found := await axe_violations(page)), describe(found)
    for name in ("console-board.png", "console-room.png"):
        png = (shots / name).read_bytes()
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        assert (int.from_bytes(png[16:20]), int.from_bytes(png[20:24])) == (1280, 800)
    await context.close()


async def test_the_board_filters(console: Console, browser: Browser) -> None:
    """Mine, severity, service and status narrow the board to what they say."""
    references = await busy_night(console)
    context, page = await console.signed_in(browser, "bob")

    async def shown() -> set[str]:
        rows = page.locator("tr[data-incident]")
        return {await r.get_attribute("data-incident") or "" for r in await rows.all()}

    assert await shown() == set(references)
    await page.get_by_label("Mine only").check()
    await page.get_by_role("button", name="Filter").click()
    assert await shown() == {references[1]}
    await page.get_by_label("Mine only").uncheck()
    await page.get_by_label("Severity").select_option("P3")
    await page.get_by_role("button", name="Filter").click()
    assert await shown() == {references[2]}
    await page.get_by_label("Severity").select_option("")
    await page.get_by_label("Service").fill("status-page")
    await page.get_by_role("button", name="Filter").click()
    assert await shown() == {references[3]}
    await page.get_by_label("Service").fill("")
    await page.get_by_label("Status").select_option("resolved")
    await page.get_by_role("button", name="Filter").click()
    assert await shown() == set()
    await context.close()


async def test_api_docs_render_with_no_internet_access(console: Console, browser: Browser) -> None:
    """/docs loads Swagger UI from this server: with every other host unreachable, the page
    still shows the API's operations, and it never even asks for another host."""
    context = await browser.new_context()
    elsewhere: list[str] = []

    async def only_this_machine(route: Route, request: Request) -> None:
        if request.url.startswith(console.url):
            await route.continue_()
        else:
            elsewhere.append(request.url)
            await route.abort("internetdisconnected")

    await context.route("**/*", only_this_machine)
    page = await context.new_page()
    await page.goto(f"{console.url}/docs")
    await expect(page.locator(".swagger-ui .info .title")).to_contain_text(
        "Incident Response Management"
    )
    await expect(
        page.locator(".opblock-summary-path", has_text="/v1/incidents").first
    ).to_be_visible()
    assert elsewhere == []
    await context.close()
