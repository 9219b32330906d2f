"""A false alarm and a duplicate: resolutions that say the incident was none of its own."""

from __future__ import annotations

from uuid import uuid4

import pytest

from shared.domain.cadence import DEFAULT_UPDATE_CADENCE, parse_cadence
from shared.domain.errors import InvalidFieldError
from shared.domain.events import event_data, event_name
from shared.domain.incident import Incident
from shared.eventstore.store import RecordedEvent
from shared.readmodels.incidents import IncidentRow, project
from tests.unit.conftest import ALICE, declare, only_event, refuse

CADENCE = parse_cadence(DEFAULT_UPDATE_CADENCE)


def _row(incident: Incident) -> IncidentRow:
    row = None
    for position, event in enumerate(incident.collect_events(), start=1):
        row = project(row, RecordedEvent(position=position, event=event), CADENCE)
    assert row is not None
    return row


def test_a_duplicate_records_the_id_and_reference_of_the_incident_it_duplicates() -> None:
    incident = declare(severity="P1")
    incident.collect_events()
    other = uuid4()
    incident.resolve(
        ALICE,
        resolution="duplicate",
        summary="Same outage as INC-7",
        duplicate_of=other,
        duplicate_of_reference="INC-7",
    )
    event = only_event(incident)
    assert event_name(event) == "Resolved"
    assert event_data(event) == {
        "resolution": "duplicate",
        "summary": "Same outage as INC-7",
        "break_glass": False,
        "duplicate_of": other,
        "duplicate_of_reference": "INC-7",
    }
    assert (incident.resolution, incident.status) == ("duplicate", "resolved")


def test_a_duplicate_needs_the_incident_it_duplicates() -> None:
    incident = declare()
    error = refuse(
        incident,
        InvalidFieldError,
        lambda: incident.resolve(ALICE, resolution="duplicate", summary="seen before"),
    )
    assert error.field == "duplicate_of"


def test_an_incident_is_no_duplicate_of_itself() -> None:
    incident = declare()
    error = refuse(
        incident,
        InvalidFieldError,
        lambda: incident.resolve(
            ALICE,
            resolution="duplicate",
            summary="seen before",
            duplicate_of=incident.id,
            duplicate_of_reference=incident.reference,
        ),
    )
    assert error.field == "duplicate_of"


@pytest.mark.parametrize("resolution", ["restored", "false_alarm"])
def test_only_a_duplicate_names_another_incident(resolution: str) -> None:
    incident = declare()
    error = refuse(
        incident,
        InvalidFieldError,
        lambda: incident.resolve(
            ALICE,
            resolution=resolution,
            summary="done",
            duplicate_of=uuid4(),
            duplicate_of_reference="INC-7",
        ),
    )
    assert error.field == "duplicate_of"


@pytest.mark.parametrize("resolution", ["false_alarm", "duplicate"])
def test_a_p1_false_alarm_or_duplicate_needs_no_review_until_reopened(resolution: str) -> None:
    incident = declare(severity="P1")
    assert (incident.postmortem_required, incident.review_pending) == (True, True)
    named = resolution == "duplicate"
    incident.resolve(
        ALICE,
        resolution=resolution,
        summary="not an incident of its own",
        duplicate_of=uuid4() if named else None,
        duplicate_of_reference="INC-7" if named else None,
    )
    row = _row(incident)
    assert (incident.postmortem_required, incident.review_pending) == (False, False)
    assert (row.postmortem_required, row.review_pending) == (False, False)
    assert row.resolution == resolution

    incident.reopen(ALICE, reason="it was real after all")
    assert (incident.postmortem_required, incident.review_pending) == (True, True)
