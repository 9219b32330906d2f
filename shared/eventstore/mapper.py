"""The one serializer for events: eventsourcing's Mapper with its JSON transcoder.

A stored event decodes into its class in `shared.domain.events` by its topic (registered when
that module is imported); the snapshot's topic resolves through the `Incident` class.
"""

from __future__ import annotations

from dataclasses import MISSING, Field, fields
from typing import Any
from uuid import UUID

import orjson
from eventsourcing.persistence import (
    DatetimeAsISO,
    DecimalAsStr,
    JSONTranscoder,
    Mapper,
    Transcoding,
    TranscodingNotRegisteredError,
    UUIDAsHex,
)

import shared.domain.incident  # noqa: F401  (registers every stored topic before decoding)
from shared.domain.review import FollowUp, Review


class _DataclassAsDict(Transcoding):
    """A dataclass of the aggregate's state (in snapshots) as a dict of its fields.

    Fields added later (`added_later`) are left out while they hold their default, so a
    snapshot stored before they existed encodes back to exactly its stored bytes; decoding
    gives them their default again.
    """

    added_later: frozenset[str] = frozenset()

    def encode(self, obj: Any) -> dict[str, Any]:
        encoded = {}
        for f in fields(obj):
            value = getattr(obj, f.name)
            if f.name in self.added_later and value == _default(f):
                continue
            encoded[f.name] = value
        return encoded

    def decode(self, data: dict[str, Any]) -> Any:
        return self.type(**data)


def _default(field: Field[Any]) -> Any:
    """A field's default value (its factory's product for a list)."""
    if field.default_factory is not MISSING:
        return field.default_factory()
    return field.default


class ReviewAsDict(_DataclassAsDict):
    """The post-incident review's state."""

    type = Review
    name = "irm_review"
    added_later = frozenset(
        {"factors_added", "recommendations_added", "recommendation_ids", "amendments"}
    )


class FollowUpAsDict(_DataclassAsDict):
    """A follow-up action's state."""

    type = FollowUp
    name = "irm_follow_up"
    added_later = frozenset(
        {
            "cancelled_at",
            "cancelled_by",
            "cancel_reason",
            "original_due_date",
            "due_date_changes",
            "overdue_for",
        }
    )


class OrjsonDecodingTranscoder(JSONTranscoder):
    """eventsourcing's JSON transcoder, decoding with orjson (four times faster on loads).

    Encoding stays with the standard library, so the stored bytes are exactly what
    eventsourcing itself writes; decoding revives `{"_type_": …, "_data_": …}` objects
    bottom-up, as the standard decoder's object hook does.
    """

    def decode(self, data: bytes) -> Any:
        """Decode stored bytes into the event's state."""
        state = orjson.loads(data)
        return self._revive(state) if type(state) is dict or type(state) is list else state

    def _revive(self, value: Any) -> Any:
        # In place, and recursing only into containers: scalars are most of an event's state.
        if type(value) is list:
            for index, item in enumerate(value):
                if type(item) is dict or type(item) is list:
                    value[index] = self._revive(item)
            return value
        if len(value) == 2 and "_type_" in value and "_data_" in value:
            try:
                transcoding = self.names[value["_type_"]]
            except KeyError:
                raise TranscodingNotRegisteredError(
                    f"Data serialized with name '{value['_type_']}' is not deserializable"
                ) from None
            data = value["_data_"]
            if type(data) is dict or type(data) is list:
                data = self._revive(data)
            return transcoding.decode(data)
        for key, item in value.items():
            if type(item) is dict or type(item) is list:
                value[key] = self._revive(item)
        return value


def build_mapper() -> Mapper[UUID]:
    """A mapper that turns domain events into stored events and back, as JSON."""
    transcoder = OrjsonDecodingTranscoder()
    transcoder.register(UUIDAsHex())
    transcoder.register(DecimalAsStr())
    transcoder.register(DatetimeAsISO())
    transcoder.register(ReviewAsDict())
    transcoder.register(FollowUpAsDict())
    return Mapper(transcoder=transcoder)
