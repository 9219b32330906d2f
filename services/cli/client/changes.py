"""The incident commands: `irm role`, `severity`, `update`, `escalate`, `resolve`, `close`,
`reopen`. Each sends one command; the server checks who may give it."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.markup import escape

from services.cli.client.connection import api, done, print_json
from services.cli.client.options import (
    ROLES,
    IncidentArgument,
    JsonOption,
    Resolution,
    Severity,
    full_name,
    incident_path,
)


def _send(incident: str, action: str, body: dict[str, Any] | None, as_json: bool) -> Any:
    """POST the command; print the answer with --json; return it."""
    with api() as client:
        answer = client.post(incident_path(incident, action), body)
    if as_json:
        print_json(answer)
    return answer


def _confirm(answer: dict[str, Any], message: str) -> None:
    done(f"[bold]{answer['reference']}[/] {message} [dim](version {answer['version']})[/]")


def role(
    incident: IncidentArgument,
    role_name: Annotated[
        str,
        typer.Argument(
            metavar="ROLE",
            help="incident_commander (ic), communications_lead (cl) or operations_lead (ol).",
        ),
    ],
    assignee: Annotated[str, typer.Argument(help="Who takes the role (a known person).")],
    note: Annotated[
        str | None, typer.Option(help="The handover note, when the role changes hands.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Assign a role, or hand it over with a note."""
    name = full_name(role_name, ROLES, "role")
    answer = _send(incident, "roles", {"role": name, "assignee": assignee, "note": note}, as_json)
    if not as_json:
        _confirm(
            answer,
            f"{name}: {escape(assignee)}; acting IC {escape(answer['acting_commander'])}",
        )


def severity(
    incident: IncidentArgument,
    level: Annotated[Severity, typer.Argument(metavar="SEVERITY", help="P1 to P4.")],
    reason: Annotated[str, typer.Option(help="Why it changes (recorded).")],
    as_json: JsonOption = False,
) -> None:
    """Change the severity, with a reason."""
    answer = _send(incident, "severity", {"severity": level, "reason": reason}, as_json)
    if not as_json:
        _confirm(answer, f"is now {answer['severity']}")


def update(
    incident: IncidentArgument,
    customer: Annotated[
        str | None, typer.Option(help="A customer-facing update (CL or acting IC).")
    ] = None,
    internal: Annotated[str | None, typer.Option(help="An internal update (anyone).")] = None,
    as_json: JsonOption = False,
) -> None:
    """Post a customer or an internal update."""
    if (customer is None) == (internal is None):
        raise typer.BadParameter("give exactly one of --customer TEXT and --internal TEXT")
    audience, text = ("customer", customer) if customer is not None else ("internal", internal)
    answer = _send(incident, "updates", {"audience": audience, "body": text}, as_json)
    if not as_json:
        _confirm(answer, f"{audience} update posted")


def escalate(
    incident: IncidentArgument,
    target: Annotated[str, typer.Argument(help="The team or person escalated to.")],
    reason: Annotated[str, typer.Option(help="Why.")],
    as_json: JsonOption = False,
) -> None:
    """Escalate internally to a team or a person."""
    answer = _send(incident, "escalations", {"target": target, "reason": reason}, as_json)
    if not as_json:
        _confirm(answer, f"escalated to {escape(target)}")


def resolve(
    incident: IncidentArgument,
    resolution: Annotated[Resolution, typer.Option(help="How it ended.")],
    summary: Annotated[str, typer.Option(help="What was done.")],
    duplicate_of: Annotated[
        str | None, typer.Option(help="With --resolution duplicate: the incident it duplicates.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Resolve the incident (the IC closes it once confirmed)."""
    body = {"resolution": resolution, "summary": summary, "duplicate_of": duplicate_of}
    answer = _send(incident, "resolve", body, as_json)
    if not as_json:
        _confirm(answer, f"resolved ({answer['resolution']})")


def close(incident: IncidentArgument, as_json: JsonOption = False) -> None:
    """Close a resolved incident: the IC confirms the resolution."""
    answer = _send(incident, "close", None, as_json)
    if not as_json:
        _confirm(answer, "closed")


def reopen(
    incident: IncidentArgument,
    reason: Annotated[str, typer.Option(help="Why: the fix did not hold.")],
    as_json: JsonOption = False,
) -> None:
    """Reopen a resolved (or recently closed) incident."""
    answer = _send(incident, "reopen", {"reason": reason}, as_json)
    if not as_json:
        _confirm(answer, "reopened")
