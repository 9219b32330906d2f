"""Running commands: load the aggregate, call its method, append with optimistic concurrency."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from uuid import UUID

import asyncpg
import orjson

from services.incident_api.problems import ProblemError
from services.incident_api.recent import RecentIncidents
from services.incident_api.schemas import IncidentCreate
from shared.domain.incident import Incident
from shared.domain.values import Actor
from shared.eventstore.repository import IncidentRepository
from shared.eventstore.store import AppendHook, ConcurrencyConflictError


@dataclass(frozen=True, slots=True)
class CommandOutcome:
    """The incident after a command and the position of the command's last event."""

    incident: Incident
    position: int
    replayed: bool = False


class IncidentCommands:
    """The write side of the API; every change to an incident goes through here."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        repository: IncidentRepository,
        *,
        retries: int,
        recent: RecentIncidents | None = None,
    ) -> None:
        self._pool = pool
        self._repository = repository
        self._retries = retries
        self._recent = recent if recent is not None else RecentIncidents(0)

    async def declare(
        self, actor: Actor, request: IncidentCreate, *, idempotency_key: str | None
    ) -> CommandOutcome:
        """Declare an incident; a repeated Idempotency-Key returns the first result."""
        fingerprint = _fingerprint(request)
        while True:
            if idempotency_key is not None:
                earlier = await self._earlier_declare(actor, idempotency_key, fingerprint)
                if earlier is not None:
                    return earlier
            # A number lost to a failed append leaves a gap; numbers never repeat.
            number = int(await self._pool.fetchval("SELECT nextval('irm_incident_number_seq')"))
            incident = Incident.declare(
                actor=actor,
                number=number,
                title=request.title,
                description=request.description,
                criteria=[c.value for c in request.criteria],
                severity=None if request.severity is None else request.severity.value,
                services=request.services,
                owner=request.owner,
            )
            remember = None
            if idempotency_key is not None:
                remember = _remember_key(actor.principal, idempotency_key, fingerprint, incident.id)
            try:
                position = await self._repository.save(incident, within=remember)
            except asyncpg.UniqueViolationError:
                # A concurrent request with the same key won; the loop returns its result.
                continue
            self._recent.keep(incident)
            return CommandOutcome(incident=incident, position=position)

    async def execute(
        self,
        incident_id: UUID,
        actor: Actor,
        command: Callable[[Incident], None],
        *,
        expected_version: int | None,
    ) -> CommandOutcome:
        """Apply `command` to the latest state and append what it records.

        With `expected_version` (If-Match) a stale or concurrently changed incident is a 412.
        Without it, a concurrent write makes the command run again on the new state, up to
        the configured number of retries; the domain re-checks its rules every time.
        """
        attempts = 1 if expected_version is not None else self._retries + 1
        kept = self._recent.take(incident_id)
        conflicts = 0
        while True:
            incident = kept if kept is not None else await self._repository.get(incident_id)
            # A kept incident may be behind the log: whatever it leads to (a stale version, a
            # rule broken, a conflict) is decided again on a fresh load, at no retry's cost.
            behind_maybe, kept = kept is not None, None
            if expected_version is not None and incident.version != expected_version:
                if behind_maybe:
                    continue
                raise _stale(incident.version, expected_version)
            try:
                command(incident)
            except Exception:
                if behind_maybe:
                    continue
                raise
            try:
                position = await self._repository.save(incident)
            except ConcurrencyConflictError:
                if behind_maybe:
                    continue
                if expected_version is not None:
                    raise _stale(None, expected_version) from None
                conflicts += 1
                if conflicts == attempts:
                    raise
                continue
            self._recent.keep(incident)
            return CommandOutcome(incident=incident, position=position)

    async def _earlier_declare(
        self, actor: Actor, key: str, fingerprint: str
    ) -> CommandOutcome | None:
        row = await self._pool.fetchrow(
            """SELECT request_fingerprint, incident_id, position FROM irm_idempotency_keys
               WHERE principal = $1 AND idempotency_key = $2""",
            actor.principal,
            key,
        )
        if row is None:
            return None
        if row["request_fingerprint"] != fingerprint:
            raise ProblemError(
                422,
                "idempotency-key-reused",
                "Idempotency-Key was used for a different request",
                "send a new key for a new incident, or repeat the original request exactly",
            )
        incident = await self._repository.get(row["incident_id"])
        return CommandOutcome(incident=incident, position=int(row["position"]), replayed=True)


def _fingerprint(request: IncidentCreate) -> str:
    canonical = orjson.dumps(request.model_dump(mode="json"), option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(canonical).hexdigest()


def _remember_key(principal: str, key: str, fingerprint: str, incident_id: UUID) -> AppendHook:
    async def remember(conn: asyncpg.Connection, position: int) -> None:
        await conn.execute(
            """INSERT INTO irm_idempotency_keys
               (principal, idempotency_key, request_fingerprint, incident_id, position)
               VALUES ($1, $2, $3, $4, $5)""",
            principal,
            key,
            fingerprint,
            incident_id,
            position,
        )

    return remember


def _stale(current: int | None, expected: int) -> ProblemError:
    detail = f"If-Match expected version {expected}"
    if current is not None:
        detail += f", but the incident is at version {current}"
    else:
        detail += ", but another change was recorded first"
    return ProblemError(
        412,
        "version-mismatch",
        "The incident has changed since you read it",
        detail,
        expected_version=expected,
        current_version=current,
    )
