"""Running an incident from the console's forms, in a real browser: sign in, declare, assign the
IC, post a customer update and resolve; and what a second person sees meanwhile, live."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import httpx
import pytest

from tests.browser.conftest import MISSING, NEEDS_BROWSER, Console

if TYPE_CHECKING or MISSING is None:
    from playwright.async_api import Browser, Page, expect

pytestmark = [pytest.mark.slow, NEEDS_BROWSER]
LIVE_WITHIN_MS = 1_000


async def declare_through_form(page: Page, url: str, title: str, severity: str = "P2") -> str:
    """Fill in /ui/declare and return the new incident's reference, from the room's address."""
    await page.get_by_role("link", name="Declare").click()
    await page.get_by_label("Title").fill(title)
    await page.get_by_label("Production workloads are affected").check()
    await page.get_by_label("Severity").select_option(severity)
    await page.get_by_label("Services (comma-separated)").fill("checkout, payments")
    await page.get_by_role("button", name="Declare").click()
    await page.wait_for_url(f"{url}/ui/incidents/INC-*")
    room: str = page.url
    return room.split("/ui/incidents/")[1].split("?")[0]


async def test_an_incident_run_through_the_forms(console: Console, browser: Browser) -> None:
    """Declare, assign an IC, post a customer update and resolve, each through its form; the
    room and the API agree at every step."""
    context, page = await console.signed_in(browser, "alice")
    await expect(page.get_by_test_id("viewer")).to_have_text("alice")

    reference = await declare_through_form(page, console.url, "Checkout returns 500s")
    await expect(page.get_by_role("heading", level=1)).to_contain_text("Checkout returns 500s")
    await expect(page.get_by_test_id("severity")).to_have_text("P2")
    await expect(page.get_by_test_id("acting-ic")).to_have_text("alice")

    role_form = page.locator("#form-role")
    await role_form.get_by_label("Role").select_option("incident_commander")
    await role_form.get_by_label("Person (handle)").fill("alice")
    await role_form.get_by_label("Handover note").fill("I have it from here")
    await role_form.get_by_role("button").click()
    await expect(page.get_by_test_id("role-incident_commander")).to_have_text("alice")

    update_form = page.locator("#form-update")
    await update_form.get_by_label("Audience").select_option("customer")
    await update_form.get_by_label("Message").fill("Checkout is failing for some customers.")
    await update_form.get_by_role("button").click()
    await expect(page.get_by_test_id("timeline")).to_contain_text(
        "Checkout is failing for some customers."
    )

    resolve_form = page.locator("#form-resolve")
    await resolve_form.get_by_label("Resolution").select_option("restored")
    await resolve_form.get_by_label("Summary").fill("Rolled back the bad deploy.")
    await resolve_form.get_by_role("button").click()
    await expect(page.get_by_test_id("status")).to_contain_text("resolved")

    token = await console.token("alice")
    async with httpx.AsyncClient(base_url=console.url) as http:
        answer = await http.get(
            f"/v1/incidents/{reference}", headers={"Authorization": f"Bearer {token}"}
        )
    incident = answer.json()
    assert incident["status"] == "resolved"
    assert incident["resolution"] == "restored"
    assert incident["roles"] == {"incident_commander": "alice"}
    assert incident["last_customer_update_at"] is not None
    await context.close()


async def test_another_person_sees_the_update_live(console: Console, browser: Browser) -> None:
    """Bob, signed in elsewhere, sees Alice's customer update on the board and in the room
    within a second, without reloading either page."""
    alice_context, alice = await console.signed_in(browser, "alice")
    reference = await declare_through_form(alice, console.url, "Search is slow")

    bob_context, bob_board = await console.signed_in(browser, "bob")
    row = bob_board.locator(f"tr[data-incident='{reference}']")
    await expect(row.get_by_test_id("last-update")).to_contain_text("none yet")
    bob_room = await bob_context.new_page()
    await bob_room.goto(f"{console.url}/ui/incidents/{reference}")
    await expect(bob_room.locator("#live-status")).to_have_text("Live")
    await expect(bob_board.locator("#live-status")).to_have_text("Live")

    update_form = alice.locator("#form-update")
    await update_form.get_by_label("Audience").select_option("customer")
    await update_form.get_by_label("Message").fill("Search results are delayed by a minute.")
    async with alice.expect_response(lambda r: r.request.method == "POST") as posted:
        await update_form.get_by_role("button").click()
    assert (await posted.value).status == 303
    done = time.monotonic()

    await expect(bob_room.get_by_test_id("timeline")).to_contain_text(
        "Search results are delayed by a minute.", timeout=LIVE_WITHIN_MS
    )
    await expect(row.get_by_test_id("last-update")).not_to_contain_text(
        "none yet", timeout=LIVE_WITHIN_MS
    )
    assert time.monotonic() - done < LIVE_WITHIN_MS / 1000
    # Neither page was reloaded: the board still shows what it loaded with beside the change.
    assert bob_board.url == f"{console.url}/ui/"
    await alice_context.close()
    await bob_context.close()


async def test_declaring_works_by_keyboard_alone(console: Console, browser: Browser) -> None:
    """From the skip link to the Declare button with Tab, typing, Space and Enter only: every
    field is reached in order, and the incident is declared as typed."""
    context, page = await console.signed_in(browser, "alice")
    await page.goto(f"{console.url}/ui/declare")

    async def focused() -> str:
        return str(await page.evaluate("document.activeElement.id || document.activeElement.name"))

    await page.keyboard.press("Tab")
    assert await page.evaluate("document.activeElement.textContent") == "Skip to content"
    await page.keyboard.press("Enter")
    await page.keyboard.press("Tab")
    assert await focused() == "title"
    await page.keyboard.type("Login page times out")
    await page.keyboard.press("Tab")
    assert await focused() == "criterion-production_workloads_affected"
    await page.keyboard.press("Space")
    await page.keyboard.press("Tab")
    await page.keyboard.press("Tab")
    await page.keyboard.press("Tab")
    assert await focused() == "severity"
    await page.keyboard.press("ArrowDown")  # "Not classified yet" -> P1
    await page.keyboard.press("Tab")
    assert await focused() == "services"
    await page.keyboard.type("login")
    await page.keyboard.press("Tab")
    assert await focused() == "description"
    await page.keyboard.press("Tab")
    assert await page.evaluate("document.activeElement.textContent") == "Declare"
    await page.keyboard.press("Enter")
    await page.wait_for_url(f"{console.url}/ui/incidents/INC-*")
    await expect(page.get_by_role("heading", level=1)).to_contain_text("Login page times out")
    await expect(page.get_by_test_id("severity")).to_have_text("P1")
    await context.close()
