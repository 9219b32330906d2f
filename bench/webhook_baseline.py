"""The webhook benchmark's baseline: httpx POSTs straight to the receiver, no notifier.

Ten POSTs per event (one per subscriber) at the notifier run's rate, each timed from the
moment its event's POSTs are queued to its arrival at the receiver: the transport alone.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from contextlib import AsyncExitStack, suppress

import httpx
import orjson

from bench.loadgen import skip_sniffio_lookups
from bench.webhook_receipts import SUBSCRIBERS, Deliveries, ReceiverClient, collect
from services.notifier.settings import NotifierSettings

MAX_IN_FLIGHT: int = NotifierSettings.model_fields["webhook_max_in_flight"].default


async def post_loop(
    receiver: ReceiverClient,
    body: bytes,
    *,
    rate: int,
    duration_s: float,
    warmup_s: float,
    drain_s: float,
    timeout_s: float,
) -> Deliveries:
    """The baseline: ten POSTs per event at the same rate, straight to the receiver.

    As many sender tasks as the notifier may have deliveries in flight take POSTs from one
    queue, so waiting for a free sender counts in the latency, as it does in the notifier.
    Each sender has an httpx client of its own with one keep-alive connection: the cheapest
    way to send with httpx (one shared pool of 64 connections costs about three times the CPU
    per request). Positions are negative, so nothing of this run passes for a notifier's.
    """
    skip_sniffio_lookups()  # as the load generator does; see there
    message = orjson.loads(body)
    single = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    headers = {"content-type": "application/cloudevents+json"}
    started: dict[int, float] = {}
    queue: asyncio.Queue[tuple[int, int]] = asyncio.Queue()
    tls = ssl.create_default_context()  # shared: one per client would take ~30 ms each here
    async with AsyncExitStack() as stack:

        async def sender() -> None:
            client = await stack.enter_async_context(
                httpx.AsyncClient(limits=single, timeout=timeout_s, trust_env=False, verify=tls)
            )
            while True:
                subscriber, position = await queue.get()
                content = orjson.dumps(message | {"irmposition": position})
                url = receiver.subscriber_url(subscriber)
                with suppress(httpx.HTTPError):  # a lost POST shows as a missing arrival
                    await client.post(url, content=content, headers=headers)
                queue.task_done()

        async def send(events: int, first_position: int) -> float:
            start = time.monotonic()
            for index in range(events):
                delay = start + index / rate - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                position = first_position - index
                started[position] = time.monotonic()
                for subscriber in range(SUBSCRIBERS):
                    queue.put_nowait((subscriber, position))
            seconds = time.monotonic() - start
            with suppress(TimeoutError):
                await asyncio.wait_for(queue.join(), timeout=drain_s)
            return seconds

        senders = [asyncio.create_task(sender()) for _ in range(MAX_IN_FLIGHT)]
        try:
            await send(round(rate * warmup_s), -1)
            await receiver.arrivals()
            started.clear()
            count = round(rate * duration_s)
            # This process does nothing else meanwhile: its CPU is the transport's.
            cpu_before = time.process_time()
            seconds = await send(count, -1_000_000_000)
            cpu = time.process_time() - cpu_before
            arrivals = await receiver.arrivals()
        finally:
            for task in senders:
                task.cancel()
            await asyncio.gather(*senders, return_exceptions=True)
    return collect(started, arrivals, count / seconds, cpu)
