"""Reading any event generically: its name, actor and own fields (the API's event list, the
timeline and the webhook data). Re-exported by `shared.domain.events`."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol
from eventsourcing.utils import get_topic

# Fields every event carries that describe the envelope rather than what happened.
_ENVELOPE = frozenset(
    {"originator_id", "originator_version", "timestamp", "originator_topic", "actor"}
)


def event_name(event: DomainEventProtocol[UUID]) -> str:
    """The event's stable name, the last part of its stored topic (e.g. "Declared")."""
    return get_topic(type(event)).rpartition(".")[2]


def event_actor(event: DomainEventProtocol[UUID]) -> str | None:
    """The principal who caused the event."""
    actor = vars(event).get("actor")
    return actor if isinstance(actor, str) else None


def event_data(event: DomainEventProtocol[UUID]) -> dict[str, Any]:
    """The event's own fields, without the envelope."""
    return {k: v for k, v in vars(event).items() if k not in _ENVELOPE}
