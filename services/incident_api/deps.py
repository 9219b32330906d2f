"""FastAPI dependencies: the services built by the lifespan, and who is calling."""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections import deque
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Annotated, Final
from uuid import UUID

import asyncpg
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from services.incident_api.incident_service import IncidentCommands
from services.incident_api.jwks import IdentityProviderUnavailableError
from services.incident_api.oidc import OidcVerifier, looks_like_jwt
from services.incident_api.problems import ProblemError
from shared.domain.cadence import DEFAULT_UPDATE_CADENCE, Cadence, parse_cadence
from shared.domain.values import REOPEN_CLOSED_WINDOW, Actor
from shared.eventstore.repository import IncidentRepository
from shared.eventstore.store import EventStore
from shared.people import make_known
from shared.tokens import (
    LAST_USE_INTERVAL,
    TOKENS_CHANNEL,
    Principal,
    Scope,
    TokenRefusedError,
    authenticate,
    hash_token,
    record_use,
)
from shared.webhooks.url_guard import Allowlist

log = logging.getLogger(__name__)

FAILED_LOGINS_ALLOWED: Final = 20
REVOCATION_LISTENER: Final = "irm-token-revocations"
FAILED_LOGINS_WINDOW_SECONDS: Final = 60.0


@dataclass
class TokenCache:
    """Validated tokens, by hash, so a busy client does not cost a lookup per request.

    The cache is trusted only while `listening` (the process hears revocations on the
    `irm_tokens` channel); a revocation, or a (re)connection of the listener, clears it. Every
    clear moves `generation` on, so a lookup that began before it is not cached after it.
    """

    ttl_seconds: float
    listening: bool = False
    generation: int = 0
    _entries: dict[str, tuple[float, Principal]] = field(default_factory=dict)

    def get(self, token_hash: str) -> Principal | None:
        """The cached principal, if it is still fresh, not expired, and revocations are heard."""
        if not self.listening:
            return None
        entry = self._entries.get(token_hash)
        if entry is None or entry[0] < time.monotonic() or entry[1].expired():
            return None
        return entry[1]

    def put(self, token_hash: str, principal: Principal, *, generation: int) -> None:
        """Remember a validated token for `ttl_seconds`, unless the cache was cleared since
        the lookup began (`generation`)."""
        if generation != self.generation or not self.listening:
            return
        if len(self._entries) > 10_000:
            self._entries.clear()
        self._entries[token_hash] = (time.monotonic() + self.ttl_seconds, principal)

    def clear(self) -> None:
        """Forget every token (a token was revoked somewhere)."""
        self.generation += 1
        self._entries.clear()


@dataclass
class FailedLogins:
    """Failed authentications per client address in this process, over a sliding window;
    `allowed` 0 turns the throttle off."""

    allowed: int = FAILED_LOGINS_ALLOWED
    window_seconds: float = FAILED_LOGINS_WINDOW_SECONDS
    _failures: dict[str, deque[float]] = field(default_factory=dict)

    def retry_after(self, address: str) -> int | None:
        """Seconds until `address` may try again, or None if it may now."""
        if self.allowed == 0:
            return None
        failures = self._recent(address)
        if failures is None or len(failures) < self.allowed:
            return None
        return max(1, math.ceil(failures[0] + self.window_seconds - time.monotonic()))

    def record(self, address: str) -> None:
        """Count a failure from `address`."""
        if self.allowed == 0:
            return
        if len(self._failures) > 10_000:
            for known in list(self._failures):
                self._recent(known)
        failures = self._failures.setdefault(address, deque())
        failures.append(time.monotonic())
        while len(failures) > self.allowed:
            failures.popleft()

    def _recent(self, address: str) -> deque[float] | None:
        failures = self._failures.get(address)
        if failures is None:
            return None
        oldest_counted = time.monotonic() - self.window_seconds
        while failures and failures[0] <= oldest_counted:
            failures.popleft()
        if not failures:
            del self._failures[address]
            return None
        return failures


@dataclass
class TokenGuard:
    """What checking tokens needs in one API process: the cache and the revocation listener
    that keeps it honest, the last-use recorder, the failed-login throttle, and the verifier
    of single sign-on JWTs (None when OIDC is not configured)."""

    pool: asyncpg.Pool
    cache: TokenCache
    failures: FailedLogins = field(default_factory=FailedLogins)
    oidc: OidcVerifier | None = None
    _last_recorded: dict[UUID, float] = field(default_factory=dict)
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)
    _signed_in: set[str] = field(default_factory=set)

    async def know_signed_in(self, principal: Principal) -> None:
        """Make someone who signed in with single sign-on a known person (`shared.people`), so
        that roles may be given to them as to a token's principal; once per process each."""
        if principal.name in self._signed_in:
            return
        await make_known(self.pool, principal.name, created_by="single sign-on")
        if len(self._signed_in) > 10_000:
            self._signed_in.clear()
        self._signed_in.add(principal.name)

    def note_use(self, principal: Principal) -> None:
        """Record the token's use in the background, at most once a minute per token."""
        if principal.token_id is None:
            return
        now = time.monotonic()
        last = self._last_recorded.get(principal.token_id)
        if last is not None and now - last < LAST_USE_INTERVAL.total_seconds():
            return
        if len(self._last_recorded) > 10_000:
            self._last_recorded.clear()
        self._last_recorded[principal.token_id] = now
        task = asyncio.create_task(self._record_use(principal.token_id))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _record_use(self, token_id: UUID) -> None:
        try:
            await record_use(self.pool, token_id)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
            self._last_recorded.pop(token_id, None)
            log.debug("could not record a token's last use: %s", error)

    async def listen_for_revocations(
        self, dsn: str, *, reconnect_delay: float = 1.0, probe_seconds: float = 5.0
    ) -> None:
        """Until cancelled: LISTEN on `irm_tokens` and clear the cache on each revocation.

        While the listener is not connected the cache is not used (every request looks its
        token up), so a revocation missed meanwhile cannot be served from the cache."""
        while True:
            conn: asyncpg.Connection | None = None
            try:
                conn = await asyncpg.connect(
                    dsn, server_settings={"application_name": REVOCATION_LISTENER}
                )
                lost = asyncio.Event()
                await conn.add_listener(TOKENS_CHANNEL, lambda *_: self.cache.clear())
                conn.add_termination_listener(_setter(lost))
                self.cache.clear()
                self.cache.listening = True
                while not lost.is_set():
                    with suppress(TimeoutError):
                        async with asyncio.timeout(probe_seconds):
                            await lost.wait()
                    if not lost.is_set():
                        # A dead peer may go unnoticed; a cheap probe notices it.
                        await conn.fetchval("SELECT 1", timeout=probe_seconds)
            except Exception as error:  # whatever broke it, listen again
                log.warning("not hearing token revocations (%s); reconnecting", error)
            finally:
                self.cache.listening = False
                self.cache.clear()
                if conn is not None:
                    with suppress(Exception):
                        await conn.close(timeout=1)
            await asyncio.sleep(reconnect_delay)

    async def aclose(self) -> None:
        """Wait briefly for the last-use writes under way; close the OIDC verifier's client."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=2)
        for task in set(self._tasks):
            task.cancel()
        if self.oidc is not None:
            await self.oidc.aclose()


def _setter(event: asyncio.Event) -> Callable[[object], None]:
    def set_it(_: object) -> None:
        event.set()

    return set_it


@dataclass(frozen=True)
class Services:
    """What the lifespan opened; one instance per app, on `app.state.services`."""

    pool: asyncpg.Pool
    store: EventStore
    repository: IncidentRepository
    commands: IncidentCommands
    tokens: TokenGuard
    read_wait_seconds: float
    webhook_allowlist: Allowlist
    webhook_secret_grace: timedelta
    reopen_closed_window: timedelta = REOPEN_CLOSED_WINDOW
    """How long after closing a closed incident may be reopened (`IRM_REOPEN_CLOSED_WINDOW`)."""
    update_cadence: Cadence = field(default_factory=lambda: parse_cadence(DEFAULT_UPDATE_CADENCE))
    """The customer-update cadence (`IRM_UPDATE_CADENCE`), for the post-mortem's compliance."""


async def get_services(request: Request) -> Services:
    """The app's services (async, so FastAPI does not hop to a thread for it)."""
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]

_bearer = HTTPBearer(
    auto_error=False,
    description="An API token from `irm tokens create`, or a JWT from the OIDC provider when "
    "single sign-on is configured.",
)


async def get_principal(
    request: Request,
    services: ServicesDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The principal behind the bearer token (an API token, or a JWT when OIDC is configured);
    401 when it is missing, unknown, revoked, expired or otherwise refused; 429 after too many
    failures from the client's address; 503 when the OIDC provider's keys cannot be fetched."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise _unauthorized("send Authorization: Bearer <token>")
    guard = services.tokens
    address = request.client.host if request.client is not None else "unknown"
    wait = guard.failures.retry_after(address)
    if wait is not None:
        log.warning("refused authentication from %s: too many failed attempts", address)
        raise ProblemError(
            429,
            "too-many-failed-logins",
            "Too many failed authentications",
            f"more than {guard.failures.allowed} failed authentications from this address "
            f"within {guard.failures.window_seconds:g} s; try again in {wait} s",
            headers={"Retry-After": str(wait)},
        )
    if guard.oidc is not None and looks_like_jwt(credentials.credentials):
        signed_in = await _verify_jwt(guard.oidc, guard.failures, address, credentials.credentials)
        await guard.know_signed_in(signed_in)
        return signed_in
    token_hash = hash_token(credentials.credentials)
    principal = guard.cache.get(token_hash)
    if principal is None:
        generation = guard.cache.generation
        try:
            principal = await authenticate(services.pool, credentials.credentials)
        except TokenRefusedError as refused:
            guard.failures.record(address)
            log.warning("failed authentication from %s: %s token", address, refused.reason)
            raise _unauthorized(refused.detail) from None
        guard.cache.put(token_hash, principal, generation=generation)
    guard.note_use(principal)
    return principal


async def _verify_jwt(
    oidc: OidcVerifier, failures: FailedLogins, address: str, token: str
) -> Principal:
    """A single sign-on JWT's principal (it has no stored row, so no last use to record)."""
    try:
        return await oidc.verify(token)
    except TokenRefusedError as refused:
        failures.record(address)
        log.warning("failed authentication from %s: %s JWT", address, refused.reason)
        raise _unauthorized(refused.detail) from None
    except IdentityProviderUnavailableError as down:
        # Not the client's fault, so not counted as a failed authentication.
        raise ProblemError(
            503,
            "identity-provider-unavailable",
            "The identity provider is unavailable",
            "the signing keys of the identity provider could not be fetched to check the "
            f"token; retry in {down.retry_after} s",
            headers={"Retry-After": str(down.retry_after)},
        ) from None


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
