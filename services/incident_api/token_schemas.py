"""Request and response bodies of the token API (admin only)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Self
from uuid import UUID

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    StringConstraints,
    WithJsonSchema,
    model_validator,
)

from services.incident_api.numbers import numeral_pattern
from services.incident_api.plain_text import PLAIN_TEXT
from shared.tokens import MAX_LIFETIME, Scope, TokenRecord, parse_duration


def _duration(value: str) -> str:
    parse_duration(value)
    return value


PrincipalName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), PLAIN_TEXT
]


def _duration_pattern() -> str:
    """The document's pattern of what `parse_duration` takes (but leading zeros and spaces):
    a positive whole number of s, m, h, d or w, at most six digits and MAX_LIFETIME."""
    seconds = {"s": 1, "m": 60, "h": 3_600, "d": 86_400, "w": 604_800}
    longest = int(MAX_LIFETIME.total_seconds())
    amounts = {unit: numeral_pattern(min(999_999, longest // n)) for unit, n in seconds.items()}
    return "^(" + "|".join(f"({amount}){unit}" for unit, amount in amounts.items()) + ")$"


Duration = Annotated[
    str,
    StringConstraints(max_length=20),
    AfterValidator(_duration),
    WithJsonSchema({"type": "string", "maxLength": 20, "pattern": _duration_pattern()}),
]


class TokenCreate(BaseModel):
    """A new token for `principal`; it expires after `expires_in` (e.g. 90d) or at
    `expires_at`, or never if neither is given."""

    model_config = ConfigDict(extra="forbid")

    principal: PrincipalName
    scope: Scope = Scope.WRITE
    expires_in: Duration | None = None
    expires_at: AwareDatetime | None = None

    @model_validator(mode="after")
    def _one_expiry(self) -> Self:
        if self.expires_in is not None and self.expires_at is not None:
            raise ValueError("give expires_in or expires_at, not both")
        if self.expires_at is not None:
            now = datetime.now(UTC)
            if self.expires_at <= now:
                raise ValueError("expires_at must be in the future")
            if self.expires_at - now > MAX_LIFETIME:
                raise ValueError("expires_at may be at most ten years ahead")
        return self

    def expiry(self) -> datetime | None:
        """When the token expires, if it does."""
        if self.expires_in is not None:
            return datetime.now(UTC) + parse_duration(self.expires_in)
        return self.expires_at


class TokenRead(BaseModel):
    """A token as listed: its public id, never its secret or its hash."""

    id: UUID
    principal: str
    scope: Scope
    status: str
    created_at: datetime
    created_by: str | None
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None
    revoked_by: str | None

    @classmethod
    def of(cls, record: TokenRecord, **more: object) -> Self:
        """From a stored token (with the fields a subclass adds in `more`)."""
        return cls.model_validate(
            {
                "id": record.id,
                "principal": record.principal,
                "scope": record.scope,
                "status": record.status(),
                "created_at": record.created_at,
                "created_by": record.created_by,
                "expires_at": record.expires_at,
                "last_used_at": record.last_used_at,
                "revoked_at": record.revoked_at,
                "revoked_by": record.revoked_by,
                **more,
            }
        )


class TokenCreated(TokenRead):
    """A new token with its secret, shown only this once."""

    token: str


class TokenList(BaseModel):
    """Every token, oldest first, revoked and expired ones included."""

    items: list[TokenRead]
