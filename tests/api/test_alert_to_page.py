"""From an Alertmanager notification to the on-call owning the incident (issue 12): the firing
group declares an incident for its `service` label's catalogued service, whose policy pages bob
(through a real webhook receiver); bob acknowledges and owns the incident the alert declared."""

from __future__ import annotations

import asyncpg
import httpx

from tests.api.conftest import Headers, post, read
from tests.api.paging_helpers import (
    checkout_service,
    event_names,
    eventually,
    hook,
    paging_api,
    paging_notifier,
    reachable_person,
)
from tests.api.test_alert_intake import an_integration, send
from tests.integration.test_email_contacts import Hook

__all__ = ["hook", "paging_api"]  # the fixtures


async def test_an_alert_declares_pages_the_on_call_who_acknowledges_and_owns_it(
    paging_api: httpx.AsyncClient,
    pool: asyncpg.Pool,
    database_url: str,
    root: Headers,
    bob: Headers,
    hook: tuple[Hook, str],
) -> None:
    client = paging_api
    seen, url = hook
    await reachable_person(client, root, "bob", [{"type": "webhook", "url": url}])
    await checkout_service(client, root)
    key = (await an_integration(client, root))["key"]

    async with paging_notifier(pool, database_url):
        answer = await send(client, key, "alertmanager_firing.json")
        assert answer.status_code == 200, answer.text
        incident_id = answer.json()["incident_id"]

        async def paged() -> bool | None:
            return True if seen.requests else None

        await eventually(paged)

    assert await event_names(client, root, incident_id) == ["Declared", "AlertAttached", "Paged"]
    incident = {"id": incident_id}
    acknowledged = await post(client, bob, incident, "acknowledge")
    assert acknowledged.status_code == 200, acknowledged.text
    view = (await read(client, bob, acknowledged.json())).json()
    assert (view["owner"], view["acting_commander"], view["severity"]) == ("bob", "bob", "P1")
