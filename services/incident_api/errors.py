"""Failures of the application layer, each with a stable `rule` like the domain's errors.

The domain refuses a command that breaks an incident rule (`shared.domain.errors`); these are
the refusals around it: no such incident, a stale version, a reused idempotency key, a read
model behind the request. They know nothing of HTTP; `error_handlers` turns every one of them
into a problem document.
"""

from __future__ import annotations

from collections.abc import Mapping
from uuid import UUID


class ApplicationError(Exception):
    """A request refused by the application; `rule` is a stable, machine-readable name.

    `facts` are machine-readable details a client can act on (names and JSON values).
    """

    rule = "application-error"

    def __init__(self, message: str, **facts: object) -> None:
        super().__init__(message)
        self.facts: Mapping[str, object] = facts


class UnknownIncidentError(ApplicationError):
    """No incident with this id (or reference, `INC-12`) has been declared (by then, for a
    read `as_of` a time)."""

    rule = "incident-not-found"

    def __init__(self, incident_id: UUID | str, message: str | None = None) -> None:
        super().__init__(message or f"incident {incident_id} not found")
        self.incident_id = incident_id


class VersionMismatchError(ApplicationError):
    """The command expected another version of the incident than it found (If-Match)."""

    rule = "version-mismatch"

    def __init__(self, expected: int, current: int | None) -> None:
        found = (
            f"but the incident is at version {current}"
            if current is not None
            else "but another change was recorded first"
        )
        super().__init__(
            f"If-Match expected version {expected}, {found}",
            expected_version=expected,
            current_version=current,
        )


class UnknownPersonError(ApplicationError):
    """A command names someone irm does not know (`shared.people`), for a role or ownership."""

    rule = "unknown-person"

    def __init__(self, field: str, handle: str) -> None:
        super().__init__(
            f"{handle!r} is not a known person; an admin adds people with `irm people add` or "
            "POST /v1/people, and a token's principal is known once the token exists",
            field=field,
            handle=handle,
        )


class UnknownOtherIncidentError(ApplicationError):
    """A command's field names another incident (by id or reference) that nobody declared."""

    rule = "unknown-incident"

    def __init__(self, field: str, incident: str) -> None:
        super().__init__(
            f"{field}: no incident {incident} has been declared", field=field, incident=incident
        )


class ConcurrentModificationError(ApplicationError):
    """Other writers kept changing the incident while the command ran, every retry."""

    rule = "concurrent-modification"

    def __init__(self) -> None:
        super().__init__("Another change was recorded first; load the incident again and retry.")


class IdempotencyKeyReusedError(ApplicationError):
    """The principal sent this Idempotency-Key before with a different declaration."""

    rule = "idempotency-key-reused"

    def __init__(self) -> None:
        super().__init__(
            "send a new key for a new incident, or repeat the original request exactly"
        )


class ReadModelBehindError(ApplicationError):
    """The read model did not reach the position the query asked for in time."""

    rule = "read-model-behind"

    def __init__(self, projected_position: int, min_position: int) -> None:
        super().__init__(
            f"the projector is at position {projected_position}, the request needs "
            f"{min_position}; retry shortly",
            projected_position=projected_position,
            min_position=min_position,
        )


class PositionBeyondLogError(ApplicationError):
    """A query asked for a position the log has not reached: no command has answered with it."""

    rule = "position-beyond-log"

    def __init__(self, min_position: int, log_position: int) -> None:
        super().__init__(
            f"min_position {min_position} is beyond the end of the log, at {log_position}; "
            "pass the position a command answered",
            field="min_position",
            min_position=min_position,
            log_position=log_position,
        )


class DeliveryNotFoundError(ApplicationError):
    """The subscription has no delivery with this id."""

    rule = "delivery-not-found"

    def __init__(self, subscription_id: UUID, delivery_id: UUID) -> None:
        super().__init__(f"subscription {subscription_id} has no delivery {delivery_id}")


class InvalidCursorError(ApplicationError):
    """A page cursor that this query did not hand out (or not with this sort)."""

    rule = "invalid-cursor"

    def __init__(self) -> None:
        super().__init__("pass back next_cursor unchanged, with the same sort", field="cursor")


class InvalidParameterError(ApplicationError):
    """A value the request schema let through but the query or command cannot use.

    `field` names the offending parameter, when one can be named.
    """

    rule = "invalid-parameter"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        if field is None:
            super().__init__(message)
        else:
            super().__init__(message, field=field)
