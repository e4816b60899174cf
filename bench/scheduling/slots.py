"""Open-slot search on PostgreSQL with a realistic calendar.

    .venv/bin/python bench/scheduling/slots.py            # the full run (about 1–2 minutes)
    .venv/bin/python bench/scheduling/slots.py --quick    # a smoke run on a small calendar

What: ``hearth.scheduling.search.open_slots`` — the function behind the slots API and the
booking pages — as a service admin sees it, searching 50-minute video treatment slots:
(a) one therapist over 4 weeks (100 searches over varied therapists who work by video),
(b) every therapist of a 500-clinician service over 2 weeks (up to 10 searches, stopping
after 45 s once 5 are done), and (c) the
number of queries one search makes for a therapist with few and with many appointments
and for all therapists.

Why: issue 3 sets targets (single therapist p95 < 50 ms, 500 therapists < 500 ms) and
requires the query count not to grow with the calendar. Timings on a shared machine
drift, so each search is paired with a same-run baseline, measured interleaved with it:
the time to fetch exactly the rows the search needs (policy, profiles with users,
weekly hours, exceptions and holding appointments for the same range and therapists)
without computing any slot, once as model instances and once as plain tuples. That is
the data-loading floor; the report gives Hearth's time and its ratio to the floor.
``--profile`` adds a profile of one all-therapist search.

How: a fresh database ``hearth_bench_slots`` on the local PostgreSQL
(``BENCH_POSTGRES_URL``, default postgres://postgres@127.0.0.1:5432/postgres), migrated
by the real ``hearth migrate``; then, in this process, one organisation with 500
therapists in four time zones, varied weekly hours and modalities (in person at a site
on one day), buffers of 0–15 minutes, time off and extra hours, and appointments filling
about 40–60 % of their hours over the next 4 weeks plus 2 weeks of history (written with
``bulk_create``: the calendar is generated without overlaps, so PostgreSQL's exclusion
constraints accept it). The database is dropped at the end.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import random
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (
    bench_environment,
    django_setup,
    hearth,
    load_average,
    machine,
    percentile,
    print_machine,
)

DATABASE = "hearth_bench_slots"
SEED = 20261123
STEP = timedelta(minutes=15)
ZONES = [
    ("Europe/London", 70),
    ("Europe/Dublin", 10),
    ("America/New_York", 10),
    ("Australia/Sydney", 10),
]
# Local working patterns: lists of (start, end) blocks in a day.
PATTERNS = [
    [(clock(9), clock(17))],
    [(clock(8), clock(12)), (clock(13), clock(17, 30))],
    [(clock(12), clock(20))],
    [(clock(7, 30), clock(15, 30))],
    [(clock(9, 30), clock(14, 30))],
    [(clock(9), clock(12, 30)), (clock(14), clock(19))],
]
REMOTE = ["video", "audio", "telephone", "messaging"]
# service name → share of appointments
SERVICE_MIX = [("Treatment", 60), ("Assessment", 15), ("Review", 15), ("Brief check-in", 10)]


@dataclass
class Plan:
    """One therapist's generated calendar, kept to build appointments without overlap."""

    zone: ZoneInfo
    buffer: int
    blocks: list[tuple[int, clock, clock, list[str], int | None]] = field(default_factory=list)
    time_off: list[tuple[datetime, datetime]] = field(default_factory=list)
    extra: list[tuple[datetime, datetime, list[str]]] = field(default_factory=list)


def _weighted(rng: random.Random, choices: list[tuple[Any, int]]) -> Any:
    return rng.choices([c for c, _ in choices], weights=[w for _, w in choices])[0]


def _local(day: date, at: clock, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)


def _ceil_step(moment: datetime) -> datetime:
    minutes = moment.hour * 60 + moment.minute
    rest = minutes % 15
    moment = moment.replace(second=0, microsecond=0)
    return moment if rest == 0 else moment + timedelta(minutes=15 - rest)


def build(therapists: int, rng: random.Random, now: datetime) -> dict[str, Any]:
    """The organisation, its people and their calendars. Returns what the runs need."""
    from django.contrib.auth.hashers import make_password
    from django.db import connection, transaction

    from hearth.accounts.models import Membership, Organisation, Role, User
    from hearth.clients.models import ClientRecord
    from hearth.scheduling.demo import schedules_ensure
    from hearth.scheduling.models import (
        Appointment,
        AppointmentStatus,
        AvailabilityException,
        Site,
        TherapistProfile,
        WorkingHours,
    )

    unusable = make_password(None)
    with transaction.atomic():
        org = Organisation.objects.create(name="Bench Talking Therapies", slug="bench")
        services = schedules_ensure(org)  # policy and service catalogue; no clinicians yet
        sites = [Site.objects.create(organisation=org, name=f"Site {i}") for i in range(3)]
        admin = User.objects.create(
            email="admin@bench.hearth.test", full_name="Bench Admin", password=unusable
        )
        admin_membership = Membership.objects.create(
            user=admin, organisation=org, role=Role.SERVICE_ADMIN
        )
        users = User.objects.bulk_create(
            [
                User(
                    email=f"therapist{i:04d}@bench.hearth.test",
                    full_name=f"Therapist {i:04d}",
                    time_zone=_weighted(rng, ZONES),
                    password=unusable,
                )
                for i in range(therapists)
            ]
        )
        memberships = Membership.objects.bulk_create(
            [
                Membership(
                    user=u,
                    organisation=org,
                    role=Role.SUPERVISOR if i % 25 == 0 else Role.THERAPIST,
                )
                for i, u in enumerate(users)
            ]
        )
        profiles = TherapistProfile.objects.bulk_create(
            [
                TherapistProfile(
                    membership=m,
                    buffer_minutes=rng.choice([0, 5, 10, 10, 15]),
                    max_continuous_remote_minutes=rng.choice([None, None, None, 150, 240]),
                    max_daily_video_minutes=rng.choice([None, None, None, 240, 360]),
                )
                for m in memberships
            ]
        )
        through = TherapistProfile.service_types.through
        links = []
        for p in profiles:
            offered = {"Treatment"} | {
                name for name in ("Assessment", "Review", "Brief check-in") if rng.random() < 0.6
            }
            links += [
                through(therapistprofile_id=p.pk, servicetype_id=services[name].pk)
                for name in offered
            ]
        through.objects.bulk_create(links)

        plans: dict[int, Plan] = {}
        hours_rows, exception_rows = [], []
        today = now.date()
        for user, profile in zip(users, profiles, strict=True):
            plan = Plan(zone=ZoneInfo(user.time_zone), buffer=profile.buffer_minutes)
            days = sorted(rng.sample(range(5), rng.choice([3, 4, 4, 5, 5])))
            if rng.random() < 0.15:
                days.append(5)  # some work Saturdays
            usual = rng.randrange(len(PATTERNS))
            remote = sorted(
                {"video"} | set(rng.sample(REMOTE, rng.randint(1, 3)))
                if rng.random() < 0.9
                else set(rng.sample(REMOTE[1:], rng.randint(1, 3)))
            )
            in_person_day = rng.choice(days) if rng.random() < 0.4 else None
            for weekday in days:
                pattern = PATTERNS[usual] if rng.random() < 0.8 else rng.choice(PATTERNS)
                for start, end in pattern:
                    if weekday == in_person_day:
                        modalities, site = ["in_person", "telephone"], rng.choice(sites).pk
                    else:
                        modalities, site = remote, None
                    plan.blocks.append((weekday, start, end, modalities, site))
                    hours_rows.append(
                        WorkingHours(
                            profile=profile,
                            weekday=weekday,
                            start_time=start,
                            end_time=end,
                            modalities=modalities,
                            site_id=site,
                        )
                    )
            # Time off: a day or an afternoon or two, sometimes a week's leave; one past.
            for _ in range(rng.randint(1, 3)):
                day = today + timedelta(days=rng.randint(-28, 27))
                kind = rng.random()
                if kind < 0.1:
                    span = (
                        _local(day, clock(0), plan.zone),
                        _local(day + timedelta(7), clock(0), plan.zone),
                    )
                elif kind < 0.6:
                    span = (
                        _local(day, clock(0), plan.zone),
                        _local(day + timedelta(1), clock(0), plan.zone),
                    )
                else:
                    span = (_local(day, clock(12), plan.zone), _local(day, clock(18), plan.zone))
                plan.time_off.append(span)
                exception_rows.append(
                    AvailabilityException(
                        profile=profile,
                        kind="time_off",
                        starts_at=span[0],
                        ends_at=span[1],
                        reason="Leave",
                    )
                )
            # Extra hours: a Saturday morning or a weekday evening, any or video only.
            for _ in range(rng.randint(0, 2)):
                day = today + timedelta(days=rng.randint(1, 27))
                if rng.random() < 0.5:
                    day += timedelta(days=(5 - day.weekday()) % 7)
                    span = (_local(day, clock(9), plan.zone), _local(day, clock(12), plan.zone))
                else:
                    span = (
                        _local(day, clock(17, 30), plan.zone),
                        _local(day, clock(20), plan.zone),
                    )
                mods = [] if rng.random() < 0.5 else ["video"]
                if any(s < span[1] and span[0] < e for s, e, _ in plan.extra):
                    continue
                plan.extra.append((span[0], span[1], mods))
                exception_rows.append(
                    AvailabilityException(
                        profile=profile,
                        kind="extra",
                        starts_at=span[0],
                        ends_at=span[1],
                        modalities=mods,
                        reason="Extra clinic",
                    )
                )
            plans[user.pk] = plan
        WorkingHours.objects.bulk_create(hours_rows, batch_size=5000)
        AvailabilityException.objects.bulk_create(exception_rows, batch_size=5000)

        # Caseloads: 20 clients each, so a client's appointments never overlap.
        caseload = ClientRecord.objects.bulk_create(
            [
                ClientRecord(
                    organisation=org,
                    therapist=user,
                    given_name=f"Client{i}",
                    family_name=f"Of{user.pk}",
                )
                for user in users
                for i in range(20)
            ],
            batch_size=5000,
        )
        clients_of: dict[int, list[int]] = defaultdict(list)
        for record in caseload:
            clients_of[record.therapist_id].append(record.pk)

    # Appointments: walk each working window, booking with a per-therapist probability.
    minutes_of = {s.name: s.default_minutes for s in services.values()}
    service_id = {s.name: s.pk for s in services.values()}
    horizon = now + timedelta(days=28)
    rows: list[Appointment] = []
    filled: list[float] = []
    future_counts: dict[int, int] = defaultdict(int)
    for user_id, plan in plans.items():
        book_p = rng.uniform(0.5, 0.8)
        # Windows may touch or overlap (extra hours next to usual hours); appointments
        # never start before the previous one's buffer has ended.
        busy_until = now - timedelta(days=60)
        booked = working = 0.0
        for offset in range(-15, 30):
            day = today + timedelta(days=offset)
            windows = [
                (_local(day, s, plan.zone), _local(day, e, plan.zone), m, site)
                for wd, s, e, m, site in plan.blocks
                if wd == day.weekday()
            ]
            windows += [
                (s, e, m or REMOTE, None)
                for s, e, m in plan.extra
                if s.astimezone(plan.zone).date() == day
            ]
            for start, end, modalities, site in sorted(windows, key=lambda w: w[0]):
                if any(s <= start and end <= e for s, e in plan.time_off):
                    continue
                in_range = now <= start < horizon
                if in_range:
                    working += (end - start).total_seconds()
                cursor = _ceil_step(max(start, busy_until))
                while cursor < end:
                    if rng.random() >= book_p:
                        cursor += STEP * rng.randint(1, 4)
                        continue
                    name = _weighted(rng, SERVICE_MIX)
                    length = timedelta(minutes=minutes_of[name])
                    if cursor + length > end or any(
                        s < cursor + length and cursor < e for s, e in plan.time_off
                    ):
                        cursor += STEP
                        continue
                    past = cursor < now
                    roll = rng.random()
                    if past:
                        status = (
                            AppointmentStatus.ATTENDED
                            if roll < 0.85
                            else AppointmentStatus.DNA
                            if roll < 0.95
                            else AppointmentStatus.CANCELLED_CLIENT
                        )
                    else:
                        status = (
                            AppointmentStatus.BOOKED
                            if roll < 0.88
                            else AppointmentStatus.REQUESTED
                            if roll < 0.92
                            else AppointmentStatus.CANCELLED_SERVICE
                        )
                    rows.append(
                        Appointment(
                            organisation_id=org.pk,
                            therapist_id=user_id,
                            client_id=rng.choice(clients_of[user_id]),
                            service_type_id=service_id[name],
                            modality=rng.choice(modalities),
                            modality_chosen_by_id=user_id,
                            site_id=site,
                            starts_at=cursor,
                            ends_at=cursor + length,
                            blocked_until=cursor + length + timedelta(minutes=plan.buffer),
                            status=status,
                            booked_by_id=user_id,
                            cancelled_at=now if status.startswith("cancelled") else None,
                        )
                    )
                    if in_range and not status.startswith("cancelled"):
                        booked += length.total_seconds()
                        future_counts[user_id] += 1
                    busy_until = cursor + length + timedelta(minutes=plan.buffer)
                    cursor = _ceil_step(busy_until)
        filled.append(booked / working if working else 0.0)
    Appointment.objects.bulk_create(rows, batch_size=5000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {
        "org": org,
        "admin": admin_membership,
        "treatment": services["Treatment"],
        "therapist_ids": [u.pk for u in users],
        "video_ids": [
            uid for uid, plan in plans.items() if any("video" in b[3] for b in plan.blocks)
        ],
        "appointments": len(rows),
        "future_counts": future_counts,
        "fill": filled,
        "hours": len(hours_rows),
        "exceptions": len(exception_rows),
        "clients": len(caseload),
    }


def load_floor(
    org_id: int,
    service: Any,
    user_ids: list[int] | None,
    start: datetime,
    end: datetime,
    *,
    models: bool = True,
) -> int:
    """The same rows ``open_slots`` reads, in the same five queries, and nothing else:
    as model instances (``models=True``, what any ORM-based search pays) or as plain
    tuples (the cheapest way to get them into Python)."""
    from hearth.accounts.models import CLINICIAN_ROLES
    from hearth.scheduling.models import (
        HOLDS_SLOT,
        Appointment,
        AvailabilityException,
        SchedulingPolicy,
        TherapistProfile,
        WorkingHours,
    )

    SchedulingPolicy.objects.get(organisation_id=org_id)
    profiles = TherapistProfile.objects.filter(
        membership__organisation_id=org_id,
        membership__is_active=True,
        membership__role__in=CLINICIAN_ROLES,
        service_types=service,
    )
    if user_ids is not None:
        profiles = profiles.filter(membership__user_id__in=user_ids)
    hours = WorkingHours.objects.all()
    exceptions = AvailabilityException.objects.filter(starts_at__lt=end, ends_at__gt=start)
    appointments = Appointment.objects.filter(
        status__in=HOLDS_SLOT,
        starts_at__lt=end + timedelta(days=1),
        ends_at__gt=start - timedelta(days=1),
    )
    if models:
        loaded = list(profiles.select_related("membership__user"))
        profile_ids = [p.pk for p in loaded]
        therapist_ids = [p.membership.user_id for p in loaded]
        rows = list(hours.filter(profile_id__in=profile_ids))
        rows += list(exceptions.filter(profile_id__in=profile_ids))
        rows += list(
            appointments.filter(therapist_id__in=therapist_ids).only(
                "therapist_id", "starts_at", "ends_at", "modality"
            )
        )
        return len(loaded) + len(rows)
    tuples = list(
        profiles.values_list(
            "pk", "buffer_minutes", "membership__user_id", "membership__user__time_zone"
        )
    )
    profile_ids = [t[0] for t in tuples]
    therapist_ids = [t[2] for t in tuples]
    found = list(
        hours.filter(profile_id__in=profile_ids).values_list(
            "profile_id", "weekday", "start_time", "end_time", "modalities", "site_id"
        )
    )
    found += list(
        exceptions.filter(profile_id__in=profile_ids).values_list(
            "profile_id", "kind", "starts_at", "ends_at", "modalities"
        )
    )
    found += list(
        appointments.filter(therapist_id__in=therapist_ids).values_list(
            "therapist_id", "starts_at", "ends_at", "modality"
        )
    )
    return len(tuples) + len(found)


def _timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = fn()
    return (time.perf_counter() - started) * 1000, result


@dataclass
class Case:
    name: str
    target_ms: float | None
    hearth_ms: list[float] = field(default_factory=list)
    floor_ms: list[float] = field(default_factory=list)
    tuples_ms: list[float] = field(default_factory=list)
    slots: list[int] = field(default_factory=list)
    queries: list[int] = field(default_factory=list)


def run_case(
    case: Case,
    data: dict[str, Any],
    picks: list[list[int] | None],
    days: int,
    *,
    budget: float | None = None,
    at_least: int = 5,
) -> None:
    """Each pick: Hearth's search and both floors, in an order that rotates, so that
    drift in the machine's load hits all three alike. With a ``budget`` (seconds), stop
    once it is spent and ``at_least`` picks are done. Hearth's queries are counted."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from hearth.scheduling.search import open_slots

    org_id, service, admin = data["org"].pk, data["treatment"], data["admin"]
    began = time.perf_counter()
    for i, ids in enumerate(picks):
        if budget is not None and i >= at_least and time.perf_counter() - began > budget:
            break
        start = datetime.now(UTC)
        end = start + timedelta(days=days)
        runs: dict[str, Callable[[], Any]] = {
            "hearth": lambda ids=ids, start=start, end=end: open_slots(
                membership=admin,
                service_type=service,
                modality="video",
                start=start,
                end=end,
                therapist_ids=ids,
            ),
            "floor": lambda ids=ids, start=start, end=end: load_floor(
                org_id, service, ids, start, end
            ),
            "tuples": lambda ids=ids, start=start, end=end: load_floor(
                org_id, service, ids, start, end, models=False
            ),
        }
        order = list(runs)
        order = order[i % 3 :] + order[: i % 3]
        results = {}
        for name in order:
            if name == "hearth":
                with CaptureQueriesContext(connection) as queries:
                    results[name] = _timed(runs[name])
                case.queries.append(len(queries.captured_queries))
            else:
                results[name] = _timed(runs[name])
        case.hearth_ms.append(results["hearth"][0])
        case.floor_ms.append(results["floor"][0])
        case.tuples_ms.append(results["tuples"][0])
        case.slots.append(len(results["hearth"][1]))


def query_counts(data: dict[str, Any], single: Case, every: Case) -> list[tuple[str, int, str]]:
    """(search, holding appointments in its range, queries made). The extremes of one
    therapist are searched here; the rest comes from the timed searches."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from hearth.scheduling.models import HOLDS_SLOT, Appointment
    from hearth.scheduling.search import open_slots

    def holding(ids: list[int], days: int) -> int:
        start = datetime.now(UTC)
        return Appointment.objects.filter(
            therapist_id__in=ids,
            status__in=HOLDS_SLOT,
            starts_at__lt=start + timedelta(days=days),
            ends_at__gt=start,
        ).count()

    def spread(values: list[int]) -> str:
        return f"{min(values)}" if min(values) == max(values) else f"{min(values)}–{max(values)}"

    counts = data["future_counts"]
    ranked = sorted(data["video_ids"], key=lambda uid: counts.get(uid, 0))
    rows = []
    for label, uid in (("fewest", ranked[0]), ("most", ranked[-1])):
        start = datetime.now(UTC)
        with CaptureQueriesContext(connection) as ctx:
            open_slots(
                membership=data["admin"],
                service_type=data["treatment"],
                modality="video",
                start=start,
                end=start + timedelta(days=28),
                therapist_ids=[uid],
            )
        rows.append(
            (
                f"one therapist with the {label} appointments, 4 weeks",
                holding([uid], 28),
                str(len(ctx.captured_queries)),
            )
        )
    rows.append(
        (
            f"each of the {len(single.queries)} timed one-therapist searches, 4 weeks",
            0,
            spread(single.queries),
        )
    )
    rows.append(
        (
            f"each of the {len(every.queries)} timed searches of all "
            f"{len(data['therapist_ids'])} therapists, 2 weeks",
            holding(data["therapist_ids"], 14),
            spread(every.queries),
        )
    )
    return rows


def profile_search(data: dict[str, Any], days: int) -> str:
    from hearth.scheduling.search import open_slots

    start = datetime.now(UTC)
    profiler = cProfile.Profile()
    profiler.enable()
    open_slots(
        membership=data["admin"],
        service_type=data["treatment"],
        modality="video",
        start=start,
        end=start + timedelta(days=days),
    )
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(12)
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run on a small calendar")
    parser.add_argument("--therapists", type=int, help="default 500 (--quick: 40)")
    parser.add_argument("--single-runs", type=int, help="default 100 (--quick: 10)")
    parser.add_argument("--all-runs", type=int, help="default 10 (--quick: 2)")
    parser.add_argument(
        "--all-budget",
        type=float,
        help="stop the all-therapist searches after this many seconds once 5 are done "
        "(default 45; --quick: none)",
    )
    parser.add_argument(
        "--profile", action="store_true", help="also print a cProfile of one all-therapist search"
    )
    args = parser.parse_args(argv)
    therapists = args.therapists or (40 if args.quick else 500)
    single_runs = args.single_runs or (10 if args.quick else 100)
    all_runs = args.all_runs or (2 if args.quick else 10)
    budget = args.all_budget or (None if args.quick else 45.0)
    if not (1 <= therapists <= 2000 and 1 <= single_runs <= 1000 and 1 <= all_runs <= 50):
        parser.error("keep --therapists ≤ 2000, --single-runs ≤ 1000, --all-runs ≤ 50")
    if budget is not None and not 0 < budget <= 600:
        parser.error("--all-budget must be in (0, 600]")

    info = machine()
    wall = time.perf_counter()
    with bench_environment(DATABASE) as bench:
        print(f"# Open-slot search benchmark ({'quick' if args.quick else 'full'})\n", flush=True)
        started = time.perf_counter()
        hearth(bench, "migrate", "--no-input")
        migrate_s = time.perf_counter() - started
        django_setup(bench)
        rng = random.Random(SEED)
        started = time.perf_counter()
        data = build(therapists, rng, datetime.now(UTC))
        build_s = time.perf_counter() - started
        fill = data["fill"]
        print(
            f"Calendar: {therapists} therapists, {data['hours']} weekly-hours blocks, "
            f"{data['exceptions']} exceptions, {data['clients']} clients, "
            f"{data['appointments']} appointments (2 weeks back, 4 ahead); booked share of "
            f"working time over the next 4 weeks: mean {sum(fill) / len(fill):.0%}, "
            f"p5 {percentile(fill, 5):.0%}, p95 {percentile(fill, 95):.0%}. "
            f"Migrate {migrate_s:.1f} s, build {build_s:.1f} s.\n",
            flush=True,
        )

        # Warm up: imports, connection, plan caches.
        warm = Case("warm-up", None)
        run_case(warm, data, [[data["therapist_ids"][0]], None], 14)

        single = Case("one therapist, 4 weeks", 50)
        picks_rng = random.Random(SEED + 1)
        picks: list[list[int] | None] = [
            [picks_rng.choice(data["video_ids"])] for _ in range(single_runs)
        ]
        run_case(single, data, picks, 28)
        every = Case(f"all {therapists} therapists, 2 weeks", 500)
        run_case(every, data, [None] * all_runs, 14, budget=budget)
        counts = query_counts(data, single, every)
        profile = profile_search(data, 14) if args.profile else ""
        load_after = load_average()

        from django.db import connection

        connection.close()

    print_machine(info)
    print(f"Load average after the measurements: {load_after}\n")
    print("## Search time (ms), with the data-loading floor measured in the same run\n")
    print(
        "Floor: the same rows in the same queries without computing slots, as model "
        "instances (what an ORM-based search must pay) and as plain tuples.\n"
    )
    print(
        "| search | runs | slots found (median) | Hearth p50 | Hearth p95 | Hearth max "
        "| floor p50 | floor p95 | tuples floor p50 | Hearth ÷ floor (p50 / p95) "
        "| target | met |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for case in (single, every):
        h50, h95 = percentile(case.hearth_ms, 50), percentile(case.hearth_ms, 95)
        f50, f95 = percentile(case.floor_ms, 50), percentile(case.floor_ms, 95)
        t50 = percentile(case.tuples_ms, 50)
        target = case.target_ms or 0
        print(
            f"| {case.name} | {len(case.hearth_ms)} | {percentile(case.slots, 50):.0f} "
            f"| {h50:.1f} | {h95:.1f} | {max(case.hearth_ms):.1f} | {f50:.1f} | {f95:.1f} "
            f"| {t50:.1f} | {h50 / f50:.1f}× / {h95 / f95:.1f}× | p95 < {target:.0f} ms "
            f"| {'yes' if h95 < target else '**no**'} |"
        )
    print("\n## Queries per search\n")
    print("| search | holding appointments in range | queries per search |")
    print("|---|---|---|")
    for label, appointments, queries in counts:
        print(f"| {label} | {appointments or 'varied'} | {queries} |")
    flat = len({q for *_, q in counts}) == 1
    print(
        f"\nQuery count {'does not grow' if flat else '**grows**'} with the number of "
        f"appointments or therapists.\n"
    )
    if profile:
        print("## Profile of one all-therapist search (2 weeks), by own time\n")
        print("```")
        print(profile.strip())
        print("```\n")
    print(f"Total wall time {time.perf_counter() - wall:.0f} s.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
