"""A schedule's shifts as iCalendar (RFC 5545), for people's own calendars."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from icalendar import Calendar, Event

from shared.oncall.history import Shift


def shifts_calendar(
    schedule_id: UUID, name: str, shifts: Sequence[Shift], *, stamp: datetime
) -> bytes:
    """One VEVENT per shift, in UTC; a shift's UID stays the same across exports, so a
    calendar that subscribes updates its events rather than adding them again."""
    calendar = Calendar()
    calendar.add("prodid", "-//irm//on-call schedules//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", f"On call: {name}")
    for shift in shifts:
        event = Event()
        start = int(shift.start.timestamp())
        event.add("uid", f"{schedule_id}-{start}-{'+'.join(shift.people)}@irm")
        event.add("dtstamp", stamp)
        event.add("dtstart", shift.start)
        event.add("dtend", shift.end)
        event.add("summary", f"On call ({name}): {', '.join(shift.people)}")
        calendar.add_component(event)
    return bytes(calendar.to_ical())
