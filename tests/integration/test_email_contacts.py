"""Reaching a person (issue 12): `irm people test` sends a test notification to each of their
contact methods, an email through a real SMTP client to a real SMTP server (aiosmtpd) on
127.0.0.1 and a Standard Webhooks signed POST to a real receiver on 127.0.0.1, and says what
became of each."""

from __future__ import annotations

import json

import asyncpg
from standardwebhooks.webhooks import Webhook
from typer.testing import CliRunner, Result

from services.cli.main import app
from services.notifier.contact_delivery import ContactSender, Notice
from services.notifier.contact_settings import ContactSettings
from shared.oncall.contacts import ContactTarget, reachable, set_contact_methods
from shared.people import add_person
from tests.contact_receivers import Hook as Hook
from tests.contact_receivers import Mailbox as Mailbox
from tests.contact_receivers import free_port, hook, mailbox

__all__ = ["hook", "mailbox"]  # the fixtures


def irm(database_url: str, *arguments: str, **env: str) -> Result:
    """Run `irm` in this process on the test's database."""
    return CliRunner().invoke(
        app,
        list(arguments),
        env={"IRM_DATABASE_URL": database_url, "IRM_WEBHOOK_ALLOWED_TARGETS": "127.0.0.0/8", **env},
    )


def test_a_test_notification_reaches_the_mailbox_and_the_webhook(
    database_url: str, mailbox: tuple[Mailbox, int], hook: tuple[Hook, str]
) -> None:
    box, smtp_port = mailbox
    seen, url = hook
    added = irm(
        database_url,
        *("people", "add", "ines", "--time-zone", "America/New_York"),
        *("--email", "ines@example.com", "--webhook", url),
    )
    secret = added.stdout.strip()

    tested = irm(
        database_url,
        *("people", "test", "ines"),
        IRM_SMTP_URL=f"smtp://127.0.0.1:{smtp_port}",
        IRM_SMTP_FROM="pager@irm.example",
    )

    assert added.exit_code == 0, added.output
    assert secret.startswith("whsec_")
    assert tested.exit_code == 0, tested.output
    lines = sorted(tested.stdout.splitlines())
    assert lines[0].startswith("email\tines@example.com\tdelivered\t")
    assert lines[1] == f"webhook\t{url}\tdelivered\tHTTP 204"
    [(recipients, message)] = box.received
    assert recipients == ["ines@example.com"]
    assert message["From"] == "pager@irm.example"
    assert message["Subject"] == "irm: test notification for ines"
    assert "Pages will reach you here" in message.get_payload()
    [(headers, body)] = seen.requests
    # Signed with the secret shown once: a receiver holding it can verify the message.
    verified = Webhook(secret).verify(body, headers)
    assert verified["type"] == "dev.irm.person.test_notification.v1"
    assert verified["subject"] == "ines"
    assert headers["content-type"] == "application/cloudevents+json"
    assert json.loads(body)["id"] == headers["webhook-id"]


def test_a_failed_send_is_reported_and_exits_1(database_url: str, hook: tuple[Hook, str]) -> None:
    seen, url = hook
    seen.status = 500
    irm(database_url, "people", "add", "ines", "--email", "ines@example.com", "--webhook", url)

    tested = irm(
        database_url, "people", "test", "ines", IRM_SMTP_URL=f"smtp://127.0.0.1:{free_port()}"
    )

    assert tested.exit_code == 1
    lines = sorted(tested.stdout.splitlines())
    assert lines[0].startswith("email\tines@example.com\tfailed\t")
    assert lines[1] == f"webhook\t{url}\tfailed\tHTTP 500"


def test_nobody_and_no_contact_methods_exit_1(database_url: str) -> None:
    irm(database_url, "people", "add", "quiet")

    nobody = irm(database_url, "people", "test", "mallory")
    unreachable = irm(database_url, "people", "test", "quiet")

    assert (nobody.exit_code, unreachable.exit_code) == (1, 1)
    assert "Nobody is 'mallory'" in nobody.output
    assert "quiet has no contact methods" in unreachable.output


def test_the_cli_refuses_an_internal_webhook_and_an_unknown_zone_and_adds_nobody(
    database_url: str,
) -> None:
    internal = CliRunner().invoke(
        app,
        ["people", "add", "ines", "--webhook", "http://127.0.0.1:9/pages"],
        env={"IRM_DATABASE_URL": database_url, "IRM_WEBHOOK_ALLOWED_TARGETS": ""},
    )
    zone = irm(database_url, "people", "add", "ines", "--time-zone", "Mars/Olympus")
    listed = irm(database_url, "people", "list")

    assert internal.exit_code == 1
    assert "Refused" in internal.output
    assert zone.exit_code == 2
    assert "ines" not in listed.stdout


async def test_the_url_guard_stops_a_webhook_to_an_internal_address_at_send_time(
    database_url: str, pool: asyncpg.Pool, hook: tuple[Hook, str]
) -> None:
    # Stored while allowed, sent after the allowlist was taken away: nothing leaves.
    seen, url = hook
    await add_person(pool, "ines", created_by="tests")
    async with pool.acquire() as conn, conn.transaction():
        await set_contact_methods(conn, "ines", [ContactTarget("webhook", url)], set_by="tests")
    [method] = await reachable(pool, "ines")
    notice = Notice(id="msg_1", kind="test_notification", subject="s", text="t")

    async with ContactSender(ContactSettings(database_url=database_url)) as sender:
        sent = await sender.send(method, notice)

    assert not sent.delivered
    assert sent.detail.startswith("refused by the URL guard")
    assert seen.requests == []
