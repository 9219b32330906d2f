"""The cast and the helpers of the Incident aggregate's unit tests: no database, no I/O."""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from typing import Any, TypeVar
from uuid import UUID

import pytest
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import Mapper, StoredEvent

from shared.domain.errors import DomainError
from shared.domain.events import IncidentEvent, as_incident_event, event_name
from shared.domain.incident import Incident
from shared.domain.values import Actor
from shared.eventstore.store import RecordedEvent
from tests.stored_fixtures import recorded_events, stored_events

ALICE = Actor("alice")  # the on-call SRE: declares, and owns the incident
BOB = Actor("bob")  # becomes Incident Commander in the stories that need one
CAROL = Actor("carol")  # becomes Communications Lead
DAVE = Actor("dave")  # a responder with no role
ROOT = Actor("root", is_admin=True)  # an admin who may break glass

Event = DomainEventProtocol[UUID]
Command = Callable[[Incident, Actor], None]
E = TypeVar("E", bound=DomainError)

# Every command that needs the acting IC's authority and is allowed on an open incident.
COMMANDER_COMMANDS_WHEN_OPEN: dict[str, Command] = {
    "assign_role": lambda i, a: i.assign_role(
        a, role="incident_commander", assignee="erin", note=None
    ),
    "change_severity": lambda i, a: i.change_severity(a, severity="P1", reason="spreading"),
    "assess_impact": lambda i, a: i.assess_impact(a, impact="checkout fails", scope="EU"),
    "escalate": lambda i, a: i.escalate(a, target="database-team", reason="replica lag"),
    "resolve": lambda i, a: i.resolve(a, resolution="restored", summary="rolled back"),
}

# The commands that need the acting IC's authority and a resolved incident.
COMMANDER_COMMANDS_WHEN_RESOLVED: dict[str, Command] = {
    "close": lambda i, a: i.close(a),
    "reopen": lambda i, a: i.reopen(a, reason="errors are back"),
}

# Every command an incident takes after it has been declared.
ALL_COMMANDS: dict[str, Command] = {
    **COMMANDER_COMMANDS_WHEN_OPEN,
    **COMMANDER_COMMANDS_WHEN_RESOLVED,
    "link_ticket": lambda i, a: i.link_ticket(a, system="jira", key="OPS-9", url=None),
    "post_update internal": lambda i, a: i.post_update(a, audience="internal", body="looking"),
    "post_update customer": lambda i, a: i.post_update(a, audience="customer", body="on it"),
}


def declare(*, actor: Actor = ALICE, **overrides: Any) -> Incident:
    """Declare a P2 checkout incident; the Declared event is left pending."""
    arguments: dict[str, Any] = {
        "number": 7,
        "title": "Checkout returns 500s",
        "criteria": ["customer_sla_at_risk"],
        "severity": "P2",
        "services": ["checkout"],
    }
    arguments.update(overrides)
    return Incident.declare(actor=actor, **arguments)


def whole_story() -> Incident:
    """An incident that has recorded every event type once or more, all still pending."""
    incident = declare(number=42, description="Since the 14:05 deploy", owner="alice")
    incident.assign_role(ALICE, role="incident_commander", assignee="bob", note="on shift")
    incident.assign_role(BOB, role="communications_lead", assignee="carol", note=None)
    incident.change_severity(BOB, severity="P1", reason="all EU customers affected")
    incident.assess_impact(BOB, impact="Card payments fail", scope="EU tenants")
    incident.link_ticket(DAVE, system="jira", key="OPS-1234", url="https://jira.example/OPS-1234")
    incident.post_update(CAROL, audience="customer", body="We are investigating")
    incident.escalate(ROOT, target="database-team", reason="primary is not failing over")
    incident.resolve(BOB, resolution="restored", summary="Rolled back")
    incident.reopen(BOB, reason="Errors are back")
    incident.resolve(BOB, resolution="workaround", summary="Feature flag off")
    incident.close(BOB)
    return incident


def names(events: Sequence[Event]) -> list[str]:
    """The stable names of recorded events, in order."""
    return [event_name(e) for e in events]


def decode_event(mapper: Mapper[UUID], stored: StoredEvent) -> IncidentEvent:
    """A stored incident event, decoded (any other stored event is refused)."""
    return as_incident_event(mapper.to_domain_event(stored))


def restore_snapshot(mapper: Mapper[UUID], stored: StoredEvent) -> Incident:
    """The incident a stored snapshot holds, decoded and restored."""
    snapshot = mapper.to_domain_event(stored)
    assert isinstance(snapshot, Incident.Snapshot)
    incident = snapshot.mutate(None)
    assert isinstance(incident, Incident)
    return incident


def only_event(incident: Incident) -> Any:
    """The single event the last command recorded (typed Any to read its own fields)."""
    events = incident.collect_events()
    assert len(events) == 1, names(events)
    return events[0]


def state_of(incident: Incident) -> tuple[int, dict[str, Any]]:
    """The incident's version and a deep copy of everything a snapshot would store."""
    return incident.version, copy.deepcopy(Incident.Snapshot.take(incident).state)


def refuse(incident: Incident, error: type[E], command: Callable[[], object]) -> E:
    """Run a command that must be refused: it raises `error`, records nothing, changes nothing."""
    incident.collect_events()  # earlier events are not this command's
    before = state_of(incident)
    with pytest.raises(error) as raised:
        command()
    assert incident.collect_events() == []
    assert state_of(incident) == before
    return raised.value


@pytest.fixture
def incident() -> Incident:
    """An open incident declared and owned by alice (the acting IC), events collected."""
    declared = declare()
    declared.collect_events()
    return declared


@pytest.fixture
def resolved(incident: Incident) -> Incident:
    """The incident after alice resolved it, events collected."""
    incident.resolve(ALICE, resolution="restored", summary="rolled back the deploy")
    incident.collect_events()
    return incident


@pytest.fixture
def closed(resolved: Incident) -> Incident:
    """The incident after alice closed it, events collected."""
    resolved.close(ALICE)
    resolved.collect_events()
    return resolved


@pytest.fixture(scope="module")
def stored(request: pytest.FixtureRequest) -> list[StoredEvent]:
    """The stored events of the test module's `STORED_FIXTURE` file."""
    name: str = request.module.STORED_FIXTURE
    return stored_events(name)


@pytest.fixture(scope="module")
def recorded(request: pytest.FixtureRequest, stored: list[StoredEvent]) -> list[RecordedEvent]:
    """The events of `stored`, decoded, from the test module's `FIRST_POSITION` in the log."""
    first_position: int = request.module.FIRST_POSITION
    return recorded_events(stored, first_position=first_position)
