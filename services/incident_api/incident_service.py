"""The write side of the incident API: run a command on the latest state of an incident.

`IncidentCommands` takes the commands of `commands` (plain dataclasses) and the acting
principal, loads the aggregate, calls its method and appends what it recorded with optimistic
concurrency. It knows nothing of HTTP: its refusals are the domain's errors and the
application's (`errors`), which only the API's error handlers turn into answers.
"""

from __future__ import annotations

import asyncio
import hashlib
import random
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

import asyncpg
import orjson

from services.incident_api.commands import (
    DeclareIncident,
    IncidentCommand,
    arguments,
    people_named,
)
from services.incident_api.errors import (
    ConcurrentModificationError,
    IdempotencyKeyReusedError,
    UnknownIncidentError,
    UnknownPersonError,
    VersionMismatchError,
)
from services.incident_api.own_writes import OWN_WRITES_KEPT, OwnWrites
from services.incident_api.recent import RecentIncidents
from shared.domain.incident import Incident
from shared.domain.values import Actor
from shared.eventstore.repository import IncidentNotFoundError, IncidentRepository
from shared.eventstore.store import AppendHook, ConcurrencyConflictError
from shared.people import unknown_handles

# After its n-th lost race in its lane a command waits a random time up to min(_BACKOFF_CAP,
# _BACKOFF_BASE * 2**(n-1)) seconds before it loads again, so replicas that lost together do not
# all come back together; the cap keeps a lane that lost often from falling far behind.
_BACKOFF_BASE = 0.001
_BACKOFF_CAP = 0.025


@dataclass(frozen=True, slots=True)
class CommandOutcome:
    """The incident after a command, the position of its last event, and what it returned."""

    incident: Incident
    position: int
    replayed: bool = False
    result: str | None = None


class IncidentCommands:
    """The application service; every change to an incident goes through here."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        repository: IncidentRepository,
        *,
        retry_seconds: float,
        retries: int | None = None,
        recent: RecentIncidents | None = None,
        own_writes: OwnWrites | None = None,
    ) -> None:
        self._pool = pool
        self._repository = repository
        self._retry_seconds = retry_seconds
        self._retries = retries
        self._recent = recent if recent is not None else RecentIncidents(0)
        self._lanes = _Lanes()
        self.own_writes = own_writes if own_writes is not None else OwnWrites(OWN_WRITES_KEPT)
        """What this process appended, so its reads wait for it (read your own writes)."""

    async def load(self, incident_id: UUID, *, as_of: datetime | None = None) -> Incident:
        """The incident as it is now, or as it stood at `as_of`."""
        try:
            if as_of is None:
                return await self._repository.get(incident_id)
            return await self._repository.get_as_of(incident_id, as_of)
        except IncidentNotFoundError as missing:
            raise UnknownIncidentError(incident_id, str(missing)) from None

    async def declare(
        self, command: DeclareIncident, actor: Actor, *, idempotency_key: str | None
    ) -> CommandOutcome:
        """Declare an incident; a repeated Idempotency-Key returns the first result."""
        await self._check_people(command)
        fingerprint = _fingerprint(command)
        while True:
            if idempotency_key is not None:
                earlier = await self._earlier_declare(actor, idempotency_key, fingerprint)
                if earlier is not None:
                    self._wrote(earlier.incident, earlier.position)
                    return earlier
            # A number lost to a failed append leaves a gap; numbers never repeat.
            number = int(await self._pool.fetchval("SELECT nextval('irm_incident_number_seq')"))
            incident = command.start(actor, number)
            remember = None
            if idempotency_key is not None:
                remember = _remember_key(actor.principal, idempotency_key, fingerprint, incident.id)
            try:
                position = await self._repository.save(incident, within=remember)
            except asyncpg.UniqueViolationError:
                # A concurrent request with the same key won; the loop returns its result.
                continue
            self._recent.keep(incident)
            self._wrote(incident, position)
            return CommandOutcome(incident=incident, position=position)

    async def declare_new(
        self,
        start: Callable[[int], Incident],
        *,
        within: Callable[[Incident], AppendHook] | None = None,
    ) -> CommandOutcome:
        """Declare the incident `start` makes from the next number, with whatever else it
        recorded, in one append (with the hook `within` makes for it in the append's
        transaction): the alert intake's way in."""
        number = int(await self._pool.fetchval("SELECT nextval('irm_incident_number_seq')"))
        incident = start(number)
        hook = None if within is None else within(incident)
        position = await self._repository.save(incident, within=hook)
        self._recent.keep(incident)
        self._wrote(incident, position)
        return CommandOutcome(incident=incident, position=position)

    async def execute(
        self,
        incident_id: UUID,
        command: IncidentCommand,
        actor: Actor,
        *,
        expected_version: int | None = None,
    ) -> CommandOutcome:
        """Apply `command` to the latest state and append what it records.

        With `expected_version` (If-Match) a stale or concurrently changed incident is a
        `VersionMismatchError`. Without it, a command that loses the append race is decided
        again on a fresh load of the newer state until it lands: the domain re-checks its
        rules every time, so only a rule that fails on the newer state refuses it. Commands
        on an incident that lost a race in this process take turns (its lane) rather than race
        again; a race lost to another process waits a short random time before the next turn.
        Once `retry_seconds` (or the optional count of `retries`) is spent, a lost race or a
        turn not come is a `ConcurrentModificationError`.
        """
        if expected_version is not None:
            try:
                return await self._attempt(incident_id, command, actor, expected_version)
            except ConcurrencyConflictError:
                raise VersionMismatchError(expected_version, None) from None
        clock = asyncio.get_running_loop()
        deadline = clock.time() + self._retry_seconds
        conflicts = 0
        if not self._lanes.busy(incident_id):
            try:
                return await self._attempt(incident_id, command, actor)
            except ConcurrencyConflictError:
                conflicts = 1
                self._check_budget(conflicts, 0.0, deadline)
        async with self._lanes.turn(incident_id, deadline):
            while True:
                try:
                    # After a lost race the state is loaded afresh, never taken from memory.
                    return await self._attempt(incident_id, command, actor, kept=conflicts == 0)
                except ConcurrencyConflictError:
                    # Another process (or a command that started before the lane) landed first.
                    conflicts += 1
                    wait = _backoff(conflicts)
                    self._check_budget(conflicts, wait, deadline)
                    await asyncio.sleep(wait)

    async def _attempt(
        self,
        incident_id: UUID,
        command: IncidentCommand,
        actor: Actor,
        expected_version: int | None = None,
        *,
        kept: bool = True,
    ) -> CommandOutcome:
        """Decide the command once on the latest state and append it; a lost race is a
        `ConcurrencyConflictError`."""
        state = self._recent.take(incident_id) if kept else None
        while True:
            incident = state if state is not None else await self.load(incident_id)
            # A kept incident may be behind the log: whatever it leads to (a stale version, a
            # rule broken, a conflict) is decided again on a fresh load, at no retry's cost.
            behind_maybe, state = state is not None, None
            if expected_version is not None and incident.version != expected_version:
                if behind_maybe:
                    continue
                raise VersionMismatchError(expected_version, incident.version)
            try:
                result = command.apply(incident, actor)
            except Exception:
                if behind_maybe:
                    continue
                raise
            # After the incident's own rules, so that whoever may not act hears that first.
            await self._check_people(command)
            try:
                position = await self._repository.save(incident)
            except ConcurrencyConflictError:
                if behind_maybe:
                    continue
                raise
            self._recent.keep(incident)
            self._wrote(incident, position)
            return CommandOutcome(incident=incident, position=position, result=result)

    async def link(
        self, incident_id: UUID, other_id: UUID, relation: str, actor: Actor
    ) -> CommandOutcome:
        """Link `incident_id` to `other_id` (this incident <relation> other): `IncidentLinked`
        on both, in one append, so both incidents record the link or neither does.

        Both are loaded fresh on every attempt (never from the recent-incidents cache); a lost
        race is decided again on the newer states until `retry_seconds` (or `retries`) are
        spent, then `ConcurrentModificationError`. Neither incident is kept in the cache.
        """
        deadline = asyncio.get_running_loop().time() + self._retry_seconds
        conflicts = 0
        while True:
            # Whatever the cache holds of either is older than what this append will make.
            self._recent.take(incident_id)
            self._recent.take(other_id)
            incident = await self.load(incident_id)
            other = await self.load(other_id)
            incident.link(
                actor,
                other_id=other.id,
                other_reference=other.reference,
                relation=relation,
                direction="to",
            )
            other.link(
                actor,
                other_id=incident.id,
                other_reference=incident.reference,
                relation=relation,
                direction="from",
            )
            try:
                position = await self._repository.save_together(incident, other)
            except ConcurrencyConflictError:
                conflicts += 1
                wait = _backoff(conflicts)
                self._check_budget(conflicts, wait, deadline)
                await asyncio.sleep(wait)
                continue
            self._wrote(incident, position)
            self._wrote(other, position)
            return CommandOutcome(incident=incident, position=position)

    async def _check_people(self, command: DeclareIncident | IncidentCommand) -> None:
        """Refuse a command that names someone nobody added (`UnknownPersonError`)."""
        named = people_named(command)
        if not named:
            return
        unknown = await unknown_handles(self._pool, list(named.values()))
        for field_name, handle in named.items():
            if handle in unknown:
                raise UnknownPersonError(field_name, handle)

    def _wrote(self, incident: Incident, position: int) -> None:
        self.own_writes.appended(incident.id, incident.number, position)

    def _check_budget(self, conflicts: int, wait: float, deadline: float) -> None:
        """Give up (409) when the retries or the time, counting the coming wait, are spent."""
        if self._retries is not None and conflicts > self._retries:
            raise ConcurrentModificationError
        if asyncio.get_running_loop().time() + wait >= deadline:
            raise ConcurrentModificationError

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
            raise IdempotencyKeyReusedError
        incident = await self.load(row["incident_id"])
        return CommandOutcome(incident=incident, position=int(row["position"]), replayed=True)


# Declare fields added since keys were first stored: left out of the fingerprint while unset,
# so a request without them still has the fingerprint the older code stored for it.
_ADDED_SINCE_KEYS_WERE_STORED = frozenset({"started_at", "detected_at"})


def _fingerprint(command: DeclareIncident) -> str:
    # The same bytes as the request body's JSON with sorted keys, as keys stored before hold.
    fields = {
        name: value
        for name, value in arguments(command).items()
        if value is not None or name not in _ADDED_SINCE_KEYS_WERE_STORED
    }
    canonical = orjson.dumps(fields, option=orjson.OPT_SORT_KEYS)
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


def _backoff(conflicts: int) -> float:
    """A random wait after the `conflicts`-th lost race: full jitter, exponential, capped."""
    ceiling = min(_BACKOFF_CAP, _BACKOFF_BASE * 2 ** (conflicts - 1))
    return random.uniform(0, ceiling)  # noqa: S311 (spreading retries, not a secret)


@dataclass(slots=True)
class _Lane:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    users: int = 0


class _Lanes:
    """Per incident, the commands of this process that take turns because it is busy.

    A command whose append lost the race queues here rather than racing its neighbours again,
    and so does every new command on the incident while anyone is queued: within one process
    they then cannot conflict with each other, and each waits its turn in arrival order
    instead of losing again and again to whoever comes fresh from a win. A lane exists only
    while a command is in it or waiting for it.
    """

    def __init__(self) -> None:
        self._lanes: dict[UUID, _Lane] = {}

    def busy(self, incident_id: UUID) -> bool:
        """Whether commands on the incident take turns now."""
        return incident_id in self._lanes

    @asynccontextmanager
    async def turn(self, incident_id: UUID, deadline: float) -> AsyncIterator[None]:
        """Wait for the incident's turn, until `deadline` (then `ConcurrentModificationError`)."""
        lane = self._lanes.setdefault(incident_id, _Lane())
        lane.users += 1
        try:
            try:
                async with asyncio.timeout_at(deadline):
                    await lane.lock.acquire()
            except TimeoutError:
                raise ConcurrentModificationError from None
            try:
                yield
            finally:
                lane.lock.release()
        finally:
            lane.users -= 1
            if lane.users == 0:
                del self._lanes[incident_id]
