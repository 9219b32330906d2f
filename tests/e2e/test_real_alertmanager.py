"""Debian's real Alertmanager (`prometheus-alertmanager`) notifying a live `irm serve`: an alert
posted to Alertmanager's API declares an incident, and its resolution reaches the incident as
`AlertResolved` and the IC's prompt; an alert for a catalogued service pages its on-call at a
real webhook receiver and a real SMTP server, who acknowledges over HTTP and owns the incident.
Skipped where the binary is not installed, except in CI (`CI=true`), whose .ci/run installs the
Debian package: there a missing binary fails."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from email.message import Message
from pathlib import Path
from typing import Any

import httpx
import pytest
from standardwebhooks.webhooks import Webhook

from shared.tokens import Scope
from tests.api.paging_helpers import checkout_service, reachable_person
from tests.conftest import TokenFactory
from tests.contact_receivers import Hook, Mailbox, hook, mailbox
from tests.e2e.conftest import RunningServer, free_port, irm_env, start_server

__all__ = ["hook", "mailbox"]  # the fixtures

ALERTMANAGER = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        ALERTMANAGER is None and os.environ.get("CI") != "true",
        reason="prometheus-alertmanager is not installed",
    ),
]

# Generous: waiting for Alertmanager's group_wait and group_interval (1 s each) on a busy machine.
PATIENCE_SECONDS = 60.0

CONFIG = """\
route:
  receiver: irm
  group_by: ["alertname", "service"]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: irm
    webhook_configs:
      - url: "{url}"
        send_resolved: true
        http_config:
          authorization:
            type: Bearer
            credentials: "{key}"
"""


@pytest.fixture
def alertmanager_processes() -> Iterator[list[subprocess.Popen[bytes]]]:
    """Alertmanager processes a test started; stopped at the end."""
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def start_alertmanager(config: Path, tmp_path: Path, port: int) -> subprocess.Popen[bytes]:
    """Alertmanager on 127.0.0.1:`port`, alone (no cluster), logging to alertmanager.log."""
    assert ALERTMANAGER is not None, (
        "CI needs Debian's prometheus-alertmanager (.ci/run installs it)"
    )
    with (tmp_path / "alertmanager.log").open("wb") as log:
        return subprocess.Popen(
            [
                ALERTMANAGER,
                f"--config.file={config}",
                f"--storage.path={tmp_path / 'alertmanager-data'}",
                f"--web.listen-address=127.0.0.1:{port}",
                "--cluster.listen-address=",
            ],
            stdout=log,
            stderr=log,
        )


async def eventually(check: Callable[[], Awaitable[Any]], what: str) -> Any:
    """Poll `check` until it returns something true; fail after PATIENCE_SECONDS."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + PATIENCE_SECONDS
    while True:
        found = await check()
        if found:
            return found
        if loop.time() > deadline:
            pytest.fail(f"{what} did not happen within {PATIENCE_SECONDS} s")
        await asyncio.sleep(0.2)


async def test_an_alert_sent_through_alertmanager_declares_and_its_resolution_prompts_the_ic(
    database_url: str,
    tmp_path: Path,
    servers: list[RunningServer],
    alertmanager_processes: list[subprocess.Popen[bytes]],
) -> None:
    assert ALERTMANAGER is not None
    server = await asyncio.to_thread(start_server, tmp_path, irm_env(IRM_DATABASE_URL=database_url))
    servers.append(server)
    token = server.printed_token()
    assert token is not None, server.stderr()
    admin = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=server.base_url, headers=admin, timeout=10) as irm:
        integration = await _integration(irm)
        async with _alertmanager(
            server, integration["key"], tmp_path, alertmanager_processes
        ) as am:
            alert = _alert(datetime.now(UTC))
            await _fire(am, alert)

            async def declared() -> dict[str, Any] | None:
                found = await irm.get(f"/v1/integrations/{integration['id']}/deliveries")
                items = [d for d in found.json()["items"] if d["outcome"] == "declared"]
                return items[0] if items else None

            delivery = await eventually(declared, "an incident declared from Alertmanager")
            incident_id = delivery["detail"]["incident_id"]
            events = (await irm.get(f"/v1/incidents/{incident_id}/events")).json()["items"]
            declared_data = events[0]["data"]
            assert declared_data["title"] == "CheckoutHighErrorRate: Checkout error rate above 5%"
            assert (declared_data["severity"], declared_data["services"]) == ("P1", ["checkout"])
            assert [e["type"] for e in events] == ["Declared", "AlertAttached"]

            # Alertmanager marks the alert resolved when its end has passed, and notifies.
            await _fire(am, {**alert, "endsAt": datetime.now(UTC).isoformat()})

            async def prompted() -> list[str] | None:
                found = await irm.get(f"/v1/incidents/{incident_id}/events")
                types = [e["type"] for e in found.json()["items"]]
                return types if "AlertsAllResolved" in types else None

            types = await eventually(prompted, "the resolution reaching the incident")
            assert types == ["Declared", "AlertAttached", "AlertResolved", "AlertsAllResolved"]
            status = (await irm.get(f"/v1/incidents/{incident_id}")).json()["status"]
            assert status == "open"  # the IC confirms resolution, not the monitor
    assert server.stop() == 0


async def test_an_alert_through_alertmanager_pages_the_on_call_who_acknowledges_and_owns_it(
    database_url: str,
    tmp_path: Path,
    servers: list[RunningServer],
    alertmanager_processes: list[subprocess.Popen[bytes]],
    make_token: TokenFactory,
    hook: tuple[Hook, str],
    mailbox: tuple[Mailbox, int],
) -> None:
    """The whole front door (issue 12): Alertmanager notifies irm, the integration declares an
    incident of the catalogued checkout service, its policy pages bob at his webhook and his
    mailbox, and bob acknowledges over HTTP and owns the incident as its acting IC."""
    seen, hook_url = hook
    box, smtp_port = mailbox
    env = irm_env(
        IRM_DATABASE_URL=database_url,
        IRM_WEBHOOK_ALLOWED_TARGETS="127.0.0.0/8,::1",
        IRM_SMTP_URL=f"smtp://127.0.0.1:{smtp_port}",
    )
    server = await asyncio.to_thread(start_server, tmp_path, env)
    servers.append(server)
    token = server.printed_token()
    assert token is not None, server.stderr()
    admin = {"Authorization": f"Bearer {token}"}
    bob = {"Authorization": f"Bearer {await make_token('bob', Scope.WRITE)}"}
    async with httpx.AsyncClient(base_url=server.base_url, headers=admin, timeout=10) as irm:
        webhook, _ = await reachable_person(
            irm,
            admin,
            "bob",
            [{"type": "webhook", "url": hook_url}, {"type": "email", "address": "bob@example.com"}],
        )
        await checkout_service(irm, admin)  # level 1 pages bob; its timeout is minutes away
        key = (await _integration(irm))["key"]
        async with _alertmanager(server, key, tmp_path, alertmanager_processes) as am:
            await _fire(am, _alert(datetime.now(UTC)))

            async def page_reached_webhook() -> dict[str, Any] | None:
                if not seen.requests:
                    return None
                headers, body = seen.requests[0]
                return dict(Webhook(webhook["secret"]).verify(body, headers))

            page = await eventually(page_reached_webhook, "the page reaching bob's webhook")

        async def page_reached_mailbox() -> Message | None:
            return next((m for rcpt, m in box.received if rcpt == ["bob@example.com"]), None)

        mail = await eventually(page_reached_mailbox, "the page reaching bob's mailbox")
        reference, incident_id = page["data"]["reference"], page["data"]["incident_id"]
        assert page["type"] == "dev.irm.person.page.v1"
        assert (page["subject"], page["data"]["level"]) == ("bob", 1)
        assert str(mail["Subject"]).startswith(f"irm: {reference} paged (level 1): ")
        assert page["id"] in str(mail["Message-ID"])  # one page, two ways to reach bob

        acknowledged = await irm.post(f"/v1/incidents/{incident_id}/acknowledge", headers=bob)
        assert acknowledged.status_code == 200, acknowledged.text
        assert (acknowledged.json()["owner"], acknowledged.json()["acting_commander"]) == (
            "bob",
            "bob",
        )
        events = (await irm.get(f"/v1/incidents/{incident_id}/events")).json()["items"]
        assert [e["type"] for e in events] == ["Declared", "AlertAttached", "Paged", "Acknowledged"]
        assert events[0]["data"]["services"] == ["checkout"]
        assert events[0]["actor"] == "integration:alertmanager-e2e"
    assert server.stop() == 0


async def _integration(irm: httpx.AsyncClient) -> dict[str, Any]:
    """A new Alertmanager integration, with its key."""
    created = await irm.post(
        "/v1/integrations", json={"type": "alertmanager", "name": "alertmanager-e2e"}
    )
    assert created.status_code == 201, created.text
    integration: dict[str, Any] = created.json()
    return integration


@asynccontextmanager
async def _alertmanager(
    server: RunningServer,
    key: str,
    tmp_path: Path,
    started: list[subprocess.Popen[bytes]],
) -> AsyncIterator[httpx.AsyncClient]:
    """A real Alertmanager whose receiver is `server`'s intake with `key`, once it is ready;
    the client of its API."""
    config = tmp_path / "alertmanager.yml"
    config.write_text(CONFIG.format(url=f"{server.base_url}/v1/integrations/alertmanager", key=key))
    port = free_port()
    process = await asyncio.to_thread(start_alertmanager, config, tmp_path, port)
    started.append(process)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=5) as am:

        async def ready() -> bool:
            assert process.poll() is None, "Alertmanager exited: see alertmanager.log"
            try:
                return (await am.get("/-/ready")).status_code == 200
            except httpx.TransportError:
                return False

        await eventually(ready, "Alertmanager starting")
        yield am


def _alert(now: datetime) -> dict[str, Any]:
    """A critical alert of the checkout service, firing from `now` for an hour."""
    return {
        "labels": {
            "alertname": "CheckoutHighErrorRate",
            "service": "checkout",
            "severity": "critical",
        },
        "annotations": {"summary": "Checkout error rate above 5%"},
        "startsAt": now.isoformat(),
        "endsAt": (now + timedelta(hours=1)).isoformat(),
        "generatorURL": "http://prometheus.example.com/graph",
    }


async def _fire(am: httpx.AsyncClient, alert: dict[str, Any]) -> None:
    """Post the alert to Alertmanager's API, as Prometheus would."""
    posted = await am.post("/api/v2/alerts", json=[alert])
    assert posted.status_code == 200, posted.text
