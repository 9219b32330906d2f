"""The one serializer for events: eventsourcing's Mapper with its JSON transcoder."""

from __future__ import annotations

from dataclasses import fields
from typing import Any
from uuid import UUID

from eventsourcing.persistence import (
    DatetimeAsISO,
    DecimalAsStr,
    JSONTranscoder,
    Mapper,
    Transcoding,
    UUIDAsHex,
)

from shared.domain.review import FollowUp, Review


class _DataclassAsDict(Transcoding):
    """A dataclass of the aggregate's state (in snapshots) as a dict of its fields."""

    def encode(self, obj: Any) -> dict[str, Any]:
        return {f.name: getattr(obj, f.name) for f in fields(obj)}

    def decode(self, data: dict[str, Any]) -> Any:
        return self.type(**data)


class ReviewAsDict(_DataclassAsDict):
    """The post-incident review's state."""

    type = Review
    name = "irm_review"


class FollowUpAsDict(_DataclassAsDict):
    """A follow-up action's state."""

    type = FollowUp
    name = "irm_follow_up"


def build_mapper() -> Mapper[UUID]:
    """A mapper that turns domain events into stored events and back, as JSON."""
    transcoder = JSONTranscoder()
    transcoder.register(UUIDAsHex())
    transcoder.register(DecimalAsStr())
    transcoder.register(DatetimeAsISO())
    transcoder.register(ReviewAsDict())
    transcoder.register(FollowUpAsDict())
    return Mapper(transcoder=transcoder)
