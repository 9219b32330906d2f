"""Paging end to end (issue 12): `irm serve` as a process on the test's database, a real
webhook receiver and a real SMTP server on loopback. An incident of the checkout service pages
bob, whose webhook gets the signed page; bob acknowledges over HTTP and owns the incident.
Another incident nobody acknowledges escalates to level 2, and carol's mailbox gets the page."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from standardwebhooks.webhooks import Webhook

from shared.tokens import Scope
from tests.api.paging_helpers import (
    checkout_service,
    event_names,
    eventually,
    hook,
    mailbox,
    reachable_person,
)
from tests.conftest import TokenFactory
from tests.e2e.conftest import RunningServer, irm_env, start_server
from tests.integration.test_email_contacts import Hook, Mailbox

__all__ = ["hook", "mailbox"]  # the fixtures

pytestmark = pytest.mark.slow

PATIENCE = 1200  # polls 0.05 s apart: a busy machine may take a while to serve and page


async def test_a_served_page_is_acknowledged_and_an_unanswered_one_escalates(
    database_url: str,
    tmp_path: Path,
    servers: list[RunningServer],
    make_token: TokenFactory,
    hook: tuple[Hook, str],
    mailbox: tuple[Mailbox, int],
) -> None:
    seen, url = hook
    box, smtp_port = mailbox
    env = irm_env(
        IRM_DATABASE_URL=database_url,
        IRM_WEBHOOK_ALLOWED_TARGETS="127.0.0.0/8,::1",
        IRM_SMTP_URL=f"smtp://127.0.0.1:{smtp_port}",
        IRM_PAGING_SCAN_SECONDS="0.2",
        IRM_NOTIFIER_IDLE_TIMEOUT="0.2",
    )
    server = await asyncio.to_thread(start_server, tmp_path, env)
    servers.append(server)
    token = server.printed_token()
    assert token is not None, server.stderr()
    admin = {"Authorization": f"Bearer {token}"}
    bob = {"Authorization": f"Bearer {await make_token('bob', Scope.WRITE)}"}

    async with httpx.AsyncClient(base_url=server.base_url, timeout=10) as http:
        webhook, *_ = await reachable_person(http, admin, "bob", [{"type": "webhook", "url": url}])
        await reachable_person(
            http, admin, "carol", [{"type": "email", "address": "c@example.com"}]
        )
        await checkout_service(http, admin, timeouts=(2, 300))

        answered = await _declare(http, admin, "Checkout returns 500s")
        unanswered = await _declare(http, admin, "Checkout is slow")
        page = await eventually(
            lambda: _page_for(seen, webhook, answered["reference"]), tries=PATIENCE
        )
        assert page["data"]["level"] == 1
        acknowledged = await http.post(f"/v1/incidents/{answered['id']}/acknowledge", headers=bob)
        assert acknowledged.status_code == 200, acknowledged.text
        assert acknowledged.json()["acting_commander"] == "bob"

        await eventually(lambda: _mailed(box, unanswered["reference"]), tries=PATIENCE)
        escalated = await event_names(http, admin, unanswered["id"])
        handled = await event_names(http, admin, answered["id"])

    assert escalated == ["Declared", "Paged", "PageEscalated", "Paged"]
    assert handled == ["Declared", "Paged", "Acknowledged"]
    assert server.stop() == 0


async def _declare(http: httpx.AsyncClient, headers: dict[str, str], title: str) -> Any:
    response = await http.post(
        "/v1/incidents",
        json={"title": title, "criteria": ["customer_sla_at_risk"], "services": ["checkout"]},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    return response.json()


async def _page_for(seen: Hook, webhook: dict[str, Any], reference: str) -> Any:
    for headers, body in list(seen.requests):
        if json.loads(body)["data"]["reference"] == reference:
            return Webhook(webhook["secret"]).verify(body, headers)
    return None


async def _mailed(box: Mailbox, reference: str) -> bool | None:
    return True if any(reference in str(m["Subject"]) for _, m in box.received) else None
