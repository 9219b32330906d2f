"""IRM_UPDATE_CADENCE: how often customers must hear from us, per severity."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from pydantic import ValidationError

from services.projector.settings import ProjectorSettings
from shared.domain.cadence import DEFAULT_UPDATE_CADENCE, parse_cadence


def test_the_default_cadence_follows_the_seed() -> None:
    assert parse_cadence(DEFAULT_UPDATE_CADENCE) == {
        "P1": timedelta(minutes=30),
        "P2": timedelta(minutes=60),
        "P3": timedelta(hours=4),
        "P4": timedelta(hours=24),
    }


@pytest.mark.parametrize(
    ("text", "expected_seconds"),
    [
        ("P1=3s,P2=6s,P3=12s,P4=24s", (3, 6, 12, 24)),
        ("P1=15m,P2=1h,P3=8h,P4=2d", (900, 3_600, 28_800, 172_800)),
        (" P4=1d , P3=90m,P2=2h ,P1=1s ", (1, 7_200, 5_400, 86_400)),  # any order, spaces
        ("P1=45s,P2=45m,P3=45h,P4=45d", (45, 2_700, 162_000, 3_888_000)),
    ],
)
def test_good_cadences_parse_into_durations(
    text: str, expected_seconds: tuple[int, int, int, int]
) -> None:
    cadence = parse_cadence(text)

    assert [cadence[s].total_seconds() for s in ("P1", "P2", "P3", "P4")] == list(expected_seconds)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("P1=30,P2=60m,P3=4h,P4=24h", "bad cadence entry 'P1=30'"),
        ("P1=30x,P2=60m,P3=4h,P4=24h", "bad cadence entry 'P1=30x'"),
        ("P5=1m,P2=60m,P3=4h,P4=24h", "bad cadence entry 'P5=1m'"),
        ("p1=30m,P2=60m,P3=4h,P4=24h", "bad cadence entry 'p1=30m'"),
        ("P1=-5m,P2=60m,P3=4h,P4=24h", "bad cadence entry 'P1=-5m'"),
        ("P1=1.5h,P2=60m,P3=4h,P4=24h", "bad cadence entry 'P1=1.5h'"),
        ("P1=30m;P2=60m;P3=4h;P4=24h", "bad cadence entry"),
        ("P1=30m,,P3=4h,P4=24h", "bad cadence entry ''"),
        ("", "bad cadence entry ''"),
        ("P1=0m,P2=60m,P3=4h,P4=24h", "cadence for P1 must be more than zero"),
        ("P1=30m,P2=60m,P3=4h", "cadence is missing P4"),
        ("P1=30m", "cadence is missing P2, P3, P4"),
    ],
)
def test_bad_cadences_are_refused_with_a_clear_reason(text: str, message: str) -> None:
    with pytest.raises(ValueError, match="^" + re.escape(message)):
        parse_cadence(text)


def test_a_bad_entry_says_what_is_expected() -> None:
    with pytest.raises(ValueError, match=re.escape("expected e.g. P1=30m (units s m h d)")):
        parse_cadence("P1=half an hour,P2=60m,P3=4h,P4=24h")


def test_a_bad_cadence_stops_the_projector_at_startup() -> None:
    with pytest.raises(ValidationError, match="cadence is missing P4"):
        ProjectorSettings(update_cadence="P1=1m,P2=1m,P3=1m")


def test_the_projector_reads_its_cadence_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("IRM_UPDATE_CADENCE", "P1=3s,P2=6s,P3=12s,P4=24s")

    assert ProjectorSettings().cadence()["P1"] == timedelta(seconds=3)
