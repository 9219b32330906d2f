"""The webhook message: a CloudEvents 1.0 event per stored event, signed per Standard Webhooks.

Receivers parse it with the `cloudevents` SDK and verify it with `standardwebhooks`, so these
tests do exactly that.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cloudevents.core.base import BaseCloudEvent
from cloudevents.core.bindings.http import HTTPMessage, from_structured_event
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from shared.domain.events import event_actor, event_data, event_name
from shared.eventstore.store import RecordedEvent
from shared.webhooks.facts import IncidentFacts, facts_after
from shared.webhooks.message import (
    CONTENT_TYPE,
    build_body,
    cloudevent_type,
    message_id,
    short_type,
    sign,
)
from shared.webhooks.subscriptions import new_secret
from tests.unit.conftest import ALICE, DAVE, declare
from tests.unit.webhooks.conftest import every_event_name, recorded, story

# Every event type, its pattern name and its CloudEvents type: a contract with subscribers.
TYPES = {
    "Declared": "incident.declared",
    "RoleAssigned": "incident.role_assigned",
    "SeverityChanged": "incident.severity_changed",
    "ImpactAssessed": "incident.impact_assessed",
    "TicketLinked": "incident.ticket_linked",
    "UpdatePosted": "incident.update_posted",
    "CustomerUpdateOverdue": "incident.customer_update_overdue",
    "Escalated": "incident.escalated",
    "Resolved": "incident.resolved",
    "Closed": "incident.closed",
    "Reopened": "incident.reopened",
    "PostmortemStarted": "incident.postmortem_started",
    "RootCauseRecorded": "incident.root_cause_recorded",
    "ContributingFactorAdded": "incident.contributing_factor_added",
    "RecommendationAdded": "incident.recommendation_added",
    "FollowUpAdded": "incident.follow_up_added",
    "FollowUpCompleted": "incident.follow_up_completed",
    "FollowUpReassigned": "incident.follow_up_reassigned",
    "FollowUpDueDateChanged": "incident.follow_up_due_date_changed",
    "PostmortemPublished": "incident.postmortem_published",
    "DetailsEdited": "incident.details_edited",
    "RoleUnassigned": "incident.role_unassigned",
    "ImpactWindowSet": "incident.impact_window_set",
    "TimelineEntryAdded": "incident.timeline_entry_added",
    "IncidentLinked": "incident.incident_linked",
    "ContributingFactorEdited": "incident.contributing_factor_edited",
    "ContributingFactorWithdrawn": "incident.contributing_factor_withdrawn",
    "RecommendationEdited": "incident.recommendation_edited",
    "RecommendationWithdrawn": "incident.recommendation_withdrawn",
    "FollowUpCancelled": "incident.follow_up_cancelled",
    "PostmortemAmended": "incident.postmortem_amended",
    "FollowUpOverdue": "incident.follow_up_overdue",
    "AlertAttached": "incident.alert_attached",
    "AlertResolved": "incident.alert_resolved",
    "AlertsAllResolved": "incident.alerts_all_resolved",
    "Paged": "incident.paged",
    "Acknowledged": "incident.acknowledged",
    "PageEscalated": "incident.page_escalated",
    "PagingExhausted": "incident.paging_exhausted",
    "HandoverDue": "incident.handover_due",
}


def test_every_event_type_has_a_name_here() -> None:
    assert set(TYPES) == every_event_name()


@pytest.mark.parametrize(("name", "pattern_name"), TYPES.items())
def test_each_event_type_has_a_pattern_name_and_a_versioned_cloudevents_type(
    name: str, pattern_name: str
) -> None:
    assert short_type(name) == pattern_name
    assert cloudevent_type(name) == f"dev.irm.{pattern_name}.v1"


def with_facts(events: list[RecordedEvent]) -> list[tuple[RecordedEvent, IncidentFacts]]:
    """Each event with the incident's facts after it, as the notifier folds them."""
    folded: list[tuple[RecordedEvent, IncidentFacts]] = []
    facts: IncidentFacts | None = None
    for event in events:
        facts = facts_after(facts, event)
        folded.append((event, facts))
    return folded


def parse(body: bytes) -> BaseCloudEvent:
    """What a receiver's CloudEvents SDK makes of a structured-mode request."""
    return from_structured_event(HTTPMessage(headers={"content-type": CONTENT_TYPE}, body=body))


def test_the_message_id_is_the_same_for_the_same_stored_event() -> None:
    event = recorded(story())[3]
    elsewhere_in_the_log = RecordedEvent(position=event.position + 1000, event=event.event)

    assert message_id(event) == message_id(elsewhere_in_the_log)
    assert re.fullmatch(r"msg_[0-9a-f]{32}", message_id(event))


def test_the_message_id_differs_for_every_other_event() -> None:
    ids = [message_id(e) for e in recorded(story()) + recorded(story())]

    assert len(set(ids)) == len(ids)


def test_every_event_becomes_a_cloudevent_the_sdk_parses() -> None:
    events = recorded(story(), first_position=101)

    for event, facts in with_facts(events):
        name = event_name(event.event)
        parsed = parse(build_body(event, facts))

        assert parsed.get_specversion() == "1.0"
        assert parsed.get_id() == message_id(event)
        assert parsed.get_type() == cloudevent_type(name)
        assert parsed.get_source() == f"/irm/incidents/{event.originator_id}"
        assert parsed.get_subject() == str(event.originator_id)
        assert parsed.get_time() == event.event.timestamp
        assert parsed.get_datacontenttype() == "application/json"
        assert parsed.get_extension("irmposition") == event.position
        assert parsed.get_extension("irmversion") == event.version


def test_the_data_holds_the_event_fields_and_the_incident_after_it() -> None:
    events = recorded(story())

    for event, facts in with_facts(events):
        data = parse(build_body(event, facts)).get_data()

        assert isinstance(data, dict)
        own = {
            k: v.isoformat() if isinstance(v, datetime) else v
            for k, v in event_data(event.event).items()
        }
        assert {k: data[k] for k in own} == own
        assert data["actor"] == event_actor(event.event)
        assert data["incident"] == {
            "id": str(event.originator_id),
            "number": 7,
            "reference": "INC-7",
            "title": "Checkout returns 500s",
            "severity": facts.severity,
            "status": facts.status,
        }


def test_the_incident_in_the_data_follows_the_story() -> None:
    events = recorded(story())

    seen = [
        (event_name(e.event), json.loads(build_body(e, f))["data"]["incident"])
        for e, f in with_facts(events)
    ]

    states = [(name, i["severity"], i["status"]) for name, i in seen]
    assert states[0] == ("Declared", "P2", "open")
    assert ("SeverityChanged", "P1", "open") in states
    assert [s for s in states if s[0] in {"Resolved", "Reopened", "Closed"}] == [
        ("Resolved", "P1", "resolved"),
        ("Reopened", "P1", "open"),
        ("Resolved", "P1", "resolved"),
        ("Closed", "P1", "closed"),
    ]
    assert states[-1] == ("PostmortemPublished", "P1", "closed")


def test_a_reminder_carries_when_the_update_was_due() -> None:
    events = recorded(story())
    reminders = [
        (e, f) for e, f in with_facts(events) if event_name(e.event) == "CustomerUpdateOverdue"
    ]

    data = [json.loads(build_body(e, f))["data"] for e, f in reminders]

    assert [d["missed_intervals"] for d in data] == [1, 2, 1]
    assert [d["severity"] for d in data] == ["P2", "P2", "P1"]
    assert all(
        datetime.fromisoformat(d["due_at"]) > datetime.fromisoformat(d["last_customer_contact_at"])
        for d in data
    )
    assert {d["actor"] for d in data} == {"system"}


def test_the_same_event_always_makes_the_same_bytes() -> None:
    events = with_facts(recorded(story()))

    assert [build_body(e, f) for e, f in events] == [build_body(e, f) for e, f in events]


def headers_for(msg_id: str, body: bytes, secrets: list[str]) -> dict[str, str]:
    """The headers the notifier sends with a message signed now."""
    now = datetime.now(tz=UTC)
    return {
        "content-type": CONTENT_TYPE,
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": sign(msg_id, now, body, secrets),
    }


@pytest.fixture
def message() -> tuple[str, bytes]:
    """The id and body of a Declared message."""
    event, facts = with_facts(recorded(story()))[0]
    return message_id(event), build_body(event, facts)


def test_a_signed_message_verifies_with_the_standardwebhooks_package(
    message: tuple[str, bytes],
) -> None:
    msg_id, body = message
    secret = new_secret()

    verified: Any = Webhook(secret).verify(body, headers_for(msg_id, body, [secret]))

    assert verified == json.loads(body)


def test_during_rotation_every_current_secret_verifies(message: tuple[str, bytes]) -> None:
    msg_id, body = message
    secrets = [new_secret(), new_secret(), new_secret()]

    headers = headers_for(msg_id, body, secrets)

    assert len(headers["webhook-signature"].split(" ")) == 3
    for secret in secrets:
        assert Webhook(secret).verify(body, headers) == json.loads(body)


def test_another_secret_or_a_changed_body_does_not_verify(message: tuple[str, bytes]) -> None:
    msg_id, body = message
    secret = new_secret()
    headers = headers_for(msg_id, body, [secret])

    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(body, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body.replace(b'"P2"', b'"P4"'), headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body, {**headers, "webhook-id": "msg_other"})


def test_the_signature_is_hmac_sha256_of_id_timestamp_and_body(
    message: tuple[str, bytes],
) -> None:
    msg_id, body = message
    secret = new_secret()
    headers = headers_for(msg_id, body, [secret])

    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{msg_id}.{headers['webhook-timestamp']}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()

    assert headers["webhook-signature"] == f"v1,{expected}"


def test_docs_list_every_event_type_with_its_names() -> None:
    docs = (Path(__file__).parents[3] / "docs" / "webhooks.md").read_text()

    for name, pattern_name in TYPES.items():
        row = f"| `{name}` | `{cloudevent_type(name)}` | `{pattern_name}` |"
        assert row in docs, name


def test_events_holding_ids_and_moments_become_cloudevents_too() -> None:
    # The newer events carry other incidents' ids (UUID) and moments of their own, which the
    # CloudEvents JSON format cannot encode as they are.
    other = uuid.UUID("5f0c7b6e-2a43-4c1e-9d7a-0b8e2f6a1c33")
    incident = declare()
    incident.edit_details(ALICE, changes={"title": "Card payments fail"})
    incident.set_impact_window(ALICE, started_at=datetime(2026, 1, 1, tzinfo=UTC))
    incident.add_timeline_entry(
        DAVE, occurred_at=datetime(2026, 1, 1, 0, 5, tzinfo=UTC), text="support called"
    )
    incident.link(
        ALICE, other_id=other, other_reference="INC-12", relation="related", direction="to"
    )
    incident.resolve(
        ALICE,
        resolution="duplicate",
        summary="same as INC-12",
        duplicate_of=other,
        duplicate_of_reference="INC-12",
    )

    datas: list[Any] = [
        parse(build_body(e, f)).get_data() for e, f in with_facts(recorded(incident))
    ]

    assert datas[4]["other_id"] == str(other)
    assert datas[5]["duplicate_of"] == str(other)
    assert datas[2]["started_at"] == "2026-01-01T00:00:00+00:00"
    assert datas[1]["incident"]["title"] == "Card payments fail"
