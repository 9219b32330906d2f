"""Paging on the incident: who may acknowledge, the ownership it gives, and the positions an
escalation may move to, so that no notifier skips or doubles a page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shared.domain.errors import (
    IllegalTransitionError,
    InvalidFieldError,
    NoChangeError,
    NotAuthorizedError,
)
from shared.domain.events import Acknowledged, HandoverDue, Paged
from shared.domain.incident import Incident
from shared.domain.paging import next_position
from shared.domain.values import SYSTEM_ACTOR
from tests.unit.conftest import ALICE, BOB, CAROL, DAVE, names, refuse

POLICY = "9e41c0de-1f2a-4b3c-8d4e-5f6a7b8c9d0e"


def page(incident: Incident, people: list[str], position: tuple[int, int]) -> None:
    incident.page(
        SYSTEM_ACTOR,
        people=people,
        policy=POLICY,
        position=position,
        timeout_seconds=300,
        reason="declared with service checkout",
    )


def test_the_positions_run_through_the_levels_then_repeat_then_end() -> None:
    positions = [(0, 0)]
    while (after := next_position(positions[-1], levels=2, repeat=1)) is not None:
        positions.append(after)
    assert positions[1:] == [(1, 1), (1, 2), (2, 1), (2, 2)]


def test_a_page_records_one_event_per_person_by_the_system(incident: Incident) -> None:
    page(incident, ["bob", "carol", "bob"], (1, 1))

    events = incident.collect_events()
    assert names(events) == ["Paged", "Paged"]
    paged = [e for e in events if isinstance(e, Paged)]
    assert [(e.person, e.level, e.round, e.actor) for e in paged] == [
        ("bob", 1, 1, "system"),
        ("carol", 1, 1, "system"),
    ]
    assert incident.page_escalates_at == events[0].timestamp + timedelta(seconds=300)


def test_the_same_level_is_never_paged_twice(incident: Incident) -> None:
    page(incident, ["bob"], (1, 1))

    refuse(incident, NoChangeError, lambda: page(incident, ["bob"], (1, 1)))
    refuse(incident, NoChangeError, lambda: page(incident, ["carol"], (1, 2)))


def test_an_escalation_waits_for_the_timeout_and_moves_forward_only(incident: Incident) -> None:
    page(incident, ["bob"], (1, 1))
    escalates_at = incident.page_escalates_at
    assert escalates_at is not None

    refuse(
        incident,
        NoChangeError,
        lambda: incident.escalate_page(
            SYSTEM_ACTOR, to=(1, 2), now=escalates_at - timedelta(seconds=1), reason="x"
        ),
    )
    refuse(
        incident,
        InvalidFieldError,
        lambda: incident.escalate_page(SYSTEM_ACTOR, to=(1, 1), now=escalates_at, reason="x"),
    )
    incident.escalate_page(SYSTEM_ACTOR, to=(1, 2), now=escalates_at, reason="timed out")
    page(incident, ["carol"], (1, 2))

    assert names(incident.collect_events()) == ["PageEscalated", "Paged"]
    assert (incident.page_round, incident.page_level, incident.paged) == (1, 2, ["bob", "carol"])


def test_a_paged_person_acknowledges_and_becomes_owner_without_an_ic(incident: Incident) -> None:
    page(incident, ["bob"], (1, 1))
    incident.acknowledge(BOB)

    (event,) = incident.collect_events()[1:]
    assert isinstance(event, Acknowledged)
    assert (event.took_ownership, event.previous_owner, event.actor) == (True, "alice", "bob")
    assert (incident.owner, incident.acting_commander, incident.acknowledged_by) == (
        "bob",
        "bob",
        "bob",
    )
    refuse(incident, NoChangeError, lambda: page(incident, ["carol"], (1, 2)))


def test_with_an_ic_named_the_acknowledgement_only_stops_paging(incident: Incident) -> None:
    incident.assign_role(ALICE, role="incident_commander", assignee="dave", note=None)
    page(incident, ["bob"], (1, 1))
    incident.acknowledge(BOB)

    event = incident.collect_events()[-1]
    assert isinstance(event, Acknowledged)
    assert event.took_ownership is False
    assert (incident.owner, incident.acting_commander) == ("alice", "dave")


def test_only_a_paged_person_acknowledges_and_only_once(incident: Incident) -> None:
    refuse(incident, NotAuthorizedError, lambda: incident.acknowledge(ALICE))
    page(incident, ["bob", "carol"], (1, 1))

    refuse(incident, NotAuthorizedError, lambda: incident.acknowledge(DAVE))
    incident.acknowledge(CAROL)
    refuse(incident, NoChangeError, lambda: incident.acknowledge(BOB))


def test_a_resolved_incident_is_neither_paged_nor_acknowledged(incident: Incident) -> None:
    page(incident, ["bob"], (1, 1))
    incident.resolve(ALICE, resolution="restored", summary="rolled back")

    refuse(incident, IllegalTransitionError, lambda: incident.acknowledge(BOB))
    refuse(
        incident,
        NoChangeError,
        lambda: incident.escalate_page(
            SYSTEM_ACTOR, to=(1, 2), now=incident.created_on + timedelta(days=1), reason="x"
        ),
    )


def test_paging_runs_out_once_and_a_late_acknowledgement_still_takes_it(
    incident: Incident,
) -> None:
    page(incident, ["bob"], (1, 1))
    refuse(
        incident,
        NoChangeError,
        lambda: incident.exhaust_paging(
            SYSTEM_ACTOR, policy=POLICY, now=incident.created_on, reason="x"
        ),
    )
    assert incident.page_escalates_at is not None
    later = incident.page_escalates_at
    incident.exhaust_paging(SYSTEM_ACTOR, policy=POLICY, now=later, reason="nobody acknowledged")

    assert incident.paging_exhausted
    refuse(
        incident,
        NoChangeError,
        lambda: incident.exhaust_paging(SYSTEM_ACTOR, policy=POLICY, now=later, reason="x"),
    )
    incident.acknowledge(BOB)
    assert incident.owner == "bob"


@pytest.mark.parametrize("people", [[], ["bob", " "]])
def test_a_page_for_nobody_or_a_blank_name_records_nothing(
    incident: Incident, people: list[str]
) -> None:
    refuse(incident, InvalidFieldError, lambda: page(incident, people, (1, 1)))


SHIFT = datetime(2027, 1, 5, 8, 0, tzinfo=UTC)


def handover(incident: Incident, role: str, person: str, to: str = "carol") -> None:
    incident.record_handover_due(
        SYSTEM_ACTOR,
        role=role,
        from_person=person,
        to_person=to,
        schedule=POLICY,
        shift_start=SHIFT,
    )


def test_a_handover_is_due_once_per_role_and_shift_change(incident: Incident) -> None:
    handover(incident, "incident_commander", "alice")  # alice owns it: the acting IC

    (event,) = incident.collect_events()
    assert isinstance(event, HandoverDue)
    assert (event.from_person, event.to_person, event.role, event.actor) == (
        "alice",
        "carol",
        "incident_commander",
        "system",
    )
    refuse(incident, NoChangeError, lambda: handover(incident, "incident_commander", "alice"))


def test_only_the_holder_of_the_role_hands_it_over(incident: Incident) -> None:
    incident.assign_role(ALICE, role="communications_lead", assignee="bob", note=None)

    refuse(incident, NoChangeError, lambda: handover(incident, "incident_commander", "bob"))
    refuse(incident, NoChangeError, lambda: handover(incident, "operations_lead", "bob"))
    refuse(
        incident, InvalidFieldError, lambda: handover(incident, "communications_lead", "bob", "bob")
    )
    handover(incident, "communications_lead", "bob")
    assert incident.handovers_due == [f"communications_lead@{SHIFT.isoformat()}"]


def test_a_resolved_incident_has_no_handover(incident: Incident) -> None:
    incident.resolve(ALICE, resolution="restored", summary="rolled back")

    refuse(
        incident,
        IllegalTransitionError,
        lambda: handover(incident, "incident_commander", "alice"),
    )
