"""Open slots: working hours in the therapist's zone, minus time off, busy time and
buffers, within the screen-fatigue limits.

Loading is batched (working hours, exceptions and appointments: one query each for any
number of therapists), so the number of queries does not grow with the calendar.
"""

from __future__ import annotations

from bisect import bisect_right
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
    _index: CalendarIndex | None = field(default=None, repr=False)

    def index(self, min_break: timedelta) -> CalendarIndex:
        """Lookups built once per search (rebuilt if ``busy`` is replaced)."""
        cached = self._index
        if cached is None or cached.busy is not self.busy or cached.min_break != min_break:
            cached = self._index = CalendarIndex.build(self.busy, self.zone, min_break)
        return cached

    @property
    def therapist_id(self) -> int:
        return int(self.profile.membership.user_id)


@dataclass(frozen=True)
class CalendarIndex:
    """Sorted views of one calendar's bookings, so each candidate costs a binary search
    rather than a scan of every appointment."""

    busy: list[Busy]
    min_break: timedelta
    reach: list[datetime]  # reach[i]: the latest end among busy[0..i] (non-decreasing)
    run_starts: list[datetime]  # maximal runs of live remote sessions with short gaps
    run_ends: list[datetime]
    video_by_day: dict[date, timedelta]

    @classmethod
    def build(cls, busy: list[Busy], zone: ZoneInfo, min_break: timedelta) -> CalendarIndex:
        reach: list[datetime] = []
        for b in busy:
            reach.append(max(reach[-1], b.interval.end) if reach else b.interval.end)
        run_starts: list[datetime] = []
        run_ends: list[datetime] = []
        for b in sorted((b for b in busy if b.modality in LIVE_REMOTE), key=lambda b: b.interval):
            if run_ends and b.interval.start - run_ends[-1] < min_break:
                run_ends[-1] = max(run_ends[-1], b.interval.end)
            else:
                run_starts.append(b.interval.start)
                run_ends.append(b.interval.end)
        video: dict[date, timedelta] = {}
        for b in busy:
            if b.modality == Modality.VIDEO:
                day = b.interval.start.astimezone(zone).date()
                video[day] = video.get(day, timedelta()) + (b.interval.end - b.interval.start)
        return cls(busy, min_break, reach, run_starts, run_ends, video)


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
    rows = Appointment.objects.filter(
        therapist_id__in=by_user,
        status__in=HOLDS_SLOT,
        starts_at__lt=end + timedelta(days=1),
        ends_at__gt=start - timedelta(days=1),
    ).values_list("therapist_id", "starts_at", "ends_at", "modality")
    for therapist_id, starts_at, ends_at, modality in rows:  # tuples: no model instances
        by_user[therapist_id].busy.append(Busy(Interval(starts_at, ends_at), modality))
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


def clashes(
    calendar: Calendar, candidate: Interval, buffer: timedelta, min_break: timedelta = timedelta()
) -> Busy | None:
    """The first appointment the candidate overlaps, counting the buffer around it."""
    index = calendar.index(min_break)
    # Skip every booking that ends (with its buffer) before the candidate starts.
    first = bisect_right(index.reach, candidate.start - buffer)
    for busy in calendar.busy[first:]:
        if busy.interval.start - buffer >= candidate.end:
            break
        if busy.interval.end + buffer > candidate.start:
            return busy
    return None


def fatigue_problem(
    calendar: Calendar, candidate: Interval, modality: str, limits: Limits
) -> str | None:
    """Why booking ``candidate`` would break a screen-fatigue limit, or None."""
    if modality not in LIVE_REMOTE:
        return None
    # Existing live sessions form maximal runs (gaps shorter than a break); a candidate,
    # which overlaps no booking, can join at most the run before it and the one after.
    index = calendar.index(limits.min_break)
    run_start, run_end = candidate.start, candidate.end
    before = bisect_right(index.run_starts, candidate.start) - 1
    if before >= 0 and candidate.start - index.run_ends[before] < limits.min_break:
        run_start = min(run_start, index.run_starts[before])
        run_end = max(run_end, index.run_ends[before])
    after = before + 1
    if after < len(index.run_starts) and index.run_starts[after] - candidate.end < limits.min_break:
        run_end = max(run_end, index.run_ends[after])
    if run_end - run_start > limits.max_continuous:
        minutes = int(limits.max_continuous.total_seconds() // 60)
        return (
            f"This would make more than {minutes} minutes of remote sessions without a "
            f"break of at least {int(limits.min_break.total_seconds() // 60)} minutes."
        )
    if modality == Modality.VIDEO:
        day = candidate.start.astimezone(calendar.zone).date()
        video = index.video_by_day.get(day, timedelta()) + (candidate.end - candidate.start)
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
                and clashes(calendar, candidate, limits.buffer, limits.min_break) is None
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
