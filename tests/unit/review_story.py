"""Incidents under review, for the unit tests of the post-incident review: no database, no I/O.

The cast of tests/unit/conftest.py, plus erin, who owns follow-ups and holds no other role.
"""

from __future__ import annotations

from collections.abc import Callable

from shared.domain.incident import Incident
from shared.domain.values import Actor
from tests.unit.conftest import ALICE, BOB, DAVE, whole_story

ERIN = Actor("erin")  # owns follow-ups; no role on the incident

ReviewCommand = Callable[[Incident, Actor], object]

# Every command that writes to a started review and needs nothing else to be in place first.
REVIEW_EDITS: dict[str, ReviewCommand] = {
    "record_root_cause": lambda i, a: i.record_root_cause(a, text="the pool was exhausted"),
    "add_contributing_factor": lambda i, a: i.add_contributing_factor(
        a, text="config pushes skip the canary", category="change"
    ),
    "add_recommendation": lambda i, a: i.add_recommendation(a, text="canary config pushes"),
    "add_follow_up": lambda i, a: i.add_follow_up(
        a, title="Add a config canary", owner="erin", due_date="2026-04-01", ticket=None
    ),
}


def start_review(incident: Incident, *, by: Actor = ALICE, facilitator: str = "carol") -> Incident:
    """Start the incident's review (carol facilitates) and collect the events so far."""
    incident.start_postmortem(by, facilitator=facilitator)
    incident.collect_events()
    return incident


def add_follow_up(
    incident: Incident, *, owner: str = "erin", due_date: str = "2026-04-01", by: Actor = ALICE
) -> str:
    """Add a follow-up to a started review, collect its event and return its id."""
    follow_up_id = incident.add_follow_up(
        by, title=f"Follow-up for {owner}", owner=owner, due_date=due_date, ticket=None
    )
    incident.collect_events()
    return follow_up_id


def fully_reviewed() -> Incident:
    """The whole story (closed, bob IC) with a published review that recorded every review
    event type once or more; every event is still pending."""
    incident = whole_story()
    incident.start_postmortem(BOB, facilitator="dave")
    incident.record_root_cause(DAVE, text="A config push disabled the connection pool")
    incident.record_root_cause(DAVE, text="A config push halved the connection pool")
    incident.add_contributing_factor(DAVE, text="Config pushes skip the canary", category="change")
    incident.add_contributing_factor(BOB, text="Pool alerts fire at 100%", category="detection")
    incident.add_recommendation(DAVE, text="Canary every config push")
    canary = incident.add_follow_up(
        DAVE, title="Add a config canary", owner="erin", due_date="2026-04-01", ticket="OPS-2001"
    )
    alert = incident.add_follow_up(
        DAVE, title="Alert at 80% pool use", owner="bob", due_date="2026-03-20", ticket=None
    )
    incident.complete_follow_up(ERIN, follow_up_id=canary, note="canary is live")
    incident.reassign_follow_up(BOB, follow_up_id=alert, owner="frank")
    incident.change_follow_up_due_date(
        DAVE, follow_up_id=alert, due_date="2026-04-15", reason="waits for the metrics pipeline"
    )
    incident.publish_postmortem(BOB, no_follow_up_reason=None)
    return incident
