"""Correcting what was said: the title, description and services of an incident.

Nothing is overwritten in the log: an edit is a `DetailsEdited` event that keeps the values
before and after, so the history still shows what people saw at the time.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from shared.domain import arguments
from shared.domain.errors import InvalidFieldError, NoChangeError
from shared.domain.events import DetailsEdited
from shared.domain.roles import RolesAndAuthority
from shared.domain.values import TEXT_MAX_CHARS, TITLE_MAX_CHARS, Actor, Role

EDITABLE: Final = ("title", "description", "services")
"""The fields `edit_details` may change, in the order an event lists them."""


class Editing(RolesAndAuthority):
    """Correcting an incident's details."""

    def edit_details(self, actor: Actor, *, changes: Mapping[str, Any]) -> None:
        """Change any of `title`, `description` (None clears it) and `services`. The acting IC
        or the Communications Lead may; only fields whose value changes are recorded."""
        self._check_not_closed()
        break_glass = self._authorize(
            actor,
            holders={self.acting_commander, self.roles.get(Role.COMMUNICATIONS_LEAD.value)},
            needed="the acting incident commander or the communications lead",
        )
        unknown = sorted(set(changes) - set(EDITABLE))
        if unknown:
            raise InvalidFieldError(
                unknown[0], f"cannot be edited; editable: {', '.join(EDITABLE)}"
            )
        after = _checked(changes)
        before = {name: getattr(self, name) for name in after}
        changed = [name for name in EDITABLE if name in after and after[name] != before[name]]
        if not changed:
            raise NoChangeError("the details are already as given")
        self.trigger_event(
            DetailsEdited,
            before={name: before[name] for name in changed},
            after={name: after[name] for name in changed},
            actor=actor.principal,
            break_glass=break_glass,
        )


def _checked(changes: Mapping[str, Any]) -> dict[str, Any]:
    """The new values, each checked as at declaration."""
    checked: dict[str, Any] = {}
    for name in ("title", "services"):
        if name in changes and changes[name] is None:
            raise InvalidFieldError(name, "cannot be null; leave it out to keep it")
    if "title" in changes:
        checked["title"] = arguments.text("title", changes["title"], TITLE_MAX_CHARS)
    if "description" in changes:
        checked["description"] = arguments.optional_text(
            "description", changes["description"], TEXT_MAX_CHARS
        )
    if "services" in changes:
        checked["services"] = arguments.names("services", changes["services"])
    return checked
