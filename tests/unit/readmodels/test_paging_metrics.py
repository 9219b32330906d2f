"""Time to acknowledge of a paged incident (issue 12): from its first page to the paged
person's acknowledgement, not from the declaration to the first IC; an incident never paged
is measured as before."""

from __future__ import annotations

from services.incident_api.incident_metrics import compute_metrics, time_to_acknowledge
from shared.domain.incident import Incident
from shared.domain.values import SYSTEM_ACTOR, Actor
from tests.unit.conftest import ALICE, declare
from tests.unit.readmodels.conftest import Log, at

BOB = Actor("bob")


def paged_then_given_an_ic() -> tuple[Log, Incident]:
    """An incident declared at 0 s, paging bob at 1 s and given dave as IC at 2 s: naming an IC
    is not the acknowledgement of a page."""
    log = Log()
    paged = declare()
    log.record(paged, at(0))
    paged.page(
        SYSTEM_ACTOR,
        people=["bob"],
        policy="9e41c0de-1f2a-4b3c-8d4e-5f6a7b8c9d0e",
        position=(1, 1),
        timeout_seconds=300,
        reason="declared with service checkout",
    )
    log.record(paged, at(1))
    paged.assign_role(ALICE, role="incident_commander", assignee="dave", note=None)
    log.record(paged, at(2))
    return log, paged


def test_a_paged_incident_is_acknowledged_from_its_first_page() -> None:
    log, paged = paged_then_given_an_ic()
    paged.acknowledge(BOB)
    log.record(paged, at(4))
    never_paged = declare(number=8)
    log.record(never_paged, at(0))
    never_paged.assign_role(ALICE, role="incident_commander", assignee="bob", note=None)
    log.record(never_paged, at(5))

    rows = log.rows()
    assert time_to_acknowledge(rows[paged.id]) == 180.0
    assert time_to_acknowledge(rows[never_paged.id]) == 300.0
    assert compute_metrics(list(rows.values()), now=at(60)).time_to_acknowledge.count == 2


def test_a_page_nobody_acknowledged_has_no_time_to_acknowledge() -> None:
    log, paged = paged_then_given_an_ic()

    assert time_to_acknowledge(log.row(paged)) is None
