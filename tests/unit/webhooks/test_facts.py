"""The incident facts every message carries, folded from the events as the notifier sees them.

The fold must agree with the aggregate at every step: replay starts from the aggregate when it
meets an incident mid-history, while the live notifier folds from Declared on.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from services.incident_api.replay import facts_of
from shared.domain.events import event_name
from shared.domain.incident import Incident
from shared.domain.values import SYSTEM_ACTOR
from shared.eventstore.store import RecordedEvent
from shared.webhooks.facts import FactsError, IncidentFacts, facts_after
from tests.unit.conftest import ALICE, declare
from tests.unit.webhooks.conftest import recorded, story


def fold(events: list[RecordedEvent]) -> list[IncidentFacts]:
    """The facts after each event."""
    folded: list[IncidentFacts] = []
    facts: IncidentFacts | None = None
    for event in events:
        facts = facts_after(facts, event)
        folded.append(facts)
    return folded


def by_name(events: list[RecordedEvent], name: str) -> list[int]:
    """Indexes of the events of one type."""
    return [i for i, e in enumerate(events) if event_name(e.event) == name]


def test_declared_starts_the_facts() -> None:
    incident = declare(number=12, title="Search is slow", severity="P3")
    [event] = recorded(incident)

    assert facts_after(None, event) == IncidentFacts(
        number=12,
        title="Search is slow",
        severity="P3",
        status="open",
        version=1,
        customer_contact_at=event.event.timestamp,
        overdue_reminders=0,
    )


def test_an_unclassified_incident_has_no_severity_until_one_is_set() -> None:
    events = recorded(story(severity=None))
    facts = fold(events)

    changed = by_name(events, "SeverityChanged")[0]
    assert {f.severity for f in facts[:changed]} == {None}
    assert facts[changed].severity == "P2"


def test_severity_changes_and_status_follow_the_events() -> None:
    events = recorded(story())
    facts = fold(events)

    assert facts[by_name(events, "SeverityChanged")[0]].severity == "P1"
    assert [facts[i].status for i in by_name(events, "Resolved")] == ["resolved", "resolved"]
    assert [facts[i].status for i in by_name(events, "Reopened")] == ["open"]
    assert [facts[i].status for i in by_name(events, "Closed")] == ["closed"]
    assert facts[-1].status == "closed"
    assert [f.version for f in facts] == list(range(1, len(events) + 1))


def test_a_customer_update_or_a_reopen_restarts_the_cadence_and_an_internal_one_does_not() -> None:
    events = recorded(story())
    facts = fold(events)
    declared_at = events[0].event.timestamp

    internal, customer = by_name(events, "UpdatePosted")
    reopened = by_name(events, "Reopened")[0]
    assert facts[internal].customer_contact_at == declared_at
    assert facts[customer].customer_contact_at == events[customer].event.timestamp
    assert facts[customer].overdue_reminders == 0
    assert facts[reopened].customer_contact_at == events[reopened].event.timestamp
    assert facts[reopened].overdue_reminders == 0


def test_reminders_count_the_missed_intervals_since_the_last_contact() -> None:
    events = recorded(story())
    facts = fold(events)

    assert [facts[i].overdue_reminders for i in by_name(events, "CustomerUpdateOverdue")] == [
        1,
        2,
        1,
    ]


@pytest.mark.parametrize("severity", ["P2", None])
def test_the_fold_agrees_with_the_aggregate_after_every_event(severity: str | None) -> None:
    events = recorded(story(severity=severity))
    facts = fold(events)
    replayed: Incident | None = None

    for i, event in enumerate(events):
        replayed = event.event.mutate(replayed)
        assert isinstance(replayed, Incident)
        assert facts_of(replayed) == facts[i], event_name(event.event)


def test_an_event_before_declared_is_an_error() -> None:
    incident = declare()
    incident.collect_events()
    incident.record_update_overdue(
        SYSTEM_ACTOR, due_at=incident.customer_contact_at + timedelta(hours=1)
    )
    incident.assign_role(ALICE, role="operations_lead", assignee="dave", note=None)
    [reminder, assigned] = recorded(incident)

    with pytest.raises(FactsError, match="before Declared"):
        facts_after(None, assigned)
    with pytest.raises(FactsError):
        facts_after(None, reminder)
