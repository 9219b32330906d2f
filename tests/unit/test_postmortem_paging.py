"""The post-mortem of a paged incident: the pages and the acknowledgement are milestones of its
impact window, time to acknowledge runs as the metrics measure it (first page to
acknowledgement), and the shift change that made a handover due is among the roles' history."""

from __future__ import annotations

from collections.abc import Callable

from services.incident_api.postmortem import render_postmortem
from shared.domain.values import SYSTEM_ACTOR
from tests.postmortem_sections import sections
from tests.unit.conftest import BOB, declare
from tests.unit.readmodels.conftest import CADENCE, Log, at
from tests.unit.review_story import ERIN
from tests.unit.test_postmortem_document import TODAY, replayed


def paged_document() -> str:
    """A P1 paged to bob and carol; bob acknowledges, so owns it, then hands it to erin when
    his shift ends."""
    log = Log()
    incident = declare(number=8, severity="P1")
    steps: list[tuple[float, Callable[[], object]]] = [
        (0, lambda: None),
        (1, lambda: incident.page(SYSTEM_ACTOR, people=["bob", "carol"], policy="payments",
                                  position=(1, 1), timeout_seconds=300,
                                  reason="checkout is in the payments policy")),
        (3, lambda: incident.acknowledge(BOB)),
        (10, lambda: incident.record_handover_due(
            SYSTEM_ACTOR, role="incident_commander", from_person="bob", to_person="erin",
            schedule="payments-primary", shift_start=at(10))),
        (12, lambda: incident.assign_role(BOB, role="incident_commander", assignee="erin",
                                          note="end of my shift")),
        (20, lambda: incident.resolve(ERIN, resolution="restored", summary="failed over")),
    ]  # fmt: skip
    for minutes, command in steps:
        command()
        log.record(incident, at(minutes))
    return render_postmortem(replayed(log.events), log.events, today=TODAY, cadence=CADENCE)


def test_the_pages_and_the_acknowledgement_are_milestones() -> None:
    window = sections(paged_document())["Impact window"]

    assert window[4:8] == [
        "| Declared | 2026-03-02 03:00:00 | by alice |",
        "| First page | 2026-03-02 03:01:00 | bob |",
        "| Page acknowledged | 2026-03-02 03:03:00 | bob |",
        "| First Incident Commander | 2026-03-02 03:12:00 | erin |",
    ]
    assert "| Time to acknowledge | first page → acknowledged | 2m 00s |" in window


def test_the_acknowledgement_and_the_shift_change_are_in_the_roles_history() -> None:
    found = sections(paged_document())

    assert "- **Owner:** bob" in found[""]
    assert found["Roles and handovers"] == [
        "- 2026-03-02 03:03:00: bob acknowledged the page and took ownership from alice, "
        "acting as Incident Commander",
        "- 2026-03-02 03:10:00: shift change: bob went off call holding Incident Commander; "
        "erin is on call",
        # bob acted as IC as the owner; erin is the first IC named.
        "- 2026-03-02 03:12:00: bob named erin Incident Commander. Note: end of my shift",
    ]


def test_pages_belong_to_the_incident_timeline() -> None:
    timeline = "\n".join(sections(paged_document())["Incident timeline"])

    assert "paged bob" in timeline
    assert "paged carol" in timeline
    assert "bob acknowledged the page" in timeline
    assert "handover due" in timeline
