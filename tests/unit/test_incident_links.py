"""Linking incidents: one records "to" (this incident <relation> other), the other "from"."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

import pytest

from services.incident_api.postmortem import render_postmortem
from shared.domain.cadence import DEFAULT_UPDATE_CADENCE, parse_cadence
from shared.domain.errors import InvalidFieldError, NoChangeError, NotAuthorizedError
from shared.domain.events import event_actor, event_data, event_name
from shared.domain.incident import Incident
from shared.eventstore.store import RecordedEvent
from shared.readmodels.incidents import project
from shared.readmodels.timeline import timeline_entry
from tests.unit.conftest import ALICE, DAVE, ROOT, declare, only_event, refuse

CADENCE = parse_cadence(DEFAULT_UPDATE_CADENCE)


def test_a_link_is_recorded_both_ways_and_listed_in_the_state() -> None:
    this, other = declare(number=3), declare(number=7)
    this.collect_events()
    other.collect_events()

    this.link(
        ALICE, other_id=other.id, other_reference="INC-7", relation="caused_by", direction="to"
    )
    other.link(
        ALICE, other_id=this.id, other_reference="INC-3", relation="caused_by", direction="from"
    )

    to, back = only_event(this), only_event(other)
    assert event_name(to) == event_name(back) == "IncidentLinked"
    assert event_actor(to) == event_actor(back) == "alice"
    assert event_data(to) == {
        "other_id": other.id,
        "other_reference": "INC-7",
        "relation": "caused_by",
        "direction": "to",
        "break_glass": False,
    }
    assert this.links == [
        {
            "other_id": str(other.id),
            "other_reference": "INC-7",
            "relation": "caused_by",
            "direction": "to",
        }
    ]
    assert other.links == [
        {
            "other_id": str(this.id),
            "other_reference": "INC-3",
            "relation": "caused_by",
            "direction": "from",
        }
    ]


def test_the_from_side_needs_no_authority_and_a_closed_incident_may_be_linked(
    closed: Incident,
) -> None:
    closed.link(
        DAVE, other_id=uuid4(), other_reference="INC-9", relation="related", direction="from"
    )

    event = only_event(closed)
    assert (event.direction, event.actor, event.break_glass) == ("from", "dave", False)


def test_only_the_acting_ic_links_and_an_admin_breaks_glass(incident: Incident) -> None:
    other = uuid4()
    refuse(
        incident,
        NotAuthorizedError,
        lambda: incident.link(
            DAVE, other_id=other, other_reference="INC-9", relation="related", direction="to"
        ),
    )

    incident.link(ROOT, other_id=other, other_reference="INC-9", relation="related", direction="to")

    assert only_event(incident).break_glass is True


def test_an_incident_cannot_be_linked_to_itself(incident: Incident) -> None:
    error = refuse(
        incident,
        InvalidFieldError,
        lambda: incident.link(
            ALICE,
            other_id=incident.id,
            other_reference=incident.reference,
            relation="related",
            direction="to",
        ),
    )
    assert error.field == "incident"


@pytest.mark.parametrize(
    ("field", "relation", "direction"),
    [("relation", "blames", "to"), ("direction", "related", "up")],
)
def test_an_unknown_relation_or_direction_is_refused(
    incident: Incident, field: str, relation: str, direction: str
) -> None:
    error = refuse(
        incident,
        InvalidFieldError,
        lambda: incident.link(
            ALICE, other_id=uuid4(), other_reference="INC-9", relation=relation, direction=direction
        ),
    )
    assert error.field == field


def test_the_same_link_twice_is_no_change_but_another_relation_is_new(incident: Incident) -> None:
    other = uuid4()
    incident.link(
        ALICE, other_id=other, other_reference="INC-9", relation="related", direction="to"
    )
    incident.collect_events()

    refuse(
        incident,
        NoChangeError,
        lambda: incident.link(
            ALICE, other_id=other, other_reference="INC-9", relation="related", direction="to"
        ),
    )
    incident.link(
        ALICE, other_id=other, other_reference="INC-9", relation="related", direction="from"
    )
    incident.link(
        ALICE, other_id=other, other_reference="INC-9", relation="caused_by", direction="to"
    )

    assert len(incident.collect_events()) == 2
    assert len(incident.links) == 3


def test_the_read_model_and_the_timeline_follow_both_sides() -> None:
    this, other = declare(number=3), declare(number=7)
    this.link(
        ALICE, other_id=other.id, other_reference="INC-7", relation="caused_by", direction="to"
    )
    other.link(
        ALICE, other_id=this.id, other_reference="INC-3", relation="caused_by", direction="from"
    )

    for incident, text in (
        (this, "alice linked this incident: caused by INC-7"),
        (other, "alice linked INC-3: caused by this incident"),
    ):
        row = None
        recorded = [
            RecordedEvent(position=position, event=event)
            for position, event in enumerate(incident.collect_events(), start=1)
        ]
        for event in recorded:
            row = project(row, event, CADENCE)
        assert row is not None
        assert row.links == incident.links
        assert timeline_entry(recorded[-1]).summary == text


def test_the_post_mortem_names_related_incidents_only_when_there_are_some() -> None:
    this = declare(number=3)
    recorded = [RecordedEvent(position=1, event=e) for e in this.collect_events()]
    without = render_postmortem(this, recorded, today=date(2026, 3, 20))
    this.link(
        ALICE, other_id=uuid4(), other_reference="INC-7", relation="caused_by", direction="to"
    )
    this.link(
        ALICE, other_id=uuid4(), other_reference="INC-9", relation="related", direction="from"
    )
    recorded += [
        RecordedEvent(position=n, event=e) for n, e in enumerate(this.collect_events(), start=2)
    ]

    document = render_postmortem(this, recorded, today=date(2026, 3, 20))

    assert "Related incidents" not in without
    line = "- **Related incidents:** caused by INC-7; INC-9 related to this incident\n"
    assert line in document
