"""A schedule through time: each version from when it was recorded, and who it put on call.

Who is on call at an instant is answered by the schedule as it stood at that instant: the
version recorded last at or before it (for an instant still to come, the current version). An
edit or an override recorded later never changes who was on call before it was recorded, so
"who was on call at 03:12 last Tuesday" is who irm would have paged then. A shift that an edit
cut short ends at the edit; the version recorded then starts a new one.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

from shared.oncall.schedule import Resolver, Schedule, Slot

MAX_SHIFTS: Final = 5_000


@dataclass(frozen=True, slots=True)
class Shift:
    """Someone on call from `start` to `end`."""

    people: tuple[str, ...]
    start: datetime
    end: datetime


class TooManyShiftsError(Exception):
    """The window holds more shifts than one answer may."""


class ScheduleHistory:
    """Every version of a schedule, each valid from when it was recorded to the next."""

    def __init__(self, versions: Sequence[tuple[datetime, Schedule]]) -> None:
        self._valid_from = [recorded_at.astimezone(UTC) for recorded_at, _ in versions]
        self._schedules = [schedule for _, schedule in versions]
        self._resolvers: dict[int, Resolver] = {}

    def _resolver(self, index: int) -> Resolver:
        resolver = self._resolvers.get(index)
        if resolver is None:
            resolver = self._resolvers[index] = Resolver(self._schedules[index])
        return resolver

    def on_call(self, t: datetime) -> Slot:
        """Who was (or will be) on call at `t`, by the version in force then."""
        t = t.astimezone(UTC)
        index = bisect_right(self._valid_from, t) - 1
        if index < 0:
            first = self._valid_from[0] if self._valid_from else None
            return Slot((), None, first)
        slot = self._resolver(index).at(t)
        valid_to = self._valid_from[index + 1] if index + 1 < len(self._valid_from) else None
        start = slot.start
        if start is None or start < self._valid_from[index]:
            start = self._valid_from[index]
        end = slot.end
        if valid_to is not None and (end is None or end > valid_to):
            end = valid_to
        return Slot(slot.people, start, end)

    def shifts(self, since: datetime, until: datetime) -> list[Shift]:
        """The shifts that overlap [since, until), each with its whole start and end."""
        found: list[Shift] = []
        t, until = since.astimezone(UTC), until.astimezone(UTC)
        while t < until:
            slot = self.on_call(t)
            if slot.people and slot.start is not None and slot.end is not None:
                if len(found) == MAX_SHIFTS:
                    raise TooManyShiftsError(f"more than {MAX_SHIFTS} shifts")
                found.append(Shift(slot.people, slot.start, slot.end))
            if slot.end is None:
                break
            if slot.end <= t:  # never: each answer holds from t on
                raise RuntimeError(f"schedule resolution did not advance at {t.isoformat()}")
            t = slot.end
        return found
