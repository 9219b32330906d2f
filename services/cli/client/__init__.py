"""`irm` as a client of a running server: log in, list and read incidents, send commands,
follow events live. Every command talks to the HTTP API (docs/api.md); none adds a rule."""

from __future__ import annotations

import typer

from services.cli.client import changes, incidents, records, session, watch

PANEL = "Client (talks to a running server: irm login URL)"


def add_client_commands(app: typer.Typer) -> None:
    """Register the client commands on the `irm` app, in their own help panel."""
    for command in (
        session.login,
        session.logout,
        session.whoami,
        incidents.ls,
        incidents.show,
        incidents.declare,
        changes.role,
        changes.severity,
        changes.update,
        changes.escalate,
        changes.resolve,
        changes.close,
        changes.reopen,
        records.timeline,
        records.postmortem,
        watch.watch,
    ):
        app.command(rich_help_panel=PANEL)(command)
