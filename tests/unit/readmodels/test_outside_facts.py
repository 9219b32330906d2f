"""Facts that happened outside the tool, as the followers show them: the impact window on the
incident row and in the metrics, and timeline entries placed at the moment they tell of."""

from __future__ import annotations

import dataclasses
from datetime import date

from services.incident_api.incident_metrics import DurationStats, compute_metrics
from services.incident_api.markdown import timeline_markdown
from services.incident_api.postmortem import render_postmortem
from shared.domain.incident import Incident
from shared.readmodels.incidents import IncidentRow
from shared.readmodels.timeline import TimelineEntry, in_time_order, timeline_entry
from shared.webhooks.facts import facts_after
from tests.unit.conftest import ALICE, DAVE, declare
from tests.unit.readmodels.conftest import Log, at
from tests.unit.readmodels.test_metrics import row


def a_backdated_story() -> tuple[Log, Incident]:
    """INC-7 declared at 03:00 with impact from 02:30, noticed 02:50; updates at 03:10 and
    03:20; at 03:30 dave adds that a customer called support at 03:05, and at 03:40 that the
    first alert fired at 02:45."""
    log = Log()
    incident = declare(started_at=at(-30), detected_at=at(-10))
    log.record(incident, at(0))
    incident.post_update(ALICE, audience="internal", body="looking at the deploy")
    log.record(incident, at(10))
    incident.post_update(ALICE, audience="internal", body="rolling back")
    log.record(incident, at(20))
    incident.add_timeline_entry(DAVE, occurred_at=at(5), text="customer called support")
    log.record(incident, at(30))
    incident.add_timeline_entry(DAVE, occurred_at=at(-15), text="first alert fired")
    log.record(incident, at(40))
    return log, incident


def test_a_backdated_entry_is_placed_at_its_moment_and_marked_added_later() -> None:
    log, _ = a_backdated_story()
    entries = in_time_order(timeline_entry(r) for r in log.events)

    assert [(e.occurred_at, e.type) for e in entries] == [
        (at(-15), "TimelineEntryAdded"),
        (at(0), "Declared"),
        (at(5), "TimelineEntryAdded"),
        (at(10), "UpdatePosted"),
        (at(20), "UpdatePosted"),
    ]
    called = entries[2]
    assert called.added_later
    assert (called.added_at, called.actor) == (at(30), "dave")
    assert called.version == 4  # the log keeps it where it was recorded
    assert called.summary == (
        "customer called support (added later by dave, 2026-03-02 03:30:00 UTC)"
    )
    assert called.data == {"occurred_at": at(5), "text": "customer called support"}
    assert [e.added_later for e in entries] == [True, False, True, False, False]


def test_entries_recorded_in_the_tool_keep_their_order_even_if_the_clock_stepped_back() -> None:
    def entry(version: int, minute: float, *, added: float | None = None) -> TimelineEntry:
        return TimelineEntry(
            incident_id=declare().id,
            version=version,
            position=100 + version,
            occurred_at=at(minute),
            actor="alice",
            type="X",
            summary="",
            data={},
            added_at=None if added is None else at(added),
        )

    stepped_back = [entry(1, 0), entry(2, 10), entry(3, 9), entry(4, 20, added=30)]

    ordered = in_time_order(stepped_back)

    assert [e.version for e in ordered] == [1, 2, 3, 4]
    # At the same moment as an event, an entry added later comes after it.
    assert [e.version for e in in_time_order([entry(1, 0), entry(2, 0, added=5)])] == [1, 2]


def test_the_markdown_timeline_reads_in_the_order_things_happened() -> None:
    log, incident = a_backdated_story()
    entries = in_time_order(timeline_entry(r) for r in log.events)
    row_ = log.rows()[incident.id]

    table = timeline_markdown(row_, entries).splitlines()[-5:]

    assert table[0] == (
        "| 2026-03-02 02:45:00 | dave | first alert fired "
        "(added later by dave, 2026-03-02 03:40:00 UTC) |"
    )
    assert table[2].startswith("| 2026-03-02 03:05:00 | dave | customer called support")


def test_the_post_mortem_tells_the_impact_window_and_the_timeline_in_time_order() -> None:
    log, _ = a_backdated_story()
    replayed: Incident | None = None
    for recorded in log.events:
        replayed = recorded.event.mutate(replayed)
    assert replayed is not None

    document = render_postmortem(replayed, log.events, today=date(2026, 3, 20))

    assert "| Impact started | 2026-03-02 02:30:00 |  |\n| Detected | 2026-03-02 02:50:00 |" in (
        document
    )
    assert "| Time to detect | impact started → detected | 20m 00s |" in document
    assert "| Time to declare | detected → declared | 10m 00s |" in document
    timeline = document.split("## Incident timeline\n\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert [line[2:21] for line in timeline[2:]] == [
        "2026-03-02 02:45:00",
        "2026-03-02 03:00:00",
        "2026-03-02 03:05:00",
        "2026-03-02 03:10:00",
        "2026-03-02 03:20:00",
    ]


def test_the_incident_row_keeps_the_declared_window_and_its_corrections() -> None:
    log, incident = a_backdated_story()
    assert (log.rows()[incident.id].started_at, log.rows()[incident.id].detected_at) == (
        at(-30),
        at(-10),
    )

    incident.set_impact_window(ALICE, started_at=at(-45))
    log.record(incident, at(50))

    folded = log.rows()[incident.id]
    assert (folded.started_at, folded.detected_at) == (at(-45), at(-10))
    assert folded.updated_at == at(50)


def test_the_new_events_change_no_webhook_fact() -> None:
    log, incident = a_backdated_story()
    incident.set_impact_window(ALICE, started_at=at(-45))
    log.record(incident, at(50))

    facts = None
    seen = []
    for recorded in log.events:
        facts = facts_after(facts, recorded)
        seen.append((facts.title, facts.severity, facts.status))
    assert set(seen) == {("Checkout returns 500s", "P2", "open")}


def windowed(number: int, started: float | None, detected: float | None) -> IncidentRow:
    """An incident declared at T0 whose impact began and was noticed at these minutes."""
    return dataclasses.replace(
        row(number),
        started_at=None if started is None else at(started),
        detected_at=None if detected is None else at(detected),
    )


def test_time_to_detect_and_to_declare_worked_out_by_hand() -> None:
    rows = [
        windowed(1, -30, -20),  # detect 600 s, declare 1200 s
        windowed(2, -90, -30),  # detect 3600 s, declare 1800 s
        windowed(3, None, -5),  # declare 300 s; the start unknown, so no time to detect
        windowed(4, -10, None),  # neither: when it was noticed is unknown
        windowed(5, None, None),  # neither
    ]

    metrics = compute_metrics(rows, now=at(60))

    # Detect: 600, 3600 -> mean and median 2100, p90 rank ceil(1.8) = 2.
    assert metrics.time_to_detect == DurationStats(count=2, mean=2100.0, median=2100.0, p90=3600.0)
    # Declare: 300, 1200, 1800 -> mean 1100, median 1200, p90 rank ceil(2.7) = 3.
    assert metrics.time_to_declare == DurationStats(count=3, mean=1100.0, median=1200.0, p90=1800.0)
