"""Who the caller is: the principal behind the token, its scope and its expiry.

A client (the `irm` command line, the console) asks this to say who it is signed in as and to
filter "mine" (`GET /v1/incidents?involves=<principal>`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from services.incident_api.deps import Reader, get_principal
from services.incident_api.openapi_responses import READ, answers
from services.incident_api.request_checks import CheckedRoute
from shared.tokens import Principal, Scope

router = APIRouter(prefix="/v1/me", tags=["people"], route_class=CheckedRoute)


class MeRead(BaseModel):
    """The principal a request acts as."""

    principal: str = Field(description="Who acts: recorded as `actor` in every event caused.")
    scope: Scope
    token_id: UUID | None = Field(
        description="The API token's public id (`irm tokens list`); null for a single sign-on JWT."
    )
    expires_at: datetime | None = Field(description="When the token stops working; null: never.")


@router.get("", responses=answers(READ))
async def read_me(_: Reader, principal: Annotated[Principal, Depends(get_principal)]) -> MeRead:
    """The principal behind the bearer token, with its scope and expiry."""
    return MeRead(
        principal=principal.name,
        scope=principal.scope,
        token_id=principal.token_id,
        expires_at=principal.expires_at,
    )
