"""What the projector's integration tests share: stories written to the log, read models read
back, the same read models folded from the log in Python, and an API with its own settings."""

from __future__ import annotations

import asyncio
import dataclasses
import random
import signal
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import asyncpg
import httpx
import orjson
import pytest
import pytest_asyncio

from services.incident_api.app import create_app
from services.incident_api.settings import ApiSettings
from services.projector.projector import PROJECTOR_NAME
from services.projector.runner import projector_running
from services.projector.settings import ProjectorSettings
from shared.database import Database
from shared.domain.cadence import Cadence
from shared.domain.incident import Incident
from shared.domain.values import Actor
from shared.eventstore.repository import IncidentRepository
from shared.eventstore.store import EventStore
from shared.readmodels.follow_ups import FollowUpRow, follow_up_id_of, project_follow_up
from shared.readmodels.incidents import IncidentRow, project
from shared.readmodels.tables import (
    follow_up_from_record,
    incident_from_record,
    timeline_from_record,
)
from shared.readmodels.timeline import TimelineEntry, timeline_entry
from shared.tokens import Scope
from shared.tracking import tracked_position
from tests.conftest import TokenFactory, bearer
from tests.e2e.conftest import IRM, irm_env
from tests.problems import assert_problem as assert_problem

Headers = dict[str, str]
ApiFactory = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]

PEOPLE = ("alice", "bob", "carol", "dave", "erin")
ROLES = ("incident_commander", "communications_lead", "operations_lead")
SEVERITIES = ("P1", "P2", "P3", "P4")
FACTOR_CATEGORIES = ("detection", "process", "change", "capacity", "dependency", "other")
WHOLE_LOG = 10_000_000
CAUGHT_UP_WITHIN_S = 60.0


# --- writing stories ----------------------------------------------------------------------


def random_command(incident: Incident, rng: random.Random) -> Callable[[], object]:
    """A command the incident accepts now, issued by its acting commander."""
    ic = Actor(incident.acting_commander)
    n = incident.version
    if incident.status == "closed":
        return review_command(incident, rng)
    if incident.status == "resolved":
        return rng.choice(
            [
                lambda: incident.close(ic),
                lambda: incident.reopen(ic, reason=f"not fixed after all ({n})"),
                lambda: incident.post_update(ic, audience="customer", body=f"resolved ({n})"),
                review_command(incident, rng),
                review_command(incident, rng),
            ]
        )
    role = rng.choice(ROLES)
    holder = incident.roles.get(role)
    assignee = rng.choice([p for p in PEOPLE if p != holder])
    severity = rng.choice([s for s in SEVERITIES if s != incident.severity])
    return rng.choice(
        [
            lambda: incident.assign_role(ic, role=role, assignee=assignee, note=f"shift {n}"),
            lambda: incident.change_severity(ic, severity=severity, reason=f"reassessed ({n})"),
            lambda: incident.assess_impact(ic, impact=f"impact {n}", scope=f"scope {n}"),
            lambda: incident.link_ticket(ic, system="jira", key=f"OPS-{n}", url=None),
            lambda: incident.post_update(ic, audience="internal", body=f"internal {n}\nmore"),
            lambda: incident.post_update(ic, audience="customer", body=f"customer {n} | ok"),
            lambda: incident.post_update(ic, audience="customer", body=f"customer {n} | ok"),
            lambda: incident.escalate(ic, target="database-team", reason=f"reason {n}"),
            lambda: incident.resolve(ic, resolution="restored", summary=f"fixed {n}"),
            lambda: incident.set_impact_window(
                ic,
                started_at=incident.created_on - timedelta(minutes=n + 1),
                detected_at=incident.created_on - timedelta(seconds=n),
            ),
            lambda: incident.add_timeline_entry(
                ic, occurred_at=incident.created_on - timedelta(minutes=n), text=f"outside {n}"
            ),
        ]
    )


def review_command(incident: Incident, rng: random.Random) -> Callable[[], object]:
    """A step of the post-incident review of a resolved or closed incident, by its IC."""
    ic = Actor(incident.acting_commander)
    n = incident.version
    review = incident.review
    if review.status == "none":
        return lambda: incident.start_postmortem(ic, facilitator=rng.choice(PEOPLE))
    due = f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    # A published review's findings wait for an amendment (issue 11); its follow-ups do not.
    steps: list[Callable[[], object]] = [
        lambda: incident.amend_postmortem(ic, reason=f"amended {n}")
    ]
    if review.status != "published":
        steps = [
            lambda: incident.record_root_cause(ic, text=f"root cause {n}"),
            lambda: incident.add_contributing_factor(
                ic, text=f"factor {n}", category=rng.choice(FACTOR_CATEGORIES)
            ),
            lambda: incident.add_follow_up(
                ic, title=f"follow-up {n}", owner=rng.choice(PEOPLE), due_date=due, ticket=None
            ),
        ]
        factors = [f["id"] for f in review.contributing_factors]
        if factors:
            factor = rng.choice(factors)
            steps += [
                lambda: incident.edit_contributing_factor(ic, factor_id=factor, text=f"f {n}"),
                lambda: incident.withdraw_contributing_factor(
                    ic, factor_id=factor, reason=f"withdrawn {n}"
                ),
            ]
    open_follow_ups = [
        f.id for f in review.follow_ups.values() if f.completed_at is None and not f.cancelled
    ]
    if open_follow_ups:
        chosen = rng.choice(open_follow_ups)
        owner = rng.choice([p for p in PEOPLE if p != review.follow_ups[chosen].owner])
        steps += [
            lambda: incident.complete_follow_up(ic, follow_up_id=chosen, note=f"done {n}"),
            lambda: incident.reassign_follow_up(ic, follow_up_id=chosen, owner=owner),
            lambda: incident.cancel_follow_up(ic, follow_up_id=chosen, reason=f"cancelled {n}"),
        ]
        if review.follow_ups[chosen].due_date != "2027-01-01":
            steps.append(
                lambda: incident.change_follow_up_due_date(
                    ic, follow_up_id=chosen, due_date="2027-01-01", reason=f"moved {n}"
                )
            )
    if review.root_cause is not None and review.status != "published":
        steps.append(lambda: incident.publish_postmortem(ic, no_follow_up_reason=f"none {n}"))
    return rng.choice(steps)


def declare(
    number: int = 1, *, severity: str | None = "P2", services: Iterable[str] = ("checkout",)
) -> Incident:
    """An incident declared by alice (so she acts as IC), its Declared event pending."""
    return Incident.declare(
        actor=Actor("alice"),
        number=number,
        title=f"Checkout 500s ({number})",
        criteria=["customer_sla_at_risk"],
        severity=severity,
        services=services,
    )


def post_internal(incident: Incident, count: int, *, prefix: str = "update") -> None:
    """Post `count` internal updates as alice, their events pending."""
    for n in range(count):
        incident.post_update(Actor("alice"), audience="internal", body=f"{prefix} {n}")


class StoryWriter:
    """Writes valid, varied incident stories through the repository, one append per command.

    It keeps its aggregates in memory, so it must be the only writer of its incidents.
    """

    def __init__(self, repository: IncidentRepository, *, seed: int, first_number: int = 1):
        self._repository = repository
        self._rng = random.Random(seed)
        self._next_number = first_number
        self._live: list[Incident] = []
        self.appends = 0
        self.last_position = 0

    async def step(self) -> int:
        """Declare a new incident or run one command on a live one; returns its position."""
        if not self._live or self._rng.random() < 0.12:
            incident = Incident.declare(
                actor=Actor(self._rng.choice(PEOPLE)),
                number=self._next_number,
                title=f"Incident {self._next_number}: checkout_errors 100%",
                criteria=["customer_sla_at_risk"],
                severity=self._rng.choice([*SEVERITIES, None]),
                services=self._rng.sample(["checkout", "payments", "search", "db"], k=2),
            )
            self._next_number += 1
            self._live.append(incident)
        else:
            incident = self._rng.choice(self._live)
            random_command(incident, self._rng)()
            if incident.status == "closed" and incident.review.status == "published":
                self._live.remove(incident)
        self.last_position = await self._repository.save(incident)
        self.appends += 1
        return self.last_position

    async def write(self, commands: int) -> int:
        """Run this many commands; returns the position of the last one."""
        for _ in range(commands):
            await self.step()
        return self.last_position

    async def keep_writing(self, stop: asyncio.Event, *, pause: float = 0.0) -> int:
        """Write until `stop` is set; returns how many commands were written."""
        while not stop.is_set():
            await self.step()
            await asyncio.sleep(pause)
        return self.appends


async def append_at(store: EventStore, incident: Incident, when: datetime) -> int:
    """Append the incident's pending events as if they happened at `when`; returns the position."""
    events = [dataclasses.replace(e, timestamp=when) for e in incident.collect_events()]
    return await store.append(events)


async def append_silently(pool: asyncpg.Pool, store: EventStore, incident: Incident) -> int:
    """Append the pending events with eventsourcing-compatible SQL that sends no NOTIFY."""
    stored = [store.mapper.to_stored_event(e) for e in incident.collect_events()]
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("LOCK TABLE irm_events IN EXCLUSIVE MODE")
        positions = await conn.fetch(
            """INSERT INTO irm_events (originator_id, originator_version, topic, state)
                SELECT * FROM unnest($1::uuid[], $2::bigint[], $3::text[], $4::bytea[])
                RETURNING notification_id""",
            [s.originator_id for s in stored],
            [s.originator_version for s in stored],
            [s.topic for s in stored],
            [s.state for s in stored],
        )
    return max(int(r["notification_id"]) for r in positions)


# --- reading read models back -------------------------------------------------------------


Rows = list[dict[str, Any]]


async def table_rows(pool: asyncpg.Pool) -> tuple[Rows, Rows, Rows]:
    """Every row of rm_incidents (by id), rm_timeline (by position) and rm_follow_ups (by id),
    exactly as stored."""
    incidents = await pool.fetch("SELECT * FROM rm_incidents ORDER BY id")
    timeline = await pool.fetch("SELECT * FROM rm_timeline ORDER BY position")
    follow_ups = await pool.fetch("SELECT * FROM rm_follow_ups ORDER BY id")
    return [dict(r) for r in incidents], [dict(r) for r in timeline], [dict(r) for r in follow_ups]


ReadModels = tuple[list[IncidentRow], list[TimelineEntry], list[FollowUpRow]]


async def projected(pool: asyncpg.Pool) -> ReadModels:
    """The read models as the projector left them."""
    incidents, timeline, follow_ups = await table_rows(pool)
    return (
        [incident_from_record(r) for r in incidents],
        [timeline_from_record(r) for r in timeline],
        [follow_up_from_record(r) for r in follow_ups],
    )


async def folded(store: EventStore, cadence: Cadence) -> ReadModels:
    """The read models as a fold of the whole log in Python says they must be."""
    log = await store.read_log(after=0, limit=WHOLE_LOG)
    rows: dict[UUID, IncidentRow] = {}
    follow_ups: dict[UUID, FollowUpRow | None] = {}
    for recorded in log:
        rows[recorded.originator_id] = project(rows.get(recorded.originator_id), recorded, cadence)
        follow_up_id = follow_up_id_of(recorded)
        if follow_up_id is not None:
            follow_ups[follow_up_id] = project_follow_up(follow_ups.get(follow_up_id), recorded)
    return (
        sorted(rows.values(), key=lambda r: r.id),
        [_as_stored(timeline_entry(r)) for r in log],
        sorted((f for f in follow_ups.values() if f is not None), key=lambda f: f.id),
    )


def _as_stored(entry: TimelineEntry) -> TimelineEntry:
    """The entry as rm_timeline gives it back: its data through JSON (moments as text)."""
    return dataclasses.replace(entry, data=orjson.loads(orjson.dumps(entry.data, default=str)))


async def assert_timeline_has_every_event_once(pool: asyncpg.Pool) -> None:
    """One timeline row per stored event: no duplicates, no gaps."""
    timeline = [
        r["position"] for r in await pool.fetch("SELECT position FROM rm_timeline ORDER BY 1")
    ]
    events = [
        r["notification_id"]
        for r in await pool.fetch("SELECT notification_id FROM irm_events ORDER BY 1")
    ]
    assert len(timeline) == len(set(timeline)), "a timeline row is duplicated"
    assert timeline == events


async def wait_until_caught_up(
    pool: asyncpg.Pool, store: EventStore, *, within: float = CAUGHT_UP_WITHIN_S
) -> int:
    """Wait (bounded) until the projector's tracked position reaches the head of the log."""
    head = await store.max_position()
    await wait_for(lambda: _at_least(pool, head), within=within, what=f"projector at {head}")
    return head


async def _at_least(pool: asyncpg.Pool, position: int) -> bool:
    return await tracked_position(pool, PROJECTOR_NAME) >= position


async def wait_for(
    condition: Callable[[], Awaitable[bool]], *, within: float, what: str, poll: float = 0.05
) -> None:
    """Poll `condition` until it holds; fail after `within` seconds."""
    give_up = time.monotonic() + within
    while not await condition():
        if time.monotonic() > give_up:
            pytest.fail(f"gave up waiting for {what} after {within} s")
        await asyncio.sleep(poll)


# --- processes and APIs --------------------------------------------------------------------


class ProjectorProcess:
    """`irm projector` as a real process on the test's database, with default settings; what
    each process started with it writes to stderr is appended to one log file."""

    def __init__(self, database_url: str, log_path: Path) -> None:
        self._env = irm_env(IRM_DATABASE_URL=database_url)
        self.log_path = log_path
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        """Start a new process; what it writes to stderr is appended to the log file."""
        with self.log_path.open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                IRM, "projector", env=self._env, stdout=asyncio.subprocess.DEVNULL, stderr=log
            )

    def output(self) -> str:
        """Everything the processes wrote so far."""
        return self.log_path.read_text(errors="replace")

    async def kill(self, sig: signal.Signals = signal.SIGKILL) -> int:
        """Send `sig` and wait for the process to end; returns its exit code."""
        assert self.process is not None
        assert self.process.returncode is None, f"the projector died on its own:\n{self.output()}"
        self.process.send_signal(sig)
        return await self.process.wait()

    async def stop(self, sig: signal.Signals) -> int:
        """Send `sig` unless the process has ended; returns its exit code."""
        assert self.process is not None
        if self.process.returncode is None:
            self.process.send_signal(sig)
        return await asyncio.wait_for(self.process.wait(), timeout=60)

    async def stop_if_running(self) -> None:
        """Kill the process if a failed assertion left it running, so it outlives no test."""
        if self.process is not None and self.process.returncode is None:
            self.process.kill()
            await self.process.wait()


@pytest.fixture
def database(pool: asyncpg.Pool, database_url: str) -> Database:
    """The test's database as the services see it."""
    return Database(pool=pool, url=database_url, embedded=False)


@pytest_asyncio.fixture(loop_scope="session")
async def live_projector(
    database: Database, projector_settings: ProjectorSettings
) -> AsyncIterator[None]:
    """The projector running in the background, as `irm serve` runs it."""
    async with projector_running(database, projector_settings):
        yield


@pytest.fixture
def start_api(database_url: str) -> ApiFactory:
    """Start an API on the test's database with chosen settings, and a projector unless
    `projector=None` (else a dict of projector settings); yields a client."""

    @asynccontextmanager
    async def start(
        *, projector: dict[str, Any] | None = None, **api: Any
    ) -> AsyncIterator[httpx.AsyncClient]:
        app = create_app(ApiSettings(database_url=database_url, **api))
        async with app.router.lifespan_context(app), AsyncExitStack() as stack:
            if projector is not None:
                settings = ProjectorSettings(
                    database_url=database_url,
                    **{"projector_idle_timeout": 0.2, **projector},
                )
                database = Database(pool=app.state.services.pool, url=database_url, embedded=False)
                await stack.enter_async_context(projector_running(database, settings))
            transport = httpx.ASGITransport(app=app)
            yield await stack.enter_async_context(
                httpx.AsyncClient(transport=transport, base_url="http://irm.test")
            )

    return start


@pytest_asyncio.fixture(loop_scope="session")
async def root(make_token: TokenFactory) -> Headers:
    """An admin, who may act as any incident's commander."""
    return bearer(await make_token("root", Scope.ADMIN))


@pytest_asyncio.fixture(loop_scope="session")
async def reader(make_token: TokenFactory) -> Headers:
    """A reader: every query, no command."""
    return bearer(await make_token("viewer", Scope.READ))


def minutes_after(start: datetime, minutes: float) -> datetime:
    """`start` plus some minutes."""
    return start + timedelta(minutes=minutes)


def numbers(items: Iterable[dict[str, Any]]) -> list[int]:
    """The incident numbers of listed items, in order."""
    return [int(item["number"]) for item in items]
