"""The one serializer for events: eventsourcing's Mapper with its JSON transcoder."""

from __future__ import annotations

from uuid import UUID

from eventsourcing.persistence import (
    DatetimeAsISO,
    DecimalAsStr,
    JSONTranscoder,
    Mapper,
    UUIDAsHex,
)


def build_mapper() -> Mapper[UUID]:
    """A mapper that turns domain events into stored events and back, as JSON."""
    transcoder = JSONTranscoder()
    transcoder.register(UUIDAsHex())
    transcoder.register(DecimalAsStr())
    transcoder.register(DatetimeAsISO())
    return Mapper(transcoder=transcoder)
