"""Request and response bodies of integrations, their deliveries and the alert intake."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal, Self
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from services.incident_api.alert_intake import IntakeOutcome
from services.incident_api.alert_routing import RoutingRule
from services.incident_api.integrations import Delivery, Integration
from services.incident_api.plain_text import PLAIN_TEXT

IntegrationName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=100),
    PLAIN_TEXT,
]


class IntegrationCreate(BaseModel):
    """A monitoring system that may send alerts, and how its alert groups are routed."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["alertmanager", "grafana"]
    name: IntegrationName
    rules: Annotated[list[RoutingRule], Field(max_length=50)] = Field(
        default_factory=list,
        description="Tried in order, the first that matches decides; none: the defaults.",
    )


class IntegrationRead(BaseModel):
    """An integration as stored (never its key). It names no intake path (`type` says it): the
    fuzzer follows a same-origin path in an answer as a link to `GET /v1/integrations/{id}`,
    where `/v1/integrations/alertmanager` is the intake's and answers 405."""

    id: UUID
    type: str
    name: str
    rules: list[RoutingRule]
    created_at: datetime
    created_by: str

    @classmethod
    def of(cls, integration: Integration) -> Self:
        """The answer for one integration."""
        return cls(
            id=integration.id,
            type=integration.type,
            name=integration.name,
            rules=integration.rules,
            created_at=integration.created_at,
            created_by=integration.created_by,
        )


class IntegrationCreated(IntegrationRead):
    """A new integration with its key: shown this once, never stored."""

    key: str = Field(description="Send as `Authorization: Bearer <key>` or `?key=<key>`.")


class IntegrationList(BaseModel):
    """Every integration, oldest first."""

    items: list[IntegrationRead]


class DeliveryRead(BaseModel):
    """One payload as it arrived, and what became of it."""

    id: int
    received_at: datetime
    content_type: str | None
    body: str = Field(description="The payload as received (UTF-8; bytes that are not, as �).")
    outcome: str = Field(
        description="`received` (not handled yet, or handling failed before its outcome was "
        "written), `declared`, `updated`, `unchanged`, `page-only`, `ignored`, `malformed` "
        "or `refused`."
    )
    detail: dict[str, Any]
    processed_at: datetime | None

    @classmethod
    def of(cls, delivery: Delivery) -> Self:
        """The answer for one delivery."""
        return cls(
            id=delivery.id,
            received_at=delivery.received_at,
            content_type=delivery.content_type,
            body=delivery.body.decode("utf-8", errors="replace"),
            outcome=delivery.outcome,
            detail=delivery.detail,
            processed_at=delivery.processed_at,
        )


class DeliveryList(BaseModel):
    """Deliveries, newest first; `next_before` pages on (`?before=`)."""

    items: list[DeliveryRead]
    next_before: int | None


class IntakeRead(BaseModel):
    """What became of the notification just sent."""

    delivery: int
    outcome: str
    incident_id: UUID | None
    reference: str | None
    events: list[str]
    position: int | None = Field(
        description="The log position of the last event recorded (for `min_position`)."
    )
    note: str | None

    @classmethod
    def of(cls, delivery: int, outcome: IntakeOutcome) -> Self:
        """The answer for a handled notification."""
        return cls(
            delivery=delivery,
            outcome=outcome.outcome,
            incident_id=outcome.incident_id,
            reference=outcome.reference,
            events=outcome.events,
            position=outcome.position,
            note=outcome.note,
        )
