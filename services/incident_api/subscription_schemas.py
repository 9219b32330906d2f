"""Request and response bodies of the webhook subscription API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Self
from uuid import UUID

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from services.incident_api.numbers import BIGINT_MAX
from services.incident_api.plain_text import PLAIN_TEXT
from services.incident_api.schemas import copied
from shared.domain.values import Severity
from shared.webhooks.deliveries import DeliveryRecord
from shared.webhooks.subscriptions import Subscription, valid_pattern


def _pattern(value: str) -> str:
    if not valid_pattern(value):
        raise ValueError("must be *, incident.* or an event type such as incident.declared")
    return value


EventPattern = Annotated[str, AfterValidator(_pattern)]
Url = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2_000), PLAIN_TEXT
]
Description = Annotated[str, StringConstraints(max_length=1_000), PLAIN_TEXT]

EXAMPLE_WEBHOOK_URL = "https://203.0.113.10/hooks/irm"


class SubscriptionCreate(BaseModel):
    """Subscribe a URL to events; empty lists mean every event type and every severity."""

    model_config = ConfigDict(extra="forbid")

    # A documentation address (RFC 5737), which the URL guard refuses unless allowed (.ci/fuzz
    # allows it, so that its fuzzer can create subscriptions and test what takes one).
    url: Annotated[Url, Field(examples=[EXAMPLE_WEBHOOK_URL])]
    event_types: Annotated[list[EventPattern], Field(max_length=50)] = ["incident.*"]
    severities: Annotated[list[Severity], Field(max_length=4)] = []
    description: Description | None = None


class SubscriptionUpdate(BaseModel):
    """Change any of the fields; the secret changes only by rotation."""

    model_config = ConfigDict(extra="forbid")

    url: Url | None = None
    event_types: Annotated[list[EventPattern], Field(max_length=50)] | None = None
    severities: Annotated[list[Severity], Field(max_length=4)] | None = None
    description: Description | None = None


class ReplayRequest(BaseModel):
    """Queue history from a log position (inclusive)."""

    model_config = ConfigDict(extra="forbid")

    from_position: Annotated[int, Field(ge=1, le=BIGINT_MAX)]
    max_events: Annotated[int, Field(ge=1, le=100_000)] = 10_000


class SubscriptionRead(BaseModel):
    """A subscription (its secret is never shown again after creation or rotation)."""

    id: UUID
    url: str
    event_types: list[str]
    severities: list[str]
    description: str | None
    status: str
    disabled_reason: str | None
    created_by: str
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, subscription: Subscription, **more: Any) -> Self:
        """From a stored subscription (with the fields a subclass adds in `more`)."""
        return copied(cls, subscription, **more)


class SubscriptionCreated(SubscriptionRead):
    """A new subscription with its signing secret, shown only this once."""

    secret: str


class SubscriptionList(BaseModel):
    """Every subscription."""

    items: list[SubscriptionRead]


class SecretRotated(BaseModel):
    """The new secret (shown once) and when the previous ones stop signing."""

    secret: str
    previous_secrets_expire_at: datetime


class AttemptRead(BaseModel):
    """One try at sending."""

    attempt: int
    started_at: datetime
    status_code: int | None
    latency_ms: float
    error: str | None


class DeliveryRead(BaseModel):
    """A delivery and its attempts."""

    id: UUID
    message_id: str
    incident_id: UUID
    position: int
    event_version: int
    event_type: str
    cause: str
    status: str
    attempts: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    completed_at: datetime | None
    attempt_log: list[AttemptRead]

    @classmethod
    def of(cls, record: DeliveryRecord) -> DeliveryRead:
        """From a stored delivery."""
        return copied(cls, record)


class DeliveryPage(BaseModel):
    """Newest deliveries first; pass next_before as `before` for older ones."""

    items: list[DeliveryRead]
    next_before: int | None


class Redelivered(BaseModel):
    """The queued copy of a delivery (same message id and body)."""

    delivery_id: UUID


class ReplayQueued(BaseModel):
    """What a replay queued; next_position is where to continue if it stopped at max_events."""

    queued: int
    events_read: int
    next_position: int | None
