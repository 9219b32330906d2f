"""`/ui/stream`: the API's live events (`live_events`), for a signed-in console page."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import StreamingResponse

from services.console.web import ViewerDep
from services.incident_api.deps import ServicesDep
from services.incident_api.routes.stream import event_stream, live_events

router = APIRouter(prefix="/ui", include_in_schema=False)


@router.get("/stream", response_class=StreamingResponse)
async def console_stream(
    request: Request, viewer: ViewerDep, services: ServicesDep
) -> StreamingResponse:
    """Every incident's events as they reach the read models, as GET /v1/stream sends them."""
    return event_stream(live_events(request.app, services.pool).follow(after=None, seconds=None))
