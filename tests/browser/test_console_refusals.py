"""What the console refuses, or lets the API refuse, in a real browser: a command the viewer
may not give, a page without a session, a form posted from another site or without the CSRF
token, a form sent after someone else changed the incident."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import httpx
import pytest

from shared.tokens import find_principal, revoke_token
from tests.browser.conftest import MISSING, NEEDS_BROWSER, Console, sign_in

if TYPE_CHECKING or MISSING is None:
    from playwright.async_api import Browser, Route, expect

pytestmark = [pytest.mark.slow, NEEDS_BROWSER]


async def declared_with_roles(console: Console, roles: dict[str, str]) -> dict[str, Any]:
    """An incident declared by alice over the API, with `roles` assigned by her."""
    headers = {"Authorization": f"Bearer {await console.token('alice')}"}
    async with httpx.AsyncClient(base_url=console.url, headers=headers) as http:
        declared = await http.post(
            "/v1/incidents",
            json={"title": "Payments time out", "criteria": ["customer_sla_at_risk"],
                  "severity": "P2", "services": ["payments"]},
        )  # fmt: skip
        assert declared.status_code == 201, declared.text
        reference = declared.json()["reference"]
        for role, person in roles.items():
            assigned = await http.post(
                f"/v1/incidents/{reference}/roles", json={"role": role, "assignee": person}
            )
            assert assigned.status_code == 200, assigned.text
        incident: dict[str, Any] = assigned.json() if roles else declared.json()
        return incident


async def api_get(console: Console, path: str) -> dict[str, Any]:
    """A read of the API as alice."""
    headers = {"Authorization": f"Bearer {await console.token('alice')}"}
    async with httpx.AsyncClient(base_url=console.url, headers=headers) as http:
        answer = await http.get(path)
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        return body


async def test_a_communications_leads_severity_change_shows_why_it_was_refused(
    console: Console, browser: Browser
) -> None:
    """Carol is the CL, not the IC: the API refuses her severity change, and the room shows
    the problem's detail next to the severity form; the severity stays."""
    incident = await declared_with_roles(
        console, {"incident_commander": "alice", "communications_lead": "carol"}
    )
    reference = incident["reference"]
    context, page = await console.signed_in(browser, "carol")
    await page.goto(f"{console.url}/ui/incidents/{reference}")
    form = page.locator("#form-severity")
    await form.get_by_label("Severity").select_option("P1")
    await form.get_by_label("Reason").fill("Every region is down")
    async with page.expect_response(lambda r: r.request.method == "POST") as posted:
        await form.get_by_role("button").click()
    assert (await posted.value).status == 403

    carol = {"Authorization": f"Bearer {await console.token('carol')}"}
    async with httpx.AsyncClient(base_url=console.url, headers=carol) as http:
        same = await http.post(
            f"/v1/incidents/{reference}/severity",
            json={"severity": "P1", "reason": "Every region is down"},
        )
    detail = same.json()["detail"]
    assert detail
    await expect(form.get_by_test_id("problem-detail")).to_have_text(detail)
    await expect(page.get_by_test_id("severity")).to_have_text("P2")
    # What she typed is still there to correct or copy.
    await expect(form.get_by_label("Reason")).to_have_value("Every region is down")
    assert (await api_get(console, f"/v1/incidents/{reference}"))["severity"] == "P2"
    await context.close()


async def test_a_form_sent_after_someone_else_changed_the_incident_says_so(
    console: Console, browser: Browser
) -> None:
    """Alice's page acts on the version she loaded; Bob changes the incident first: her form is
    refused (If-Match), the room says someone else changed it and lists what changed."""
    incident = await declared_with_roles(console, {"incident_commander": "alice"})
    reference = incident["reference"]
    context, page = await console.signed_in(browser, "alice")
    await page.goto(f"{console.url}/ui/incidents/{reference}")

    bob = {"Authorization": f"Bearer {await console.token('bob')}"}
    async with httpx.AsyncClient(base_url=console.url, headers=bob) as http:
        internal = await http.post(
            f"/v1/incidents/{reference}/updates",
            json={"audience": "internal", "body": "DB failover started"},
        )
        assert internal.status_code == 200, internal.text

    form = page.locator("#form-severity")
    await form.get_by_label("Severity").select_option("P1")
    await form.get_by_label("Reason").fill("Spreading")
    async with page.expect_response(lambda r: r.request.method == "POST") as posted:
        await form.get_by_role("button").click()
    assert (await posted.value).status == 412
    problem = form.get_by_test_id("problem")
    await expect(problem).to_contain_text(f"Someone else changed {reference}")
    await expect(problem).to_contain_text("DB failover started")
    assert (await api_get(console, f"/v1/incidents/{reference}"))["severity"] == "P2"

    # Sent again, it acts on the version now shown, and goes through.
    await form.get_by_label("Reason").fill("Spreading")
    await form.get_by_role("button").click()
    await expect(page.get_by_test_id("severity")).to_have_text("P1")
    await context.close()


async def test_a_page_without_a_session_redirects_to_sign_in_and_back(
    console: Console, browser: Browser
) -> None:
    """No session: every page sends the browser to sign in, which then returns to the page."""
    incident = await declared_with_roles(console, {})
    reference = incident["reference"]
    context = await browser.new_context()
    page = await context.new_page()
    for path in ("/ui/", "/ui/declare", f"/ui/incidents/{reference}"):
        await page.goto(f"{console.url}{path}")
        assert page.url.startswith(f"{console.url}/ui/sign-in?next="), page.url
        await expect(page.get_by_label("API token")).to_be_visible()
    token = await console.token("dave")
    await page.get_by_label("API token").fill(token)
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_url(f"{console.url}/ui/incidents/{reference}")

    # The session is an HttpOnly, SameSite=Strict cookie; the token is nowhere in the page.
    (cookie,) = [c for c in await context.cookies() if c["name"] == "irm_console"]
    assert (cookie["httpOnly"], cookie["sameSite"]) == (True, "Strict")
    assert await page.evaluate("document.cookie") == ""
    assert token not in await page.content()
    assert token not in cookie["value"]
    # Only the console's own script may run on its pages, and no other site may frame them.
    shown = await page.request.get(f"{console.url}/ui/")
    policy = shown.headers["content-security-policy"]
    assert "script-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy

    # Signing out ends the session: the same cookie no longer opens a page.
    session = {c["name"]: c["value"] for c in await context.cookies()}["irm_console"]
    await page.get_by_role("button", name="Sign out").click()
    await page.wait_for_url(f"{console.url}/ui/sign-in?signed_out=1")
    async with httpx.AsyncClient(base_url=console.url, cookies={"irm_console": session}) as http:
        replayed = await http.get("/ui/")
    assert replayed.status_code == 303
    assert replayed.headers["location"].startswith("/ui/sign-in?next=")
    await context.close()


async def test_revoking_the_token_ends_its_console_session(
    console: Console, browser: Browser
) -> None:
    """A session lives only as long as its token: once the token is revoked, the next page
    sends the browser to sign in, and the session is gone."""
    context = await browser.new_context()
    page = await context.new_page()
    token = await console.token("erin")
    await sign_in(page, console.url, token)
    principal = await find_principal(console.pool, token)
    assert principal is not None
    assert principal.token_id is not None
    await revoke_token(console.pool, principal.token_id, revoked_by="admin")
    await page.goto(f"{console.url}/ui/declare")
    assert page.url.startswith(f"{console.url}/ui/sign-in?next="), page.url
    sessions = await console.pool.fetchval(
        "SELECT count(*) FROM irm_console_sessions WHERE principal = 'erin'"
    )
    assert sessions == 0
    await context.close()


async def test_a_wrong_token_does_not_sign_in(console: Console, browser: Browser) -> None:
    """A token the API refuses gets the API's reason, and no session."""
    context = await browser.new_context()
    page = await context.new_page()
    await page.goto(f"{console.url}/ui/sign-in")
    await page.get_by_label("API token").fill("irm_not-a-real-token-at-all-000000000")
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_test_id("problem")).to_contain_text("The token was refused")
    await page.goto(f"{console.url}/ui/")
    assert page.url.startswith(f"{console.url}/ui/sign-in"), page.url
    await context.close()


async def test_a_cross_site_form_post_is_refused(console: Console, browser: Browser) -> None:
    """A page on another site that posts a form to the console does nothing (403), and so does
    a post from the console's own site without the session's CSRF token."""
    incident = await declared_with_roles(console, {"incident_commander": "alice"})
    reference = incident["reference"]
    target = f"{console.url}/ui/incidents/{reference}/commands/update"
    context, page = await console.signed_in(browser, "alice")

    hostile = (
        f'<html lang="en"><body><form id="f" method="post" action="{target}">'
        '<input name="audience" value="customer"><input name="body" value="pwned">'
        "</form><script>document.getElementById('f').submit()</script></body></html>"
    )

    async def serve_hostile_page(route: Route) -> None:
        await route.fulfill(status=200, content_type="text/html", body=hostile)

    await context.route("http://evil.example/**", serve_hostile_page)
    async with page.expect_response(target) as answered:
        await page.goto("http://evil.example/")
    assert (await answered.value).status == 403

    # Same site, signed in, but no CSRF token in the form: refused as well.
    await page.goto(f"{console.url}/ui/")
    status = await page.evaluate(
        """async (target) => (await fetch(target, {method: "POST",
               body: new URLSearchParams({audience: "customer", body: "pwned"})})).status""",
        target,
    )
    assert status == 403
    timeline = await api_get(console, f"/v1/incidents/{reference}/timeline")
    assert all("pwned" not in entry["summary"] for entry in timeline["items"])
    await context.close()
