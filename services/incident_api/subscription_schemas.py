"""Request and response bodies of the webhook subscription API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from shared.domain.values import Severity
from shared.webhooks.deliveries import DeliveryRecord
from shared.webhooks.subscriptions import Subscription, valid_pattern


def _pattern(value: str) -> str:
    if not valid_pattern(value):
        raise ValueError("must be *, incident.* or an event type such as incident.declared")
    return value


EventPattern = Annotated[str, AfterValidator(_pattern)]
Url = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2_000)]
Description = Annotated[str, StringConstraints(max_length=1_000)]


class SubscriptionCreate(BaseModel):
    """Subscribe a URL to events; empty lists mean every event type and every severity."""

    model_config = ConfigDict(extra="forbid")

    url: Url
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

    from_position: Annotated[int, Field(ge=1)]
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
    def of(cls, subscription: Subscription) -> SubscriptionRead:
        """From a stored subscription."""
        return cls(
            id=subscription.id,
            url=subscription.url,
            event_types=subscription.event_types,
            severities=subscription.severities,
            description=subscription.description,
            status=subscription.status,
            disabled_reason=subscription.disabled_reason,
            created_by=subscription.created_by,
            created_at=subscription.created_at,
            updated_at=subscription.updated_at,
        )


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
        return cls(
            id=record.id,
            message_id=record.message_id,
            incident_id=record.incident_id,
            position=record.position,
            event_version=record.event_version,
            event_type=record.event_type,
            cause=record.cause,
            status=record.status,
            attempts=record.attempts,
            next_attempt_at=record.next_attempt_at,
            last_status_code=record.last_status_code,
            last_error=record.last_error,
            created_at=record.created_at,
            completed_at=record.completed_at,
            attempt_log=[
                AttemptRead.model_validate(a, from_attributes=True) for a in record.attempt_log
            ],
        )


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
