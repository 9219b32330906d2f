"""API tokens (admin only): list them, create one (its secret is answered once), revoke one.

A revocation reaches every API process within a second: it is announced on the `irm_tokens`
channel, on which each process listens to drop its cached tokens.
"""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Response, status

from services.incident_api.deps import Admin, ServicesDep
from services.incident_api.openapi_responses import (
    ADMIN,
    ANY_BODY,
    BODY,
    PARAMETERS,
    TOKEN_LOOKUP,
    answers,
)
from services.incident_api.problems import ProblemError
from services.incident_api.request_checks import CheckedRoute
from services.incident_api.token_schemas import TokenCreate, TokenCreated, TokenList, TokenRead
from shared.tokens import issue_token, list_tokens, revoke_token

router = APIRouter(prefix="/v1/tokens", tags=["tokens"], route_class=CheckedRoute)


@router.get("", responses=answers(ADMIN))
async def list_all_tokens(_: Admin, services: ServicesDep) -> TokenList:
    """Every token, oldest first, with its public id, status, expiry and last use."""
    return TokenList(items=[TokenRead.of(t) for t in await list_tokens(services.pool)])


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses=answers(ADMIN, BODY, status=status.HTTP_201_CREATED, headers=("Cache-Control",)),
)
async def create_a_token(
    body: TokenCreate, actor: Admin, services: ServicesDep, response: Response
) -> TokenCreated:
    """Create a token; the answer carries its secret, shown only this once."""
    record, secret = await issue_token(
        services.pool,
        principal=body.principal,
        scope=body.scope,
        expires_at=body.expiry(),
        created_by=actor.principal,
    )
    response.headers["Cache-Control"] = "no-store"
    return TokenCreated.of(record, token=secret)


@router.delete("/{token_id}", responses=answers(ADMIN, PARAMETERS, ANY_BODY, TOKEN_LOOKUP))
async def revoke_a_token(token_id: UUID, actor: Admin, services: ServicesDep) -> TokenRead:
    """Revoke a token: every API process refuses it within a second. Revoking a revoked
    token changes nothing and answers the same."""
    record = await revoke_token(services.pool, token_id, revoked_by=actor.principal)
    if record is None:
        raise ProblemError(404, "token-not-found", "Token not found", f"no token {token_id}")
    return TokenRead.of(record)
