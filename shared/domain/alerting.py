"""Alerts from monitoring on an incident: attaching a firing alert, recording that one resolved,
and prompting the IC once every attached alert has resolved.

Alerts are known by fingerprint. An alert already firing on the incident is not attached
again, and one not firing is not resolved again (`NoChangeError`): a monitor re-sending the same
notification records nothing. The incident itself is never resolved from here; the IC confirms
resolution.
"""

from __future__ import annotations

from collections.abc import Mapping

from shared.domain import arguments
from shared.domain.alert_events import AlertAttached, AlertResolved, AlertsAllResolved
from shared.domain.errors import IllegalTransitionError, NoChangeError
from shared.domain.roles import RolesAndAuthority
from shared.domain.values import NAME_MAX_CHARS, TEXT_MAX_CHARS, Actor, Status

FIRING = "firing"
RESOLVED = "resolved"


def all_alerts_resolved(alerts: Mapping[str, str]) -> bool:
    """Whether the incident has attached alerts and every one of them has resolved."""
    return bool(alerts) and all(status == RESOLVED for status in alerts.values())


class Alerting(RolesAndAuthority):
    """The alerts of the incident's alert group, as the monitoring integration reports them."""

    def attach_alert(
        self,
        actor: Actor,
        *,
        integration_id: str,
        group_key: str,
        fingerprint: str,
        alertname: str,
        summary: str | None,
        labels: Mapping[str, str],
        starts_at: str | None,
    ) -> None:
        """Attach a firing alert to this open incident (again, if it had resolved)."""
        if self.status != Status.OPEN:
            raise IllegalTransitionError(
                self.id, "incident-not-open", f"{self.reference} is {self.status}, not open"
            )
        if self.alerts.get(fingerprint) == FIRING:
            raise NoChangeError(f"alert {fingerprint} is firing on {self.reference} already")
        self.trigger_event(
            AlertAttached,
            integration_id=integration_id,
            group_key=arguments.text("group_key", group_key, TEXT_MAX_CHARS),
            fingerprint=arguments.text("fingerprint", fingerprint, NAME_MAX_CHARS),
            alertname=arguments.text("alertname", alertname, NAME_MAX_CHARS),
            summary=arguments.optional_text("summary", summary, TEXT_MAX_CHARS),
            labels=dict(labels),
            starts_at=starts_at,
            actor=actor.principal,
        )

    def resolve_alert(
        self,
        actor: Actor,
        *,
        integration_id: str,
        group_key: str,
        fingerprint: str,
        alertname: str,
        ends_at: str | None,
    ) -> None:
        """Record that a firing attached alert resolved (the incident stays as it is)."""
        self._check_not_closed()
        if self.alerts.get(fingerprint) != FIRING:
            raise NoChangeError(f"alert {fingerprint} is not firing on {self.reference}")
        self.trigger_event(
            AlertResolved,
            integration_id=integration_id,
            group_key=group_key,
            fingerprint=fingerprint,
            alertname=alertname,
            ends_at=ends_at,
            actor=actor.principal,
        )

    def prompt_alerts_all_resolved(self, actor: Actor) -> None:
        """Prompt the IC that every attached alert has resolved, once per time it happens,
        while the incident is open."""
        if self.status != Status.OPEN:
            raise NoChangeError(f"{self.reference} is {self.status}: nobody to prompt")
        if not all_alerts_resolved(self.alerts):
            raise NoChangeError(f"not every alert attached to {self.reference} has resolved")
        if self.alerts_all_resolved:
            raise NoChangeError(f"{self.reference} was prompted already")
        self.trigger_event(AlertsAllResolved, alerts=len(self.alerts), actor=actor.principal)
