"""What an alert group becomes: a new incident, alerts attached to or resolved on its open
incident, a prompt to the IC, or nothing new.

One alert group (per integration) maps to at most one open incident (`irm_alert_groups`).
While that incident is open, firing alerts not yet firing on it are attached (`AlertAttached`);
resolved alerts firing on it are recorded (`AlertResolved`) while it is not closed; when every
attached alert has resolved, the IC is prompted (`AlertsAllResolved`). New firing alerts of a
group whose incident is resolved or closed (or that has none) declare a new incident, unless
the route says only to page. The same notification sent again finds every alert as it left
them and records nothing. Groups are handled one at a time (a PostgreSQL advisory lock per
group), so two notifications of one group never declare two incidents.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from typing import Any, Final
from uuid import UUID

import asyncpg

from services.incident_api.alert_payloads import Alert, AlertGroup
from services.incident_api.alert_routing import Route, route
from services.incident_api.commands import IncidentCommand
from services.incident_api.incident_service import IncidentCommands
from services.incident_api.integrations import Integration, group_incident, remember_group
from shared.domain.errors import NoChangeError
from shared.domain.events import event_name
from shared.domain.incident import Incident
from shared.domain.values import NAME_MAX_CHARS, TEXT_MAX_CHARS, TITLE_MAX_CHARS, Actor, Status

# Groups handled at once per process: each holds a connection for its lock and needs others
# for its reads and its append, so the pool is never all lock holders.
_AT_ONCE: Final = 4


@dataclass(frozen=True, slots=True)
class IntakeOutcome:
    """What became of a notification: `declared`, `updated`, `unchanged`, `page-only` or
    `ignored`, the incident concerned, the events recorded and the route taken."""

    outcome: str
    route: Route
    incident_id: UUID | None = None
    reference: str | None = None
    events: list[str] = field(default_factory=list)
    position: int | None = None
    note: str | None = None

    def as_detail(self) -> dict[str, Any]:
        """The outcome as stored with the delivery."""
        return {
            "incident_id": None if self.incident_id is None else str(self.incident_id),
            "reference": self.reference,
            "events": self.events,
            "position": self.position,
            "note": self.note,
            "route": {
                "action": self.route.action,
                "service": self.route.service,
                "severity": self.route.severity,
                "criteria": list(self.route.criteria),
                "rule": self.route.rule,
            },
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class ApplyAlerts(IncidentCommand):
    """Attach the group's new firing alerts (when `attach`), record its resolved ones, and
    prompt the IC when all have resolved; `NoChangeError` when none of that records anything."""

    integration_id: str
    group: AlertGroup
    attach: bool

    def apply(self, incident: Incident, actor: Actor) -> str | None:
        """Run the alert commands on `incident`; the names of the events recorded."""
        before = len(incident.pending_events)
        key = self.group.group_key
        if self.attach:
            for alert in self.group.firing:
                with suppress(NoChangeError):
                    _attach(incident, actor, self.integration_id, self.group, alert)
        for alert in self.group.resolved:
            with suppress(NoChangeError):
                incident.resolve_alert(
                    actor,
                    integration_id=self.integration_id,
                    group_key=key,
                    fingerprint=alert.fingerprint,
                    alertname=_one_line(alert.alertname, NAME_MAX_CHARS),
                    ends_at=alert.ends_at,
                )
        with suppress(NoChangeError):
            incident.prompt_alerts_all_resolved(actor)
        recorded = incident.pending_events[before:]
        if not recorded:
            raise NoChangeError("every alert of the group is as recorded already")
        return ",".join(event_name(e) for e in recorded)


class AlertIntake:
    """Turns alert groups into incident events, one group at a time."""

    def __init__(self, pool: asyncpg.Pool, commands: IncidentCommands) -> None:
        self._pool = pool
        self._commands = commands
        self._at_once = asyncio.Semaphore(_AT_ONCE)

    async def handle(self, integration: Integration, group: AlertGroup) -> IntakeOutcome:
        """Record what `group` means for its incident, or declare one."""
        decided = route(integration.rules, group)
        actor = Actor(principal=integration.principal)
        async with self._at_once, self._group_lock(integration.id, group.group_key):
            incident_id = await group_incident(self._pool, integration.id, group.group_key)
            incident = None if incident_id is None else await self._commands.load(incident_id)
            if incident is not None and incident.status != Status.CLOSED:
                is_open = incident.status == Status.OPEN
                updated = await self._update(incident, integration, group, actor, attach=is_open)
                new_firing = [a for a in group.firing if incident.alerts.get(a.fingerprint) is None]
                if is_open or not new_firing:
                    return _outcome(updated, decided, incident)
            if not group.firing:
                return IntakeOutcome(
                    "ignored", decided, note="no firing alert and no open incident"
                )
            if decided.action == "page":
                return IntakeOutcome(
                    "page-only",
                    decided,
                    note="the route only pages; paging without an incident is not built yet, "
                    "so nobody was paged",
                )
            return await self._declare(integration, group, decided, actor)

    async def _update(
        self,
        incident: Incident,
        integration: Integration,
        group: AlertGroup,
        actor: Actor,
        *,
        attach: bool,
    ) -> IntakeOutcome | None:
        command = ApplyAlerts(integration_id=str(integration.id), group=group, attach=attach)
        try:
            done = await self._commands.execute(incident.id, command, actor)
        except NoChangeError:
            return None
        return IntakeOutcome(
            "updated",
            route(integration.rules, group),
            incident_id=done.incident.id,
            reference=done.incident.reference,
            events=(done.result or "").split(","),
            position=done.position,
        )

    async def _declare(
        self, integration: Integration, group: AlertGroup, decided: Route, actor: Actor
    ) -> IntakeOutcome:
        def start(number: int) -> Incident:
            incident = Incident.declare(
                actor=actor,
                number=number,
                title=_title(group),
                description=_description(group),
                criteria=decided.criteria,
                severity=decided.severity,
                services=[] if decided.service is None else [decided.service[:NAME_MAX_CHARS]],
            )
            for alert in group.firing:
                _attach(incident, actor, str(integration.id), group, alert)
            return incident

        done = await self._commands.declare_new(
            start, within=lambda new: remember_group(integration.id, group.group_key, new.id)
        )
        return IntakeOutcome(
            "declared",
            decided,
            incident_id=done.incident.id,
            reference=done.incident.reference,
            events=["Declared"] + ["AlertAttached"] * len(group.firing),
            position=done.position,
        )

    @asynccontextmanager
    async def _group_lock(self, integration_id: UUID, group_key: str) -> AsyncIterator[None]:
        """The group's advisory lock, across every API process on the database."""
        key = f"irm-alert-group:{integration_id}:{group_key}"
        async with self._pool.acquire() as conn:
            await conn.execute("SELECT pg_advisory_lock(hashtextextended($1, 0))", key)
            try:
                yield
            finally:
                await conn.execute("SELECT pg_advisory_unlock(hashtextextended($1, 0))", key)


def _outcome(updated: IntakeOutcome | None, decided: Route, incident: Incident) -> IntakeOutcome:
    if updated is not None:
        return updated
    return IntakeOutcome(
        "unchanged", decided, incident_id=incident.id, reference=incident.reference
    )


def _attach(
    incident: Incident, actor: Actor, integration_id: str, group: AlertGroup, alert: Alert
) -> None:
    incident.attach_alert(
        actor,
        integration_id=integration_id,
        group_key=group.group_key,
        fingerprint=alert.fingerprint,
        alertname=_one_line(alert.alertname, NAME_MAX_CHARS),
        summary=None if alert.summary is None else alert.summary[:TEXT_MAX_CHARS],
        labels=alert.labels,
        starts_at=alert.starts_at,
    )


def _title(group: AlertGroup) -> str:
    """`<alertname>: <summary>` of the group (its common ones, else its first firing alert's)."""
    first = group.firing[0]
    alertname = group.common_labels.get("alertname") or first.alertname
    summary = group.common_annotations.get("summary") or first.summary
    title = f"{alertname}: {summary}" if summary else alertname
    if len(group.firing) > 1 and not group.common_annotations.get("summary"):
        title = f"{alertname} ({len(group.firing)} alerts firing)"
    return _one_line(title, TITLE_MAX_CHARS)


def _description(group: AlertGroup) -> str | None:
    first = group.firing[0]
    text = group.common_annotations.get("description") or first.annotations.get("description")
    return None if not text else text[:TEXT_MAX_CHARS]


def _one_line(text: str, max_chars: int) -> str:
    """Whitespace folded to single spaces, cut to `max_chars`."""
    folded = " ".join(text.split()) or "alert"
    return folded if len(folded) <= max_chars else folded[: max_chars - 1] + "…"
