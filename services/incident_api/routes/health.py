"""Liveness and readiness probes; they need no token."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from services.incident_api.deps import ServicesDep

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is alive."""
    return {"status": "ok"}


@router.get("/readyz", response_model=None)
async def readyz(services: ServicesDep) -> dict[str, Any] | JSONResponse:
    """The database answers; reports the log head position."""
    try:
        head = await services.store.max_position()
    except Exception as error:  # any database failure means "not ready"
        return JSONResponse(
            {"status": "unavailable", "database": f"unreachable: {type(error).__name__}"},
            status_code=503,
        )
    return {"status": "ready", "database": "ok", "log_position": head}
