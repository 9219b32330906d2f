"""The Markdown timeline: a post-mortem author pastes it as is."""

from __future__ import annotations

import dataclasses
from datetime import timedelta, timezone

from services.incident_api.markdown import timeline_markdown
from shared.readmodels.timeline import timeline_entry
from tests.unit.conftest import ALICE, BOB, declare
from tests.unit.readmodels.conftest import Log, at


def test_a_story_becomes_a_heading_key_facts_and_one_row_per_event() -> None:
    log = Log()
    incident = declare(number=42, title="Checkout returns 500s")
    log.record(incident, at(0))
    incident.assign_role(ALICE, role="incident_commander", assignee="bob", note="on shift")
    log.record(incident, at(4))
    incident.resolve(BOB, resolution="restored", summary="Rolled back")
    log.record(incident, at(50, seconds=30))
    incident.close(BOB)
    log.record(incident, at(75))

    markdown = timeline_markdown(log.row(incident), [timeline_entry(e) for e in log.events])

    assert markdown == (
        "## Timeline of INC-42: Checkout returns 500s\n"
        "\n"
        "- Severity: P2; status: closed\n"
        "- Declared: 2026-03-02 03:00:00 by alice\n"
        "- Resolved: 2026-03-02 03:50:30 (restored)\n"
        "- Closed: 2026-03-02 04:15:00\n"
        "\n"
        "| Time (UTC) | Who | What |\n"
        "|---|---|---|\n"
        "| 2026-03-02 03:00:00 | alice | alice declared INC-42 P2: Checkout returns 500s |\n"
        "| 2026-03-02 03:04:00 | alice | alice assigned incident_commander to bob: on shift |\n"
        "| 2026-03-02 03:50:30 | bob | bob resolved (restored): Rolled back |\n"
        "| 2026-03-02 04:15:00 | bob | bob confirmed the resolution and closed the incident |\n"
    )


def test_an_open_unclassified_incident_says_so_and_lists_no_resolution() -> None:
    log = Log()
    incident = declare(severity=None)
    log.record(incident, at(0))

    markdown = timeline_markdown(log.row(incident), [timeline_entry(e) for e in log.events])

    assert "- Severity: unclassified; status: open\n" in markdown
    assert "Resolved:" not in markdown
    assert "Closed:" not in markdown


def test_pipes_and_newlines_cannot_break_the_table() -> None:
    log = Log()
    incident = declare(title="Disk | full\non db-1")
    log.record(incident, at(0))
    incident.post_update(ALICE, audience="internal", body="grep 'a|b' logs")
    log.record(incident, at(1))
    entries = [timeline_entry(e) for e in log.events]
    # Summaries are one line already; a stored row with a newline must not break the table.
    entries[1] = dataclasses.replace(entries[1], summary="first\r\nsecond | third")

    lines = timeline_markdown(log.row(incident), entries).splitlines()

    assert lines[0] == "## Timeline of INC-7: Disk \\| full on db-1"
    assert lines[-2] == (
        "| 2026-03-02 03:00:00 | alice | alice declared INC-7 P2: Disk \\| full… |"
    )
    assert lines[-1] == "| 2026-03-02 03:01:00 | alice | first  second \\| third |"
    # Every table row has exactly four unescaped pipes: three cells.
    for line in lines[lines.index("|---|---|---|") + 1 :]:
        assert line.replace("\\|", "").count("|") == 4


def test_times_are_shown_in_utc_whatever_zone_they_were_stored_in() -> None:
    log = Log()
    incident = declare()
    log.record(incident, at(0).astimezone(timezone(timedelta(hours=-5))))

    markdown = timeline_markdown(log.row(incident), [timeline_entry(e) for e in log.events])

    assert "- Declared: 2026-03-02 03:00:00 by alice" in markdown
    assert "| 2026-03-02 03:00:00 | alice |" in markdown
