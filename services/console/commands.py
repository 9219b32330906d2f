"""The room's forms, each one API command: which route it posts to and the body it sends.

Nothing here decides whether a command is allowed; the API does, and the room shows its
answer. A form field left empty is sent as absent, so the API's own defaults apply.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

Fields = dict[str, str]


def _text(fields: Fields, name: str) -> str | None:
    value = fields.get(name, "").strip()
    return value or None


def body_of(*names: str) -> Callable[[Fields], dict[str, Any]]:
    """A body of the named fields that were filled in."""

    def build(fields: Fields) -> dict[str, Any]:
        return {n: v for n in names if (v := _text(fields, n)) is not None}

    return build


def _update(fields: Fields) -> dict[str, Any]:
    body = body_of("audience", "body")(fields)
    if fields.get("final") == "1":
        body["kind"] = "final"
    return body


@dataclass(frozen=True, slots=True)
class FormCommand:
    """A form of the room: its name, the API route it posts to, its body from the fields."""

    name: str
    label: str
    method: str
    path: str
    """After /v1/incidents/{id}; {role} is filled from the fields."""
    body: Callable[[Fields], dict[str, Any] | None]
    statuses: tuple[str, ...]
    """The incident statuses in which the room offers the form."""


_OPEN: Final = ("open",)
_ANY: Final = ("open", "resolved", "closed")

FORM_COMMANDS: Final = {
    c.name: c
    for c in (
        FormCommand("role", "Assign or hand over a role", "POST", "/roles",
                    body_of("role", "assignee", "note"), _ANY),
        FormCommand("severity", "Change severity", "POST", "/severity",
                    body_of("severity", "reason"), _OPEN),
        FormCommand("impact", "Impact and scope", "POST", "/impact",
                    body_of("impact", "scope"), _OPEN),
        FormCommand("ticket", "Link a support ticket", "POST", "/tickets",
                    body_of("system", "key", "url"), _ANY),
        FormCommand("update", "Post an update", "POST", "/updates", _update, _ANY),
        FormCommand("escalate", "Escalate", "POST", "/escalations",
                    body_of("target", "reason"), _OPEN),
        FormCommand("resolve", "Resolve", "POST", "/resolve",
                    body_of("resolution", "summary", "duplicate_of"), _OPEN),
        FormCommand("close", "Close", "POST", "/close", lambda _: None, ("resolved",)),
        FormCommand("reopen", "Reopen", "POST", "/reopen", body_of("reason"),
                    ("resolved", "closed")),
    )
}  # fmt: skip
