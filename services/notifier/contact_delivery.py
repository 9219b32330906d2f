"""Send a notice to a person's contact methods: a signed webhook or an email.

A webhook goes through the notifier's per-origin pools (`origin_pools.OriginSenders`, one pool
per contact method and origin, the same classes the subscriptions' deliveries use, so the URL
guard checks every address the host resolves to at connection time) and is signed per Standard
Webhooks with the method's own secret; its body is a CloudEvents 1.0 JSON event. An email
goes to the SMTP server of IRM_SMTP_URL through aiosmtplib. Each send is one attempt within
the contact timeout, and its outcome says what happened; nothing here raises for a receiver's
failure.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any, Final, Self
from uuid import UUID

import aiosmtplib
import orjson

from services.notifier.contact_settings import ContactSettings
from services.notifier.origin_pools import IDLE_CLOSE_SECONDS, OriginSenders, SendFailedError
from shared.oncall.contacts import Reachable
from shared.webhooks.message import CONTENT_TYPE, TYPE_PREFIX, TYPE_VERSION, sign
from shared.webhooks.url_guard import UnsafeUrlError, check_url

log = logging.getLogger(__name__)

SOURCE: Final = "/irm/people"
CONNECTIONS_PER_METHOD: Final = 16  # pages of many incidents may go to one method at once


@dataclass(frozen=True, slots=True)
class Notice:
    """What to tell a person: `kind` names it (`test`, later `page`), `id` is the message id
    (the same for every method and attempt, so a receiver can deduplicate)."""

    id: str
    kind: str
    subject: str
    text: str
    data: dict[str, Any] = field(default_factory=dict)
    time: datetime = field(default_factory=lambda: datetime.now(tz=UTC))

    def cloudevent(self, handle: str) -> bytes:
        """The webhook body: a CloudEvents 1.0 event in structured JSON."""
        return orjson.dumps(
            {
                "specversion": "1.0",
                "id": self.id,
                "source": SOURCE,
                "type": f"{TYPE_PREFIX}person.{self.kind}.{TYPE_VERSION}",
                "subject": handle,
                "time": self.time.isoformat().replace("+00:00", "Z"),
                "datacontenttype": "application/json",
                "data": {"subject": self.subject, "text": self.text, **self.data},
            }
        )


@dataclass(frozen=True, slots=True)
class Sent:
    """What sending to one contact method came to."""

    method_id: UUID
    type: str
    target: str
    delivered: bool
    detail: str


class ContactSender:
    """Sends notices to contact methods; webhooks through one guarded pool per method and
    origin: `webhooks` when given (the notifier's choice of HTTP client), else aiohttp's."""

    def __init__(self, settings: ContactSettings, webhooks: OriginSenders | None = None) -> None:
        self._settings = settings
        self._allowlist = settings.allowlist()
        self._webhooks = contact_pools(settings) if webhooks is None else webhooks
        self._sending: dict[UUID, int] = {}
        self._swept = time.monotonic()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self._webhooks.aclose()

    async def send(self, method: Reachable, notice: Notice) -> Sent:
        """Send `notice` to one contact method, once."""
        if method.type == "webhook":
            delivered, detail = await self._webhook(method, notice)
        else:
            delivered, detail = await self._email(method, notice)
        if not delivered:
            log.warning("%s to %s (%s) failed: %s", notice.kind, method.handle, method.id, detail)
        return Sent(method.id, method.type, method.target, delivered, detail)

    async def _webhook(self, method: Reachable, notice: Notice) -> tuple[bool, str]:
        body = notice.cloudevent(method.handle)
        timestamp = datetime.now(tz=UTC)
        headers = {
            "content-type": CONTENT_TYPE,
            "webhook-id": notice.id,
            "webhook-timestamp": str(int(timestamp.timestamp())),
            "webhook-signature": sign(notice.id, timestamp, body, [method.secret or ""]),
            "user-agent": "irm-notifier/0.1",
        }
        self._sending[method.id] = self._sending.get(method.id, 0) + 1
        try:
            async with asyncio.timeout(self._settings.contact_timeout):
                await check_url(method.target, self._allowlist)
                answer = await self._webhooks.post(method.id, method.target, body, headers)
        except UnsafeUrlError as error:
            return False, f"refused by the URL guard: {error}"
        except TimeoutError:
            return False, "timed out"
        except SendFailedError as error:
            return False, str(error)
        finally:
            self._sending[method.id] -= 1
            if not self._sending[method.id]:
                del self._sending[method.id]
            await self._close_idle()
        return 200 <= answer.status_code < 300, f"HTTP {answer.status_code}"

    async def _close_idle(self) -> None:
        """Now and then, close the pools of methods not paged for a while (a method removed
        or moved to another URL does not keep its connections)."""
        if time.monotonic() - self._swept >= IDLE_CLOSE_SECONDS / 2:
            self._swept = time.monotonic()
            await self._webhooks.close_idle(set(self._sending))

    async def _email(self, method: Reachable, notice: Notice) -> tuple[bool, str]:
        server = self._settings.smtp()
        if server is None:
            return False, "email is not configured (IRM_SMTP_URL)"
        message = EmailMessage()
        message["From"] = self._settings.smtp_from
        message["To"] = method.target
        message["Subject"] = notice.subject
        message["Date"] = format_datetime(notice.time)
        message["Message-ID"] = make_msgid(idstring=notice.id, domain="irm")
        message["X-Irm-Notice"] = notice.kind
        message.set_content(notice.text)
        try:
            await aiosmtplib.send(
                message,
                hostname=server.host,
                port=server.port,
                username=server.username,
                password=server.password,
                use_tls=server.tls,
                timeout=self._settings.contact_timeout,
            )
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as error:
            return False, f"{type(error).__name__}: {error}"
        return True, f"accepted by {server.host}:{server.port}"


def contact_pools(settings: ContactSettings) -> OriginSenders:
    """Per-method pools on aiohttp, for a sender not given the notifier's."""
    from services.notifier.aiohttp_pools import AiohttpOriginClients  # only when used

    return AiohttpOriginClients(
        settings.allowlist(),
        connections=CONNECTIONS_PER_METHOD,
        timeout=settings.contact_timeout,
    )
