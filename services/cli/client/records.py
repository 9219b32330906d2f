"""`irm timeline` and `irm postmortem`: what happened, and the review of it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import typer
from rich.table import Table

from services.cli.client import render
from services.cli.client.connection import api, out, print_json
from services.cli.client.options import IncidentArgument, JsonOption, incident_path

MarkdownOption = Annotated[
    bool, typer.Option("--markdown", help="Print the Markdown document the API renders.")
]


def timeline(
    incident: IncidentArgument, markdown: MarkdownOption = False, as_json: JsonOption = False
) -> None:
    """The incident's timeline, in the order things happened (* = added later)."""
    _print_document(incident, "timeline", markdown, as_json, render.timeline_table)


def postmortem(
    incident: IncidentArgument, markdown: MarkdownOption = False, as_json: JsonOption = False
) -> None:
    """The post-incident review: root cause, factors, recommendations and follow-ups."""
    _print_document(incident, "postmortem", markdown, as_json, render.review_table)


def _print_document(
    incident: str,
    section: str,
    markdown: bool,
    as_json: bool,
    table: Callable[[dict[str, Any]], Table],
) -> None:
    """An incident's document: the API's Markdown, its JSON, or `table` of it."""
    path = incident_path(incident, section)
    with api() as client:
        if markdown:
            typer.echo(client.get_text(path), nl=False)
            return
        found = client.get(path)
    if as_json:
        print_json(found)
    else:
        out().print(table(found))
