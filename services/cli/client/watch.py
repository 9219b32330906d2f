"""`irm watch`: a live tail of every incident's events (or one incident's), from `/v1/stream`."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any, Final

import typer
from rich.markup import escape

from services.cli.client import render
from services.cli.client.connection import EXIT_UNREACHABLE, api, err, out

if TYPE_CHECKING:
    from services.cli.client.http import ApiClient

RECONNECTS: Final = 3
"""Attempts to resume a stream that ended (the server restarting) before giving up."""


@dataclass
class _Message:
    id: str | None = None
    event: str | None = None
    data: list[str] = field(default_factory=list)


def server_sent_events(
    lines: Iterable[str],
) -> Iterator[tuple[str | None, str | None, str | None]]:
    """(id, event, data) of each message in a text/event-stream, as its lines arrive; data is
    None for a message that only moves the last event id."""
    message = _Message()
    for line in lines:
        if not line:
            if message.data or message.id is not None:
                yield message.id, message.event, "\n".join(message.data) if message.data else None
            message = _Message()
            continue
        if line.startswith(":"):
            continue  # a comment: the server's keep-alive ping
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "data":
            message.data.append(value)
        elif name == "id":
            message.id = value
        elif name == "event":
            message.event = value


def watch(
    incident: Annotated[
        str | None,
        typer.Argument(metavar="[INCIDENT]", help="Only this incident (INC-12 or its id)."),
    ] = None,
    after: Annotated[
        int | None,
        typer.Option(min=0, help="Replay the events after this log position first."),
    ] = None,
    seconds: Annotated[
        int | None, typer.Option(min=1, help="Stop after this many seconds (default: Ctrl-C).")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print each event as one line of the API's JSON.")
    ] = False,
) -> None:
    """Follow incidents live: each event as soon as the server has it."""
    wanted = None if incident is None else incident.strip().upper()
    deadline = None if seconds is None else time.monotonic() + seconds
    with api() as client:
        if not as_json:
            err().print(f"Watching {escape(client.url)} (Ctrl-C to stop)")
        try:
            _follow(client, wanted, after, deadline, as_json)
        except KeyboardInterrupt:
            return


def _follow(
    client: ApiClient, wanted: str | None, after: int | None, deadline: float | None, as_json: bool
) -> None:
    from services.cli.client.http import UnreachableError

    position = after
    failures = 0
    while True:
        params: dict[str, Any] = {"after": position}
        if deadline is not None:
            left = int(deadline - time.monotonic() + 0.999)
            if left <= 0:
                return
            params["seconds"] = left
        try:
            lines = client.stream_lines(
                "/v1/stream", {k: v for k, v in params.items() if v is not None}
            )
            for event_id, _, data in server_sent_events(lines):
                failures = 0
                position = int(event_id) if event_id else position
                if data is not None:
                    _show(json.loads(data), data, wanted, as_json)
        except UnreachableError:
            failures += 1
            if failures > RECONNECTS:
                raise
            time.sleep(1.0)
            continue
        if deadline is None:
            # The server ended the stream (it is stopping, or this client fell behind):
            # resume from the last event seen.
            failures += 1
            if failures > RECONNECTS:
                err().print("irm: the server keeps ending the stream; giving up")
                raise typer.Exit(EXIT_UNREACHABLE)
            time.sleep(0.5)


def _show(event: dict[str, Any], raw: str, wanted: str | None, as_json: bool) -> None:
    if wanted is not None and wanted not in (event["reference"], str(event["incident_id"]).upper()):
        return
    if as_json:
        typer.echo(raw)
    else:
        out().print(render.event_line(event))
