"""Open slots: working hours in the therapist's zone, minus time off, busy time and
buffers, within the screen-fatigue limits.

Loading is batched (working hours, exceptions and appointments: one query each for any
number of therapists), so the number of queries does not grow with the calendar.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hearth.scheduling.models import (
    HOLDS_SLOT,
    LIVE_REMOTE,
    Appointment,
    AvailabilityException,
    Modality,
    SchedulingPolicy,
    TherapistProfile,
    WorkingHours,
)


@dataclass(frozen=True, order=True)
class Interval:
    start: datetime
    end: datetime

    def overlaps(self, other: Interval) -> bool:
        return self.start < other.end and other.start < self.end

    def contains(self, other: Interval) -> bool:
        return self.start <= other.start and other.end <= self.end


@dataclass(frozen=True)
class Slot:
    therapist_id: int
    starts_at: datetime
    ends_at: datetime
    modality: str
    site_id: int | None


@dataclass(frozen=True)
class Busy:
    interval: Interval
    modality: str


@dataclass
class Calendar:
    """Everything needed to judge one therapist's time, loaded up front."""

    profile: TherapistProfile
    zone: ZoneInfo
    hours: list[WorkingHours] = field(default_factory=list)
    exceptions: list[AvailabilityException] = field(default_factory=list)
    busy: list[Busy] = field(default_factory=list)

    @property
    def therapist_id(self) -> int:
        return int(self.profile.membership.user_id)


@dataclass(frozen=True)
class Limits:
    buffer: timedelta
    max_continuous: timedelta
    min_break: timedelta
    max_daily_video: timedelta

    @classmethod
    def of(cls, policy: SchedulingPolicy, profile: TherapistProfile) -> Limits:
        def tighter(own: int | None, org: int) -> int:
            return min(own, org) if own else org

        return cls(
            buffer=timedelta(minutes=profile.buffer_minutes),
            max_continuous=timedelta(
                minutes=tighter(
                    profile.max_continuous_remote_minutes, policy.max_continuous_remote_minutes
                )
            ),
            min_break=timedelta(minutes=policy.min_break_minutes),
            max_daily_video=timedelta(
                minutes=tighter(profile.max_daily_video_minutes, policy.max_daily_video_minutes)
            ),
        )


def local_to_utc(day: date, wall: time, zone: ZoneInfo) -> datetime:
    """A wall-clock time on a local date, in UTC, as RFC 5545 (3.3.5) reads it: a time
    that occurs twice is the first occurrence; a time inside a spring-forward gap uses
    the offset before the gap (01:30 on the day London moves to BST is 02:30 BST).
    That is exactly ``fold=0``."""
    return datetime.combine(day, wall, tzinfo=zone).astimezone(UTC)


def load_calendars(
    profiles: Sequence[TherapistProfile], start: datetime, end: datetime
) -> list[Calendar]:
    """One query each for hours, exceptions and appointments, whatever the number."""
    by_id = {
        p.pk: Calendar(profile=p, zone=ZoneInfo(p.membership.user.time_zone)) for p in profiles
    }
    for hours in WorkingHours.objects.filter(profile_id__in=by_id):
        by_id[hours.profile_id].hours.append(hours)
    for exc in AvailabilityException.objects.filter(
        profile_id__in=by_id, starts_at__lt=end, ends_at__gt=start
    ):
        by_id[exc.profile_id].exceptions.append(exc)
    by_user = {c.therapist_id: c for c in by_id.values()}
    # Whole local days either side, so fatigue limits see the full day and buffers.
    for appt in Appointment.objects.filter(
        therapist_id__in=by_user,
        status__in=HOLDS_SLOT,
        starts_at__lt=end + timedelta(days=1),
        ends_at__gt=start - timedelta(days=1),
    ).only("therapist_id", "starts_at", "ends_at", "modality"):
        by_user[appt.therapist_id].busy.append(
            Busy(Interval(appt.starts_at, appt.ends_at), appt.modality)
        )
    for calendar in by_id.values():
        calendar.busy.sort(key=lambda b: b.interval.start)
    return list(by_id.values())


def _days(start: datetime, end: datetime, zone: ZoneInfo) -> Iterator[date]:
    day = start.astimezone(zone).date() - timedelta(days=1)
    last = end.astimezone(zone).date()
    while day <= last:
        yield day
        day += timedelta(days=1)


def open_windows(
    calendar: Calendar, modality: str, start: datetime, end: datetime
) -> list[tuple[Interval, int | None]]:
    """Working time for ``modality`` in [start, end), as UTC intervals with their site."""
    windows: list[tuple[Interval, int | None]] = []
    for day in _days(start, end, calendar.zone):
        for block in calendar.hours:
            if block.weekday != day.weekday() or modality not in block.modalities:
                continue
            window = Interval(
                local_to_utc(day, block.start_time, calendar.zone),
                local_to_utc(day, block.end_time, calendar.zone),
            )
            windows.append((window, block.site_id))
    for exc in calendar.exceptions:
        if exc.kind == AvailabilityException.Kind.EXTRA and (
            not exc.modalities or modality in exc.modalities
        ):
            windows.append((Interval(exc.starts_at, exc.ends_at), None))
    time_off = [
        Interval(e.starts_at, e.ends_at)
        for e in calendar.exceptions
        if e.kind == AvailabilityException.Kind.TIME_OFF
    ]
    result = []
    for window, site in _merge(windows):
        for piece in _subtract(window, time_off):
            clipped = Interval(max(piece.start, start), min(piece.end, end))
            if clipped.start < clipped.end:
                result.append((clipped, site))
    return sorted(result, key=lambda w: w[0].start)


def _merge(windows: list[tuple[Interval, int | None]]) -> list[tuple[Interval, int | None]]:
    """Join windows that overlap or touch (extra hours next to, or over, working hours;
    two blocks of one day), so that no slot is offered twice and a session may run
    across the join. Windows at two different sites stay apart."""
    merged: list[tuple[Interval, int | None]] = []
    for window, site in sorted(windows, key=lambda w: w[0].start):
        if merged:
            last, last_site = merged[-1]
            same_place = last_site is None or site is None or last_site == site
            if same_place and window.start <= last.end:
                merged[-1] = (
                    Interval(last.start, max(last.end, window.end)),
                    last_site if last_site is not None else site,
                )
                continue
        merged.append((window, site))
    return merged


def _subtract(window: Interval, holes: Iterable[Interval]) -> list[Interval]:
    pieces = [window]
    for hole in holes:
        next_pieces = []
        for piece in pieces:
            if not piece.overlaps(hole):
                next_pieces.append(piece)
                continue
            if piece.start < hole.start:
                next_pieces.append(Interval(piece.start, hole.start))
            if hole.end < piece.end:
                next_pieces.append(Interval(hole.end, piece.end))
        pieces = next_pieces
    return pieces


def clashes(calendar: Calendar, candidate: Interval, buffer: timedelta) -> Busy | None:
    """The first appointment the candidate overlaps, counting the buffer around it."""
    for busy in calendar.busy:
        padded = Interval(busy.interval.start - buffer, busy.interval.end + buffer)
        if padded.overlaps(candidate):
            return busy
        if busy.interval.start > candidate.end + buffer:
            break
    return None


def fatigue_problem(
    calendar: Calendar, candidate: Interval, modality: str, limits: Limits
) -> str | None:
    """Why booking ``candidate`` would break a screen-fatigue limit, or None."""
    if modality not in LIVE_REMOTE:
        return None
    # Merge live remote sessions separated by less than a break into runs; judge the
    # run that would hold the candidate.
    live = sorted([b.interval for b in calendar.busy if b.modality in LIVE_REMOTE] + [candidate])
    run_start = run_end = None
    for interval in live:
        if run_end is not None and interval.start - run_end < limits.min_break:
            run_end = max(run_end, interval.end)
        elif run_end is not None and run_start <= candidate.start < run_end:  # type: ignore[operator]
            break  # the candidate's run has closed
        else:
            run_start, run_end = interval.start, interval.end
    assert run_start is not None and run_end is not None
    if run_end - run_start > limits.max_continuous:
        minutes = int(limits.max_continuous.total_seconds() // 60)
        return (
            f"This would make more than {minutes} minutes of remote sessions without a "
            f"break of at least {int(limits.min_break.total_seconds() // 60)} minutes."
        )
    if modality == Modality.VIDEO:
        day = candidate.start.astimezone(calendar.zone).date()
        video = sum(
            (
                b.interval.end - b.interval.start
                for b in calendar.busy
                if b.modality == Modality.VIDEO
                and b.interval.start.astimezone(calendar.zone).date() == day
            ),
            timedelta(),
        ) + (candidate.end - candidate.start)
        if video > limits.max_daily_video:
            hours = limits.max_daily_video.total_seconds() / 3600
            return f"This would take video sessions that day past the limit of {hours:g} hours."
    return None


def slots_for(
    calendar: Calendar,
    *,
    modality: str,
    minutes: int,
    start: datetime,
    end: datetime,
    limits: Limits,
    step: timedelta = timedelta(minutes=15),
) -> list[Slot]:
    """Open slots of ``minutes`` for ``modality``, aligned to ``step`` in local time."""
    length = timedelta(minutes=minutes)
    slots: list[Slot] = []
    offered: set[datetime] = set()  # windows at two sites may overlap: offer a time once
    for window, site in open_windows(calendar, modality, start, end):
        cursor = _align(window.start, step, calendar.zone)
        while cursor + length <= window.end:
            candidate = Interval(cursor, cursor + length)
            if (
                cursor >= window.start
                and cursor not in offered
                and clashes(calendar, candidate, limits.buffer) is None
                and fatigue_problem(calendar, candidate, modality, limits) is None
            ):
                slots.append(
                    Slot(calendar.therapist_id, candidate.start, candidate.end, modality, site)
                )
                offered.add(cursor)
            cursor += step
    return slots


def _align(moment: datetime, step: timedelta, zone: ZoneInfo) -> datetime:
    local = moment.astimezone(zone)
    step_minutes = int(step.total_seconds() // 60)
    minute_of_day = local.hour * 60 + local.minute
    remainder = minute_of_day % step_minutes
    if remainder == 0 and local.second == 0 and local.microsecond == 0:
        return moment
    aligned = local.replace(second=0, microsecond=0) + timedelta(minutes=step_minutes - remainder)
    return aligned.astimezone(UTC)
