"""Load and save Incident aggregates: latest snapshot plus later events; snapshots off-path."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import cast
from uuid import UUID

from eventsourcing.domain import Snapshot

from shared.domain.incident import Incident
from shared.eventstore.store import AppendHook, EventStore

log = logging.getLogger(__name__)


class IncidentNotFoundError(Exception):
    """No incident with this id has been declared."""

    def __init__(self, incident_id: UUID, *, at: datetime | None = None) -> None:
        when = "" if at is None else f" at {at.isoformat()}"
        super().__init__(f"incident {incident_id} not found{when}")
        self.incident_id = incident_id


class IncidentRepository:
    """The aggregate's door to the event store.

    Every `snapshot_interval` events a snapshot is written by a background task, so the
    command that crossed the boundary does not wait for it.
    """

    def __init__(self, store: EventStore, *, snapshot_interval: int = 100) -> None:
        if snapshot_interval < 1:
            raise ValueError("snapshot_interval must be 1 or more")
        self._store = store
        self._snapshot_interval = snapshot_interval
        self._snapshot_tasks: set[asyncio.Task[None]] = set()

    async def get(self, incident_id: UUID, *, up_to_version: int | None = None) -> Incident:
        """The incident as of its latest version, or as of `up_to_version`."""
        snapshot, events = await self._store.read_latest(incident_id, up_to_version=up_to_version)
        if snapshot is not None and _outdated(snapshot):
            snapshot = None
            events = await self._store.read_stream(incident_id, up_to_version=up_to_version)
        aggregate: Incident | None = None
        if snapshot is not None:
            aggregate = cast(Incident, snapshot.mutate(None))
        for recorded in events:
            aggregate = recorded.event.mutate(aggregate)
        if aggregate is None:
            raise IncidentNotFoundError(incident_id)
        return aggregate

    async def get_as_of(self, incident_id: UUID, moment: datetime) -> Incident:
        """The incident exactly as it stood at `moment`: its events up to then, replayed."""
        aggregate: Incident | None = None
        for recorded in await self._store.read_stream(incident_id):
            if recorded.event.timestamp > moment:
                break
            aggregate = recorded.event.mutate(aggregate)
        if aggregate is None:
            raise IncidentNotFoundError(incident_id, at=moment)
        return aggregate

    async def save(self, incident: Incident, *, within: AppendHook | None = None) -> int:
        """Append the incident's pending events; returns the position of the last one."""
        return await self.save_together(incident, within=within)

    async def save_together(self, *incidents: Incident, within: AppendHook | None = None) -> int:
        """Append the pending events of all `incidents` in one append: all of them land or, on
        a version conflict of any (`ConcurrencyConflictError`), none. Returns the position of
        the last event."""
        pending = [(incident, incident.collect_events()) for incident in incidents]
        position = await self._store.append(
            [event for _, events in pending for event in events], within=within
        )
        for incident, events in pending:
            first_version = events[0].originator_version
            if (first_version - 1) // self._snapshot_interval != (
                incident.version // self._snapshot_interval
            ):
                self._schedule_snapshot(incident.id)
        return position

    async def drain(self) -> None:
        """Wait for snapshots still being written (called on shutdown and by tests)."""
        while self._snapshot_tasks:
            await asyncio.gather(*list(self._snapshot_tasks), return_exceptions=True)

    def _schedule_snapshot(self, incident_id: UUID) -> None:
        task = asyncio.create_task(self._take_snapshot(incident_id))
        self._snapshot_tasks.add(task)
        task.add_done_callback(self._snapshot_tasks.discard)

    async def _take_snapshot(self, incident_id: UUID) -> None:
        # Loaded afresh rather than taken from the caller's object, which may have moved on.
        try:
            incident = await self.get(incident_id)
            await self._store.write_snapshot(Incident.Snapshot.take(incident))
        except Exception:
            # A lost snapshot costs only load time; the events are already safe.
            log.exception("snapshot of incident %s failed", incident_id)


def _outdated(snapshot: Snapshot) -> bool:
    """Whether the snapshot was taken by an older version of the aggregate, which lacks state
    the current one keeps (e.g. the peak severity): such an incident is replayed from its
    events, which is exact, rather than upcast, which could only guess."""
    return int(snapshot.state.get("class_version", 1)) < Incident.class_version
