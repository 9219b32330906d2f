"""A page goes through the notifier's guarded pools (issue 12): a contact webhook whose host
name resolves to a public address when it is saved and checked, and to 127.0.0.1 when the
connection is opened, is refused at connection time, with either HTTP client, and nothing
reaches the receiver on 127.0.0.1 (the subscriptions' case is in test_dns_rebinding)."""

from __future__ import annotations

import asyncpg
import pytest

from services.notifier.runner import notifier_running
from services.notifier.settings import NotifierSettings
from shared.database import Database
from tests.api.conftest import Headers, declare
from tests.api.paging_helpers import (
    Paging,
    checkout_service,
    eventually,
    hook,
    paging,
    paging_api,
    reachable_person,
)
from tests.integration.notifier.test_dns_rebinding import HOST, PUBLIC, Answers, answers
from tests.integration.test_email_contacts import Hook

__all__ = ["answers", "hook", "paging", "paging_api"]  # the fixtures


@pytest.mark.parametrize("http_client", ["httpx", "aiohttp"])
async def test_a_page_to_a_webhook_whose_name_rebinds_to_loopback_is_refused(
    http_client: str, paging: Paging, alice: Headers, hook: tuple[Hook, str], answers: Answers
) -> None:
    client, pool, database_url, root = paging
    seen, loopback_url = hook
    port = loopback_url.split(":")[2].split("/")[0]
    # Public when the API saves the method and when the notifier checks the URL before the
    # page's one attempt; loopback from the lookup that opens the connection on.
    answers[HOST] = [[PUBLIC], [PUBLIC], ["127.0.0.1"]]
    await reachable_person(
        client, root, "bob", [{"type": "webhook", "url": f"http://{HOST}:{port}/pages"}]
    )
    await checkout_service(client, root)
    settings = NotifierSettings(
        database_url=database_url,
        webhook_allowed_targets="",
        webhook_http_client=http_client,
        notifier_idle_timeout=0.2,
        paging_scan_seconds=0.1,
        page_retry_schedule="0",
    )

    async with notifier_running(Database(pool=pool, url=database_url, embedded=False), settings):
        incident = await declare(client, alice, services=["checkout"])
        detail = await eventually(lambda: _failed_page(pool, incident["id"]))

    assert detail.startswith("refused by the URL guard")
    assert "127.0.0.1" in detail
    assert seen.requests == []


async def _failed_page(pool: asyncpg.Pool, incident_id: str) -> str | None:
    """The last detail of the incident's page once it has failed for good, else None."""
    detail: str | None = await pool.fetchval(
        "SELECT last_detail FROM irm_pages WHERE incident_id = $1 AND failed_at IS NOT NULL",
        incident_id,
    )
    return detail
