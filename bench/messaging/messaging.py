"""Secure messaging: send-to-deliver latency with many conversations connected, one
process and then two on Redis, and durability when a process is killed under load.

    .venv/bin/python bench/messaging/messaging.py                     # 1,000 conversations
    .venv/bin/python bench/messaging/messaging.py --conversations 200 # a lighter run
    .venv/bin/python bench/messaging/messaging.py --quick             # 20 conversations, 10 s

What: every conversation is one client record's thread (src/hearth/messaging) with its
two members, the client and their therapist, each connected to
``/ws/messages/<thread>/`` with their session cookie (2 sockets a conversation). After
``welcome`` each member sends ``sync`` from the last sequence number it knows. Then, for
``--seconds`` (60), every conversation sends a message every ``--interval`` seconds (15;
the first at a random moment, so conversations do not march in step), from the
therapist and the client in turn: a ``send`` frame with a fresh ``client_id`` (UUID) and
a 200-character body. Latency runs from handing the frame to the sender's socket to the
arrival of the stored ``message`` frame with that ``client_id`` at the other member's
socket; both ends are in this process, so one clock measures both. A message not
arrived 3 s after the last send is *lost*.

Phases, in this order, each against fresh server processes:

1. floor: ``bench/calls/floor_relay.py``, a minimal ``websockets`` room relay (no
   authentication, no parsing, no storage): the ``send`` frame itself arrives;
2. Hearth, one process: ``hearth serve --no-worker`` (in-memory channel layer);
3. Hearth, two processes on Redis (``BENCH_REDIS_URL``, default
   redis://127.0.0.1:6379/0, under a channel prefix of this run's own): every client
   on the first, every therapist on the second, so every message crosses Redis;
4. durability: as 3, and at a third of the load the first process (every client's) is
   killed with SIGKILL and started again on the same port. Members behave as the page
   does: they reconnect (every 0.5-1.5 s until it answers), ``sync`` from the last
   sequence number they saw, and send again every message not yet acknowledged, with
   the same ``client_id``; messages written while disconnected wait and go then. After
   the load, and once every member is connected with nothing unacknowledged (at most
   60 s), the benchmark counts from the database and from what the sockets received:
   every acknowledged ``client_id`` stored exactly once, and delivered to the other
   member.

Server memory is the servers' resident memory (VmRSS) after one warm-up conversation,
after all have connected, and at the end of the load.

How: a fresh database ``hearth_bench_messaging`` on the local PostgreSQL
(``BENCH_POSTGRES_URL``), migrated by the real ``hearth migrate``; the therapists (with
TOTP, which sockets require of staff), clients, client records and threads are made
directly with the ORM, the sessions server-side as the browser tests make them. Each
phase starts every member from its thread's current last sequence number, as the page
does. Everything is stopped and the database dropped at the end, even on failure.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scheduling"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "calls"))

import uvloop
from callbench import (
    Endpoint,
    floor_relay,
    pairs_create,
    raise_open_files,
    redis_env,
    run_on_redis,
    session_cookie_name,
    session_key_for,
    ws_open,
)
from common import (
    BenchEnv,
    bench_environment,
    cpu_seconds,
    django_setup,
    free_port,
    hearth,
    hearth_server,
    hearth_start,
    load_average,
    percentile,
    rss_bytes,
    stop,
)
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed, InvalidHandshake

DATABASE = "hearth_bench_messaging"
SEED = 20261124
CONNECTING_AT_ONCE = 50
GRACE_SECONDS = 3.0
SETTLE_SECONDS = 60.0
MAX_CONVERSATIONS = 2000
MAX_SECONDS = 300
BODY = (
    "Thanks for today. I tried the breathing exercise twice this morning and it helped a "
    "little; the evening was harder. Could we look at the worksheet again next week? "
)[:200]


@dataclass(frozen=True)
class Conversation:
    thread: int
    therapist_session: str
    client_session: str


def build(count: int) -> list[Conversation]:
    """``count`` therapist/client pairs, each client's record with its thread; a
    signed-in session for every person."""
    from django.db import transaction

    from hearth.messaging.models import Thread

    with transaction.atomic():
        people = pairs_create(count, name="Bench Messaging", slug="bench-messaging")
        threads = Thread.objects.bulk_create(
            [Thread(organisation=people.organisation, client=r) for r in people.records]
        )
    sessions_t = [session_key_for(u) for u in people.therapists]
    sessions_c = [session_key_for(u) for u in people.clients]
    return [
        Conversation(t.pk, st, sc)
        for t, st, sc in zip(threads, sessions_t, sessions_c, strict=True)
    ]


def last_seqs() -> dict[int, int]:
    from hearth.messaging.models import Thread

    return dict(Thread.objects.values_list("pk", "last_seq"))


# --- The members -----------------------------------------------------------------------


@dataclass
class Tally:
    sent: dict[str, float] = field(default_factory=dict)  # client_id: when, while timed
    latencies: list[float] = field(default_factory=list)  # ms
    received: int = 0  # timed messages arrived
    acks: int = 0
    duplicate_acks: int = 0  # acks of a resend the server had already stored
    redelivered: int = 0  # message frames with a seq the socket's member had seen
    errors: Counter[str] = field(default_factory=Counter)
    recording: bool = False


class Member:
    """One person of a conversation, as the messaging page behaves: a socket, the last
    sequence number seen, and the messages sent but not yet acknowledged."""

    def __init__(self, endpoint: Endpoint, tally: Tally, *, hearth: bool, last_seq: int) -> None:
        self.endpoint, self.tally, self.hearth = endpoint, tally, hearth
        self.last_seq = last_seq
        self.me: int | None = None
        self.ws: ClientConnection | None = None
        self.reader: asyncio.Task[None] | None = None
        self.welcomed = asyncio.Event()
        self.pending: dict[str, str] = {}  # client_id: body, not acknowledged yet
        self.sent_ids: list[str] = []
        self.acked: set[str] = set()
        self.seen: Counter[str] = Counter()  # client_ids of the other member's messages
        self.reconnects = 0

    @property
    def connected(self) -> bool:
        return self.reader is not None and not self.reader.done() and self.welcomed.is_set()

    async def open(self) -> None:
        self.welcomed.clear()
        self.ws = await ws_open(self.endpoint, open_timeout=60)
        self.reader = asyncio.create_task(self.read(self.ws))
        if not self.hearth:
            self.welcomed.set()
            return
        async with asyncio.timeout(60):
            await self.welcomed.wait()
        await self._frame({"type": "sync", "after": self.last_seq})
        for client_id, body in list(self.pending.items()):
            await self._frame({"type": "send", "client_id": client_id, "body": body})

    async def read(self, ws: ClientConnection) -> None:
        tally = self.tally
        with contextlib.suppress(ConnectionClosed):
            async for raw in ws:
                now = time.perf_counter()
                frame = json.loads(raw)
                kind = frame.get("type")
                if kind == "message":
                    if frame["seq"] <= self.last_seq:
                        tally.redelivered += 1
                        continue
                    self.last_seq = frame["seq"]
                    if frame["sender"] != self.me and frame["client_id"]:
                        self._arrived(frame["client_id"], now)
                elif kind == "send":  # the floor relays the send frame itself
                    self._arrived(frame["client_id"], now)
                elif kind == "ack":
                    self.pending.pop(frame["client_id"], None)
                    self.acked.add(frame["client_id"])
                    tally.acks += 1
                    tally.duplicate_acks += bool(frame.get("duplicate"))
                elif kind == "welcome":
                    self.me = frame["me"]
                    self.welcomed.set()
                elif kind == "error":
                    tally.errors[str(frame.get("message"))[:60]] += 1

    def _arrived(self, client_id: str, now: float) -> None:
        self.seen[client_id] += 1
        sent = self.tally.sent.pop(client_id, None)
        if sent is not None:
            self.tally.latencies.append((now - sent) * 1000)
            self.tally.received += 1

    async def _frame(self, frame: dict[str, Any]) -> None:
        assert self.ws is not None
        await self.ws.send(json.dumps(frame))

    async def send_message(self) -> None:
        """Write a message; it waits in ``pending`` if the socket is down."""
        client_id = str(uuid.uuid4())
        self.sent_ids.append(client_id)
        if self.hearth:
            self.pending[client_id] = BODY
        if not self.connected:
            return
        if self.tally.recording:
            self.tally.sent[client_id] = time.perf_counter()
        with contextlib.suppress(ConnectionClosed):
            await self._frame({"type": "send", "client_id": client_id, "body": BODY})

    async def stay_connected(self, until: Callable[[], bool]) -> None:
        """Reconnect whenever the socket closes, as the page does, until ``until()``."""
        rng = random.Random()
        while not until():
            if self.reader is not None and not self.reader.done():
                await asyncio.wait({self.reader}, timeout=0.5)
                continue
            await asyncio.sleep(rng.uniform(0.5, 1.5))
            try:
                await self.open()
                self.reconnects += 1
            except (OSError, InvalidHandshake, TimeoutError, ConnectionClosed):
                continue

    async def close(self) -> None:
        if self.ws is not None:
            with contextlib.suppress(Exception):
                async with asyncio.timeout(10):
                    await self.ws.close()
        if self.reader is not None:
            self.reader.cancel()


# --- A phase ---------------------------------------------------------------------------


@dataclass
class PhaseResult:
    name: str
    conversations: int
    connect_seconds: float = 0.0
    refused: int = 0
    rss_before: int = 0
    rss_connected: int = 0
    rss_end: int = 0
    seconds: float = 0.0
    offered: int = 0  # messages written during the load
    tally: Tally = field(default_factory=Tally)
    server_cpu: float = 0.0
    dropped: int = 0
    durability: dict[str, int] | None = None


Pair = tuple[Member, Member]  # (therapist, client)


async def run_load(
    result: PhaseResult,
    make_pairs: Callable[[Tally], list[Pair]],
    *,
    seconds: float,
    interval: float,
    pids: Callable[[], list[int]],
    kill: Callable[[], Any] | None = None,
) -> list[Pair]:
    tally = result.tally
    pairs = make_pairs(tally)
    gate = asyncio.Semaphore(CONNECTING_AT_ONCE)
    done = [0]

    async def connect_pair(pair: Pair) -> None:
        async with gate:
            for member in pair:
                await member.open()
            done[0] += 1
            if done[0] % 200 == 0:
                print(f"    {done[0]} conversations connected", flush=True)

    # Warm-up: one conversation connects and leaves, so the server has loaded what it loads lazily.
    warm, pairs = pairs[0], pairs[1:]
    await connect_pair(warm)
    for member in warm:
        await member.close()
    await asyncio.sleep(1.0)
    result.rss_before = sum(rss_bytes(pid) for pid in pids())
    started = time.perf_counter()
    outcomes = await asyncio.gather(*(connect_pair(p) for p in pairs), return_exceptions=True)
    result.connect_seconds = time.perf_counter() - started
    failures = [o for o in outcomes if isinstance(o, BaseException)]
    result.refused = len(failures)
    if failures:
        print(f"  {len(failures)} conversations failed to connect; first: {failures[0]!r}")
        pairs = [p for p, o in zip(pairs, outcomes, strict=True) if o is None]
    await asyncio.sleep(2.0)
    result.rss_connected = sum(rss_bytes(pid) for pid in pids())
    result.conversations = len(pairs)

    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    finished = [False]

    async def drive(pair: Pair, rng: random.Random) -> None:
        offset = rng.uniform(0, interval)
        if loop.time() + offset >= deadline:
            return
        await asyncio.sleep(offset)
        next_round, turn = loop.time(), rng.randrange(2)
        while loop.time() < deadline:
            await pair[turn].send_message()
            result.offered += 1
            turn = 1 - turn
            next_round += interval
            await asyncio.sleep(max(0.0, min(next_round, deadline) - loop.time()))

    async def killer() -> None:
        if kill is None:
            return
        await asyncio.sleep(seconds / 3)
        await kill()

    keepers = []
    if kill is not None:
        keepers = [
            asyncio.create_task(m.stay_connected(lambda: finished[0])) for p in pairs for m in p
        ]
    rng = random.Random(SEED)
    cpu_before = {pid: cpu_seconds(pid) for pid in pids()}
    tally.recording = True
    began = time.perf_counter()
    await asyncio.gather(killer(), *(drive(p, random.Random(rng.random())) for p in pairs))
    await asyncio.sleep(GRACE_SECONDS)
    tally.recording = False
    result.seconds = time.perf_counter() - began
    # A process killed in the phase counts for nothing; its successor from its start.
    result.server_cpu = sum(cpu_seconds(pid) - cpu_before.get(pid, 0.0) for pid in pids())
    if kill is not None:
        # Until every member is back and nothing is unacknowledged (bounded).
        settle = loop.time() + SETTLE_SECONDS
        while loop.time() < settle and not all(
            m.connected and not m.pending for p in pairs for m in p
        ):
            await asyncio.sleep(0.5)
        await asyncio.sleep(GRACE_SECONDS)  # the last acknowledged ones reach the other side
        finished[0] = True
        await asyncio.gather(*keepers)
    result.rss_end = sum(rss_bytes(pid) for pid in pids())
    result.dropped = sum(1 for p in pairs for m in p if not m.connected)
    await asyncio.gather(*(m.close() for p in pairs for m in p))
    return pairs


def count_durability(pairs: list[Pair]) -> dict[str, int]:
    """From the database and the sockets: is every acknowledged message stored once
    and delivered to the other member?"""
    from hearth.messaging.models import Message

    written = [cid for p in pairs for m in p for cid in m.sent_ids]
    stored = Counter(
        str(cid)
        for cid in Message.objects.filter(client_id__in=written).values_list("client_id", flat=True)
    )
    acked = [(m, other, cid) for t, c in pairs for m, other in ((t, c), (c, t)) for cid in m.acked]
    return {
        "messages written": len(written),
        "acknowledged": len(acked),
        "acknowledged, stored exactly once": sum(1 for _, _, cid in acked if stored[cid] == 1),
        "acknowledged, not stored": sum(1 for _, _, cid in acked if stored[cid] == 0),
        "acknowledged, stored more than once": sum(1 for _, _, cid in acked if stored[cid] > 1),
        "acknowledged, delivered to the other member": sum(
            1 for _, other, cid in acked if other.seen[cid] >= 1
        ),
        "acknowledged, delivered more than once": sum(
            1 for _, other, cid in acked if other.seen[cid] > 1
        ),
        "written, never acknowledged": sum(1 for p in pairs for m in p for _ in m.pending),
        "stored, never acknowledged": sum(
            1 for p in pairs for m in p for cid in m.sent_ids if stored[cid] and cid not in m.acked
        ),
        "stored more than once (any)": sum(1 for n in stored.values() if n > 1),
        "reconnections": sum(m.reconnects for p in pairs for m in p),
    }


# --- The phases ------------------------------------------------------------------------


def hearth_pairs(
    conversations: list[Conversation], client_port: int, therapist_port: int
) -> Callable[[Tally], list[Pair]]:
    cookie = session_cookie_name()
    seqs = last_seqs()

    def member(tally: Tally, port: int, session: str, thread: int) -> Member:
        end = Endpoint(
            f"ws://127.0.0.1:{port}/ws/messages/{thread}/",
            f"{cookie}={session}",
            f"http://127.0.0.1:{port}",
        )
        return Member(end, tally, hearth=True, last_seq=seqs[thread])

    def make(tally: Tally) -> list[Pair]:
        return [
            (
                member(tally, therapist_port, c.therapist_session, c.thread),
                member(tally, client_port, c.client_session, c.thread),
            )
            for c in conversations
        ]

    return make


def run_phases(args: argparse.Namespace) -> list[PhaseResult]:
    results: list[PhaseResult] = []
    load = {"seconds": args.seconds, "interval": args.interval}
    with bench_environment(DATABASE) as bench:
        hearth(bench, "migrate", "--no-input")
        django_setup(bench)
        started = time.perf_counter()
        conversations = build(args.conversations + 1)  # one more for the warm-up
        print(f"Built {len(conversations)} conversations in {time.perf_counter() - started:.0f} s.")
        from django.db import connection

        connection.close()

        port = free_port()
        floor = PhaseResult("floor: minimal `websockets` relay, 1 process", args.conversations)
        with floor_relay(bench, port) as process:
            base, origin = f"ws://127.0.0.1:{port}/room", f"http://127.0.0.1:{port}"

            def floor_pairs(tally: Tally) -> list[Pair]:
                return [
                    tuple(  # type: ignore[misc]
                        Member(
                            Endpoint(f"{base}/{i}", None, origin), tally, hearth=False, last_seq=0
                        )
                        for _ in range(2)
                    )
                    for i in range(len(conversations))
                ]

            uvloop.run(run_load(floor, floor_pairs, pids=lambda: [process.pid], **load))
        report_phase(results, floor)

        port = free_port()
        one = PhaseResult("Hearth, 1 process (in-memory channel layer)", args.conversations)
        with hearth_server(bench, port, name="serve-one") as process:
            make = hearth_pairs(conversations, port, port)
            uvloop.run(run_load(one, make, pids=lambda: [process.pid], **load))
        connection.close()
        report_phase(results, one)

        two = PhaseResult("Hearth, 2 processes on Redis (members on different ones)", 0)
        with redis_servers(bench, "two") as (ports, processes, _):
            make = hearth_pairs(conversations, *ports)
            uvloop.run(run_load(two, make, pids=lambda: [p.pid for p in processes], **load))
        connection.close()
        report_phase(results, two)

        durable = PhaseResult("durability: 2 processes on Redis, clients' one killed", 0)
        with redis_servers(bench, "durable") as (ports, processes, redis_env):
            make = hearth_pairs(conversations, *ports)

            async def kill() -> None:
                victim = processes[0]
                victim.kill()  # SIGKILL: no shutdown, no goodbye
                victim.wait()
                print(f"    killed the clients' process (pid {victim.pid}); restarting", flush=True)
                processes[0] = await asyncio.to_thread(
                    hearth_start, bench, ports[0], env=redis_env, name="durable-a-restarted"
                )

            pairs = uvloop.run(
                run_load(durable, make, pids=lambda: [p.pid for p in processes], kill=kill, **load)
            )
            connection.close()
            durable.durability = count_durability(pairs)
        report_phase(results, durable)
    return results


@contextlib.contextmanager
def redis_servers(bench: BenchEnv, name: str) -> Any:
    """Two ``hearth serve`` processes on Redis under channel and cache prefixes of their
    own: (ports, processes, environment), the clients' first. The caller may replace a
    killed process in the list; every process in it at the end is stopped."""
    env = redis_env()
    ports = [free_port(), free_port()]
    processes: list[subprocess.Popen[bytes]] = []
    try:
        for side, port in zip("ab", ports, strict=True):
            processes.append(hearth_start(bench, port, env=env, name=f"{name}-{side}"))
        yield ports, processes, env
    finally:
        for process in processes:
            stop(process)


# --- The report ------------------------------------------------------------------------


def report_phase(results: list[PhaseResult], r: PhaseResult) -> None:
    results.append(r)
    t = r.tally
    print(
        f"  {r.name}: {r.conversations} conversations connected in {r.connect_seconds:.1f} s; "
        f"{t.received} of {r.offered} timed, p50 {percentile(t.latencies, 50):.1f} ms, "
        f"p99 {percentile(t.latencies, 99):.1f} ms; load {load_average()}",
        flush=True,
    )


def report(results: list[PhaseResult], args: argparse.Namespace) -> None:
    floor_p99 = percentile(results[0].tally.latencies, 99)
    print()
    print(
        "| phase | conversations (sockets) | connect | messages written | timed arrivals | "
        "delivered/s | p50 | p90 | p99 | max | p99 ÷ floor p99 | lost | error frames | "
        "frames for a seq already seen | "
        "server memory (warm → connected → end) | server CPU |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        t = r.tally
        p99 = percentile(t.latencies, 99)
        errors = ", ".join(f"{k} {v}" for k, v in t.errors.most_common()) or "0"
        print(
            f"| {r.name} | {r.conversations} ({2 * r.conversations}) | "
            f"{r.connect_seconds:.1f} s | {r.offered:,} | {t.received:,} | "
            f"{t.received / r.seconds:.1f} | {percentile(t.latencies, 50):.1f} ms | "
            f"{percentile(t.latencies, 90):.1f} ms | {p99:.1f} ms | "
            f"{max(t.latencies, default=float('nan')):.0f} ms | {p99 / floor_p99:.1f}× | "
            f"{len(t.sent)} | {errors} | {t.redelivered:,} | "
            f"{r.rss_before / 2**20:.0f} → {r.rss_connected / 2**20:.0f} → "
            f"{r.rss_end / 2**20:.0f} MiB | {100 * r.server_cpu / r.seconds:.0f} % |"
        )
    print()
    targets = [(results[1], 50.0, "one process: p99 < 50 ms")]
    targets.append((results[2], 100.0, "two processes on Redis: p99 < 100 ms"))
    for r, limit, label in targets:
        t = r.tally
        p99 = percentile(t.latencies, 99)
        clean = not (t.sent or t.errors or r.refused or r.dropped)
        met = p99 < limit and clean
        problems = (
            f"; {len(t.sent)} lost, {sum(t.errors.values())} error frames, "
            f"{r.refused} conversations not connected, {r.dropped} members disconnected"
        )
        print(
            f"- {label}: **{'met' if met else 'not met'}** "
            f"(p99 {p99:.1f} ms{'' if clean else problems})"
        )
    durable = results[3]
    counts = durable.durability or {}
    acked = counts.get("acknowledged", 0)
    whole = (
        acked > 0
        and counts["acknowledged, stored exactly once"] == acked
        and counts["acknowledged, delivered to the other member"] == acked
        and counts["acknowledged, delivered more than once"] == 0
    )
    print(
        f"- durability: every acknowledged message stored exactly once and delivered: "
        f"**{'met' if whole else 'not met'}**"
    )
    print()
    print("| durability count | |")
    print("|---|---|")
    for key, value in counts.items():
        print(f"| {key} | {value:,} |")
    print(
        f"| acknowledgements of a resend already stored | {durable.tally.duplicate_acks:,} |\n"
        f"| message frames re-sent for a seq already seen | {durable.tally.redelivered:,} |\n"
        f"| members not reconnected at the end | {durable.dropped} |"
    )
    print(
        f"\nLoad: {args.conversations} conversations, one message every {args.interval:g} s "
        f"per conversation (sides alternating) for {args.seconds:g} s: about "
        f"{args.conversations / args.interval:.0f} messages a second offered."
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="20 conversations, 10 s a phase")
    parser.add_argument(
        "--conversations", type=int, help=f"default 1000 (at most {MAX_CONVERSATIONS})"
    )
    parser.add_argument("--seconds", type=float, help="of load per phase, default 60")
    parser.add_argument(
        "--interval", type=float, help="seconds between a conversation's messages, default 15"
    )
    args = parser.parse_args(argv)
    args.conversations = args.conversations or (20 if args.quick else 1000)
    args.seconds = args.seconds or (10.0 if args.quick else 60.0)
    args.interval = args.interval or (2.0 if args.quick else 15.0)
    if not (1 <= args.conversations <= MAX_CONVERSATIONS and 0 < args.seconds <= MAX_SECONDS):
        parser.error(
            f"--conversations must be in [1, {MAX_CONVERSATIONS}] and --seconds in "
            f"(0, {MAX_SECONDS}]"
        )
    if not 0.5 <= args.interval <= 600:
        parser.error("--interval must be in [0.5, 600]")
    raise_open_files(2 * args.conversations + 2)

    run_on_redis(
        f"Messaging benchmark ({'quick' if args.quick else 'full'})",
        lambda: run_phases(args),
        lambda results: report(results, args),
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
