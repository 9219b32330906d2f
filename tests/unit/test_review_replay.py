"""The review's stored events and snapshots: stable topics and a faithful round trip."""

from __future__ import annotations

import json
from datetime import datetime

from shared.domain.events import event_name
from shared.domain.incident import Incident
from shared.domain.review import FollowUp, Review
from shared.domain.values import Actor
from shared.eventstore.mapper import build_mapper
from tests.unit.conftest import decode_event, names, restore_snapshot
from tests.unit.review_story import fully_reviewed

# The stored names are a contract with every database already written: never change these.
REVIEW_TOPICS = {
    "PostmortemStarted": "irm:Incident.PostmortemStarted",
    "RootCauseRecorded": "irm:Incident.RootCauseRecorded",
    "ContributingFactorAdded": "irm:Incident.ContributingFactorAdded",
    "RecommendationAdded": "irm:Incident.RecommendationAdded",
    "FollowUpAdded": "irm:Incident.FollowUpAdded",
    "FollowUpCompleted": "irm:Incident.FollowUpCompleted",
    "FollowUpReassigned": "irm:Incident.FollowUpReassigned",
    "FollowUpDueDateChanged": "irm:Incident.FollowUpDueDateChanged",
    "PostmortemPublished": "irm:Incident.PostmortemPublished",
}


def replay(incident: Incident) -> Incident:
    """The incident rebuilt from its pending events, stored and loaded through the mapper."""
    mapper = build_mapper()
    replayed: Incident | None = None
    for event in incident.collect_events():
        replayed = decode_event(mapper, mapper.to_stored_event(event)).mutate(replayed)
    assert isinstance(replayed, Incident)
    return replayed


def test_every_review_event_is_stored_under_its_explicit_stable_topic() -> None:
    mapper = build_mapper()
    events = [e for e in fully_reviewed().collect_events() if event_name(e) in REVIEW_TOPICS]

    stored = [mapper.to_stored_event(e) for e in events]

    assert [s.topic for s in stored] == [REVIEW_TOPICS[name] for name in names(events)]
    assert {s.topic for s in stored} == set(REVIEW_TOPICS.values())
    assert not any("shared.domain" in s.state.decode() for s in stored)


def test_stored_review_events_come_back_equal() -> None:
    mapper = build_mapper()
    events = fully_reviewed().collect_events()

    restored = [mapper.to_domain_event(mapper.to_stored_event(e)) for e in events]

    assert restored == events


def test_replaying_the_log_rebuilds_the_whole_review() -> None:
    incident = fully_reviewed()

    replayed = replay(incident)

    assert replayed == incident
    review = replayed.review
    assert isinstance(review, Review)
    assert (review.status, review.facilitator, review.root_cause) == (
        "published",
        "dave",
        "A config push halved the connection pool",
    )
    assert [f["category"] for f in review.contributing_factors] == ["change", "detection"]
    canary, alert = review.follow_ups.values()
    assert (canary.done, canary.completed_by, canary.completion_note) == (
        True,
        "erin",
        "canary is live",
    )
    assert (alert.done, alert.owner, alert.due_date) == (False, "frank", "2026-04-15")
    assert not replayed.review_pending


def test_a_snapshot_of_a_reviewed_incident_restores_the_review_faithfully() -> None:
    mapper = build_mapper()
    incident = fully_reviewed()
    incident.collect_events()

    stored = mapper.to_stored_event(Incident.Snapshot.take(incident))
    restored = restore_snapshot(mapper, stored)

    assert stored.topic == "irm:Incident.Snapshot"
    state = json.loads(stored.state)["state"]
    assert state["review"]["_type_"] == "irm_review"
    assert "shared.domain" not in stored.state.decode()
    assert restored == incident
    assert isinstance(restored, Incident)
    assert isinstance(restored.review, Review)
    follow_ups = list(restored.review.follow_ups.values())
    assert all(isinstance(f, FollowUp) for f in follow_ups)
    moments = [restored.review.started_at, restored.review.published_at, follow_ups[0].added_at]
    assert all(isinstance(m, datetime) and m.utcoffset() is not None for m in moments)


def test_review_events_after_a_snapshot_replay_onto_it() -> None:
    mapper = build_mapper()
    incident = fully_reviewed()
    incident.collect_events()
    snapshot = mapper.to_stored_event(Incident.Snapshot.take(incident))
    alert = list(incident.review.follow_ups)[1]
    incident.complete_follow_up(Actor("frank"), follow_up_id=alert, note="alert added")
    later = [mapper.to_stored_event(e) for e in incident.collect_events()]

    replayed: Incident | None = restore_snapshot(mapper, snapshot)
    for s in later:
        replayed = decode_event(mapper, s).mutate(replayed)

    assert replayed == incident
    assert isinstance(replayed, Incident)
    assert all(f.done for f in replayed.review.follow_ups.values())
