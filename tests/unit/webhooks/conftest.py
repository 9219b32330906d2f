"""A whole incident told as recorded events, for the webhook message and facts tests."""

from __future__ import annotations

from datetime import timedelta

from shared.domain.events import EVENT_TYPES
from shared.domain.incident import Incident
from shared.domain.values import SYSTEM_ACTOR, Actor
from shared.eventstore.store import RecordedEvent
from tests.unit.conftest import ALICE, BOB, CAROL, DAVE, declare

ERIN = Actor("erin")  # facilitates the post-incident review


def every_event_name() -> set[str]:
    """The stable name of every event type the Incident aggregate can record."""
    return {cls.TOPIC.removeprefix("irm:Incident.") for cls in EVENT_TYPES}


def story(*, severity: str | None = "P2") -> Incident:
    """An incident that records every event type, reminders and the review included."""
    incident = declare(severity=severity)
    incident.assign_role(ALICE, role="incident_commander", assignee="bob", note="on shift")
    incident.post_update(DAVE, audience="internal", body="looking at the 14:05 deploy")
    if severity is None:
        incident.change_severity(BOB, severity="P2", reason="classified")
    contact = incident.customer_contact_at
    incident.record_update_overdue(SYSTEM_ACTOR, due_at=contact + timedelta(hours=1))
    incident.record_update_overdue(SYSTEM_ACTOR, due_at=contact + timedelta(hours=2))
    incident.change_severity(BOB, severity="P1", reason="all EU customers affected")
    incident.assign_role(BOB, role="communications_lead", assignee="carol", note=None)
    incident.post_update(CAROL, audience="customer", body="We are investigating")
    contact = incident.customer_contact_at
    incident.record_update_overdue(SYSTEM_ACTOR, due_at=contact + timedelta(minutes=30))
    incident.assess_impact(BOB, impact="Card payments fail", scope="EU tenants")
    incident.link_ticket(DAVE, system="jira", key="OPS-1234", url=None)
    incident.escalate(BOB, target="database-team", reason="primary is not failing over")
    incident.resolve(BOB, resolution="restored", summary="Rolled back")
    incident.reopen(BOB, reason="Errors are back")
    incident.resolve(BOB, resolution="workaround", summary="Feature flag off")
    incident.close(BOB)
    incident.start_postmortem(BOB, facilitator=ERIN.principal)
    incident.record_root_cause(ERIN, text="A migration locked the orders table")
    incident.add_contributing_factor(ERIN, text="No lock timeout", category="change")
    incident.add_recommendation(ERIN, text="Set lock_timeout on migrations")
    follow_up = incident.add_follow_up(
        ERIN, title="Add lock_timeout", owner="dave", due_date="2026-12-31", ticket="OPS-9"
    )
    incident.reassign_follow_up(ERIN, follow_up_id=follow_up, owner="alice")
    incident.change_follow_up_due_date(
        ERIN, follow_up_id=follow_up, due_date="2027-01-15", reason="holidays"
    )
    incident.complete_follow_up(ALICE, follow_up_id=follow_up, note="merged")
    incident.publish_postmortem(ERIN, no_follow_up_reason=None)
    return incident


def recorded(incident: Incident, *, first_position: int = 101) -> list[RecordedEvent]:
    """The incident's pending events as the store would hand them out, from a log position."""
    return [
        RecordedEvent(position=first_position + i, event=event)
        for i, event in enumerate(incident.collect_events())
    ]
