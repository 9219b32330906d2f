"""`irm ls`, `irm show` and `irm declare`: find incidents, read one, declare one."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from services.cli.client import render
from services.cli.client.connection import api, done, out, print_json
from services.cli.client.options import (
    CRITERIA,
    IncidentArgument,
    JsonOption,
    Severity,
    Status,
    full_name,
    incident_path,
)


def ls(
    mine: Annotated[
        bool, typer.Option("--mine", help="Only incidents you own, command or hold a role on.")
    ] = False,
    severity: Annotated[Severity | None, typer.Option(help="Only this severity.")] = None,
    status: Annotated[Status | None, typer.Option(help="Only this status.")] = None,
    service: Annotated[
        str | None, typer.Option(help="Only incidents affecting this service.")
    ] = None,
    search: Annotated[
        str | None, typer.Option("--search", "-q", help="Text in the title, or a reference.")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=200, help="At most this many.")] = 50,
    as_json: JsonOption = False,
) -> None:
    """List incidents, newest first."""
    with api() as client:
        involves = client.get("/v1/me")["principal"] if mine else None
        page = client.get(
            "/v1/incidents",
            {
                "involves": involves,
                "severity": severity,
                "status": status,
                "service": service,
                "q": search,
                "limit": limit,
            },
        )
    if as_json:
        print_json(page)
        return
    items = page["items"]
    if not items:
        done("No incidents match.")
        return
    out().print(render.incidents_table(items))
    if page.get("next_cursor"):
        done(f"[dim]… more than {len(items)}; narrow the filters or raise --limit[/]")


def show(incident: IncidentArgument, as_json: JsonOption = False) -> None:
    """Show one incident: its state, roles, customer-update cadence and review."""
    with api() as client:
        found = client.get(incident_path(incident))
    if as_json:
        print_json(found)
        return
    out().print(render.incident_table(found))


def declare(
    title: Annotated[str, typer.Argument(help="What is wrong, in a line.")],
    criteria: Annotated[
        list[str],
        typer.Option(
            "--criteria",
            "-c",
            help="Why this is an incident (repeat for several): production, sla, stability "
            "(production_workloads_affected, customer_sla_at_risk, service_stability_at_risk).",
        ),
    ],
    severity: Annotated[Severity | None, typer.Option(help="P1 to P4 (may be set later).")] = None,
    service: Annotated[
        list[str] | None, typer.Option("--service", "-s", help="An affected service (repeat).")
    ] = None,
    description: Annotated[str | None, typer.Option(help="More about it.")] = None,
    owner: Annotated[
        str | None, typer.Option(help="Who owns it and acts as IC (default: you).")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Declare an incident."""
    names = sorted({full_name(c, CRITERIA, "criterion") for c in criteria})
    with api() as client:
        declared = client.post(
            "/v1/incidents",
            {
                "title": title,
                "criteria": names,
                "severity": severity,
                "services": service or None,
                "description": description,
                "owner": owner,
            },
        )
    if as_json:
        print_json(declared)
        return
    done(
        f"Declared [bold]{declared['reference']}[/] {escape(declared['title'])} "
        f"({declared.get('severity') or 'no severity'}); acting IC "
        f"{escape(declared['acting_commander'])}"
    )
