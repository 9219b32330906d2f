"""FastAPI dependencies: the services built by the lifespan, and who is calling."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Annotated

import asyncpg
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from services.incident_api.commands import IncidentCommands
from services.incident_api.problems import ProblemError
from shared.domain.values import Actor
from shared.eventstore.repository import IncidentRepository
from shared.eventstore.store import EventStore
from shared.tokens import Principal, Scope, find_principal, hash_token
from shared.webhooks.url_guard import Allowlist


@dataclass
class TokenCache:
    """Validated tokens, by hash, so a busy client does not cost a lookup per request."""

    ttl_seconds: float
    _entries: dict[str, tuple[float, Principal]] = field(default_factory=dict)

    def get(self, token_hash: str) -> Principal | None:
        """The cached principal, if it is still fresh."""
        entry = self._entries.get(token_hash)
        if entry is None or entry[0] < time.monotonic():
            return None
        return entry[1]

    def put(self, token_hash: str, principal: Principal) -> None:
        """Remember a validated token for `ttl_seconds`."""
        if len(self._entries) > 10_000:
            self._entries.clear()
        self._entries[token_hash] = (time.monotonic() + self.ttl_seconds, principal)


@dataclass(frozen=True)
class Services:
    """What the lifespan opened; one instance per app, on `app.state.services`."""

    pool: asyncpg.Pool
    store: EventStore
    repository: IncidentRepository
    commands: IncidentCommands
    tokens: TokenCache
    read_wait_seconds: float
    webhook_allowlist: Allowlist
    webhook_secret_grace: timedelta


async def get_services(request: Request) -> Services:
    """The app's services (async, so FastAPI does not hop to a thread for it)."""
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]

_bearer = HTTPBearer(auto_error=False, description="An API token from `irm tokens create`.")


async def get_principal(
    services: ServicesDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The principal behind the bearer token; 401 when it is missing or unknown."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise _unauthorized("send Authorization: Bearer <token>")
    token_hash = hash_token(credentials.credentials)
    principal = services.tokens.get(token_hash)
    if principal is None:
        principal = await find_principal(services.pool, credentials.credentials)
        if principal is None:
            raise _unauthorized("the token is not valid")
        services.tokens.put(token_hash, principal)
    return principal


def _unauthorized(detail: str) -> ProblemError:
    return ProblemError(
        401,
        "unauthorized",
        "Authentication required",
        detail,
        headers={"WWW-Authenticate": "Bearer"},
    )


def require_scope(needed: Scope) -> object:
    """A dependency that answers 403 unless the token has at least `needed`."""

    async def check(principal: Annotated[Principal, Depends(get_principal)]) -> Actor:
        if not principal.scope.allows(needed):
            raise ProblemError(
                403,
                "insufficient-scope",
                "The token lacks the scope this needs",
                f"needs scope {needed.value}; the token has {principal.scope.value}",
            )
        return Actor(principal=principal.name, is_admin=principal.scope is Scope.ADMIN)

    return Depends(check)


Reader = Annotated[Actor, require_scope(Scope.READ)]
Writer = Annotated[Actor, require_scope(Scope.WRITE)]
Admin = Annotated[Actor, require_scope(Scope.ADMIN)]
