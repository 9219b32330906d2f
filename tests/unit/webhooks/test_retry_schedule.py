"""IRM_WEBHOOK_RETRY_SCHEDULE: the delay before each attempt; its length is the attempt count."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import ValidationError

from services.notifier.settings import DEFAULT_RETRY_SCHEDULE, NotifierSettings, parse_schedule


def test_the_default_is_the_standard_webhooks_schedule(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("IRM_WEBHOOK_RETRY_SCHEDULE", raising=False)

    assert parse_schedule(DEFAULT_RETRY_SCHEDULE) == [
        timedelta(0),
        timedelta(seconds=5),
        timedelta(minutes=5),
        timedelta(minutes=30),
        timedelta(hours=2),
        timedelta(hours=5),
        timedelta(hours=10),
        timedelta(hours=14),
        timedelta(hours=20),
        timedelta(hours=24),
    ]
    assert NotifierSettings().retry_schedule() == parse_schedule(DEFAULT_RETRY_SCHEDULE)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("0", [0]),
        ("0,0.2,0.5", [0, 0.2, 0.5]),
        (" 0 , 1 ,2 ", [0, 1, 2]),
        ("0,5,", [0, 5]),
        ("30", [30]),
    ],
)
def test_good_schedules(text: str, seconds: list[float]) -> None:
    assert parse_schedule(text) == [timedelta(seconds=s) for s in seconds]


@pytest.mark.parametrize("text", ["", " ", ",", "0,x", "5s,10s", "0;5", "-1", "0,-5", "nan"])
def test_bad_schedules_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="retry schedule"):
        parse_schedule(text)


def test_a_bad_schedule_in_the_environment_stops_the_notifier_at_start(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("IRM_WEBHOOK_RETRY_SCHEDULE", "0,soon")

    with pytest.raises(ValidationError, match="webhook_retry_schedule"):
        NotifierSettings()


def test_the_schedule_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IRM_WEBHOOK_RETRY_SCHEDULE", "0,1,2")

    assert NotifierSettings().retry_schedule() == [timedelta(seconds=s) for s in (0, 1, 2)]
