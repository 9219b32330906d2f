"""Alerts on an incident (issue 12): attached while firing, resolved as the monitor reports, and
the IC prompted once every attached alert has resolved; the same report twice records nothing,
and nothing here resolves the incident."""

from __future__ import annotations

from typing import Any

from shared.domain.alerting import all_alerts_resolved
from shared.domain.errors import IllegalTransitionError, NoChangeError
from shared.domain.events import AlertAttached, AlertResolved, AlertsAllResolved
from shared.domain.incident import Incident
from shared.domain.values import Actor
from tests.unit.conftest import ALICE, declare, names, only_event, refuse

MONITOR = Actor("integration:alertmanager-prod")
GROUP = '{}:{alertname="CheckoutHighErrorRate"}'


def attach(incident: Incident, fingerprint: str) -> None:
    incident.attach_alert(
        MONITOR,
        integration_id="8d3c0f0e-7a51-4d0e-9a43-1b2c3d4e5f60",
        group_key=GROUP,
        fingerprint=fingerprint,
        alertname="CheckoutHighErrorRate",
        summary="Checkout error rate above 5%",
        labels={"alertname": "CheckoutHighErrorRate", "severity": "critical"},
        starts_at="2026-12-01T21:58:30.512Z",
    )


def resolve(incident: Incident, fingerprint: str) -> None:
    incident.resolve_alert(
        MONITOR,
        integration_id="8d3c0f0e-7a51-4d0e-9a43-1b2c3d4e5f60",
        group_key=GROUP,
        fingerprint=fingerprint,
        alertname="CheckoutHighErrorRate",
        ends_at="2026-12-01T22:09:30.512Z",
    )


def test_a_firing_alert_is_attached_once(incident: Incident) -> None:
    attach(incident, "a1")
    event: Any = only_event(incident)

    assert isinstance(event, AlertAttached)
    assert (event.fingerprint, event.actor) == ("a1", MONITOR.principal)
    assert incident.alerts == {"a1": "firing"}
    refuse(incident, NoChangeError, lambda: attach(incident, "a1"))


def test_only_a_firing_alert_resolves(incident: Incident) -> None:
    refuse(incident, NoChangeError, lambda: resolve(incident, "a1"))
    attach(incident, "a1")
    resolve(incident, "a1")

    assert names(incident.collect_events()) == ["AlertAttached", "AlertResolved"]
    refuse(incident, NoChangeError, lambda: resolve(incident, "a1"))


def test_the_ic_is_prompted_once_when_every_alert_has_resolved(incident: Incident) -> None:
    attach(incident, "a1")
    attach(incident, "a2")
    resolve(incident, "a1")
    refuse(incident, NoChangeError, lambda: incident.prompt_alerts_all_resolved(MONITOR))
    resolve(incident, "a2")
    incident.prompt_alerts_all_resolved(MONITOR)
    prompt = incident.collect_events()[-1]

    assert isinstance(prompt, AlertsAllResolved)
    assert prompt.alerts == 2
    assert incident.status == "open"
    refuse(incident, NoChangeError, lambda: incident.prompt_alerts_all_resolved(MONITOR))


def test_an_alert_firing_again_attaches_again_and_a_later_prompt_follows(
    incident: Incident,
) -> None:
    attach(incident, "a1")
    resolve(incident, "a1")
    incident.prompt_alerts_all_resolved(MONITOR)
    attach(incident, "a1")
    resolve(incident, "a1")
    incident.prompt_alerts_all_resolved(MONITOR)

    assert names(incident.collect_events()) == [
        "AlertAttached",
        "AlertResolved",
        "AlertsAllResolved",
        "AlertAttached",
        "AlertResolved",
        "AlertsAllResolved",
    ]


def test_no_alerts_is_not_all_resolved() -> None:
    assert not all_alerts_resolved({})
    assert all_alerts_resolved({"a1": "resolved"})
    assert not all_alerts_resolved({"a1": "resolved", "a2": "firing"})


def test_alerts_attach_only_to_an_open_incident_and_resolve_until_it_is_closed(
    resolved: Incident,
) -> None:
    refuse(resolved, IllegalTransitionError, lambda: attach(resolved, "a9"))


def test_a_resolved_incident_records_its_alerts_resolving_but_prompts_nobody() -> None:
    incident = declare()
    attach(incident, "a1")
    incident.resolve(ALICE, resolution="restored", summary="rolled back")
    resolve(incident, "a1")
    events = incident.collect_events()

    assert isinstance(events[-1], AlertResolved)
    refuse(incident, NoChangeError, lambda: incident.prompt_alerts_all_resolved(MONITOR))
    incident.close(ALICE)
    incident.collect_events()
    refuse(incident, IllegalTransitionError, lambda: resolve(incident, "a1"))
