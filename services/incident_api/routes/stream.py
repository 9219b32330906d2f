"""`GET /v1/stream`: every incident's events as server-sent events, live (`live_events`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

import asyncpg
from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.sse import EventSourceResponse
from starlette.responses import StreamingResponse

from services.incident_api.deps import Reader, ServicesDep
from services.incident_api.live_events import EVENT_NAME, LiveEvent, LiveEvents
from services.incident_api.numbers import BIGINT_MAX
from services.incident_api.openapi_responses import PARAMETERS, READ, answers
from services.incident_api.request_checks import CheckedRoute

router = APIRouter(prefix="/v1/stream", tags=["stream"], route_class=CheckedRoute)

MAX_SECONDS = 86_400

_ITEM_SCHEMA = {
    "type": "object",
    "properties": {
        "event": {"type": "string", "const": EVENT_NAME},
        "id": {"type": "string", "pattern": "^[0-9]+$"},
        "retry": {"type": "integer", "minimum": 0},
        "data": {
            "type": "string",
            "contentMediaType": "application/json",
            "contentSchema": LiveEvent.model_json_schema(),
        },
    },
    "required": ["id"],
}


@router.get(
    "",
    # The answer is made here (`event_stream`); its documented content is `responses`, below.
    response_class=StreamingResponse,
    responses={
        **answers(READ, PARAMETERS),
        200: {
            "description": "A text/event-stream. First a message with only an `id`: the log "
            "position the stream is live from. Then one `incident-event` per event, once the "
            "read models include it, in log order: its `id` is the event's position, its "
            "`data` a LiveEvent as JSON. A `: ping` comment every 15 s while nothing happens.",
            "content": {"text/event-stream": {"itemSchema": _ITEM_SCHEMA}},
        },
    },
)
async def stream_events(
    _: Reader,
    services: ServicesDep,
    request: Request,
    after: Annotated[
        int | None,
        Query(
            ge=0,
            le=BIGINT_MAX,
            description="Send the events after this position first (the last `id` received), "
            "then the new ones; without it, only what happens from now on.",
        ),
    ] = None,
    seconds: Annotated[
        int | None,
        Query(
            ge=1,
            le=MAX_SECONDS,
            description="End the stream after this many seconds (resume with `after`); "
            "without it, the stream lasts until the client leaves or the server stops.",
        ),
    ] = None,
) -> StreamingResponse:
    """Every incident's events, live, as server-sent events."""
    return event_stream(
        live_events(request.app, services.pool).follow(after=after, seconds=seconds)
    )


def event_stream(chunks: AsyncIterator[bytes]) -> StreamingResponse:
    """A text/event-stream of `LiveEvents.follow`'s bytes, written as they come: no encoding per
    stream (each event's bytes are made once for all) and no hop between tasks per chunk."""
    return StreamingResponse(
        chunks,
        media_type=EventSourceResponse.media_type,
        # Not cached, and not buffered by a proxy such as nginx: each event is sent as it comes.
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


def live_events(app: FastAPI, pool: asyncpg.Pool) -> LiveEvents:
    """The app's `LiveEvents`, made on first use (so only an API that streams watches)."""
    live: LiveEvents | None = getattr(app.state, "live_events", None)
    if live is None:
        live = LiveEvents(pool)
        app.state.live_events = live
    return live


def end_streams(app: object) -> None:
    """End every open stream of `app` (a FastAPI app, or anything else: then nothing), so a
    server's graceful shutdown does not wait for clients that would never leave."""
    state = getattr(app, "state", None)
    live: LiveEvents | None = getattr(state, "live_events", None)
    if live is not None:
        live.close()
