"""The whole post-mortem document of one fixed incident, compared line for line with the
document checked in at tests/fixtures/postmortem_golden.md.

The incident is built from events stamped at chosen times (no wall clock) and replayed, so the
document is the same on every run. After an intended change of the document, rewrite the file
with `IRM_WRITE_GOLDEN=1 .venv/bin/pytest tests/unit/test_postmortem_golden.py` and read the
diff before committing it.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

from services.incident_api.postmortem import render_postmortem
from shared.domain.incident import Incident
from shared.domain.values import SYSTEM_ACTOR, Actor
from tests.postmortem_sections import SECTIONS, sections
from tests.unit.conftest import ALICE, BOB, CAROL, DAVE, declare
from tests.unit.readmodels.conftest import CADENCE, Log, at
from tests.unit.review_story import ERIN
from tests.unit.test_postmortem_document import replayed

GOLDEN = Path(__file__).parents[1] / "fixtures" / "postmortem_golden.md"
DAY = 24 * 60  # minutes
TODAY = date(2026, 3, 20)
FRANK = Actor("frank")

HANDOVER_NOTE = (
    "End of shift.\n"
    "erin has the context: the pool config diff is pinned in #inc-42, and the rollback of "
    "the 02:40 config push is prepared but not started; database-team is on the bridge and "
    "owns the failover decision.\n"
    "\n"
    "Next customer update is due at 03:40."
)


def golden_story() -> tuple[Incident, Log]:
    """A P2 raised to P1, handed over mid-incident, resolved, closed and reviewed; the review
    corrected and amended after publication."""
    log = Log()
    incident = declare(
        number=42,
        description="Checkout returned 500s for card payments in the EU.\n"
        "Error rate above 20% from 02:40, after a config push.",
        services=["checkout", "payments"],
        started_at=at(-20),
        detected_at=at(-8),
    )
    ids: dict[str, str] = {}

    def follow_up(key: str, title: str, owner: str, due: str, ticket: str | None) -> None:
        ids[key] = incident.add_follow_up(
            DAVE, title=title, owner=owner, due_date=due, ticket=ticket
        )

    steps: list[tuple[float, Callable[[], object]]] = [
        (0, lambda: None),
        (4, lambda: incident.assign_role(ALICE, role="incident_commander", assignee="bob",
                                         note="bob is primary on call")),
        (6, lambda: incident.assign_role(BOB, role="communications_lead", assignee="carol",
                                         note=None)),
        (8, lambda: incident.link_ticket(DAVE, system="jira", key="OPS-1234",
                                         url="https://jira.example/browse/OPS-1234")),
        (10, lambda: incident.post_update(CAROL, audience="customer",
                                          body="We are investigating failed card payments.")),
        (12, lambda: incident.change_severity(BOB, severity="P1",
                                              reason="all EU card payments fail")),
        (15, lambda: incident.assess_impact(BOB, impact="Card payments fail at checkout",
                                            scope="EU tenants, about 40% of traffic")),
        (20, lambda: incident.escalate(BOB, target="database-team",
                                       reason="connection pool exhausted on payments-db")),
        (25, lambda: incident.post_update(DAVE, audience="internal",
                                          body="pool at 100% on payments-db-1")),
        (30, lambda: incident.assign_role(BOB, role="incident_commander", assignee="erin",
                                          note=HANDOVER_NOTE)),
        (35, lambda: incident.add_timeline_entry(DAVE, occurred_at=at(-15),
                                                 text="support saw the first failed payment")),
        # The live aggregate's clock is the wall clock's; the document shows no due time.
        (41, lambda: incident.record_update_overdue(
            SYSTEM_ACTOR, due_at=incident.customer_contact_at + timedelta(minutes=30))),
        (45, lambda: incident.post_update(CAROL, audience="customer",
                                          body="A fix is being deployed.")),
        (55, lambda: incident.resolve(ERIN, resolution="restored",
                                      summary="Rolled back the config push; pool sizes restored")),
        (60, lambda: incident.post_update(CAROL, audience="customer", kind="final",
                                          body="Card payments work again. We are sorry.")),
        (70, lambda: incident.close(ERIN)),
        (DAY, lambda: incident.start_postmortem(ERIN, facilitator="dave")),
        (DAY + 2, lambda: incident.set_impact_window(ERIN, started_at=at(-25))),
        (DAY + 5, lambda: incident.record_root_cause(DAVE, text="A config push broke the pool")),
        (DAY + 6, lambda: incident.record_root_cause(
            DAVE, text="A config push halved the payments-db connection pool,\n"
                       "so checkout requests queued until they timed out.")),
        (DAY + 7, lambda: incident.add_contributing_factor(
            DAVE, text="Config pushes skip the canary stage", category="change")),
        (DAY + 8, lambda: incident.add_contributing_factor(
            ERIN, text="Pool alerts fire only at 100%", category="detection")),
        (DAY + 9, lambda: incident.add_contributing_factor(
            DAVE, text="Nobody reviews pool sizes in config diffs", category="change")),
        (DAY + 10, lambda: incident.add_contributing_factor(
            DAVE, text="The runbook was out of date", category="process")),
        (DAY + 11, lambda: incident.withdraw_contributing_factor(
            DAVE, factor_id="4", reason="the runbook was not used")),
        (DAY + 12, lambda: incident.add_recommendation(DAVE, text="Canary every config push")),
        (DAY + 13, lambda: incident.add_recommendation(DAVE, text="Alert on pool saturation")),
        (DAY + 14, lambda: incident.edit_recommendation(
            DAVE, recommendation_id="2", text="Alert on pool saturation at 80%")),
        (DAY + 15, lambda: follow_up("canary", "Add a canary stage for config pushes", "erin",
                                     "2026-03-10", "OPS-2001")),
        (DAY + 16, lambda: follow_up("alert", "Alert at 80% pool use", "bob", "2026-03-05", None)),
        (DAY + 17, lambda: follow_up("runbook", "Runbook: pool | exhaustion", "frank",
                                     "2026-03-30", None)),
        (DAY + 18, lambda: follow_up("dashboard", "Dashboard of pool use", "carol",
                                     "2026-03-08", "OPS-2004")),
        (DAY + 20, lambda: incident.complete_follow_up(ERIN, follow_up_id=ids["canary"],
                                                       note="canary stage live for all pushes")),
        (DAY + 21, lambda: incident.reassign_follow_up(DAVE, follow_up_id=ids["alert"],
                                                       owner="erin")),
        (DAY + 22, lambda: incident.change_follow_up_due_date(
            ERIN, follow_up_id=ids["alert"], due_date="2026-03-25",
            reason="after the payments-db migration")),
        (DAY + 23, lambda: incident.cancel_follow_up(
            DAVE, follow_up_id=ids["runbook"], reason="the platform runbook covers it")),
        (2 * DAY, lambda: incident.publish_postmortem(DAVE, no_follow_up_reason=None)),
        (9 * DAY, lambda: incident.record_follow_up_overdue(
            SYSTEM_ACTOR, follow_up_id=ids["dashboard"], today=date(2026, 3, 11))),
        (10 * DAY, lambda: incident.amend_postmortem(DAVE, reason="the pool was not halved")),
        (10 * DAY + 5, lambda: incident.record_root_cause(
            DAVE, text="A config push set the payments-db connection pool to 10,\n"
                       "so checkout requests queued until they timed out.")),
        (10 * DAY + 10, lambda: incident.publish_postmortem(DAVE, no_follow_up_reason=None)),
    ]  # fmt: skip
    for minutes, command in steps:
        command()
        log.record(incident, at(minutes))
    return incident, log


def golden_document() -> str:
    """The document of the golden story, rendered on TODAY with the default cadence."""
    incident, log = golden_story()
    events = [r for r in log.events if r.originator_id == incident.id]
    return render_postmortem(replayed(events), events, today=TODAY, cadence=CADENCE)


def test_the_whole_document_matches_the_golden_file() -> None:
    document = golden_document()
    if os.environ.get("IRM_WRITE_GOLDEN") == "1":
        GOLDEN.write_text(document, encoding="utf-8")
    expected = GOLDEN.read_text(encoding="utf-8")

    diff = "\n".join(
        difflib.unified_diff(
            expected.splitlines(), document.splitlines(), "golden", "rendered", lineterm=""
        )
    )
    assert document == expected, diff


def test_the_document_is_the_same_on_every_render() -> None:
    assert golden_document() == golden_document()


def test_the_sections_come_in_the_order_a_review_is_read() -> None:
    assert list(sections(golden_document())) == [*SECTIONS, "Revision history"]


def test_the_handover_note_is_shown_in_full() -> None:
    roles = sections(golden_document())["Roles and handovers"]

    quoted = [line.removesuffix("\\") for line in roles if line.startswith("  >")]
    assert quoted == [f"  > {line}".rstrip() for line in HANDOVER_NOTE.splitlines()]
    assert roles[-4].endswith("\\"), "a hard break keeps the note's lines apart when rendered"


def test_the_incident_timeline_holds_the_response_and_the_review_log_the_rest() -> None:
    found = sections(golden_document())
    timeline = "\n".join(found["Incident timeline"])
    review_log = "\n".join(found["Review log"])

    for bookkeeping in ("contributing factor", "follow-up", "root cause", "published"):
        assert bookkeeping not in timeline
        assert bookkeeping in review_log
    assert "set the impact window" in review_log, "a correction made after the resolution"
    assert "linked ticket jira OPS-1234" in timeline, "a ticket linked during the response"
    assert "customer update overdue" in timeline


def test_rows_name_follow_ups_by_title_never_by_id() -> None:
    incident, _ = golden_story()
    document = golden_document()

    for follow_up_id in incident.review.follow_ups:
        assert follow_up_id[:8] not in document
    assert "completed follow-up 'Add a canary stage for config pushes'" in document
    assert "cancelled follow-up 'Runbook: pool \\| exhaustion'" in document
