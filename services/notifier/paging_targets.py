"""Whom an escalation policy pages: a service's policy, and each level's targets resolved to
the people on call at an instant (a schedule by the version in force then, a person as is)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg
import orjson

from shared.domain.paging import Position, next_position
from shared.oncall.events import EscalationPolicyCreated, decode, schedule_versions
from shared.oncall.history import ScheduleHistory
from shared.oncall.store import read_stream


@dataclass(frozen=True, slots=True)
class Policy:
    """An escalation policy as the pager needs it."""

    id: str
    name: str
    repeat: int
    levels: list[dict[str, Any]]

    def timeout_seconds(self, level: int) -> int:
        """How long `level` (from 1) waits for an acknowledgement."""
        return int(self.levels[level - 1]["timeout_seconds"])


@dataclass(frozen=True, slots=True)
class NextPage:
    """The next level that has somebody to page, and the levels passed over for nobody."""

    position: Position
    people: list[str]
    skipped: list[int]


async def service_policy(conn: asyncpg.Pool | asyncpg.Connection, service: str) -> Policy | None:
    """The escalation policy of the catalogue's service named `service`, or None (no such
    service, or it has no policy); one query, as the pager asks this for every new incident."""
    row = await conn.fetchrow(
        "SELECT s.data ->> 'escalation_policy' AS policy_id, p.type, p.data::text AS data "
        "FROM irm_oncall_events s JOIN irm_oncall_events p "
        "ON p.stream_id = (s.data ->> 'escalation_policy')::uuid "
        "AND p.stream_type = 'escalation_policy' AND p.version = 1 "
        "WHERE s.stream_type = 'service' AND s.version = 1 AND s.data ->> 'name' = $1",
        service,
    )
    if row is None:
        return None
    event = decode(row["type"], orjson.loads(row["data"]))
    if not isinstance(event, EscalationPolicyCreated):
        return None
    return Policy(row["policy_id"], event.name, event.repeat, event.levels)


async def load_policy(conn: asyncpg.Pool | asyncpg.Connection, policy_id: str) -> Policy | None:
    """The policy with this id, or None."""
    recorded = await read_stream(conn, UUID(policy_id), "escalation_policy")
    if not recorded or not isinstance(recorded[0].event, EscalationPolicyCreated):
        return None
    event = recorded[0].event
    return Policy(policy_id, event.name, event.repeat, event.levels)


async def on_call(
    conn: asyncpg.Pool | asyncpg.Connection, policy: Policy, level: int, at: datetime
) -> list[str]:
    """The people `level` of the policy pages at `at`: each target's, in order, each once."""
    people: list[str] = []
    for target in policy.levels[level - 1]["targets"]:
        if target["type"] == "person":
            people.append(target["handle"])
            continue
        recorded = await read_stream(conn, UUID(target["id"]), "schedule")
        if recorded:
            versions = schedule_versions([(r.recorded_at, r.event) for r in recorded])
            people.extend(ScheduleHistory(versions).on_call(at).people)
    return list(dict.fromkeys(people))


async def next_page(
    conn: asyncpg.Pool | asyncpg.Connection, policy: Policy, after: Position, at: datetime
) -> NextPage | None:
    """The first position after `after` whose level has somebody on call at `at`, or None when
    the policy (its last level of its last round) has none left."""
    skipped: list[int] = []
    position = next_position(after, levels=len(policy.levels), repeat=policy.repeat)
    while position is not None:
        people = await on_call(conn, policy, position[1], at)
        if people:
            return NextPage(position, people, skipped)
        skipped.append(position[1])
        position = next_position(position, levels=len(policy.levels), repeat=policy.repeat)
    return None
