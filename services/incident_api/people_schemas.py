"""Request and response bodies of the people API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal, Self
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from services.incident_api.oncall_types import TimeZone
from services.incident_api.plain_text import PLAIN_TEXT
from services.incident_api.subscription_schemas import EXAMPLE_WEBHOOK_URL, Url
from shared.oncall.contacts import MAX_CONTACT_METHODS, ContactMethod, ContactTarget
from shared.people import HANDLE_MAX_CHARS, Person

Handle = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=HANDLE_MAX_CHARS),
    PLAIN_TEXT,
]
DisplayName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), PLAIN_TEXT
]
# Deliberately plain: a local part of printable ASCII, a dotted host name (RFC 5321's common
# case). Anything stranger is refused rather than handed to the SMTP server to choke on.
EMAIL_PATTERN = (
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@"
    r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)
EmailAddress = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=254, pattern=EMAIL_PATTERN),
    Field(examples=["alice@example.com"]),
]


class WebhookContact(BaseModel):
    """Page this URL with a signed webhook (Standard Webhooks, the method's own secret)."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["webhook"]
    url: Annotated[Url, Field(examples=[EXAMPLE_WEBHOOK_URL])]

    def target(self) -> ContactTarget:
        """As stored."""
        return ContactTarget("webhook", self.url)


class EmailContact(BaseModel):
    """Page this address by email."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["email"]
    address: EmailAddress

    def target(self) -> ContactTarget:
        """As stored."""
        return ContactTarget("email", self.address)


ContactMethodIn = Annotated[WebhookContact | EmailContact, Field(discriminator="type")]
ContactMethods = Annotated[list[ContactMethodIn], Field(max_length=MAX_CONTACT_METHODS)]


class PersonCreate(BaseModel):
    """Someone who may be given incident roles: their handle (the principal their token or
    sign-in carries) and, optionally, how to show their name, their time zone and how to
    reach them."""

    model_config = ConfigDict(extra="forbid")

    handle: Handle
    display_name: DisplayName | None = None
    time_zone: TimeZone | None = None
    contact_methods: ContactMethods = []


class PersonUpdate(BaseModel):
    """Change any of the fields (null clears the display name or the time zone);
    `contact_methods` replaces the whole list."""

    model_config = ConfigDict(extra="forbid")

    display_name: DisplayName | None = None
    time_zone: TimeZone | None = None
    contact_methods: ContactMethods | None = None


class ContactMethodRead(BaseModel):
    """A contact method: `url` for a webhook, `address` for an email. A webhook method's
    `secret` is shown once, in the answer that added it, and is null after that."""

    id: UUID
    type: Literal["webhook", "email"]
    url: str | None
    address: str | None
    secret: str | None
    created_at: datetime

    @classmethod
    def of(cls, method: ContactMethod) -> Self:
        """The representation of a stored contact method."""
        webhook = method.type == "webhook"
        return cls(
            id=method.id,
            type=method.type,
            url=method.target if webhook else None,
            address=None if webhook else method.target,
            secret=method.secret,
            created_at=method.created_at,
        )


class PersonRead(BaseModel):
    """A known person."""

    handle: str
    display_name: str | None
    time_zone: str | None
    contact_methods: list[ContactMethodRead]
    created_at: datetime
    created_by: str | None

    @classmethod
    def of(cls, person: Person, methods: list[ContactMethod] | None = None) -> Self:
        """The representation of a stored person and their contact methods."""
        return cls(
            handle=person.handle,
            display_name=person.display_name,
            time_zone=person.time_zone,
            contact_methods=[ContactMethodRead.of(m) for m in methods or []],
            created_at=person.created_at,
            created_by=person.created_by,
        )


class PersonList(BaseModel):
    """Everyone irm knows, by handle."""

    items: list[PersonRead]
