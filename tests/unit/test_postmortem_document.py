"""The post-mortem document and its figures, reconstructed from events stamped at chosen times,
so every line can be checked against what happened."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import pytest

from services.incident_api.postmortem import ReviewFigures, render_postmortem, review_figures
from shared.domain.incident import Incident
from shared.domain.values import Actor
from shared.eventstore.store import RecordedEvent
from tests.postmortem_sections import SECTIONS, sections
from tests.unit.conftest import ALICE, BOB, CAROL, DAVE, declare
from tests.unit.readmodels.conftest import Log, at
from tests.unit.review_story import ERIN

DAY = 24 * 60  # minutes
TODAY = date(2026, 3, 20)


@dataclass
class Story:
    """An incident as the log tells it: the events, stamped, and the aggregate they rebuild."""

    log: Log
    incident: Incident
    follow_ups: dict[str, str]

    @property
    def events(self) -> list[RecordedEvent]:
        """The incident's recorded events, in order."""
        return [r for r in self.log.events if r.originator_id == self.incident.id]

    def replayed(self) -> Incident:
        """The incident rebuilt from its stamped events, so its times are the chosen ones."""
        return replayed(self.events)

    def document(self, today: date = TODAY) -> str:
        """The post-mortem as rendered on `today`."""
        return render_postmortem(self.replayed(), self.events, today=today)


def replayed(events: Sequence[RecordedEvent]) -> Incident:
    """The incident rebuilt from stamped events, so its times are the chosen ones."""
    state = None
    for recorded in events:
        state = recorded.event.mutate(state)
    assert isinstance(state, Incident)
    return state


def p1_story() -> Story:
    """A P2 that became a P1, handed over mid-incident, resolved, closed and reviewed."""
    log = Log()
    incident = declare(
        number=42,
        description="Error rate above 20% since the 03:00 deploy",
        services=["checkout", "payments"],
    )
    steps: list[tuple[int, Callable[[], object]]] = [
        (0, lambda: None),
        (4, lambda: incident.assign_role(ALICE, role="incident_commander", assignee="bob",
                                         note="bob is on call")),
        (6, lambda: incident.assign_role(BOB, role="communications_lead", assignee="carol",
                                         note=None)),
        (10, lambda: incident.post_update(CAROL, audience="customer",
                                          body="We are investigating failed checkouts.")),
        (12, lambda: incident.change_severity(BOB, severity="P1",
                                              reason="all EU card payments fail")),
        (15, lambda: incident.assess_impact(BOB, impact="Card payments fail at checkout",
                                            scope="EU tenants")),
        (20, lambda: incident.escalate(BOB, target="database-team",
                                       reason="pool exhausted on the primary")),
        (25, lambda: incident.post_update(DAVE, audience="internal", body="pool at 100% on db-1")),
        (30, lambda: incident.assign_role(BOB, role="incident_commander", assignee="erin",
                                          note="end of shift; erin has the context")),
        (45, lambda: incident.post_update(CAROL, audience="customer",
                                          body="A fix is being deployed.")),
        (55, lambda: incident.resolve(ERIN, resolution="restored",
                                      summary="Rolled back the config push")),
        (60, lambda: incident.post_update(CAROL, audience="customer",
                                          body="Resolved; we keep monitoring.")),
        (70, lambda: incident.close(ERIN)),
        (DAY, lambda: incident.start_postmortem(ERIN, facilitator="dave")),
        (DAY + 5, lambda: incident.record_root_cause(DAVE, text="A config push disabled the pool")),
        (DAY + 10, lambda: incident.record_root_cause(
            DAVE, text="A config push halved the\nconnection pool")),
        (DAY + 15, lambda: incident.add_contributing_factor(
            DAVE, text="Config pushes skip the canary", category="change")),
        (DAY + 20, lambda: incident.add_contributing_factor(
            ERIN, text="Pool alerts fire at 100% only", category="detection")),
        (DAY + 25, lambda: incident.add_recommendation(DAVE, text="Canary every config push")),
    ]  # fmt: skip
    for minutes, command in steps:
        command()
        log.record(incident, at(minutes))
    follow_ups = {}
    for minutes, (key, title, owner, due, ticket) in enumerate(
        [
            ("canary", "Add a config canary", "erin", "2026-03-10", "OPS-2001"),
            ("alert", "Alert at 80% pool use", "bob", "2026-03-05", None),
            ("runbook", "Runbook: pool | exhaustion", "frank", "2026-04-30", None),
        ],
        start=DAY + 30,
    ):
        follow_ups[key] = incident.add_follow_up(
            DAVE, title=title, owner=owner, due_date=due, ticket=ticket
        )
        log.record(incident, at(minutes))
    incident.complete_follow_up(ERIN, follow_up_id=follow_ups["canary"], note="canary is live")
    log.record(incident, at(2 * DAY))
    incident.publish_postmortem(DAVE, no_follow_up_reason=None)
    log.record(incident, at(3 * DAY))
    return Story(log, incident, follow_ups)


def story(*steps: tuple[float, Callable[[Incident], object]]) -> list[RecordedEvent]:
    """The events of a P2 declared by alice at T0, then of each (minutes, command) step."""
    log = Log()
    incident = declare()
    log.record(incident, at(0))
    for minutes, command in steps:
        command(incident)
        log.record(incident, at(minutes))
    return log.events


# --- the figures ------------------------------------------------------------------------------


def test_the_figures_of_the_p1_story() -> None:
    figures = review_figures(p1_story().events)

    assert figures == ReviewFigures(
        time_to_acknowledge=timedelta(minutes=4),  # the first IC, not the handover at 30
        time_to_resolve=timedelta(minutes=55),
        customer_updates=3,
        longest_customer_gap=timedelta(minutes=35),  # from the update at 10 to the one at 45
        overdue_reminders=0,
    )


def test_an_incident_nobody_took_command_of_has_no_time_to_acknowledge() -> None:
    events = story((30, lambda i: i.resolve(ALICE, resolution="restored", summary="fixed")))

    figures = review_figures(events)

    assert figures.time_to_acknowledge is None
    assert figures.time_to_resolve == timedelta(minutes=30)
    assert figures.longest_customer_gap == timedelta(minutes=30), "declared to resolved"


def test_after_a_reopen_time_to_resolve_runs_to_the_last_resolution() -> None:
    events = story(
        (5, lambda i: i.post_update(ALICE, audience="customer", body="investigating")),
        (10, lambda i: i.resolve(ALICE, resolution="workaround", summary="flag off")),
        (30, lambda i: i.reopen(ALICE, reason="errors are back")),
        (50, lambda i: i.post_update(ALICE, audience="customer", body="errors are back")),
        (55, lambda i: i.resolve(ALICE, resolution="restored", summary="fixed")),
    )

    figures = review_figures(events)

    assert figures.time_to_resolve == timedelta(minutes=55)
    # Gaps: 0→5, 5→10 (resolved), then from the reopen: 30→50, 50→55.
    assert figures.longest_customer_gap == timedelta(minutes=20)
    assert figures.customer_updates == 2


def test_updates_after_the_resolution_do_not_stretch_the_communication_gap() -> None:
    events = story(
        (10, lambda i: i.post_update(ALICE, audience="customer", body="investigating")),
        (20, lambda i: i.resolve(ALICE, resolution="restored", summary="fixed")),
        (100, lambda i: i.post_update(ALICE, audience="customer", body="all clear")),
    )

    figures = review_figures(events)

    # The cadence applies while the incident is open: 0→10 and 10→20; 20→100 is after the fire.
    assert figures.longest_customer_gap == timedelta(minutes=10)
    assert figures.customer_updates == 2


def test_internal_updates_are_not_customer_contact_and_reminders_are_counted() -> None:
    def remind(incident: Incident) -> None:
        due = incident.customer_contact_at + timedelta(hours=1) * (incident.overdue_reminders + 1)
        incident.record_update_overdue(Actor("system", is_admin=True), due_at=due)

    events = story(
        (30, lambda i: i.post_update(ALICE, audience="internal", body="still digging")),
        (61, remind),
        (121, remind),
        (130, lambda i: i.post_update(ALICE, audience="customer", body="sorry for the silence")),
    )

    figures = review_figures(events)

    assert figures.overdue_reminders == 2
    assert figures.customer_updates == 1
    assert figures.longest_customer_gap == timedelta(minutes=130)
    assert figures.time_to_resolve is None


def test_a_reminder_for_several_missed_intervals_counts_each_of_them() -> None:
    def remind_late(incident: Incident) -> None:
        # The notifier was down: one reminder for the three hours missed since the contact.
        due = incident.customer_contact_at + timedelta(hours=3)
        incident.record_update_overdue(
            Actor("system", is_admin=True), due_at=due, missed_intervals=3
        )

    def remind(incident: Incident) -> None:
        due = incident.customer_contact_at + timedelta(hours=1) * (incident.overdue_reminders + 1)
        incident.record_update_overdue(Actor("system", is_admin=True), due_at=due)

    events = story(
        (190, remind_late),
        (241, remind),
        (250, lambda i: i.post_update(ALICE, audience="customer", body="sorry for the silence")),
        (311, remind),
    )

    assert review_figures(events).overdue_reminders == 3 + 1 + 1


# --- the document, section by section ---------------------------------------------------------


def test_the_header_names_the_incident_its_severities_and_the_people_in_each_role() -> None:
    document = p1_story().document()

    assert sections(document)[""] == [
        "# Post-incident review: INC-42 Checkout returns 500s",
        "",
        "- **Reference:** INC-42",
        "- **Title:** Checkout returns 500s",
        "- **Status:** closed",
        "- **Review:** published (required)",
        "- **Severity:** P1 (peak P1)",
        "- **Services:** checkout, payments",
        "- **Impact:** Card payments fail at checkout",
        "- **Scope:** EU tenants",
        "- **Resolution:** restored",
        "- **Declared by:** alice",
        "- **Owner:** alice",
        "- **Incident Commander:** erin (earlier: bob)",
        "- **Communications Lead:** carol",
        "- **Operations Lead:** none named",
        "- **Review facilitator:** dave",
    ]
    assert document.endswith("\n")
    assert list(sections(document)) == SECTIONS


def test_the_summary_tells_what_happened_and_how_it_was_resolved() -> None:
    assert sections(p1_story().document())["Summary"] == [
        "Error rate above 20% since the 03:00 deploy",
        "",
        "**Resolution:** Rolled back the config push",
    ]


def test_the_severity_history_lists_every_change_with_who_and_why() -> None:
    assert sections(p1_story().document())["Severity history"] == [
        "- 2026-03-02 03:00:00: declared as P2",
        "- 2026-03-02 03:12:00: P2 → P1 by bob: all EU card payments fail",
    ]


def test_roles_and_handovers_show_each_assignment_with_its_note() -> None:
    assert sections(p1_story().document())["Roles and handovers"] == [
        "- 2026-03-02 03:04:00: alice named bob Incident Commander. Note: bob is on call",
        "- 2026-03-02 03:06:00: bob named carol Communications Lead",
        "- 2026-03-02 03:30:00: bob handed Incident Commander from bob to erin. "
        "Note: end of shift; erin has the context",
    ]


def test_the_impact_window_gives_each_milestone_and_the_durations_between_them() -> None:
    assert sections(p1_story().document())["Impact window"] == [
        "| Milestone | Time (UTC) | Detail |",
        "|---|---|---|",
        "| Impact started | - | not recorded |",
        "| Detected | - | not recorded |",
        "| Declared | 2026-03-02 03:00:00 | by alice |",
        "| First Incident Commander | 2026-03-02 03:04:00 | bob |",
        "| Resolved | 2026-03-02 03:55:00 | restored, by erin |",
        "| Closed | 2026-03-02 04:10:00 |  |",
        "",
        "| Measure | From → to | Duration |",
        "|---|---|---|",
        "| Time to detect | impact started → detected | - |",
        "| Time to declare | detected → declared | - |",
        "| Time to acknowledge | declared → first Incident Commander | 4m 00s |",
        "| Time to resolve | declared → resolved | 55m 00s |",
        "| Time to close | resolved → closed | 15m 00s |",
        "| Impact duration | impact started → resolved | - |",
    ]


def test_the_customer_communication_gives_each_update_and_the_cadence_kept() -> None:
    assert sections(p1_story().document())["Customer communication"] == [
        "- Cadence: a customer update every 30m 00s at P1",
        "- Customer updates: 3",
        "- Within cadence: 1 of 2 intervals (50%)",
        "- Intervals missed (overdue reminders): 0",
        "",
        "| Time (UTC) | By | Since last contact | In time | Update |",
        "|---|---|---|---|---|",
        "| 2026-03-02 03:10:00 | carol | 10m 00s | yes | We are investigating failed checkouts. |",
        # Due 30 minutes (P1 since 03:12) after the update at 03:10.
        "| 2026-03-02 03:45:00 | carol | 35m 00s | no, 5m 00s late | A fix is being deployed. |",
        "| 2026-03-02 04:00:00 | carol | 15m 00s | after the resolution "
        "| Resolved; we keep monitoring. |",
    ]


def test_the_incident_timeline_has_every_response_event_with_its_time_and_actor() -> None:
    story_ = p1_story()

    table = sections(story_.document())["Incident timeline"]

    assert table[:2] == ["| Time (UTC) | Who | What |", "|---|---|---|"]
    rows = table[2:]
    response = story_.events[:13]  # declared to closed; the review follows
    assert len(rows) == len(response)
    for row, recorded in zip(rows, response, strict=True):
        stamp = recorded.event.timestamp.strftime("%Y-%m-%d %H:%M:%S")
        actor = getattr(recorded.event, "actor", "")
        assert row.startswith(f"| {stamp} | {actor} | {actor} "), row
    expected = [
        "| 2026-03-02 03:10:00 | carol | carol posted a customer update: "
        "We are investigating failed checkouts. |",
        "| 2026-03-02 03:12:00 | bob | bob changed severity P2 → P1: all EU card payments fail |",
        "| 2026-03-02 03:20:00 | bob | bob escalated to database-team: "
        "pool exhausted on the primary |",
        "| 2026-03-02 03:25:00 | dave | dave posted an internal update: pool at 100% on db-1 |",
        "| 2026-03-02 03:30:00 | bob | bob handed incident_commander from bob to erin: "
        "end of shift; erin has the context |",
        "| 2026-03-02 03:45:00 | carol | carol posted a customer update: "
        "A fix is being deployed. |",
    ]
    assert [row for row in expected if row not in rows] == []


def test_the_review_log_has_the_review_steps_naming_follow_ups_by_title() -> None:
    story_ = p1_story()

    rows = sections(story_.document())["Review log"][2:]

    assert len(rows) == len(story_.events) - 13
    assert rows[0] == (
        "| 2026-03-03 03:00:00 | erin | erin started the post-incident review, "
        "facilitated by dave |"
    )
    assert rows[-2:] == [
        "| 2026-03-04 03:00:00 | erin | erin completed follow-up 'Add a config canary': "
        "canary is live |",
        "| 2026-03-05 03:00:00 | dave | dave published the post-incident review |",
    ]


def test_the_root_cause_is_the_latest_one_recorded() -> None:
    document = p1_story().document()

    # The line break stays a line break when rendered (a CommonMark hard break).
    assert sections(document)["Root cause"] == ["A config push halved the\\", "connection pool"]
    assert "disabled the pool" in "\n".join(sections(document)["Review log"]), "history stays"


def test_contributing_factors_by_category() -> None:
    assert sections(p1_story().document())["Contributing factors"] == [
        "**Detection**",
        "",
        "- Pool alerts fire at 100% only",
        "",
        "**Change**",
        "",
        "- Config pushes skip the canary",
    ]


def test_follow_ups_with_owner_due_date_status_and_ticket() -> None:
    assert sections(p1_story().document())["Follow-ups"] == [
        "| Action | Owner | Due | Status | Ticket |",
        "|---|---|---|---|---|",
        "| Add a config canary | erin | 2026-03-10 | done 2026-03-04 03:00:00 by erin: "
        "canary is live | OPS-2001 |",
        "| Alert at 80% pool use | bob | 2026-03-05 | open, overdue | - |",
        "| Runbook: pool \\| exhaustion | frank | 2026-04-30 | open | - |",
    ]


def test_a_follow_up_is_overdue_only_after_its_due_date() -> None:
    rows = sections(p1_story().document(today=date(2026, 3, 5)))["Follow-ups"]

    assert "| Alert at 80% pool use | bob | 2026-03-05 | open | - |" in rows


def test_recommendations() -> None:
    assert sections(p1_story().document())["Recommendations"] == ["1. Canary every config push"]


def test_a_closed_p1_without_a_review_shows_as_pending_and_says_what_is_missing() -> None:
    log = Log()
    incident = declare(severity="P1")
    log.record(incident, at(0))
    incident.resolve(ALICE, resolution="mitigated", summary="traffic shifted")
    log.record(incident, at(20))
    incident.close(ALICE)
    log.record(incident, at(30))

    found = sections(Story(log, incident, {}).document())

    assert "- **Review:** not started (required, pending)" in found[""]
    assert "- **Review facilitator:** none yet" in found[""]
    assert "- **Impact:** not assessed" in found[""]
    assert "- **Scope:** not assessed" in found[""]
    assert (
        "- **Incident Commander:** none named; the owner, alice, acted as Incident Commander"
        in found[""]
    )
    assert found["Roles and handovers"] == [
        "No roles were assigned; the owner acted as Incident Commander."
    ]
    assert "| First Incident Commander | - | none named |" in found["Impact window"]
    assert (
        "| Time to acknowledge | declared → first Incident Commander | - |"
        in (found["Impact window"])
    )
    assert found["Tickets"] == ["None linked."]
    assert found["Escalations"] == ["None."]
    assert found["Customer communication"][-1] == "No customer update was posted."
    assert found["Root cause"] == ["Not recorded yet."]
    assert found["Contributing factors"] == ["None recorded."]
    assert found["Follow-ups"] == ["None recorded."]
    assert found["Recommendations"] == ["None recorded."]
    assert found["Review log"] == ["The review has not started."]


def test_a_review_published_without_follow_ups_gives_the_reason() -> None:
    log = Log()
    incident = declare(severity="P3", description="one disk failed")
    log.record(incident, at(0))
    steps: list[tuple[int, Callable[[], object]]] = [
        (5, lambda: incident.resolve(ALICE, resolution="restored", summary="disk replaced")),
        (60, lambda: incident.start_postmortem(ALICE, facilitator="carol")),
        (61, lambda: incident.record_root_cause(CAROL, text="A disk failed")),
        (62, lambda: incident.publish_postmortem(CAROL, no_follow_up_reason="a one-off")),
    ]
    for minutes, command in steps:
        command()
        log.record(incident, at(minutes))

    found = sections(Story(log, incident, {}).document())

    assert "- **Status:** resolved" in found[""]
    assert "- **Review:** published (not required)" in found[""]
    assert found["Follow-ups"] == ["No follow-up needed: a one-off"]


def test_an_open_incident_says_when_the_next_customer_update_is_due() -> None:
    events = story((10, lambda i: i.post_update(ALICE, audience="customer", body="looking")))

    found = sections(render_postmortem(replayed(events), events, today=TODAY))

    assert "- **Resolution:** not resolved yet" in found[""]
    assert "| Resolved | - | not yet |" in found["Impact window"]
    # P2: one hour after the update at 03:10.
    assert "- Next customer update due: 2026-03-02 04:10:00" in found["Customer communication"]


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [(59, "0m 59s"), (3600, "1h 00m 00s"), (3 * 86_400 + 61, "72h 01m 01s")],
)
def test_durations_read_as_hours_minutes_and_seconds(seconds: int, shown: str) -> None:
    events = story((seconds / 60, lambda i: i.resolve(ALICE, resolution="restored", summary="x")))

    document = render_postmortem(replayed(events), events, today=TODAY)

    assert f"| Time to resolve | declared → resolved | {shown} |" in document
