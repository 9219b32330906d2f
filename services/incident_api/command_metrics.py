"""What the API process counts itself for `/metrics`: the commands it answers and their latency.

A command is a write request (POST, PUT, PATCH, DELETE) that reached one of the API's
operations; it is counted under the operation's name (`declare_incident`, `change_severity`,
…) and the status it was answered with. Requests that match no operation (404, 405) are not
counted, so a scanner cannot make the label set grow.
"""

from __future__ import annotations

import time
from typing import Final

from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

WRITE_METHODS: Final = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# From a fast in-memory answer to the API's command retry budget and beyond.
LATENCY_BUCKETS: Final = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class CommandMetrics:
    """The counter and histogram of commands, in the app's own registry."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.answered = Counter(
            "irm_commands",
            "Commands (write requests) answered, by operation and HTTP status.",
            ["command", "status"],
            registry=registry,
        )
        self.seconds = Histogram(
            "irm_command_duration_seconds",
            "Time from a command's request to the end of its answer, by operation.",
            ["command"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )

    def observe(self, command: str, status: int, seconds: float) -> None:
        """Count one answered command and its duration."""
        self.answered.labels(command, str(status)).inc()
        self.seconds.labels(command).observe(seconds)


class CommandMetricsMiddleware:
    """Times every write request and counts it under the operation the router matched."""

    def __init__(self, app: ASGIApp, *, metrics: CommandMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in WRITE_METHODS:
            await self.app(scope, receive, send)
            return
        status = 500  # what the client gets if the app fails before it starts an answer

        async def send_noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        started = time.perf_counter()
        try:
            await self.app(scope, receive, send_noting_status)
        finally:
            # The router puts the matched route into this same scope (FastAPI's APIRoute).
            name = getattr(scope.get("route"), "name", None)
            if isinstance(name, str):
                self.metrics.observe(name, status, time.perf_counter() - started)
