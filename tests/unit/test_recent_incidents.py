"""The API's memory of the incidents it wrote last: bounded, least recently used, taken out
while a command works on one."""

from __future__ import annotations

from services.incident_api.recent import RecentIncidents
from shared.domain.incident import Incident
from shared.domain.values import Actor


def declared(number: int) -> Incident:
    incident = Incident.declare(
        actor=Actor("alice"),
        number=number,
        title=f"incident {number}",
        criteria=["production_workloads_affected"],
    )
    incident.collect_events()
    return incident


def test_taking_an_incident_removes_it() -> None:
    recent = RecentIncidents(10)
    incident = declared(1)
    recent.keep(incident)

    assert recent.take(incident.id) is incident
    assert recent.take(incident.id) is None


def test_beyond_capacity_the_least_recently_kept_goes_first() -> None:
    recent = RecentIncidents(2)
    first, second, third = declared(1), declared(2), declared(3)
    recent.keep(first)
    recent.keep(second)
    recent.keep(first)  # used again: now the most recent
    recent.keep(third)

    assert len(recent) == 2
    assert recent.take(second.id) is None
    assert recent.take(first.id) is first
    assert recent.take(third.id) is third


def test_a_capacity_of_zero_keeps_nothing() -> None:
    recent = RecentIncidents(0)
    incident = declared(1)
    recent.keep(incident)

    assert len(recent) == 0
    assert recent.take(incident.id) is None
