"""A schedule and who it puts on call at an instant: pure, no I/O.

A schedule has a time zone and rotation layers. A layer starts at an instant; its shifts hand
over at `handoff_time` on the wall clock of the schedule's zone, every `rotation` (wall-clock
days or hours, so a daily 09:00 handoff stays at 09:00 across a DST change and that day's shift
is 23 or 25 hours long); its participants take the shifts in turn, the first one from the
layer's start. Restrictions (weekdays and hours, on the same wall clock) limit when a layer
puts anyone on call. A later layer takes precedence over an earlier one wherever it has someone,
and an override (a person for an interval) over every layer; of overlapping overrides, the one
added last.

`Resolver.at(t)` answers who is on call at `t` and the shift: the interval around `t` in which
that answer holds for the same reason (the same layer shift or the same override).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from heapq import heappop, heappush
from itertools import pairwise
from typing import Final
from uuid import UUID
from zoneinfo import ZoneInfo

from shared.oncall.time_zones import zone

WEEKDAYS: Final = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True, slots=True)
class Restriction:
    """A weekly window in which a layer puts someone on call: on `weekdays` (0 = Monday),
    from `start` to `end`; an `end` not after `start` ends on the next day (22:00-06:00),
    the same time a whole day (00:00-00:00)."""

    weekdays: frozenset[int]
    start: time
    end: time


@dataclass(frozen=True, slots=True)
class Layer:
    """A rotation: participants in turn, handing over every `rotation` at `handoff`."""

    start: datetime
    rotation: timedelta
    handoff: time
    participants: tuple[str, ...]
    restrictions: tuple[Restriction, ...] = ()


@dataclass(frozen=True, slots=True)
class Override:
    """`person` is on call from `start` to `end`, whatever the layers say."""

    id: UUID
    person: str
    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class Schedule:
    """A schedule's definition at one version."""

    name: str
    time_zone: str
    layers: tuple[Layer, ...]
    overrides: tuple[Override, ...] = ()


@dataclass(frozen=True, slots=True)
class Slot:
    """Who is on call at an instant, and the interval that answer holds for (None: open)."""

    people: tuple[str, ...]
    start: datetime | None
    end: datetime | None


def _later(a: datetime | None, b: datetime | None) -> datetime | None:
    return b if a is None else a if b is None else max(a, b)


def _earlier(a: datetime | None, b: datetime | None) -> datetime | None:
    return b if a is None else a if b is None else min(a, b)


@dataclass(frozen=True, slots=True)
class _LayerSlot:
    person: str | None
    start: datetime | None  # the shift, when someone is on call; else when the layer
    end: datetime | None  # was last active (start) and is next active (end)


class _CompiledLayer:
    """A layer with its anchor computed once, on the zone's wall clock (naive local times)."""

    def __init__(self, layer: Layer, tz: ZoneInfo) -> None:
        self._tz = tz
        self._layer = layer
        self._start = layer.start.astimezone(UTC)
        self._start_local = layer.start.astimezone(tz).replace(tzinfo=None)
        anchor = datetime.combine(self._start_local.date(), layer.handoff)
        # The handoff at or before the start: the first shift runs from the start to the next.
        anchor += ((self._start_local - anchor) // layer.rotation) * layer.rotation
        self._anchor = anchor
        self._rotation = layer.rotation
        self._people = layer.participants
        self._window_starts, self._window_ends = _week_pattern(layer.restrictions)

    def _aware(self, local: datetime) -> datetime:
        # In UTC: Python compares and subtracts datetimes of the same tzinfo by wall clock.
        return local.replace(tzinfo=self._tz).astimezone(UTC)

    def at(self, t: datetime, local: datetime) -> _LayerSlot:
        if t < self._start:
            if not self._layer.restrictions:
                return _LayerSlot(None, None, self._start)
            _, _, next_start = self._window(self._start_local)
            return _LayerSlot(None, None, next_start or self._start)
        k = (local - self._anchor) // self._rotation
        # The wall clock's integer division can be an hour off next to a DST change: settle it
        # against the aware boundaries.
        if t < self._aware(self._anchor + k * self._rotation):
            k -= 1
        elif t >= self._aware(self._anchor + (k + 1) * self._rotation):
            k += 1
        start = _later(self._aware(self._anchor + k * self._rotation), self._start)
        end = self._aware(self._anchor + (k + 1) * self._rotation)
        person = self._people[k % len(self._people)]
        if not self._layer.restrictions:
            return _LayerSlot(person, start, end)
        window, prev_end, next_start = self._window(local)
        if window is None:
            # Before its start the layer was never active: no earlier bound from it then.
            active_before = prev_end if prev_end is not None and prev_end > self._start else None
            return _LayerSlot(None, active_before, next_start)
        return _LayerSlot(person, _later(start, window[0]), _earlier(end, window[1]))

    def _window(
        self, local: datetime
    ) -> tuple[tuple[datetime, datetime] | None, datetime | None, datetime | None]:
        """The merged restriction window holding `local` (aware bounds), or None with the end
        of the window before and the start of the one after."""
        monday = datetime.combine(local.date() - timedelta(days=local.weekday()), time())
        offset = local - monday
        i = bisect_right(self._window_starts, offset) - 1
        if i >= 0 and offset < self._window_ends[i]:
            start, end = self._window_starts[i], self._window_ends[i]
            return (self._aware(monday + start), self._aware(monday + end)), None, None
        prev_end = self._aware(monday + self._window_ends[i]) if i >= 0 else None
        has_next = i + 1 < len(self._window_starts)
        next_start = self._aware(monday + self._window_starts[i + 1]) if has_next else None
        return None, prev_end, next_start


def _week_pattern(
    restrictions: Sequence[Restriction],
) -> tuple[list[timedelta], list[timedelta]]:
    """The restriction windows of the week before, this week and the week after, merged, as
    offsets from this week's Monday 00:00 (wall clock): starts and ends."""
    found: list[tuple[timedelta, timedelta]] = []
    for week in (-1, 0, 1):
        for r in restrictions:
            length = datetime.combine(date.min, r.end) - datetime.combine(date.min, r.start)
            if length <= timedelta(0):
                length += timedelta(days=1)
            for weekday in r.weekdays:
                start = timedelta(
                    days=7 * week + weekday, hours=r.start.hour, minutes=r.start.minute
                )
                found.append((start, start + length))
    found.sort()
    starts: list[timedelta] = []
    ends: list[timedelta] = []
    for start, end in found:
        if ends and start <= ends[-1]:
            ends[-1] = max(end, ends[-1])
        else:
            starts.append(start)
            ends.append(end)
    return starts, ends


class Resolver:
    """Answers who a schedule puts on call; built once per version of a schedule."""

    def __init__(self, schedule: Schedule) -> None:
        self._tz = zone(schedule.time_zone)
        self._layers = [_CompiledLayer(layer, self._tz) for layer in reversed(schedule.layers)]
        self._starts, self._ends, self._persons = _override_segments(schedule.overrides)

    def at(self, t: datetime) -> Slot:
        """Who is on call at `t` (aware) and the shift that holds for (in UTC)."""
        t = t.astimezone(UTC)
        i = bisect_right(self._starts, t) - 1
        if i >= 0 and t < self._ends[i]:
            return Slot((self._persons[i],), self._starts[i], self._ends[i])
        lo = self._ends[i] if i >= 0 else None
        hi = self._starts[i + 1] if i + 1 < len(self._starts) else None
        local = t.astimezone(self._tz).replace(tzinfo=None)
        for layer in self._layers:  # the last layer first
            slot = layer.at(t, local)
            if slot.person is not None:
                return Slot((slot.person,), _later(slot.start, lo), _earlier(slot.end, hi))
            lo, hi = _later(lo, slot.start), _earlier(hi, slot.end)
        return Slot((), lo, hi)


def _override_segments(
    overrides: Sequence[Override],
) -> tuple[list[datetime], list[datetime], list[str]]:
    """The overrides as non-overlapping segments, each the override added last of those
    covering it; a segment runs as long as the same override wins."""
    overrides = [
        Override(o.id, o.person, o.start.astimezone(UTC), o.end.astimezone(UTC)) for o in overrides
    ]
    starting: dict[datetime, list[int]] = {}
    ending: dict[datetime, list[int]] = {}
    for index, o in enumerate(overrides):
        if o.start < o.end:
            starting.setdefault(o.start, []).append(index)
            ending.setdefault(o.end, []).append(index)
    starts: list[datetime] = []
    ends: list[datetime] = []
    persons: list[str] = []
    winners: list[int] = []
    # A sweep over the boundaries: the active overrides in a heap by the order they were
    # added (the last added on top), those that ended dropped when they reach the top.
    active: list[int] = []
    ended: set[int] = set()
    points = sorted(starting.keys() | ending.keys())
    for a, b in pairwise(points):
        ended.update(ending.get(a, ()))
        for index in starting.get(a, ()):
            heappush(active, -index)
        while active and -active[0] in ended:
            heappop(active)
        if not active:
            continue
        winner = -active[0]
        if winners and winners[-1] == winner and ends[-1] == a:
            ends[-1] = b
            continue
        starts.append(a)
        ends.append(b)
        persons.append(overrides[winner].person)
        winners.append(winner)
    return starts, ends, persons
