"""Live events: each event, once the projector has it, to every connected stream.

One `LiveEvents` per API process watches the projector's tracked position (as reads that wait
for their own writes do, `queries.freshness`) and, when it moves, reads the new rows of the
timeline read model: one row per event, with its summary, in log order. Every connected
stream gets them from memory, so a hundred streams cost the database what one does. A stream
that asks for what it missed (`after`) reads that part from the read model itself.

Each event is encoded once, as the bytes of its server-sent event (`encode_frame`), when it is
read; every stream is handed those same bytes, and a stream that is behind takes everything it
has pending in one write. With 200 streams the work per (stream, event) is a socket write, not
a JSON encoding (docs/performance.md, the console's live fan-out).

An event is sent only once the read models include it, so a client that reacts to it by
reading the incident or the board sees the change. The watcher runs while at least one stream
is connected, and `close()` ends every stream (the server is shutting down).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator
from datetime import datetime
from typing import Any, Final, NamedTuple
from uuid import UUID

import asyncpg
import orjson
from pydantic import BaseModel, Field

from services.projector.projector import PROJECTOR_NAME
from shared.readmodels.ddl import INCIDENTS, TIMELINE
from shared.tracking import tracked_position

log = logging.getLogger(__name__)

POLL_SECONDS: Final = 0.02
"""How often the projector's position is read while streams are connected (as reads that wait
for their own writes poll it): one indexed row, 50 a second, for every stream of the process;
at 50 ms it was most of a client's latency (docs/performance.md, the live fan-out)."""
RETRY_SECONDS: Final = 1.0
"""The pause after a failed read (the database is away) before the next."""
BATCH: Final = 500
PENDING_LIMIT: Final = 10_000
"""Events waiting for one slow stream; past it the stream ends and its client resumes with
`after` (read from the read model), so a stalled client never holds the others back."""
EVENT_NAME: Final = "incident-event"
RETRY_MILLISECONDS: Final = 1_000
"""How soon an EventSource reconnects after the stream ends (with Last-Event-ID)."""
PING_SECONDS: Final = 15.0
"""A stream that has sent nothing for this long sends a `: ping` comment (proxies keep it)."""
PING: Final = b": ping\n\n"


class LiveEvent(BaseModel):
    """One event of an incident, as its timeline tells it, with the incident it belongs to."""

    position: int = Field(description="The event's position in the global log: resume after it.")
    incident_id: UUID
    reference: str = Field(description="The incident's reference, e.g. INC-12.")
    title: str = Field(description="The incident's title now.")
    version: int
    occurred_at: datetime
    actor: str | None
    type: str = Field(description="The event's stable name (docs/events.md).")
    summary: str = Field(description="One line a person can read, as in the timeline.")
    data: dict[str, Any]
    added_later: bool
    added_at: datetime | None


class Frame(NamedTuple):
    """One event as its server-sent event's bytes, with its position (to skip what was sent)."""

    position: int
    data: bytes


def encode_frame(event: LiveEvent) -> Frame:
    """The event as a text/event-stream message: `event`, the LiveEvent's JSON, its position
    as `id`. The JSON has no line break (JSON escapes them), so it is one `data` line."""
    json = event.model_dump_json().encode()
    head = f"event: {EVENT_NAME}\ndata: ".encode()
    return Frame(event.position, b"%s%s\nid: %d\n\n" % (head, json, event.position))


def live_from_frame(position: int) -> bytes:
    """The stream's first message: no event, but the position it is live from as its id (a
    client that reconnects before any event resumes from there), and how soon to reconnect."""
    return f": live\nid: {position}\nretry: {RETRY_MILLISECONDS}\n\n".encode()


_SELECT: Final = f"""
    SELECT t.position, t.incident_id, i.number, i.title, t.version, t.occurred_at, t.actor,
           t.type, t.summary, t.data, t.added_at
    FROM {TIMELINE} t JOIN {INCIDENTS} i ON i.id = t.incident_id
    WHERE t.position > $1 AND t.position <= $2
    ORDER BY t.position
    LIMIT $3
"""  # noqa: S608 -- table names are module constants, values are parameters


async def read_events(pool: asyncpg.Pool, after: int, up_to: int) -> list[LiveEvent]:
    """The events after `after` up to `up_to` (at most BATCH), from the read models."""
    records = await pool.fetch(_SELECT, after, up_to, BATCH)
    return [
        LiveEvent(
            position=r["position"],
            incident_id=r["incident_id"],
            reference=f"INC-{r['number']}",
            title=r["title"],
            version=r["version"],
            occurred_at=r["occurred_at"],
            actor=r["actor"],
            type=r["type"],
            summary=r["summary"],
            data=orjson.loads(r["data"]),
            added_later=r["added_at"] is not None,
            added_at=r["added_at"],
        )
        for r in records
    ]


async def read_frames(pool: asyncpg.Pool, after: int, up_to: int) -> list[Frame]:
    """`read_events`, each encoded as its message."""
    return [encode_frame(event) for event in await read_events(pool, after, up_to)]


class _Stream:
    """What one connected stream has not taken yet, and whether it is due a ping or done.

    Its two timers are set once and moved only when they fire (not at every write), so a
    stream that is sent an event costs no timer work."""

    def __init__(self, *, ping_seconds: float, seconds: float | None) -> None:
        self.pending: list[Frame] = []
        self.wake = asyncio.Event()
        self.ended = False
        self.expired = False
        self.ping_due = False
        self._loop = asyncio.get_running_loop()
        self._ping_seconds = ping_seconds
        self._written_at = self._loop.time()
        self._ping: asyncio.TimerHandle | None = self._loop.call_at(
            self._written_at + ping_seconds, self._ping_time
        )
        self._expiry = None if seconds is None else self._loop.call_later(seconds, self._expire)

    def ready(self) -> bool:
        """Whether the stream has something to do: events to send, a ping, or an end."""
        return bool(self.pending) or self.ping_due or self.expired or self.ended

    def offer(self, frames: list[Frame]) -> None:
        if len(self.pending) + len(frames) > PENDING_LIMIT:
            self.ended = True
        else:
            self.pending.extend(frames)
        self.wake.set()

    def end(self) -> None:
        self.ended = True
        self.wake.set()

    def take(self, sent: int) -> tuple[bytes, int]:
        """Everything pending after position `sent`, as one write, and the last position in it."""
        frames, self.pending = self.pending, []
        if frames[0].position <= sent:  # only when the client asked for an `after` ahead of us
            frames = [frame for frame in frames if frame.position > sent]
            if not frames:
                return b"", sent
        return b"".join([frame.data for frame in frames]), frames[-1].position

    def wrote(self) -> None:
        """Something was written: the next ping is due `ping_seconds` from now."""
        self._written_at = self._loop.time()
        self.ping_due = False
        if self._ping is None:
            self._ping = self._loop.call_at(self._written_at + self._ping_seconds, self._ping_time)

    def stop(self) -> None:
        """Cancel the timers (the stream is over)."""
        for timer in (self._ping, self._expiry):
            if timer is not None:
                timer.cancel()

    def _ping_time(self) -> None:
        assert self._ping is not None
        due = self._written_at + self._ping_seconds
        if due > self._ping.when():  # written since the timer was set: count from that write
            self._ping = self._loop.call_at(due, self._ping_time)
        else:
            self._ping = None
            self.ping_due = True
            self.wake.set()

    def _expire(self) -> None:
        self.expired = True
        self.wake.set()


class LiveEvents:
    """The events of the read models, as they arrive, for every stream of this process."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        *,
        poll_seconds: float = POLL_SECONDS,
        ping_seconds: float = PING_SECONDS,
    ) -> None:
        self._pool = pool
        self._poll_seconds = poll_seconds
        self._ping_seconds = ping_seconds
        self._streams: set[_Stream] = set()
        self._position = 0
        self._watcher: asyncio.Task[None] | None = None
        self._starting = asyncio.Lock()
        self._closed = False

    async def follow(
        self, *, after: int | None, seconds: float | None
    ) -> AsyncGenerator[bytes, None]:
        """The stream's text/event-stream bytes: first the position it is live from
        (`live_from_frame`), then the events after `after` (none when None), then each new one
        as the read models get it, for `seconds` (None: until the caller stops, or `close()`).
        Each chunk is one or more whole messages (all that was pending); `: ping` after
        `ping_seconds` of nothing."""
        stream, now_at = await self._connect(seconds)
        try:
            yield live_from_frame(now_at)
            sent = now_at if after is None else after
            while sent < now_at and not self._closed:
                backlog = await read_frames(self._pool, sent, now_at)
                if backlog:
                    yield b"".join([frame.data for frame in backlog])
                sent = backlog[-1].position if len(backlog) == BATCH else now_at
            stream.wrote()
            while True:
                if not stream.ready():
                    await stream.wake.wait()
                stream.wake.clear()  # the flags were set before it: none is missed
                if stream.ended or self._closed:
                    return
                if stream.pending:
                    chunk, sent = stream.take(sent)
                    if chunk:
                        stream.wrote()
                        yield chunk
                        continue
                if stream.expired:
                    return
                if stream.ping_due:
                    stream.wrote()
                    yield PING
        finally:
            self._disconnect(stream)

    def close(self) -> None:
        """End every stream now and refuse new ones (the server is stopping)."""
        self._closed = True
        for stream in self._streams:
            stream.end()
        if self._watcher is not None:
            self._watcher.cancel()

    async def _connect(self, seconds: float | None) -> tuple[_Stream, int]:
        """Register a stream (ending after `seconds`); return it and the position it is live
        from."""
        stream = _Stream(ping_seconds=self._ping_seconds, seconds=seconds)
        if self._closed:
            stream.end()
            return stream, 0
        async with self._starting:
            if self._watcher is None or self._watcher.done():
                self._position = await tracked_position(self._pool, PROJECTOR_NAME)
                self._watcher = asyncio.create_task(self._watch(), name="live-events")
            # No await between reading the position and joining: nothing is broadcast between.
            self._streams.add(stream)
            return stream, self._position

    def _disconnect(self, stream: _Stream) -> None:
        stream.stop()
        self._streams.discard(stream)
        if not self._streams and self._watcher is not None:
            self._watcher.cancel()
            self._watcher = None

    async def _watch(self) -> None:
        """Until no stream is left: read what the projector added, encode each event once,
        hand the same bytes to every stream."""
        while self._streams:
            try:
                projected = await tracked_position(self._pool, PROJECTOR_NAME)
                while projected > self._position:
                    frames = await read_frames(self._pool, self._position, projected)
                    # Positions without a row (an event a follower parked) are passed over.
                    self._position = frames[-1].position if len(frames) == BATCH else projected
                    if frames:
                        for stream in self._streams:
                            stream.offer(frames)
            except Exception as error:  # whatever broke it, read again: the streams wait
                log.warning("live events: cannot read the read models (%s); retrying", error)
                await asyncio.sleep(RETRY_SECONDS)
                continue
            await asyncio.sleep(self._poll_seconds)
