"""Deliver pages: each queued page (one per Paged event and contact method of the person) is
sent through `contact_delivery` and retried on the page retry schedule until it is delivered
or its attempts run out.

A page's message id is the same for every method and attempt (`page-<incident>-<version>`), so
a receiver deduplicates a page sent again after a notifier was killed between sending and
recording. Runs only on the replica holding the notifier's once-only lock, so no lease is needed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime, timedelta
from typing import Final

import asyncpg

from services.notifier.contact_delivery import ContactSender, Notice
from shared.oncall.contacts import Reachable

log = logging.getLogger(__name__)

_BATCH: Final = 50


class PageSender:
    """Sends the pages that are due, until cancelled."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        contacts: ContactSender,
        *,
        retry_schedule: list[timedelta],
        scan_seconds: float,
        wake: asyncio.Event,
    ) -> None:
        self._pool = pool
        self._contacts = contacts
        self._retry = retry_schedule
        self._scan_seconds = scan_seconds
        self._wake = wake

    async def run(self) -> None:
        """Send what is due, then wait for the follower's wake-up or the next scan."""
        while True:
            self._wake.clear()
            try:
                while await self.send_due() == _BATCH:
                    pass
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
                log.warning("sending pages failed (%s); trying again", error)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self._scan_seconds)

    async def send_due(self) -> int:
        """Send every page due now, at once; returns how many were tried."""
        rows = await self._pool.fetch(
            "SELECT p.incident_id, p.version, p.method_id, p.person, p.level, p.reason, "
            "p.paged_at, p.attempts, p.kind, g.number, g.title, "
            "m.id, m.handle, m.type, m.target, m.secret "
            "FROM irm_pages p JOIN irm_paging g USING (incident_id) "
            "LEFT JOIN irm_contact_methods m ON m.id = p.method_id "
            "WHERE p.delivered_at IS NULL AND p.failed_at IS NULL AND p.next_attempt_at <= now() "
            "ORDER BY p.next_attempt_at LIMIT $1",
            _BATCH,
        )
        await asyncio.gather(*(self._send(r) for r in rows))
        return len(rows)

    async def _send(self, r: asyncpg.Record) -> None:
        attempts = r["attempts"] + 1
        if r["id"] is None:  # the method was removed since the page was queued
            delivered, detail = False, "the contact method was removed"
            attempts = len(self._retry)
        else:
            method = Reachable(r["id"], r["handle"], r["type"], r["target"], r["secret"])
            sent = await self._contacts.send(method, _notice(r))
            delivered, detail = sent.delivered, sent.detail
        now = datetime.now(tz=UTC)
        failed = not delivered and attempts >= len(self._retry)
        await self._pool.execute(
            "UPDATE irm_pages SET attempts = $4, last_detail = $5, "
            "delivered_at = CASE WHEN $6::boolean THEN $7::timestamptz END, "
            "failed_at = CASE WHEN $8::boolean THEN $7::timestamptz END, "
            "next_attempt_at = $9 "
            "WHERE incident_id = $1 AND version = $2 AND method_id = $3",
            r["incident_id"],
            r["version"],
            r["method_id"],
            attempts,
            detail,
            delivered,
            now,
            failed,
            now + (self._retry[attempts] if attempts < len(self._retry) else timedelta(0)),
        )
        if failed:
            log.error(
                "page of %s for %s failed for good: %s", r["person"], r["incident_id"], detail
            )


def _notice(r: asyncpg.Record) -> Notice:
    """The page as a notice: who, which incident, why, and how to acknowledge (or, for a
    handover, how to hand over)."""
    reference = f"INC-{r['number']}"
    if r["kind"] == "handover":
        return Notice(
            id=f"handover-{r['incident_id']}-{r['version']}",
            kind="handover",
            subject=f"irm: {reference} handover due: {r['title']}",
            text=(
                f"Handover due on {reference}: {r['title']}\n"
                f"{r['reason']}\n"
                f"Hand over: POST /v1/incidents/{reference}/roles "
                '{"role": …, "assignee": …, "note": "what the next person needs to know"}\n'
            ),
            data={
                "incident_id": str(r["incident_id"]),
                "reference": reference,
                "reason": r["reason"],
            },
            time=r["paged_at"],
        )
    return Notice(
        id=f"page-{r['incident_id']}-{r['version']}",
        kind="page",
        subject=f"irm: {reference} paged (level {r['level']}): {r['title']}",
        text=(
            f"You are paged for {reference}: {r['title']}\n"
            f"Level {r['level']}: {r['reason']}\n"
            f"Acknowledge: POST /v1/incidents/{reference}/acknowledge\n"
        ),
        data={
            "incident_id": str(r["incident_id"]),
            "reference": reference,
            "level": r["level"],
            "reason": r["reason"],
        },
        time=r["paged_at"],
    )
