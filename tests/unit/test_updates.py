"""Updates to the team and to customers, and the tickets the incident is linked to."""

from __future__ import annotations

import pytest

from shared.domain.cadence import DEFAULT_UPDATE_CADENCE, parse_cadence
from shared.domain.errors import (
    IllegalTransitionError,
    InvalidFieldError,
    NoChangeError,
    NotAuthorizedError,
)
from shared.domain.events import event_actor, event_data, event_name
from shared.domain.incident import Incident
from shared.domain.rules import next_reminder_due
from tests.unit.conftest import ALICE, CAROL, DAVE, ROOT, only_event, refuse


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
        "kind": "regular",
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


# --- final notices and updates after the resolution ----------------------------------------


@pytest.mark.parametrize("fixture", ["resolved", "closed"])
def test_the_ic_posts_a_final_customer_notice_after_resolve_and_after_close(
    request: pytest.FixtureRequest, fixture: str
) -> None:
    incident: Incident = request.getfixturevalue(fixture)

    incident.post_update(ALICE, audience="customer", body="RCA published", kind="final")

    event = only_event(incident)
    assert event_data(event) == {
        "audience": "customer",
        "body": "RCA published",
        "break_glass": False,
        "kind": "final",
    }
    assert incident.status == fixture


def test_the_communications_lead_posts_a_final_notice_on_a_closed_incident(
    incident: Incident,
) -> None:
    incident.assign_role(ALICE, role="communications_lead", assignee="carol", note=None)
    incident.resolve(ALICE, resolution="restored", summary="rolled back")
    incident.close(ALICE)
    incident.collect_events()

    incident.post_update(CAROL, audience="customer", body="RCA published", kind="final")

    assert only_event(incident).actor == "carol"


def test_a_final_notice_from_someone_without_the_role_is_refused(closed: Incident) -> None:
    refuse(
        closed,
        NotAuthorizedError,
        lambda: closed.post_update(DAVE, audience="customer", body="RCA", kind="final"),
    )


def test_an_admin_posting_a_final_notice_breaks_glass(closed: Incident) -> None:
    closed.post_update(ROOT, audience="customer", body="RCA published", kind="final")

    assert only_event(closed).break_glass is True


def test_a_regular_customer_update_on_a_closed_incident_is_still_refused(closed: Incident) -> None:
    error = refuse(
        closed,
        IllegalTransitionError,
        lambda: closed.post_update(ALICE, audience="customer", body="still fine"),
    )
    assert error.rule == "incident-closed"


def test_anyone_may_post_an_internal_update_after_close(closed: Incident) -> None:
    closed.post_update(DAVE, audience="internal", body="Dashboards archived")

    event = only_event(closed)
    assert (event.audience, event.kind, event.actor) == ("internal", "regular", "dave")


def test_a_final_notice_while_the_incident_is_open_is_refused(incident: Incident) -> None:
    error = refuse(
        incident,
        IllegalTransitionError,
        lambda: incident.post_update(ALICE, audience="customer", body="done", kind="final"),
    )
    assert error.rule == "incident-not-resolved"


@pytest.mark.parametrize(
    ("audience", "kind"), [("internal", "final"), ("customer", "last")], ids=["internal", "unknown"]
)
def test_a_final_internal_update_or_an_unknown_kind_is_refused(
    resolved: Incident, audience: str, kind: str
) -> None:
    error = refuse(
        resolved,
        InvalidFieldError,
        lambda: resolved.post_update(ALICE, audience=audience, body="x", kind=kind),
    )
    assert error.field == "kind"


def test_no_cadence_runs_after_a_final_notice(resolved: Incident) -> None:
    resolved.post_update(ALICE, audience="customer", body="RCA published", kind="final")
    resolved.collect_events()

    assert next_reminder_due(resolved, parse_cadence(DEFAULT_UPDATE_CADENCE)) is None
