"""Relations between incidents: one is related to, caused by or a duplicate of another.

A link is recorded on both incidents, together: on the one the request names ("to": this
incident <relation> the other) and on the other ("from": the other <relation> this one). Both
are appended in one append, so either both incidents know the link or neither does.
"""

from __future__ import annotations

from typing import Final
from uuid import UUID

from shared.domain.errors import InvalidFieldError, NoChangeError
from shared.domain.events import IncidentLinked
from shared.domain.roles import RolesAndAuthority
from shared.domain.values import Actor

RELATIONS: Final = ("related", "caused_by", "duplicate_of")
"""What one incident may be to another."""

DIRECTIONS: Final = ("to", "from")
"""A link as the incident that asked for it records it ("to"), and as the other does ("from")."""


class Relations(RolesAndAuthority):
    """Linking incidents to each other (allowed on a closed one: relations show up in review)."""

    def link(
        self,
        actor: Actor,
        *,
        other_id: UUID,
        other_reference: str,
        relation: str,
        direction: str,
    ) -> None:
        """Record a link to `other_id`. On the "to" side the acting IC may (an admin breaks
        glass); the "from" side is its consequence and records the same actor unchecked."""
        if other_id == self.id:
            raise InvalidFieldError("incident", "an incident cannot be linked to itself")
        if relation not in RELATIONS:
            raise InvalidFieldError("relation", f"must be one of {', '.join(RELATIONS)}")
        if direction not in DIRECTIONS:
            raise InvalidFieldError("direction", f"must be one of {', '.join(DIRECTIONS)}")
        break_glass = False
        if direction == "to":
            break_glass = self._authorize_commander(actor)
        link = {"other_id": str(other_id), "relation": relation, "direction": direction}
        if any({k: existing[k] for k in link} == link for existing in self.links):
            raise NoChangeError(f"{self.reference} is already linked so to {other_reference}")
        self.trigger_event(
            IncidentLinked,
            # As a plain UUID: a loaded incident's id may be the database driver's own type.
            other_id=UUID(int=other_id.int),
            other_reference=other_reference,
            relation=relation,
            direction=direction,
            actor=actor.principal,
            break_glass=break_glass,
        )
