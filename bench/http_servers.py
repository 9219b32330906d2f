"""The HTTP servers of the command benchmarks: ours and the baselines, each in its own process.

| side | process |
|---|---|
| ours | `irm serve`: the API, the projector and the notifier in one process |
| api | the API alone: `bench/api_app.py` under uvicorn |
| ceiling | baseline (a): `bench/ceiling_app.py` under uvicorn |
| eventsourcing | baseline (b): `bench/es_app.py` under uvicorn |

All listen on 127.0.0.1, on a free port, and use the benchmark's database.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import asyncpg
import httpx
import orjson

from bench.append import POOL_SIZE, create_ceiling_table
from bench.es_baseline import eventsourcing_env
from bench.processes import (
    IRM,
    LOOPBACK,
    PYTHON,
    Process,
    Supervisor,
    clean_env,
    service_env,
)
from bench.workload import PEOPLE
from shared.people import make_known
from shared.tokens import Scope, create_token


@dataclass(frozen=True, slots=True)
class Server:
    """One of the servers under test."""

    side: str
    process: Process
    base_url: str


async def prepare_database(url: str) -> str:
    """The ceiling's table, the people the declarations name as owners (only a known person
    may own an incident), and a write token for ours; returns the token."""
    pool = await asyncpg.create_pool(url, min_size=1, max_size=2)
    try:
        await create_ceiling_table(pool)
        for person in PEOPLE:
            await make_known(pool, person, created_by="bench")
        return await create_token(pool, principal="bench", scope=Scope.WRITE)
    finally:
        await pool.close()


async def start_servers(supervisor: Supervisor, url: str, sides: tuple[str, ...]) -> list[Server]:
    """Start the servers at once; returns them in the order asked."""
    return list(await asyncio.gather(*(start_server(supervisor, side, url) for side in sides)))


async def start_server(supervisor: Supervisor, side: str, url: str) -> Server:
    """Start one server on a free port; it is ready when its health check answers 200."""
    irm_env = service_env(url)
    commands: dict[str, tuple[Callable[[int], list[str]], dict[str, str], str]] = {
        "ours": (
            lambda port: [IRM, "serve", "--host", LOOPBACK, "--port", str(port)],
            irm_env,
            "/readyz",
        ),
        "api": (lambda port: uvicorn_args("bench.api_app:create", port), irm_env, "/readyz"),
        "ceiling": (
            lambda port: uvicorn_args("bench.ceiling_app:create_app", port),
            clean_env(BENCH_DATABASE_URL=url),
            "/healthz",
        ),
        "eventsourcing": (
            lambda port: uvicorn_args("bench.es_app:create_app", port),
            # Our pool size, and no overflow beyond it.
            clean_env(
                **eventsourcing_env(
                    url, POSTGRES_POOL_SIZE=str(POOL_SIZE), POSTGRES_MAX_OVERFLOW="0"
                )
            ),
            "/healthz",
        ),
    }
    args_for, env, health = commands[side]
    process, base_url = await supervisor.start_http(side, args_for, env=env, health=health)
    return Server(side, process, base_url)


def uvicorn_args(factory: str, port: int) -> list[str]:
    """uvicorn serving an app factory on loopback, quietly."""
    return [
        PYTHON,
        "-m",
        "uvicorn",
        "--factory",
        factory,
        "--host",
        LOOPBACK,
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--no-access-log",
    ]


async def declare_incidents(server: Server, token: str, count: int) -> list[str]:
    """Declare `count` incidents through the server's own endpoint (none for the ceiling)."""
    if server.side == "ceiling":
        return [str(uuid.uuid4()) for _ in range(count)]
    headers = {"authorization": f"Bearer {token}", "content-type": "application/json"}
    bodies = declare_bodies(count)
    async with httpx.AsyncClient(base_url=server.base_url, trust_env=False, timeout=30) as client:

        async def declare(share: list[bytes]) -> list[str]:
            ids = []
            for body in share:
                response = await client.post("/v1/incidents", content=body, headers=headers)
                response.raise_for_status()
                ids.append(str(response.json()["id"]))
            return ids

        shares = await asyncio.gather(*(declare(bodies[i::8]) for i in range(8)))
    return [incident_id for share in shares for incident_id in share]


def declare_bodies(count: int) -> list[bytes]:
    """Declarations like the ones the workload makes (seeded)."""
    rng = random.Random(count)
    return [
        orjson.dumps(
            {
                "title": f"Checkout returns 500 for EU customers ({i})",
                "description": "Error rate on checkout-api above 5% since the 14:02 deploy.",
                "criteria": ["customer_sla_at_risk", "production_workloads_affected"],
                "severity": rng.choice(("P1", "P2", "P3")),
                "services": ["checkout-api", "payments"],
                "owner": rng.choice(PEOPLE),
            }
        )
        for i in range(count)
    ]
