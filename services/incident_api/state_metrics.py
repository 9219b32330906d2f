"""Gauges `/metrics` reads from the database at each scrape: open incidents, overdue customer
updates, and the notifier's webhook work.

The projector and the notifier serve no HTTP, so what they have done is read where they leave
it: the read models and the delivery table. Every API replica reports the same figures; a
dashboard or alert takes the max over them.
"""

from __future__ import annotations

from typing import Final

import asyncpg
from prometheus_client import CollectorRegistry, Gauge

from shared.domain.values import Severity

NO_SEVERITY: Final = "none"
"""The severity label of an incident declared without one."""
SEVERITIES: Final = (*(s.value for s in Severity), NO_SEVERITY)
SUBSCRIPTION_STATUSES: Final = ("active", "paused", "disabled")

_OPEN_BY_SEVERITY: Final = """
SELECT coalesce(severity, 'none') AS severity, count(*) AS open,
       count(*) FILTER (WHERE next_customer_update_due < now()) AS overdue
FROM rm_incidents WHERE status = 'open' GROUP BY 1
"""
_PENDING: Final = """
SELECT count(*) AS pending,
       count(*) FILTER (WHERE attempts > 0
                          AND (leased_until IS NULL OR leased_until < now())) AS retrying
FROM irm_deliveries WHERE status = 'pending'
"""
_FAILED: Final = "SELECT count(*) FROM irm_deliveries WHERE status = 'failed'"
# The deliveries a notifier could send now (as its claim chooses them: the first pending one
# per subscription and incident, of an active subscription, due and not leased): how long the
# one that has waited longest has been due. A subscriber that fails is retried later, so its
# deliveries are not due meanwhile and do not count; work nobody picks up does.
_LONGEST_DUE: Final = """
SELECT coalesce(extract(epoch FROM now() - min(h.next_attempt_at)), 0)
FROM (SELECT DISTINCT ON (subscription_id, incident_id)
             subscription_id, next_attempt_at, leased_until
      FROM irm_deliveries WHERE status = 'pending'
      ORDER BY subscription_id, incident_id, seq) h
JOIN irm_subscriptions s ON s.id = h.subscription_id AND s.status = 'active'
WHERE h.next_attempt_at <= now() AND (h.leased_until IS NULL OR h.leased_until < now())
"""
_SUBSCRIPTIONS: Final = "SELECT status, count(*) AS n FROM irm_subscriptions GROUP BY status"


class StateMetrics:
    """The gauges, in the app's own registry."""

    def __init__(self, registry: CollectorRegistry) -> None:
        def gauge(name: str, description: str, labels: tuple[str, ...] = ()) -> Gauge:
            return Gauge(name, description, labels, registry=registry)

        self.open_incidents = gauge(
            "irm_open_incidents", "Open incidents, by current severity.", ("severity",)
        )
        self.overdue = gauge(
            "irm_customer_updates_overdue",
            "Open incidents whose next customer update is past due, by current severity.",
            ("severity",),
        )
        self.pending = gauge(
            "irm_webhook_deliveries_pending", "Webhook deliveries not yet made (queued)."
        )
        self.retrying = gauge(
            "irm_webhook_deliveries_retrying",
            "Pending webhook deliveries that failed at least once and wait for their next try.",
        )
        self.failed = gauge(
            "irm_webhook_deliveries_failed",
            "Webhook deliveries that used up their retries or were refused with 410 "
            "(in the delivery log).",
        )
        self.longest_due = gauge(
            "irm_webhook_delivery_due_seconds",
            "How long the sendable webhook delivery that has waited longest has been due "
            "(0 when none is waiting).",
        )
        self.subscriptions = gauge(
            "irm_webhook_subscriptions", "Webhook subscriptions, by status.", ("status",)
        )

    async def refresh(self, pool: asyncpg.Pool) -> None:
        """Read every gauge from the database."""
        async with pool.acquire() as conn:
            by_severity = {r["severity"]: r for r in await conn.fetch(_OPEN_BY_SEVERITY)}
            pending = await conn.fetchrow(_PENDING)
            failed = await conn.fetchval(_FAILED)
            longest_due = await conn.fetchval(_LONGEST_DUE)
            subscriptions = {r["status"]: r["n"] for r in await conn.fetch(_SUBSCRIPTIONS)}
        for severity in SEVERITIES:
            row = by_severity.get(severity)
            self.open_incidents.labels(severity).set(row["open"] if row else 0)
            self.overdue.labels(severity).set(row["overdue"] if row else 0)
        self.pending.set(pending["pending"])
        self.retrying.set(pending["retrying"])
        self.failed.set(failed)
        self.longest_due.set(float(longest_due))
        for status in SUBSCRIPTION_STATUSES:
            self.subscriptions.labels(status).set(subscriptions.get(status, 0))
