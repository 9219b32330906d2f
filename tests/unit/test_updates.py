"""Updates to the team and to customers, and the tickets the incident is linked to."""

from __future__ import annotations

import pytest

from shared.domain.errors import InvalidFieldError, NoChangeError
from shared.domain.events import event_actor, event_data, event_name
from shared.domain.incident import Incident
from tests.unit.conftest import ALICE, DAVE, only_event, refuse


@pytest.mark.parametrize("audience", ["internal", "customer"])
def test_an_update_records_its_audience_and_body(incident: Incident, audience: str) -> None:
    incident.post_update(ALICE, audience=audience, body="  Rolling back the 14:05 deploy  ")

    event = only_event(incident)
    assert event_name(event) == "UpdatePosted"
    assert event_actor(event) == "alice"
    assert event_data(event) == {
        "audience": audience,
        "body": "Rolling back the 14:05 deploy",
        "break_glass": False,
    }


def test_an_update_body_may_be_10000_characters(incident: Incident) -> None:
    incident.post_update(DAVE, audience="internal", body="x" * 10_000)

    assert only_event(incident).body == "x" * 10_000


@pytest.mark.parametrize("body", ["", " \n ", "x" * 10_001], ids=["empty", "blank", "too long"])
def test_an_empty_or_overlong_body_is_refused(incident: Incident, body: str) -> None:
    error = refuse(
        incident,
        InvalidFieldError,
        lambda: incident.post_update(DAVE, audience="internal", body=body),
    )
    assert error.field == "body"


@pytest.mark.parametrize("audience", ["public", "Customer", ""])
def test_an_unknown_audience_is_refused(incident: Incident, audience: str) -> None:
    error = refuse(
        incident,
        InvalidFieldError,
        lambda: incident.post_update(ALICE, audience=audience, body="hello"),
    )
    assert error.field == "audience"


def test_linking_a_ticket_records_and_lists_it(incident: Incident) -> None:
    incident.link_ticket(DAVE, system="jira", key="OPS-1234", url="https://jira.example/OPS-1234")

    event = only_event(incident)
    assert event_name(event) == "TicketLinked"
    assert event_actor(event) == "dave"
    assert event_data(event) == {
        "system": "jira",
        "key": "OPS-1234",
        "url": "https://jira.example/OPS-1234",
    }
    assert incident.tickets == [
        {"system": "jira", "key": "OPS-1234", "url": "https://jira.example/OPS-1234"}
    ]


def test_a_ticket_url_is_optional(incident: Incident) -> None:
    incident.link_ticket(DAVE, system="zendesk", key="88231", url=" ")

    assert only_event(incident).url is None
    assert incident.tickets == [{"system": "zendesk", "key": "88231", "url": None}]


def test_the_same_ticket_twice_is_refused(incident: Incident) -> None:
    incident.link_ticket(DAVE, system="jira", key="OPS-1", url=None)

    refuse(
        incident,
        NoChangeError,
        lambda: incident.link_ticket(ALICE, system="jira", key="OPS-1", url="https://other"),
    )


def test_the_same_key_in_another_system_is_another_ticket(incident: Incident) -> None:
    incident.link_ticket(DAVE, system="jira", key="1", url=None)
    incident.link_ticket(DAVE, system="zendesk", key="1", url=None)

    assert [(t["system"], t["key"]) for t in incident.tickets] == [("jira", "1"), ("zendesk", "1")]


@pytest.mark.parametrize(
    ("system", "key", "field"), [("", "OPS-1", "system"), ("jira", " ", "key")]
)
def test_a_ticket_needs_a_system_and_a_key(
    incident: Incident, system: str, key: str, field: str
) -> None:
    error = refuse(
        incident,
        InvalidFieldError,
        lambda: incident.link_ticket(DAVE, system=system, key=key, url=None),
    )
    assert error.field == field
