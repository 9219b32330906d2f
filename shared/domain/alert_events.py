"""The events of alert intake (re-exported by `shared.domain.events`, which holds the union of
every event type; see its docstring for the rules every event class follows).

An alert group of a monitoring integration (Alertmanager's `groupKey`, Grafana's group) maps to
at most one open incident. Its alerts are recorded on that incident by fingerprint: attached
while firing, resolved when the monitor says so; when every attached alert has resolved, the IC
is prompted. Nothing here resolves the incident: the IC confirms resolution.
"""

from __future__ import annotations

from typing import final

from shared.domain.event_base import EventBase

# --- alerts from monitoring ----------------------------------------------------------------


@final
class AlertAttached(EventBase):
    """A firing alert of the incident's alert group: the first ones at declaration, later
    ones as they fire (or fire again after resolving)."""

    TOPIC = "irm:Incident.AlertAttached"
    integration_id: str
    group_key: str
    fingerprint: str
    alertname: str
    summary: str | None
    labels: dict[str, str]
    starts_at: str | None
    actor: str


@final
class AlertResolved(EventBase):
    """An attached alert resolved, as its monitor reported."""

    TOPIC = "irm:Incident.AlertResolved"
    integration_id: str
    group_key: str
    fingerprint: str
    alertname: str
    ends_at: str | None
    actor: str


@final
class AlertsAllResolved(EventBase):
    """Every alert attached to the incident has resolved: a prompt to the IC to confirm the
    resolution (the incident stays as it is)."""

    TOPIC = "irm:Incident.AlertsAllResolved"
    alerts: int
    actor: str
