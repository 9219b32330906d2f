"""Roles and authority: who holds which incident role, and who may do what because of it.

The acting Incident Commander is the named one, or the owner until one is named; commander
commands need them. An admin may act in their place (break glass), and the event says so.
"""

from __future__ import annotations

from shared.domain import arguments
from shared.domain.errors import (
    InvalidFieldError,
    NoChangeError,
    NotAuthorizedError,
    RoleAlreadyHeldError,
)
from shared.domain.events import RoleAssigned, RoleUnassigned
from shared.domain.rules import acting_commander
from shared.domain.state import IncidentState
from shared.domain.values import NAME_MAX_CHARS, TEXT_MAX_CHARS, Actor, Role


class RolesAndAuthority(IncidentState):
    """Assigning roles, and the authority checks every other command uses."""

    @property
    def acting_commander(self) -> str:
        """The named Incident Commander, or the owner until one is assigned."""
        return acting_commander(self.roles, self.owner)

    def assign_role(self, actor: Actor, *, role: str, assignee: str, note: str | None) -> None:
        """Hand a role to someone; the outgoing holder and the handover note go on the record.
        The acting IC may hand any role; a Communications or Operations Lead may hand their
        own role on (at a shift change, say) without asking the IC."""
        self._check_not_closed()
        own = self.roles.get(role) if role != Role.INCIDENT_COMMANDER.value else None
        break_glass = self._authorize(
            actor,
            holders={self.acting_commander, own},
            needed="the acting incident commander"
            + ("" if own is None else f" or the {role} ({own})"),
        )
        role = arguments.member("role", role, Role)
        assignee = arguments.text("assignee", assignee, NAME_MAX_CHARS)
        previous = self.roles.get(role)
        if previous == assignee:
            raise RoleAlreadyHeldError(role, assignee)
        self.trigger_event(
            RoleAssigned,
            role=role,
            assignee=assignee,
            previous_holder=previous,
            note=arguments.optional_text("note", note, TEXT_MAX_CHARS),
            actor=actor.principal,
            break_glass=break_glass,
        )

    def unassign_role(self, actor: Actor, *, role: str, note: str | None) -> None:
        """Stand a Communications or Operations Lead down, leaving the role empty. The
        Incident Commander role can only be handed over: someone always holds command."""
        self._check_not_closed()
        break_glass = self._authorize_commander(actor)
        role = arguments.member("role", role, Role)
        if role == Role.INCIDENT_COMMANDER.value:
            raise InvalidFieldError(
                "role", "the incident commander can only be handed over, not left empty"
            )
        holder = self.roles.get(role)
        if holder is None:
            raise NoChangeError(f"nobody holds {role}")
        self.trigger_event(
            RoleUnassigned,
            role=role,
            previous_holder=holder,
            note=arguments.optional_text("note", note, TEXT_MAX_CHARS),
            actor=actor.principal,
            break_glass=break_glass,
        )

    def _authorize_commander(self, actor: Actor) -> bool:
        """Allow the acting IC; an admin may break glass. Returns whether glass was broken."""
        return self._authorize(
            actor, holders={self.acting_commander}, needed="the acting incident commander"
        )

    @staticmethod
    def _authorize(actor: Actor, *, holders: set[str | None], needed: str) -> bool:
        """Allow any of `holders`; an admin may act instead (returns True: glass broken)."""
        if actor.principal in holders:
            return False
        if actor.is_admin:
            return True
        raise NotAuthorizedError(actor.principal, needed)
