"""Who a schedule puts on call (shared/oncall): rotations on the zone's wall clock across DST
changes, restrictions, later layers and overrides taking precedence, and the past kept exact
after later edits."""

from __future__ import annotations

import random
from datetime import UTC, datetime, time, timedelta
from itertools import pairwise
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest

from shared.oncall.history import ScheduleHistory
from shared.oncall.rotation import parse_rotation
from shared.oncall.schedule import Layer, Override, Resolver, Restriction, Schedule

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
DAY = timedelta(days=1)


def daily(start: datetime, *people: str, restrictions: tuple[Restriction, ...] = ()) -> Layer:
    """A layer handing over every day at 09:00."""
    return Layer(start, DAY, time(9), tuple(people), restrictions)


def at(zone: ZoneInfo, year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A wall-clock time in `zone`."""
    return datetime(year, month, day, hour, minute, tzinfo=zone)


def test_a_daily_rotation_hands_over_at_nine_and_cycles_through_the_participants() -> None:
    resolver = Resolver(
        Schedule("sre", "Europe/Berlin", (daily(at(BERLIN, 2027, 1, 4, 9), "alice", "bob"),))
    )

    monday = resolver.at(at(BERLIN, 2027, 1, 4, 12))
    tuesday_early = resolver.at(at(BERLIN, 2027, 1, 5, 8, 59))
    tuesday = resolver.at(at(BERLIN, 2027, 1, 5, 9))
    wednesday = resolver.at(at(BERLIN, 2027, 1, 6, 10))
    before = resolver.at(at(BERLIN, 2027, 1, 4, 8))

    assert monday.people == tuesday_early.people == ("alice",)
    assert (monday.start, monday.end) == (at(BERLIN, 2027, 1, 4, 9), at(BERLIN, 2027, 1, 5, 9))
    assert tuesday.people == ("bob",)
    assert wednesday.people == ("alice",)
    assert before.people == ()
    assert before.end == at(BERLIN, 2027, 1, 4, 9)


@pytest.mark.parametrize(
    ("zone", "spring", "autumn"),
    [
        # Europe/Berlin: 2027-03-28 02:00 -> 03:00, 2027-10-31 03:00 -> 02:00.
        (BERLIN, (2027, 3, 28), (2027, 10, 31)),
        # America/New_York: 2027-03-14 02:00 -> 03:00, 2027-11-07 02:00 -> 01:00.
        (NEW_YORK, (2027, 3, 14), (2027, 11, 7)),
    ],
)
def test_a_handoff_stays_at_nine_local_across_dst_so_that_day_is_23_or_25_hours(
    zone: ZoneInfo, spring: tuple[int, int, int], autumn: tuple[int, int, int]
) -> None:
    resolver = Resolver(
        Schedule("sre", str(zone), (daily(at(zone, 2027, 1, 1, 9), "alice", "bob", "carol"),))
    )

    # The shifts that hold the night of each change: from 09:00 the day before to 09:00.
    short = resolver.at(at(zone, *spring, 0, 30))
    long = resolver.at(at(zone, *autumn, 0, 30))
    after = resolver.at(at(zone, *spring, 12))

    assert short.start is not None
    assert short.end is not None
    assert short.end == at(zone, *spring, 9)
    assert short.start.astimezone(zone).hour == 9
    assert short.end - short.start == timedelta(hours=23)
    assert long.start is not None
    assert long.end is not None
    assert long.end == at(zone, *autumn, 9)
    assert long.end - long.start == timedelta(hours=25)
    assert after.start == short.end
    assert after.people != short.people


def test_a_twelve_hour_rotation_across_the_berlin_spring_change() -> None:
    layer = Layer(at(BERLIN, 2027, 3, 27, 9), parse_rotation("PT12H"), time(9), ("day", "night"))
    resolver = Resolver(Schedule("sre", "Europe/Berlin", (layer,)))

    night = resolver.at(at(BERLIN, 2027, 3, 28, 4))

    assert night.people == ("night",)
    assert night.start == at(BERLIN, 2027, 3, 27, 21)
    assert night.end == at(BERLIN, 2027, 3, 28, 9)
    assert night.end is not None
    assert night.start is not None
    assert night.end - night.start == timedelta(hours=11)


def test_a_restricted_later_layer_wins_in_office_hours_and_cuts_the_shift_beneath() -> None:
    base = daily(at(BERLIN, 2027, 1, 4, 9), "night-owl")
    office = daily(
        at(BERLIN, 2027, 1, 4, 9),
        "dayshift",
        restrictions=(Restriction(frozenset(range(5)), time(10), time(17)),),
    )
    resolver = Resolver(Schedule("sre", "Europe/Berlin", (base, office)))

    in_office = resolver.at(at(BERLIN, 2027, 1, 5, 11))  # Tuesday
    after = resolver.at(at(BERLIN, 2027, 1, 5, 18))
    morning = resolver.at(at(BERLIN, 2027, 1, 5, 9, 30))
    saturday = resolver.at(at(BERLIN, 2027, 1, 9, 12))

    assert in_office.people == ("dayshift",)
    assert (in_office.start, in_office.end) == (
        at(BERLIN, 2027, 1, 5, 10),
        at(BERLIN, 2027, 1, 5, 17),
    )
    assert after.people == ("night-owl",)
    assert (after.start, after.end) == (at(BERLIN, 2027, 1, 5, 17), at(BERLIN, 2027, 1, 6, 9))
    assert morning.people == ("night-owl",)
    assert (morning.start, morning.end) == (at(BERLIN, 2027, 1, 5, 9), at(BERLIN, 2027, 1, 5, 10))
    assert saturday.people == ("night-owl",)


def test_an_override_wins_and_the_last_added_of_overlapping_ones() -> None:
    first = Override(uuid4(), "dave", at(BERLIN, 2027, 1, 5, 12), at(BERLIN, 2027, 1, 5, 20))
    second = Override(uuid4(), "erin", at(BERLIN, 2027, 1, 5, 14), at(BERLIN, 2027, 1, 5, 16))
    resolver = Resolver(
        Schedule(
            "sre",
            "Europe/Berlin",
            (daily(at(BERLIN, 2027, 1, 4, 9), "alice"),),
            (first, second),
        )
    )

    answers = [resolver.at(at(BERLIN, 2027, 1, 5, h)) for h in (11, 13, 15, 17, 21)]

    assert [a.people for a in answers] == [("alice",), ("dave",), ("erin",), ("dave",), ("alice",)]
    assert (answers[0].start, answers[0].end) == (at(BERLIN, 2027, 1, 5, 9), first.start)
    assert (answers[2].start, answers[2].end) == (second.start, second.end)
    assert (answers[3].start, answers[3].end) == (second.end, first.end)
    assert (answers[4].start, answers[4].end) == (first.end, at(BERLIN, 2027, 1, 6, 9))


def test_the_past_is_answered_by_the_schedule_as_it_stood_then() -> None:
    recorded = datetime(2027, 1, 1, tzinfo=UTC)
    edited = datetime(2027, 1, 10, 12, tzinfo=UTC)
    start = at(BERLIN, 2027, 1, 1, 9)
    history = ScheduleHistory(
        [
            (recorded, Schedule("sre", "Europe/Berlin", (daily(start, "alice", "bob"),))),
            (edited, Schedule("sre", "Europe/Berlin", (daily(start, "carol"),))),
        ]
    )

    before_it_existed = history.on_call(datetime(2026, 12, 31, tzinfo=UTC))
    last_tuesday = history.on_call(at(BERLIN, 2027, 1, 5, 3, 12))
    cut = history.on_call(datetime(2027, 1, 10, 11, tzinfo=UTC))
    after = history.on_call(datetime(2027, 1, 10, 13, tzinfo=UTC))

    assert before_it_existed.people == ()
    assert last_tuesday.people == ("bob",)  # Jan 4 09:00 to Jan 5 09:00 is shift 3: bob
    assert cut.end == edited
    assert after.people == ("carol",)
    assert after.start == edited


def test_the_shifts_of_a_window_are_the_on_call_answers_end_to_end() -> None:
    base = daily(at(NEW_YORK, 2027, 3, 1, 9), "alice", "bob")
    office = daily(
        at(NEW_YORK, 2027, 3, 1, 9),
        "carol",
        restrictions=(Restriction(frozenset({0, 2}), time(22), time(6)),),
    )
    override = Override(uuid4(), "dave", at(NEW_YORK, 2027, 3, 14, 1), at(NEW_YORK, 2027, 3, 14, 4))
    history = ScheduleHistory(
        [
            (
                datetime(2027, 1, 1, tzinfo=UTC),
                Schedule("sre", "America/New_York", (base, office), (override,)),
            )
        ]
    )
    since, until = at(NEW_YORK, 2027, 3, 8), at(NEW_YORK, 2027, 3, 22)

    shifts = history.shifts(since, until)

    assert shifts[0].start <= since < shifts[0].end
    assert shifts[-1].start < until <= shifts[-1].end
    for before, after in pairwise(shifts):
        assert before.end == after.start  # someone is always on call: no gap, no overlap
    for shift in shifts:
        middle = shift.start + (shift.end - shift.start) / 2
        answer = history.on_call(middle)
        assert (answer.people, answer.start, answer.end) == (shift.people, shift.start, shift.end)
    assert ("dave",) in [s.people for s in shifts]
    assert [s.people for s in shifts].count(("carol",)) == 4  # two Mondays, two Wednesdays


@pytest.mark.parametrize("text", ["P0D", "P1M", "PT30M", "1D", "P1DT1H", "P", ""])
def test_a_rotation_is_whole_weeks_days_or_hours(text: str) -> None:
    with pytest.raises(ValueError, match="not a rotation"):
        parse_rotation(text)


def test_of_many_overlapping_overrides_the_last_added_covering_an_instant_wins() -> None:
    rng = random.Random(7)
    base = datetime(2027, 5, 1, tzinfo=UTC)
    overrides = []
    for n in range(80):
        start = base + timedelta(hours=rng.randrange(24 * 20))
        overrides.append(
            Override(uuid4(), f"p{n}", start, start + timedelta(hours=rng.randint(1, 72)))
        )
    layer = daily(at(BERLIN, 2027, 1, 4, 9), "alice")
    resolver = Resolver(Schedule("sre", "Europe/Berlin", (layer,), tuple(overrides)))

    for _ in range(2_000):
        t = base + timedelta(minutes=rng.randrange(60 * 24 * 25))
        covering = [o for o in overrides if o.start <= t < o.end]
        expected = (covering[-1].person,) if covering else ("alice",)
        answer = resolver.at(t)
        assert answer.people == expected, t
        assert answer.start is not None
        assert answer.end is not None
        assert answer.start <= t < answer.end
        # The answer holds for its whole shift, and only the same override (or layer) holds it.
        assert resolver.at(answer.start).people == expected
        assert resolver.at(answer.end - timedelta(microseconds=1)).people == expected


def test_a_night_window_crosses_midnight_and_the_week_and_whole_days_merge() -> None:
    base = daily(at(BERLIN, 2027, 1, 4, 9), "day")
    nights = daily(
        at(BERLIN, 2027, 1, 4, 9),
        "night",
        restrictions=(Restriction(frozenset({6}), time(22), time(6)),),  # Sunday 22:00-06:00
    )
    weekend = daily(
        at(BERLIN, 2027, 1, 4, 9),
        "weekend",
        restrictions=(Restriction(frozenset({5, 6}), time(0), time(0)),),  # all Saturday, Sunday
    )
    resolver = Resolver(Schedule("sre", "Europe/Berlin", (base, nights)))
    weekends = Resolver(Schedule("sre", "Europe/Berlin", (base, weekend)))

    monday_early = resolver.at(at(BERLIN, 2027, 1, 11, 3))
    saturday = weekends.at(at(BERLIN, 2027, 1, 9, 12))
    monday = weekends.at(at(BERLIN, 2027, 1, 11, 12))

    assert monday_early.people == ("night",)
    assert (monday_early.start, monday_early.end) == (
        at(BERLIN, 2027, 1, 10, 22),
        at(BERLIN, 2027, 1, 11, 6),
    )
    assert saturday.people == ("weekend",)
    # Shifts still hand over at 09:00; the window runs Saturday 00:00 to Monday 00:00.
    assert (saturday.start, saturday.end) == (at(BERLIN, 2027, 1, 9, 9), at(BERLIN, 2027, 1, 10, 9))
    assert weekends.at(at(BERLIN, 2027, 1, 10, 23)).end == at(BERLIN, 2027, 1, 11)
    assert monday.people == ("day",)
