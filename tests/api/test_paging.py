"""Paging and acknowledgement (issue 12): an incident declared with a catalogued service pages
the first level of its policy; the notifier delivers the page to a real webhook receiver and a
real SMTP server; the paged person acknowledges and, with no IC named, owns the incident.
Anyone else is refused; with no service the declarer owns it as before."""

from __future__ import annotations

from typing import Any

import asyncpg
from standardwebhooks.webhooks import Webhook

from tests.api.conftest import Headers, declare, events_of, post, read
from tests.api.paging_helpers import (
    Paging,
    checkout_service,
    event_names,
    eventually,
    has_event,
    hook,
    mailbox,
    paged_on_checkout,
    paging,
    paging_api,
    paging_notifier,
    reachable_person,
)
from tests.integration.test_email_contacts import Hook, Mailbox
from tests.problems import assert_problem

__all__ = ["hook", "mailbox", "paging", "paging_api"]  # the fixtures


async def test_a_page_reaches_bob_who_acknowledges_and_owns_the_incident(
    paging: Paging,
    alice: Headers,
    bob: Headers,
    dave: Headers,
    hook: tuple[Hook, str],
    mailbox: tuple[Mailbox, int],
) -> None:
    client, pool, database_url, root = paging
    seen, url = hook
    box, smtp_port = mailbox
    webhook, _ = await reachable_person(
        client,
        root,
        "bob",
        [{"type": "webhook", "url": url}, {"type": "email", "address": "bob@example.com"}],
    )
    await checkout_service(client, root)

    async with paging_notifier(pool, database_url, smtp_port=smtp_port):
        incident = await declare(client, alice, services=["checkout"])
        await eventually(lambda: _when(len(seen.requests) >= 1 and len(box.received) >= 1))
        # Both methods' deliveries are recorded as delivered, so neither is sent again.
        await eventually(lambda: _delivered(pool, incident["id"], 2))

    names = await event_names(client, alice, incident["id"])
    assert names == ["Declared", "Paged"]
    ((headers, body),), ((recipients, email),) = seen.requests, box.received
    page = Webhook(webhook["secret"]).verify(body, headers)
    assert page["type"] == "dev.irm.person.page.v1"
    assert page["data"]["reference"] == incident["reference"]
    assert page["data"]["level"] == 1
    assert recipients == ["bob@example.com"]
    assert email["Subject"] == f"irm: {incident['reference']} paged (level 1): {incident['title']}"
    assert headers["webhook-id"] in email["Message-ID"]  # one page, one id: receivers dedupe

    refused = await post(client, dave, incident, "acknowledge")
    problem = assert_problem(refused, 403, "not-incident-authority")
    assert "paged for" in problem["detail"]

    acknowledged = await post(client, bob, incident, "acknowledge")
    assert acknowledged.status_code == 200, acknowledged.text
    view = (await read(client, bob, acknowledged.json())).json()
    assert (view["owner"], view["acting_commander"]) == ("bob", "bob")

    again = await post(client, bob, incident, "acknowledge")
    assert_problem(again, 409, "no-change")
    events = await events_of(client, bob, incident["id"])
    assert events[-1]["type"] == "Acknowledged"
    assert events[-1]["actor"] == "bob"
    assert events[-1]["data"]["took_ownership"] is True
    assert events[-1]["data"]["previous_owner"] == "alice"


async def test_without_a_catalogued_service_nobody_is_paged_and_the_declarer_owns_it(
    paging: Paging,
    alice: Headers,
    bob: Headers,
) -> None:
    client, pool, database_url, root = paging
    await checkout_service(client, root)
    async with paging_notifier(pool, database_url):
        without = await declare(client, alice, services=[])
        uncatalogued = await declare(client, alice, services=["search"])
        paged = await declare(client, alice, services=["checkout"])
        await eventually(lambda: has_event(client, alice, paged["id"], "Paged"))

    for incident in (without, uncatalogued):
        assert await event_names(client, alice, incident["id"]) == ["Declared"]
        view = (await read(client, alice, incident)).json()
        assert view["owner"] == "alice"
        refused = await post(client, bob, incident, "acknowledge")
        assert_problem(refused, 403, "not-incident-authority")


async def test_an_ic_named_before_the_acknowledgement_keeps_command(
    paging: Paging,
    alice: Headers,
    bob: Headers,
) -> None:
    client, pool, database_url, root = paging
    incident = await paged_on_checkout(client, pool, database_url, root, alice)
    named = await post(
        client, alice, incident, "roles", {"role": "incident_commander", "assignee": "dave"}
    )
    assert named.status_code == 200, named.text

    acknowledged = await post(client, bob, incident, "acknowledge")
    assert acknowledged.status_code == 200, acknowledged.text
    view = (await read(client, bob, acknowledged.json())).json()
    assert (view["owner"], view["acting_commander"]) == ("alice", "dave")


async def _delivered(pool: asyncpg.Pool, incident_id: str, count: int) -> bool | None:
    done = await pool.fetchval(
        "SELECT count(*) FROM irm_pages WHERE incident_id = $1 AND delivered_at IS NOT NULL "
        "AND attempts = 1",
        incident_id,
    )
    return True if done == count else None


def _when(condition: bool) -> Any:
    async def probe() -> bool | None:
        return True if condition else None

    return probe()
