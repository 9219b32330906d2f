"""The base of every incident event: replaying it is the incident's own fold."""

from __future__ import annotations

from typing import Any

from eventsourcing.domain import Aggregate


class EventBase(Aggregate.Event):
    """What every incident event shares: replaying it is the incident's own fold."""

    def apply(self, aggregate: Any) -> None:
        """Evolve the incident by this event (the only place an event changes state)."""
        aggregate._evolve(self)
