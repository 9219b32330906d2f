"""What this process appended, so that its clients read their own writes without asking.

A query of an incident waits until the projector has the position this process last appended
for it; the list waits for the highest position this process appended. The memory is bounded:
an incident pushed out of it is covered by `floor`, the highest position ever pushed out, which
is never below the position of anything forgotten. Waiting for more than needed is safe; never
waiting for less is the point.

The references (`INC-12`) this process declared are kept beside them (same bound), so a command
or a read by reference resolves before the projector has the new incident.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Final
from uuid import UUID

OWN_WRITES_KEPT: Final = 10_000
"""Incidents (and references) remembered per process: two small numbers each."""


class OwnWrites:
    """A bounded, least-recently-written map of incident → last position appended here."""

    def __init__(self, capacity: int) -> None:
        self._capacity = max(capacity, 1)
        self._positions: OrderedDict[UUID, int] = OrderedDict()
        self._numbers: OrderedDict[int, UUID] = OrderedDict()
        self.highest = 0
        """The highest position this process appended (0: none yet)."""
        self.floor = 0
        """The highest position among the incidents forgotten to stay within the bound."""
        self.projected = 0
        """The highest projector position seen: a wait for no more than it returns at once."""

    def __len__(self) -> int:
        return len(self._positions)

    def appended(self, incident_id: UUID, number: int, position: int) -> None:
        """Note that this process appended the incident's events up to `position`."""
        known = self._positions.pop(incident_id, 0)
        self._positions[incident_id] = max(known, position)
        self.highest = max(self.highest, position)
        self._numbers[number] = incident_id
        self._numbers.move_to_end(number)
        while len(self._positions) > self._capacity:
            _, forgotten = self._positions.popitem(last=False)
            self.floor = max(self.floor, forgotten)
        while len(self._numbers) > self._capacity:
            self._numbers.popitem(last=False)

    def position_of(self, incident_id: UUID) -> int:
        """The position a read of the incident must wait for to see this process's writes."""
        return self._positions.get(incident_id, self.floor)

    def declared(self, number: int) -> UUID | None:
        """The incident this process declared with `number`, if it still remembers it."""
        return self._numbers.get(number)

    def saw_projected(self, position: int) -> None:
        """Note that the projector had reached `position`."""
        self.projected = max(self.projected, position)
