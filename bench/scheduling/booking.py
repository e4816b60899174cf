"""Booking under contention over HTTP, against the real server on PostgreSQL.

    .venv/bin/python bench/scheduling/booking.py               # the full run (about 1.5 minutes)
    .venv/bin/python bench/scheduling/booking.py --quick       # a smoke run of a few seconds
    .venv/bin/python bench/scheduling/booking.py --seconds 30  # a shorter contended phase

What: 20 concurrent API clients (threads with keep-alive ``http.client`` connections on
loopback) POST ``/api/v1/appointments/`` for 60 seconds, as service admins with API
tokens (``Authorization: Bearer``). About 40 % of the requests aim at a shared "hot"
(therapist, time) that changes after five attempts, so several clients race for the
same slot at once; the rest spread over 40 therapists and the next 4 weeks. The report
gives requests/s, successful bookings/s, p50/p90/p99/max latency, the 201/409/other
counts (409s by the conflict code), and afterwards checks by SQL that no therapist or
client holds two overlapping appointments and that every 201 left exactly one row.

Why: issue 3 requires no double booking, guaranteed by the database, and sets a target
of p99 < 150 ms for this load. Two same-run baselines make the figures readable on a
shared, noisy machine: the same 20 clients against ``GET /api/v1/me/`` (token
authentication, the middleware stack and one small response: the server's floor for an
authenticated API request) and one client booking alone (the uncontended cost of a
booking). With clients that send their next request as soon as the last one is
answered, latency ≈ clients ÷ throughput (Little's law), so the floor shows what the
server could reach at all.

How: a fresh database ``hearth_bench_booking`` on the local PostgreSQL
(``BENCH_POSTGRES_URL``, default postgres://postgres@127.0.0.1:5432/postgres), migrated
by the real ``hearth migrate``; the people and schedules are created in this process;
then ``hearth serve --no-worker`` runs on a free loopback port with the same
environment. Screen-fatigue limits are raised for the organisation so that every
refusal measured is a time conflict (the checks still run). The server is stopped and
the database dropped at the end, even when the run fails.
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (
    BenchEnv,
    bench_environment,
    cpu_seconds,
    django_setup,
    free_port,
    hearth,
    hearth_server,
    load_average,
    machine,
    percentile,
    print_machine,
)

DATABASE = "hearth_bench_booking"
SEED = 20261124
CLIENTS = 20
THERAPISTS = 40
HOT_THERAPISTS = 4
HOT_SHARE = 0.4
HOT_ATTEMPTS = 5
CLIENT_RECORDS = 400
ZONE = ZoneInfo("Europe/London")
HOLDS_SLOT = "('requested', 'booked', 'arrived', 'in_session', 'attended', 'dna')"
MAX_SECONDS = 300


@dataclass
class People:
    keys: list[str]
    therapists: list[int]
    clients: list[int]
    services: list[tuple[int, list[str]]]  # (service type id, modalities to use)


def build() -> People:
    """An organisation with 40 therapists working 08:00–20:00 every day, 400 clients,
    and 20 service admins with TOTP and an API token each."""
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
    from django.contrib.auth.hashers import make_password
    from django.db import transaction

    from hearth.accounts.models import Membership, Organisation, Role, User
    from hearth.api.models import Scope
    from hearth.api.services import api_token_create
    from hearth.clients.models import ClientRecord
    from hearth.scheduling.demo import schedules_ensure
    from hearth.scheduling.models import SchedulingPolicy, TherapistProfile, WorkingHours

    rng = random.Random(SEED)
    unusable = make_password(None)
    remote = ["video", "audio", "telephone", "messaging"]
    with transaction.atomic():
        org = Organisation.objects.create(name="Bench Booking", slug="bench-booking")
        services = schedules_ensure(org)
        SchedulingPolicy.objects.filter(organisation=org).update(
            max_continuous_remote_minutes=720, max_daily_video_minutes=720
        )
        therapists = User.objects.bulk_create(
            [
                User(
                    email=f"therapist{i:03d}@bench.hearth.test",
                    full_name=f"Therapist {i:03d}",
                    time_zone="Europe/London",
                    password=unusable,
                )
                for i in range(THERAPISTS)
            ]
        )
        memberships = Membership.objects.bulk_create(
            [Membership(user=u, organisation=org, role=Role.THERAPIST) for u in therapists]
        )
        profiles = TherapistProfile.objects.bulk_create(
            [
                TherapistProfile(membership=m, buffer_minutes=rng.choice([0, 5, 10, 15]))
                for m in memberships
            ]
        )
        for profile in profiles:
            profile.service_types.set(services.values())
        WorkingHours.objects.bulk_create(
            [
                WorkingHours(
                    profile=p, weekday=d, start_time=clock(8), end_time=clock(20), modalities=remote
                )
                for p in profiles
                for d in range(7)
            ]
        )
        records = ClientRecord.objects.bulk_create(
            [
                ClientRecord(
                    organisation=org,
                    therapist=rng.choice(therapists),
                    given_name=f"Client{i}",
                    family_name="Bench",
                    email=f"client{i}@bench.hearth.test",
                )
                for i in range(CLIENT_RECORDS)
            ]
        )
        keys = []
        for i in range(CLIENTS):
            admin = User.objects.create(
                email=f"admin{i:02d}@bench.hearth.test", full_name=f"Admin {i}", password=unusable
            )
            TOTP.activate(admin, generate_totp_secret())
            RecoveryCodes.activate(admin)
            membership = Membership.objects.create(
                user=admin, organisation=org, role=Role.SERVICE_ADMIN
            )
            _, key = api_token_create(
                membership=membership,
                name=f"bench {i}",
                scopes=[Scope.CLINICAL_READ, Scope.CLINICAL_WRITE],
                days=1,
            )
            keys.append(key)
    chosen = [
        (services["Treatment"].pk, ["video", "audio", "telephone"]),
        (services["Review"].pk, ["video", "telephone"]),
        (services["Brief check-in"].pk, ["video", "audio"]),
    ]
    return People(keys, [u.pk for u in therapists], [r.pk for r in records], chosen)


class Targets:
    """What each request asks for. A share of requests goes to a shared hot slot that
    moves on after ``HOT_ATTEMPTS`` requests, so clients race for it; the rest spread."""

    def __init__(self, people: People, first_day: date, days: int) -> None:
        self.people = people
        self.starts = [
            datetime.combine(first_day + timedelta(days=d), clock(h, m), tzinfo=ZONE)
            for d in range(days)
            for h in range(8, 19)
            for m in (0, 15, 30, 45)
        ]
        self.hot_therapists = people.therapists[:HOT_THERAPISTS]
        self.lock = threading.Lock()
        self.rng = random.Random(SEED + 1)
        self.hot: tuple[int, datetime, tuple[int, list[str]]] | None = None
        self.hot_left = 0

    def booking(self, rng: random.Random) -> bytes:
        if rng.random() < HOT_SHARE:
            with self.lock:
                if self.hot is None or self.hot_left == 0:
                    self.hot = (
                        self.rng.choice(self.hot_therapists),
                        self.rng.choice(self.starts),
                        self.rng.choice(self.people.services),
                    )
                    self.hot_left = HOT_ATTEMPTS
                self.hot_left -= 1
                therapist, starts_at, service = self.hot
        else:
            therapist = rng.choice(self.people.therapists)
            starts_at = rng.choice(self.starts)
            service = rng.choice(self.people.services)
        body = {
            "client_id": rng.choice(self.people.clients),
            "therapist_id": therapist,
            "service_type_id": service[0],
            "modality": rng.choice(service[1]),
            "starts_at": starts_at.isoformat(),
        }
        return json.dumps(body).encode()


@dataclass
class Result:
    started: float
    seconds: float
    status: int
    detail: str = ""
    slot: tuple[int, str] | None = None  # (therapist, starts_at) asked for


@dataclass
class Phase:
    name: str
    clients: int
    seconds: float
    request: Callable[[random.Random], tuple[str, str, bytes | None]]
    think: float = 0.0
    results: list[Result] = field(default_factory=list)
    elapsed: float = 0.0
    server_cpu: float = 0.0
    own_cpu: float = 0.0


def run_phase(phase: Phase, port: int, keys: list[str], server_pid: int) -> None:
    """``phase.clients`` threads, each sending requests until the time is up (back to back
    unless the phase has a pause)."""
    barrier = threading.Barrier(phase.clients + 1)
    per_thread: list[list[Result]] = [[] for _ in range(phase.clients)]
    deadline = [0.0]

    def client(index: int) -> None:
        rng = random.Random(SEED * 100 + index)
        headers = {"Authorization": f"Bearer {keys[index]}", "Content-Type": "application/json"}
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        barrier.wait()
        if phase.think:
            time.sleep(rng.uniform(0, phase.think))
        while time.perf_counter() < deadline[0]:
            method, path, body = phase.request(rng)
            started = time.perf_counter()
            detail = ""
            try:
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                payload = response.read()
                status = response.status
                if status == 409:
                    detail = str(json.loads(payload).get("code", ""))
                elif status >= 300:
                    detail = payload[:300].decode("utf-8", "replace")
            except (OSError, http.client.HTTPException) as exc:
                status, detail = 0, f"{type(exc).__name__}: {exc}"
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            slot = None
            if body is not None:
                asked = json.loads(body)
                slot = (int(asked["therapist_id"]), str(asked["starts_at"]))
            per_thread[index].append(
                Result(started, time.perf_counter() - started, status, detail, slot)
            )
            if phase.think:  # random around the mean, so that clients do not march in step
                time.sleep(rng.uniform(0, 2 * phase.think))
        conn.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(phase.clients)]
    for thread in threads:
        thread.start()
    cpu_before, own_before = cpu_seconds(server_pid), time.process_time()
    start = time.perf_counter()
    deadline[0] = start + phase.seconds
    barrier.wait()
    for thread in threads:
        thread.join()
    phase.elapsed = time.perf_counter() - start
    phase.server_cpu = cpu_seconds(server_pid) - cpu_before
    phase.own_cpu = time.process_time() - own_before
    phase.results = [r for rs in per_thread for r in rs]


def integrity(bench: BenchEnv, created_before: int) -> dict[str, int]:
    """Overlaps among slot-holding appointments (all must be 0) and rows created."""
    import psycopg

    checks = {
        "therapist overlaps (appointment times)": (
            "therapist_id",
            "tstzrange(a.starts_at, a.ends_at, '[)') && tstzrange(b.starts_at, b.ends_at, '[)')",
        ),
        "therapist overlaps (including buffer)": (
            "therapist_id",
            "tstzrange(a.starts_at, a.blocked_until, '[)') "
            "&& tstzrange(b.starts_at, b.blocked_until, '[)')",
        ),
        "client overlaps": (
            "client_id",
            "tstzrange(a.starts_at, a.ends_at, '[)') && tstzrange(b.starts_at, b.ends_at, '[)')",
        ),
    }
    found: dict[str, int] = {}
    with psycopg.connect(bench.database_url) as conn:
        for label, (column, overlap) in checks.items():
            row = conn.execute(
                f"SELECT count(*) FROM scheduling_appointment a "  # noqa: S608  (constants)
                f"JOIN scheduling_appointment b ON a.{column} = b.{column} AND a.id < b.id "
                f"AND {overlap} "
                f"WHERE a.status IN {HOLDS_SLOT} AND b.status IN {HOLDS_SLOT}"
            ).fetchone()
            found[label] = int(row[0]) if row else -1
        row = conn.execute("SELECT count(*) FROM scheduling_appointment").fetchone()
        found["rows created"] = (int(row[0]) if row else 0) - created_before
    return found


def races(results: list[Result]) -> tuple[int, int]:
    """Slots asked for by two or more requests in flight at the same moment: how many such
    slots, and the most requests in flight at once for one slot."""
    by_slot: dict[tuple[int, str], list[Result]] = {}
    for r in results:
        if r.slot is not None:
            by_slot.setdefault(r.slot, []).append(r)
    raced, widest = 0, 0
    for group in by_slot.values():
        if len(group) < 2:
            continue
        edges = sorted(
            [(r.started, 1) for r in group] + [(r.started + r.seconds, -1) for r in group],
            key=lambda e: (e[0], e[1]),
        )
        in_flight = most = 0
        for _, step in edges:
            in_flight += step
            most = max(most, in_flight)
        if most >= 2:
            raced += 1
            widest = max(widest, most)
    return raced, widest


def summary(phase: Phase) -> dict[str, Any]:
    latencies = [r.seconds * 1000 for r in phase.results]
    statuses = Counter(r.status for r in phase.results)
    return {
        "requests": len(phase.results),
        "rps": len(phase.results) / phase.elapsed if phase.elapsed else 0.0,
        "created_per_s": statuses[201] / phase.elapsed if phase.elapsed else 0.0,
        "p50": percentile(latencies, 50),
        "p90": percentile(latencies, 90),
        "p99": percentile(latencies, 99),
        "max": max(latencies) if latencies else float("nan"),
        "statuses": statuses,
        "conflicts": Counter(r.detail for r in phase.results if r.status == 409),
        "others": Counter(
            f"{r.status} {r.detail[:160]}" for r in phase.results if r.status not in (200, 201, 409)
        ),
        "server_cpu_ms": 1000 * phase.server_cpu / len(phase.results) if phase.results else 0.0,
        "server_cpu_share": phase.server_cpu / phase.elapsed if phase.elapsed else 0.0,
        "own_cpu_share": phase.own_cpu / phase.elapsed if phase.elapsed else 0.0,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run of a few seconds")
    parser.add_argument(
        "--seconds", type=float, help="contended phase, default 60 (--quick: 4), at most 300"
    )
    parser.add_argument(
        "--baseline-seconds", type=float, help="each baseline phase, default 10 (--quick: 2)"
    )
    parser.add_argument(
        "--think-ms",
        type=float,
        default=0.0,
        help="mean pause of each client between requests, drawn uniformly from 0 to twice "
        "this (default 0: back to back), at most 5000",
    )
    args = parser.parse_args(argv)
    seconds = args.seconds or (4.0 if args.quick else 60.0)
    baseline_seconds = args.baseline_seconds or (2.0 if args.quick else 10.0)
    if not (0 < seconds <= MAX_SECONDS and 0 < baseline_seconds <= MAX_SECONDS):
        parser.error(f"--seconds and --baseline-seconds must be in (0, {MAX_SECONDS}]")
    if not 0 <= args.think_ms <= 5000:
        parser.error("--think-ms must be in [0, 5000]")
    think = args.think_ms / 1000

    info = machine()
    wall = time.perf_counter()
    print(f"# Booking under contention benchmark ({'quick' if args.quick else 'full'})\n")
    with bench_environment(DATABASE) as bench:
        hearth(bench, "migrate", "--no-input")
        django_setup(bench)
        people = build()
        from django.db import connection

        connection.close()
        targets = Targets(people, datetime.now(ZONE).date() + timedelta(days=1), 28)
        port = free_port()

        def me(rng: random.Random) -> tuple[str, str, bytes | None]:
            return "GET", "/api/v1/me/", None

        def book(rng: random.Random) -> tuple[str, str, bytes | None]:
            return "POST", "/api/v1/appointments/", targets.booking(rng)

        floor = Phase(
            f"GET /api/v1/me/, {CLIENTS} clients (floor)", CLIENTS, baseline_seconds, me, think
        )
        alone = Phase(
            "POST /api/v1/appointments/, 1 client (same mix, no concurrency)",
            1,
            baseline_seconds,
            book,
            think,
        )
        contended = Phase(
            f"POST /api/v1/appointments/, {CLIENTS} clients", CLIENTS, seconds, book, think
        )
        with hearth_server(bench, port) as process:
            warm = Phase("warm-up", CLIENTS, 1.0, me)
            run_phase(warm, port, people.keys, process.pid)
            for phase in (floor, alone):
                run_phase(phase, port, people.keys, process.pid)
            created_before = integrity(bench, 0)["rows created"]
            load_before = load_average()
            run_phase(contended, port, people.keys, process.pid)
            load_after = load_average()
        checks = integrity(bench, created_before)
        audit = hearth(bench, "audit", "verify").strip().splitlines()

    print_machine(info)
    print(f"Load average before / after the contended phase: {load_before} → {load_after}\n")
    pause = f"waits {args.think_ms:g} ms on average" if think else "does not wait"
    print(f"Each client {pause} between an answer and its next request.\n")
    print(
        "| phase | seconds | requests | requests/s | bookings/s | p50 ms | p90 ms | p99 ms "
        "| max ms | 200/201 | 409 | other | server CPU ms/request | server CPU (cores) "
        "| load generator CPU (cores) |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    summaries = {}
    for phase in (floor, alone, contended):
        s = summaries[phase.name] = summary(phase)
        ok = s["statuses"][200] + s["statuses"][201]
        other = s["requests"] - ok - s["statuses"][409]
        print(
            f"| {phase.name} | {phase.elapsed:.1f} | {s['requests']} | {s['rps']:.1f} "
            f"| {s['created_per_s']:.1f} | {s['p50']:.1f} | {s['p90']:.1f} | {s['p99']:.1f} "
            f"| {s['max']:.1f} | {ok} | {s['statuses'][409]} | {other} "
            f"| {s['server_cpu_ms']:.1f} | {s['server_cpu_share']:.2f} "
            f"| {s['own_cpu_share']:.2f} |"
        )
    s = summaries[contended.name]
    print()
    print(f"409s by code (contended phase): {dict(s['conflicts'].most_common())}")
    raced, widest = races(contended.results)
    print(
        f"Same-slot races (contended phase): {raced} slots were asked for by two or more "
        f"requests in flight at once; at most {widest} at once for one slot."
    )
    if s["others"]:
        print(f"Other answers (contended phase): {dict(s['others'].most_common(5))}")
    met = s["p99"] < 150
    print(f"\nTarget p99 < 150 ms under {CLIENTS} clients: {'met' if met else '**not met**'} ")
    print(f"(p99 {s['p99']:.1f} ms; floor p99 {summaries[floor.name]['p99']:.1f} ms).\n")
    print("## After the run, by SQL\n")
    print("| check | count |")
    print("|---|---|")
    for label, count in checks.items():
        print(f"| {label} | {count} |")
    created_ok = checks["rows created"] == s["statuses"][201]
    clean = all(v == 0 for k, v in checks.items() if k != "rows created")
    print(
        f"\nDouble bookings: {'none' if clean else '**FOUND**'}; rows created "
        f"{'match' if created_ok else '**do not match**'} the {s['statuses'][201]} answers 201. "
        f"`hearth audit verify`: {audit[-1] if audit else '(no output)'}\n"
    )
    print(f"Total wall time {time.perf_counter() - wall:.0f} s.")
    return 0 if clean and created_ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
