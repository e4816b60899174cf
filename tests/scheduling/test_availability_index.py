"""The indexed clash and fatigue checks agree with their plain definitions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from hearth.scheduling.availability import (
    Busy,
    Calendar,
    Interval,
    Limits,
    clashes,
    fatigue_problem,
)
from hearth.scheduling.models import LIVE_REMOTE, Modality, TherapistProfile

DAY = datetime(2027, 1, 11, 8, tzinfo=UTC)
MODALITIES = [m.value for m in Modality]


@st.composite
def calendars(draw: st.DrawFn) -> list[Busy]:
    """Non-overlapping bookings (as the database guarantees) through a day."""
    busy, cursor = [], DAY
    for _ in range(draw(st.integers(0, 12))):
        cursor += timedelta(minutes=draw(st.integers(0, 60)))
        length = timedelta(minutes=draw(st.integers(10, 90)))
        busy.append(Busy(Interval(cursor, cursor + length), draw(st.sampled_from(MODALITIES))))
        cursor += length
    return busy


def plain_clash(busy: list[Busy], candidate: Interval, buffer: timedelta) -> bool:
    return any(
        b.interval.start - buffer < candidate.end and candidate.start < b.interval.end + buffer
        for b in busy
    )


def plain_fatigue(busy: list[Busy], candidate: Interval, modality: str, limits: Limits) -> bool:
    if modality not in LIVE_REMOTE:
        return False
    live = sorted([b.interval for b in busy if b.modality in LIVE_REMOTE] + [candidate])
    runs: list[list[datetime]] = []
    for interval in live:
        if runs and interval.start - runs[-1][1] < limits.min_break:
            runs[-1][1] = max(runs[-1][1], interval.end)
        else:
            runs.append([interval.start, interval.end])
    run = next(r for r in runs if r[0] <= candidate.start < r[1])
    if run[1] - run[0] > limits.max_continuous:
        return True
    if modality != Modality.VIDEO:
        return False
    video = sum(
        (b.interval.end - b.interval.start for b in busy if b.modality == Modality.VIDEO),
        timedelta(),
    )
    return video + (candidate.end - candidate.start) > limits.max_daily_video


@settings(max_examples=400, deadline=None)
@given(
    busy=calendars(),
    data=st.data(),
    length=st.integers(10, 90),
    modality=st.sampled_from(MODALITIES),
    buffer=st.integers(0, 15),
    min_break=st.integers(5, 45),
    max_continuous=st.integers(60, 240),
    max_video=st.integers(60, 360),
)
def test_indexed_checks_match_the_definitions(
    busy: list[Busy],
    data: st.DataObject,
    length: int,
    modality: str,
    buffer: int,
    min_break: int,
    max_continuous: int,
    max_video: int,
) -> None:
    calendar = Calendar(profile=TherapistProfile(), zone=ZoneInfo("UTC"), busy=busy)
    limits = Limits(
        buffer=timedelta(minutes=buffer),
        max_continuous=timedelta(minutes=max_continuous),
        min_break=timedelta(minutes=min_break),
        max_daily_video=timedelta(minutes=max_video),
    )
    # Most cases aim at a booking's edges, exactly at and around the buffer and break
    # distances, where an off-by-one in the index would show.
    if busy and data.draw(st.booleans()):
        anchor = data.draw(st.sampled_from(busy)).interval
        gap = data.draw(
            st.sampled_from(
                [buffer, buffer - 1, buffer + 1, min_break, min_break - 1, min_break + 1, 0]
            )
        )
        if data.draw(st.booleans()):  # just after the booking
            start = anchor.end + timedelta(minutes=gap)
        else:  # just before it
            start = anchor.start - timedelta(minutes=gap + length)
    else:
        start = DAY + timedelta(minutes=data.draw(st.integers(0, 14 * 60)))
    candidate = Interval(start, start + timedelta(minutes=length))
    clash = clashes(calendar, candidate, limits.buffer, limits.min_break)
    assert (clash is not None) == plain_clash(busy, candidate, limits.buffer)
    if clash is None and not plain_clash(busy, candidate, timedelta()):
        got = fatigue_problem(calendar, candidate, modality, limits) is not None
        assert got == plain_fatigue(busy, candidate, modality, limits)


def test_a_gap_of_exactly_the_break_is_a_break_on_either_side() -> None:
    at = lambda minutes: DAY + timedelta(minutes=minutes)  # noqa: E731
    run = [Busy(Interval(at(60), at(120)), Modality.VIDEO)]  # 09:00–10:00
    calendar = Calendar(profile=TherapistProfile(), zone=ZoneInfo("UTC"), busy=run)
    limits = Limits(
        buffer=timedelta(),
        max_continuous=timedelta(minutes=90),
        min_break=timedelta(minutes=15),
        max_daily_video=timedelta(hours=8),
    )
    # After the run: 15 minutes later is a break; 14 is not (60 + 14 + 30 > 90).
    assert fatigue_problem(calendar, Interval(at(135), at(165)), Modality.AUDIO, limits) is None
    assert fatigue_problem(calendar, Interval(at(134), at(164)), Modality.AUDIO, limits)
    # Before the run: the same, mirrored.
    assert fatigue_problem(calendar, Interval(at(15), at(45)), Modality.AUDIO, limits) is None
    assert fatigue_problem(calendar, Interval(at(16), at(46)), Modality.AUDIO, limits)
