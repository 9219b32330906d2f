"""The incidents this process wrote last, kept so the next command on one skips loading it.

A kept incident is only ever the state this process appended and saw committed, so it can be
behind the log (another replica or the notifier wrote since) but never ahead of it. A command
run on a state that is behind appends a version that is already taken, gets a conflict, and
runs again on a fresh load: optimistic concurrency makes the cache safe without asking the
database whether it is current.
"""

from __future__ import annotations

from collections import OrderedDict
from uuid import UUID

from shared.domain.incident import Incident


class RecentIncidents:
    """A bounded, least-recently-used set of incidents as this process last saved them."""

    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._incidents: OrderedDict[UUID, Incident] = OrderedDict()

    def __len__(self) -> int:
        return len(self._incidents)

    def take(self, incident_id: UUID) -> Incident | None:
        """Remove and return the kept incident, if any. Taking it out means two concurrent
        commands never mutate the same object: the second loads its own."""
        return self._incidents.pop(incident_id, None)

    def keep(self, incident: Incident) -> None:
        """Keep an incident whose events have all been appended."""
        if self._capacity == 0:
            return
        self._incidents[incident.id] = incident
        self._incidents.move_to_end(incident.id)
        while len(self._incidents) > self._capacity:
            self._incidents.popitem(last=False)
