"""What an API process remembers of its own writes stays bounded, and forgetting an incident
never lets a read of it wait for less than its write."""

from __future__ import annotations

from uuid import uuid4

from services.incident_api.own_writes import OwnWrites


def test_a_read_waits_for_the_last_position_appended_for_its_incident() -> None:
    writes = OwnWrites(capacity=10)
    first, second = uuid4(), uuid4()
    writes.appended(first, 1, position=3)
    writes.appended(second, 2, position=4)
    writes.appended(first, 1, position=7)

    assert writes.position_of(first) == 7
    assert writes.position_of(second) == 4
    assert writes.position_of(uuid4()) == 0
    assert writes.highest == 7


def test_the_memory_is_bounded_and_a_forgotten_incident_waits_for_at_least_its_write() -> None:
    writes = OwnWrites(capacity=2)
    ids = [uuid4() for _ in range(5)]
    for number, incident_id in enumerate(ids, 1):
        writes.appended(incident_id, number, position=number * 10)

    assert len(writes) == 2
    assert writes.position_of(ids[0]) >= 10
    assert writes.position_of(ids[2]) >= 30
    assert writes.position_of(ids[4]) == 50
    assert writes.declared(5) == ids[4]
    assert writes.declared(1) is None


def test_a_reference_declared_here_resolves_to_its_incident() -> None:
    writes = OwnWrites(capacity=10)
    incident_id = uuid4()
    writes.appended(incident_id, 12, position=1)

    assert writes.declared(12) == incident_id
    assert writes.declared(13) is None
