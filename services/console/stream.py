"""`/ui/stream`: the API's live events (`live_events`), for a signed-in console page."""

from __future__ import annotations

from collections.abc import AsyncIterable

from fastapi import APIRouter, Request
from fastapi.sse import EventSourceResponse, ServerSentEvent

from services.console.web import ViewerDep
from services.incident_api.deps import ServicesDep
from services.incident_api.routes.stream import EVENT_NAME, RETRY_MILLISECONDS, live_events

router = APIRouter(prefix="/ui", include_in_schema=False)


@router.get("/stream", response_class=EventSourceResponse)
async def console_stream(
    request: Request, viewer: ViewerDep, services: ServicesDep
) -> AsyncIterable[ServerSentEvent]:
    """Every incident's events as they reach the read models, as GET /v1/stream sends them."""
    async for item in live_events(request.app, services.pool).follow(after=None, seconds=None):
        if isinstance(item, int):
            yield ServerSentEvent(id=str(item), retry=RETRY_MILLISECONDS, comment="live")
        else:
            yield ServerSentEvent(
                id=str(item.position), event=EVENT_NAME, raw_data=item.model_dump_json()
            )
