"""A webhook message: one CloudEvents 1.0 event in structured JSON, signed per Standard Webhooks.

The body is built once, when the delivery is queued, and stored; every retry and redelivery
sends the same bytes with the same message id, so a receiver can deduplicate on `webhook-id`.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any, Final

from cloudevents.core.bindings.http import to_structured_event
from cloudevents.core.v1.event import CloudEvent
from standardwebhooks.webhooks import Webhook

from shared.domain.events import event_data, event_name
from shared.eventstore.store import RecordedEvent
from shared.webhooks.facts import IncidentFacts

CONTENT_TYPE: Final = "application/cloudevents+json"
TYPE_PREFIX: Final = "dev.irm."
TYPE_VERSION: Final = "v1"
SOURCE: Final = "/irm/incidents"
# A fixed namespace makes the message id a pure function of (incident, version).
_MESSAGE_NAMESPACE: Final = uuid.UUID("6f1c1f36-3c1e-4d57-9d2e-6f3a3b1b7e21")


def short_type(name: str) -> str:
    """`RoleAssigned` → `incident.role_assigned`: what subscription patterns match on."""
    return "incident." + re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def cloudevent_type(name: str) -> str:
    """`RoleAssigned` → `dev.irm.incident.role_assigned.v1`."""
    return f"{TYPE_PREFIX}{short_type(name)}.{TYPE_VERSION}"


def message_id(recorded: RecordedEvent) -> str:
    """The id of a stored event's message: the same for every attempt and redelivery."""
    key = f"{recorded.originator_id}:{recorded.version}"
    return f"msg_{uuid.uuid5(_MESSAGE_NAMESPACE, key).hex}"


def build_body(recorded: RecordedEvent, facts: IncidentFacts) -> bytes:
    """The CloudEvent of a recorded event, as structured-mode JSON bytes: `data` is the
    event's own fields (generically, as the API's event list shows them), its actor, and the
    incident's facts."""
    name = event_name(recorded.event)
    data: dict[str, Any] = {
        **_jsonable(event_data(recorded.event)),
        "actor": recorded.event.actor,
        "incident": {
            "id": str(recorded.originator_id),
            "number": facts.number,
            "reference": f"INC-{facts.number}",
            "title": facts.title,
            "severity": facts.severity,
            "status": facts.status,
        },
    }
    event = CloudEvent(
        attributes={
            "id": message_id(recorded),
            "source": f"{SOURCE}/{recorded.originator_id}",
            "type": cloudevent_type(name),
            "subject": str(recorded.originator_id),
            "time": recorded.event.timestamp,
            "datacontenttype": "application/json",
            "irmposition": recorded.position,
            "irmversion": recorded.version,
        },
        data=data,
    )
    return bytes(to_structured_event(event).body)


def sign(msg_id: str, timestamp: datetime, body: bytes, secrets: Sequence[str]) -> str:
    """The `webhook-signature` header: one `v1,<base64>` per secret, space-separated."""
    payload = body.decode()
    return " ".join(_signer(secret).sign(msg_id, timestamp, payload) for secret in secrets)


@lru_cache(maxsize=1024)
def _signer(secret: str) -> Webhook:
    # Decoding the secret once per secret, not once per delivery.
    return Webhook(secret)


def _jsonable(data: dict[str, Any]) -> dict[str, Any]:
    """The event's fields as JSON can hold them: moments in ISO 8601, ids as strings (the
    CloudEvents JSON format knows neither)."""
    return {k: _json_value(v) for k, v in data.items()}


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value
