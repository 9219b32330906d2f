"""Errors the Incident aggregate raises when a command breaks a rule; none records an event."""

from __future__ import annotations

from uuid import UUID


class DomainError(Exception):
    """A command was refused by the domain; `rule` is a stable, machine-readable name."""

    rule = "domain-rule"


class InvalidFieldError(DomainError):
    """A command argument is out of range: empty, too long or not one of the allowed values."""

    rule = "invalid-field"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class NotAuthorizedError(DomainError):
    """The actor does not hold the authority the command needs."""

    rule = "not-authorized"

    def __init__(self, principal: str, needed: str) -> None:
        super().__init__(f"{principal} is not {needed}")
        self.principal = principal
        self.needed = needed


class IllegalTransitionError(DomainError):
    """The incident's status does not allow the command (e.g. closing an open incident)."""

    def __init__(self, incident_id: UUID, rule: str, message: str) -> None:
        super().__init__(message)
        self.incident_id = incident_id
        self.rule = rule


class RoleAlreadyHeldError(DomainError):
    """The assignee already holds the role."""

    rule = "role-already-held"

    def __init__(self, role: str, assignee: str) -> None:
        super().__init__(f"{assignee} already holds {role}")
        self.role = role
        self.assignee = assignee


class NoChangeError(DomainError):
    """The command would record a change that changes nothing (e.g. severity P2 to P2)."""

    rule = "no-change"


class FollowUpNotFoundError(DomainError):
    """The incident's review has no follow-up with this id."""

    rule = "follow-up-not-found"

    def __init__(self, incident_id: UUID, follow_up_id: str) -> None:
        super().__init__(f"incident {incident_id} has no follow-up {follow_up_id}")
        self.incident_id = incident_id
        self.follow_up_id = follow_up_id


class FindingNotFoundError(DomainError):
    """The incident's review has no contributing factor or recommendation with this id (rule
    `contributing-factor-not-found` or `recommendation-not-found`)."""

    def __init__(self, incident_id: UUID, kind: str, finding_id: str) -> None:
        super().__init__(f"incident {incident_id} has no {kind.replace('-', ' ')} {finding_id}")
        self.incident_id = incident_id
        self.rule = f"{kind}-not-found"
        self.finding_id = finding_id
