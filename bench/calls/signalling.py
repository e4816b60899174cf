"""Signalling capacity: 1,000 call rooms (2,000 WebSocket clients) relaying offers,
answers and candidates through the real server, one process and then two on Redis.

    .venv/bin/python bench/calls/signalling.py               # the full run (10-15 minutes)
    .venv/bin/python bench/calls/signalling.py --quick       # a smoke run: 50 rooms, 5 s each
    .venv/bin/python bench/calls/signalling.py --interval 10 # three times the frame rate

What: for each phase, every room's therapist and client connect to
``/ws/calls/<appointment>/`` with their session cookie (protocol v1 of
src/hearth/calls/signalling.py), the client joins the waiting room, the therapist joins
and admits, and then for ``--seconds`` (60) every room negotiates again every
``--interval`` seconds (30; the first at a random moment, so rooms do not march in
step). That is far more signalling than calls make (a call negotiates once when it
starts and again only on a network change), so the load is heavy: every one of 1,000
calls renegotiating twice a minute, about 400 relayed frames a second. The therapist
sends an offer (a Chromium audio+video offer, about 5 kB) and 4 ICE candidates plus the
end-of-candidates frame; the client, on receiving the offer, sends an answer (about
3 kB) and the same candidates. That is 12 relayed frames per room per interval; a burst
of 6 frames per connection per interval, well under the per-connection limit
(HEARTH_SIGNAL_RATE_PER_SECOND, 50 a second). Every frame carries an id (the SDP
session id, the candidate foundation); relay latency is the time from handing the frame
to the client's socket to its arrival at the other peer, both in this process, so one
clock measures both ends. Frames still missing 3 s after the last send are reported as
lost.

Phases, in this order, each against fresh server processes:

1. floor: ``bench/calls/floor_relay.py``, a minimal room relay written with the
   ``websockets`` library (no authentication, no parsing, no database), same clients,
   same frames (no join/admit handshake: the floor has none);
2. Hearth, one process: ``hearth serve --no-worker`` (uvicorn, in-memory channel
   layer), both peers of every room on it;
3. Hearth, two processes on Redis: two ``hearth serve`` processes sharing a Redis
   channel layer (``BENCH_REDIS_URL``, default redis://127.0.0.1:6379/0, under a
   channel prefix of this run's own); every therapist on the first, every client on the
   second, so every frame crosses Redis.

Memory per connection is the growth of the server processes' resident memory (VmRSS)
from before the clients connect (after one warm-up connection) to after all of them
have connected and joined, divided by the number of connections.

How: a fresh database ``hearth_bench_signalling`` on the local PostgreSQL
(``BENCH_POSTGRES_URL``, default postgres://postgres@127.0.0.1:5432/postgres), migrated
by the real ``hearth migrate``. The rooms need one therapist and one client per room at
the same time, and the database refuses overlapping appointments for one therapist or
client, so this creates 1,000 therapists (each with TOTP, which the consumer requires of
staff), 1,000 clients with their client records, and two consecutive 50-minute video
appointments per pair (one for each Hearth phase), directly with the ORM: the booking
rules (working hours, fatigue limits) are not what is measured. The servers run with
``HEARTH_CALL_OPENS_MINUTES=120`` so that the second appointment's room is open too.
Sessions are made server-side as the browser tests make them. The clients are asyncio
``websockets`` clients on uvloop, in this process (the servers are separate processes),
offering permessage-deflate as browsers do. Everything is stopped and the database
dropped at the end, even when the run fails.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import random
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scheduling"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

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
    bench_environment,
    cpu_seconds,
    django_setup,
    free_port,
    hearth,
    hearth_server,
    load_average,
    percentile,
    rss_bytes,
)
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

DATABASE = "hearth_bench_signalling"
SEED = 20261124
CANDIDATES = 4
CONNECTING_AT_ONCE = 50
GRACE_SECONDS = 3.0
MAX_ROOMS = 2000
MAX_SECONDS = 300

# A Chromium offer for one audio and one video track (trimmed codec list, real shape).
OFFER_SDP = "\r\n".join(
    [
        "v=0",
        "o=- @ID@ 2 IN IP4 127.0.0.1",
        "s=-",
        "t=0 0",
        "a=group:BUNDLE 0 1",
        "a=extmap-allow-mixed",
        "a=msid-semantic: WMS 3f7c2a1e-9d1b-4c55-8a0e-2b7f6d9c1a44",
        "m=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126",
        "c=IN IP4 0.0.0.0",
        "a=rtcp:9 IN IP4 0.0.0.0",
        "a=ice-ufrag:Q0pG",
        "a=ice-pwd:mX4v9qRb1cT2yZ7wLk3nHs8e",
        "a=ice-options:trickle",
        "a=fingerprint:sha-256 " + ":".join(f"{b:02X}" for b in bytes.fromhex("a1" * 32)),
        "a=setup:actpass",
        "a=mid:0",
        "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level",
        "a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time",
        "a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01",
        "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid",
        "a=sendrecv",
        "a=msid:3f7c2a1e-9d1b-4c55-8a0e-2b7f6d9c1a44 8c1d2e3f-4a5b-6c7d-8e9f-0a1b2c3d4e5f",
        "a=rtcp-mux",
        "a=rtcp-rsize",
        "a=rtpmap:111 opus/48000/2",
        "a=rtcp-fb:111 transport-cc",
        "a=fmtp:111 minptime=10;useinbandfec=1",
        "a=rtpmap:63 red/48000/2",
        "a=fmtp:63 111/111",
        "a=rtpmap:9 G722/8000",
        "a=rtpmap:0 PCMU/8000",
        "a=rtpmap:8 PCMA/8000",
        "a=rtpmap:13 CN/8000",
        "a=rtpmap:110 telephone-event/48000",
        "a=rtpmap:126 telephone-event/8000",
        "a=ssrc:1284752931 cname:Vt7vJ2kq9Lw3xQ1a",
        "a=ssrc:1284752931 msid:3f7c2a1e-9d1b-4c55-8a0e-2b7f6d9c1a44 "
        "8c1d2e3f-4a5b-6c7d-8e9f-0a1b2c3d4e5f",
        "m=video 9 UDP/TLS/RTP/SAVPF 96 97 98 99 100 101 35 36 37 38 102 103 104 105 45 46 "
        "116 117 118",
        "c=IN IP4 0.0.0.0",
        "a=rtcp:9 IN IP4 0.0.0.0",
        "a=ice-ufrag:Q0pG",
        "a=ice-pwd:mX4v9qRb1cT2yZ7wLk3nHs8e",
        "a=ice-options:trickle",
        "a=fingerprint:sha-256 " + ":".join(f"{b:02X}" for b in bytes.fromhex("a1" * 32)),
        "a=setup:actpass",
        "a=mid:1",
        "a=extmap:14 urn:ietf:params:rtp-hdrext:toffset",
        "a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time",
        "a=extmap:13 urn:3gpp:video-orientation",
        "a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01",
        "a=extmap:5 http://www.webrtc.org/experiments/rtp-hdrext/playout-delay",
        "a=extmap:6 http://www.webrtc.org/experiments/rtp-hdrext/video-content-type",
        "a=extmap:7 http://www.webrtc.org/experiments/rtp-hdrext/video-timing",
        "a=extmap:8 http://www.webrtc.org/experiments/rtp-hdrext/color-space",
        "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid",
        "a=extmap:10 urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id",
        "a=extmap:11 urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id",
        "a=sendrecv",
        "a=msid:3f7c2a1e-9d1b-4c55-8a0e-2b7f6d9c1a44 1d2c3b4a-5e6f-7a8b-9c0d-e1f2a3b4c5d6",
        "a=rtcp-mux",
        "a=rtcp-rsize",
        "a=rtpmap:96 VP8/90000",
        "a=rtcp-fb:96 goog-remb",
        "a=rtcp-fb:96 transport-cc",
        "a=rtcp-fb:96 ccm fir",
        "a=rtcp-fb:96 nack",
        "a=rtcp-fb:96 nack pli",
        "a=rtpmap:97 rtx/90000",
        "a=fmtp:97 apt=96",
        "a=rtpmap:98 VP9/90000",
        "a=rtcp-fb:98 goog-remb",
        "a=rtcp-fb:98 transport-cc",
        "a=rtcp-fb:98 ccm fir",
        "a=rtcp-fb:98 nack",
        "a=rtcp-fb:98 nack pli",
        "a=fmtp:98 profile-id=0",
        "a=rtpmap:99 rtx/90000",
        "a=fmtp:99 apt=98",
        "a=rtpmap:100 VP9/90000",
        "a=rtcp-fb:100 goog-remb",
        "a=rtcp-fb:100 transport-cc",
        "a=rtcp-fb:100 ccm fir",
        "a=rtcp-fb:100 nack",
        "a=rtcp-fb:100 nack pli",
        "a=fmtp:100 profile-id=2",
        "a=rtpmap:101 rtx/90000",
        "a=fmtp:101 apt=100",
        "a=rtpmap:35 AV1/90000",
        "a=rtcp-fb:35 goog-remb",
        "a=rtcp-fb:35 transport-cc",
        "a=rtcp-fb:35 ccm fir",
        "a=rtcp-fb:35 nack",
        "a=rtcp-fb:35 nack pli",
        "a=fmtp:35 level-idx=5;profile=0;tier=0",
        "a=rtpmap:36 rtx/90000",
        "a=fmtp:36 apt=35",
        "a=rtpmap:37 AV1/90000",
        "a=rtcp-fb:37 goog-remb",
        "a=rtcp-fb:37 transport-cc",
        "a=rtcp-fb:37 ccm fir",
        "a=rtcp-fb:37 nack",
        "a=rtcp-fb:37 nack pli",
        "a=fmtp:37 level-idx=5;profile=1;tier=0",
        "a=rtpmap:38 rtx/90000",
        "a=fmtp:38 apt=37",
        "a=rtpmap:102 H264/90000",
        "a=rtcp-fb:102 goog-remb",
        "a=rtcp-fb:102 transport-cc",
        "a=rtcp-fb:102 ccm fir",
        "a=rtcp-fb:102 nack",
        "a=rtcp-fb:102 nack pli",
        "a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f",
        "a=rtpmap:103 rtx/90000",
        "a=fmtp:103 apt=102",
        "a=rtpmap:104 H264/90000",
        "a=rtcp-fb:104 goog-remb",
        "a=rtcp-fb:104 transport-cc",
        "a=rtcp-fb:104 ccm fir",
        "a=rtcp-fb:104 nack",
        "a=rtcp-fb:104 nack pli",
        "a=fmtp:104 level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42001f",
        "a=rtpmap:105 rtx/90000",
        "a=fmtp:105 apt=104",
        "a=rtpmap:45 H264/90000",
        "a=rtcp-fb:45 goog-remb",
        "a=rtcp-fb:45 transport-cc",
        "a=rtcp-fb:45 ccm fir",
        "a=rtcp-fb:45 nack",
        "a=rtcp-fb:45 nack pli",
        "a=fmtp:45 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=640034",
        "a=rtpmap:46 rtx/90000",
        "a=fmtp:46 apt=45",
        "a=rtpmap:116 red/90000",
        "a=rtpmap:117 rtx/90000",
        "a=fmtp:117 apt=116",
        "a=rtpmap:118 ulpfec/90000",
        "a=ssrc-group:FID 2291840712 3847561290",
        "a=ssrc:2291840712 cname:Vt7vJ2kq9Lw3xQ1a",
        "a=ssrc:2291840712 msid:3f7c2a1e-9d1b-4c55-8a0e-2b7f6d9c1a44 "
        "1d2c3b4a-5e6f-7a8b-9c0d-e1f2a3b4c5d6",
        "a=ssrc:3847561290 cname:Vt7vJ2kq9Lw3xQ1a",
        "a=ssrc:3847561290 msid:3f7c2a1e-9d1b-4c55-8a0e-2b7f6d9c1a44 "
        "1d2c3b4a-5e6f-7a8b-9c0d-e1f2a3b4c5d6",
        "",
    ]
)


VIDEO_PAYLOADS = {"96", "97", "98", "99", "100", "101", "35", "36", "37", "38", "102", "103"}
VIDEO_PAYLOADS |= {"104", "105", "45", "46", "116", "117", "118"}


def _answer_sdp() -> str:
    """The answer: the same shape, keeping every audio codec and VP8 (with its rtx)."""
    lines = []
    for line in OFFER_SDP.split("\r\n"):
        if line.startswith(("a=rtpmap:", "a=rtcp-fb:", "a=fmtp:")):
            payload = line.split(":", 1)[1].split(" ", 1)[0]
            if payload in VIDEO_PAYLOADS and payload not in {"96", "97"}:
                continue
        if line.startswith("m=video"):
            line = "m=video 9 UDP/TLS/RTP/SAVPF 96 97"
        lines.append(line.replace("a=setup:actpass", "a=setup:active"))
    return "\r\n".join(lines)


ANSWER_SDP = _answer_sdp()


def candidate(ident: int, n: int) -> dict[str, Any]:
    kinds = [
        f"udp {2122260223 - n} 127.0.0.1 {50000 + n} typ host",
        f"tcp {1518280447 - n} 127.0.0.1 9 typ host tcptype active",
        f"udp {1686052607 - n} 198.51.100.7 {51000 + n} typ srflx raddr 127.0.0.1 rport 5000",
        f"udp {41885439 - n} 203.0.113.9 {52000 + n} typ relay raddr 198.51.100.7 rport 51000",
    ]
    return {
        "candidate": f"candidate:{ident} 1 {kinds[n % len(kinds)]} generation 0 ufrag Q0pG "
        "network-id 1 network-cost 10",
        "sdpMid": str(n % 2),
        "sdpMLineIndex": n % 2,
    }


# --- The people and their rooms ------------------------------------------------------


@dataclass(frozen=True)
class Room:
    appointments: tuple[int, int]  # one for each Hearth phase
    therapist_session: str
    client_session: str


def build(rooms: int) -> list[Room]:
    """``rooms`` therapists and clients in pairs, each pair with two consecutive video
    appointments, the first under way now; a signed-in session for every person."""
    from django.db import transaction
    from django.utils import timezone

    from hearth.scheduling.demo import schedules_ensure
    from hearth.scheduling.models import Appointment, AppointmentStatus, Modality

    with transaction.atomic():
        people = pairs_create(rooms, name="Bench Calls", slug="bench-calls")
        org, therapists, records = people.organisation, people.therapists, people.records
        clients = people.clients
        service = schedules_ensure(org)["Treatment"]
        start = timezone.now().replace(microsecond=0) - timedelta(minutes=10)
        appointments = Appointment.objects.bulk_create(
            [
                Appointment(
                    organisation=org,
                    therapist=therapist,
                    client=record,
                    service_type=service,
                    modality=Modality.VIDEO,
                    modality_chosen_by=therapist,
                    starts_at=start + timedelta(minutes=55 * k),
                    ends_at=start + timedelta(minutes=55 * k + 50),
                    blocked_until=start + timedelta(minutes=55 * k + 50),
                    status=AppointmentStatus.BOOKED,
                    booked_by=therapist,
                )
                for k in (0, 1)
                for therapist, record in zip(therapists, records, strict=True)
            ]
        )
        # The session-start check, answered and confirmed: the consumer admits only then.
        from hearth.safety.models import SessionStartCheck

        now = timezone.now()
        SessionStartCheck.objects.bulk_create(
            [
                SessionStartCheck(
                    appointment=a,
                    location=SessionStartCheck.Location.OTHER,
                    address="Bench",
                    country="GB",
                    region="ENG",
                    callback_phone="+441614960123",
                    is_private=True,
                    emergency_contact_correct=True,
                    confirmed_by_client_at=now,
                    reviewed_at=now,
                    reviewed_by=a.therapist,
                )
                for a in appointments
            ]
        )
    sessions_t = [session_key_for(u) for u in therapists]
    sessions_c = [session_key_for(u) for u in clients]
    return [
        Room(
            (appointments[i].pk, appointments[rooms + i].pk),
            sessions_t[i],
            sessions_c[i],
        )
        for i in range(rooms)
    ]


# --- The clients -----------------------------------------------------------------------


@dataclass
class Tally:
    sent: dict[int, float] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)  # ms
    received: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    recording: bool = False

    def mark(self) -> int:
        ident = next(self.ids)
        if self.recording:
            self.sent[ident] = time.perf_counter()
        return ident


class Peer:
    """One WebSocket client: a reader task that records relay latency, answers offers
    (the client side), and queues every other frame for the handshake."""

    def __init__(self, ws: ClientConnection, role: str, tally: Tally) -> None:
        self.ws, self.role, self.tally = ws, role, tally
        self.control: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.reader = asyncio.create_task(self.read())

    async def read(self) -> None:
        with contextlib.suppress(ConnectionClosed):
            async for raw in self.ws:
                now = time.perf_counter()
                message = json.loads(raw)
                kind = message.get("type")
                if kind in ("offer", "answer", "candidate"):
                    self._arrived(message, now)
                    if kind == "offer" and self.role == "client":
                        await self.negotiate("answer")
                elif kind == "error":
                    self.tally.errors[str(message.get("code"))] += 1
                else:
                    self.control.put_nowait(message)

    def _arrived(self, message: dict[str, Any], now: float) -> None:
        if "description" in message:
            ident = int(message["description"]["sdp"].split("o=- ", 1)[1].split(" ", 1)[0])
        elif message.get("candidate"):
            ident = int(message["candidate"]["candidate"][10:].split(" ", 1)[0])
        else:
            return  # end of candidates: not timed
        sent = self.tally.sent.pop(ident, None)
        if sent is not None:
            self.tally.latencies.append((now - sent) * 1000)
            self.tally.received += 1

    async def send(self, message: dict[str, Any]) -> None:
        await self.ws.send(json.dumps({"v": 1, **message}))

    async def negotiate(self, kind: str) -> None:
        """A description and its candidates, back to back, as a browser trickles them."""
        tally = self.tally
        ident = tally.mark()
        sdp = (OFFER_SDP if kind == "offer" else ANSWER_SDP).replace("@ID@", str(ident))
        await self.send({"type": kind, "description": {"type": kind, "sdp": sdp}})
        for n in range(CANDIDATES):
            ident = tally.mark()
            await self.send({"type": "candidate", "candidate": candidate(ident, n)})
        # End of candidates (not timed).
        await self.send({"type": "candidate", "candidate": None})

    async def expect(self, kind: str, timeout: float = 120) -> dict[str, Any]:
        async with asyncio.timeout(timeout):
            while True:
                message = await self.control.get()
                if message.get("type") == kind:
                    return message

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            async with asyncio.timeout(10):
                await self.ws.close()
        self.reader.cancel()


async def open_peer(endpoint: Endpoint, role: str, tally: Tally) -> Peer:
    return Peer(await ws_open(endpoint), role, tally)


async def hearth_handshake(therapist: Peer, client: Peer) -> None:
    """As the call page does it: both welcomed, the client waits, the therapist admits."""
    await therapist.expect("welcome")
    await client.expect("welcome")
    await client.send({"type": "join", "prejoin": {"camera": True, "microphone": True}})
    await client.expect("waiting")
    await therapist.send({"type": "join", "prejoin": {}})
    await therapist.expect("peer")
    await therapist.send({"type": "admit"})
    await therapist.expect("admitted")
    await client.expect("admitted")


@dataclass
class PhaseResult:
    name: str
    rooms: int
    connect_seconds: float = 0.0
    connect_cpu: float = 0.0  # server CPU seconds while connecting
    rss_before: int = 0
    rss_after: int = 0
    frames: int = 0
    lost: int = 0
    latencies: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0
    server_cpu: float = 0.0
    client_cpu: float = 0.0
    loop_lag_p99: float = 0.0
    refused: int = 0
    dropped: int = 0  # connections closed during the exchange


async def run_load(
    result: PhaseResult,
    pairs: list[tuple[Endpoint, Endpoint]],
    *,
    handshake: bool,
    seconds: float,
    interval: float,
    pids: list[int],
) -> None:
    tally = Tally()
    gate = asyncio.Semaphore(CONNECTING_AT_ONCE)
    peers: list[tuple[Peer, Peer]] = []
    done = [0]

    async def connect_room(therapist_end: Endpoint, client_end: Endpoint) -> None:
        async with gate:
            therapist = await open_peer(therapist_end, "therapist", tally)
            client = await open_peer(client_end, "client", tally)
            peers.append((therapist, client))
            if handshake:
                await hearth_handshake(therapist, client)
            done[0] += 1
            if done[0] % 200 == 0:
                print(f"    {done[0]} rooms connected", flush=True)

    # Warm-up: one room connects and leaves, so the server has loaded what it lazily loads.
    warm = pairs[0]
    await connect_room(*warm)
    for peer in peers.pop():
        await peer.close()
    await asyncio.sleep(1.0)
    result.rss_before = sum(rss_bytes(pid) for pid in pids)

    started = time.perf_counter()
    connect_cpu = sum(cpu_seconds(pid) for pid in pids)
    outcomes = await asyncio.gather(
        *(connect_room(t, c) for t, c in pairs[1:]), return_exceptions=True
    )
    result.connect_seconds = time.perf_counter() - started
    result.connect_cpu = sum(cpu_seconds(pid) for pid in pids) - connect_cpu
    failures = [o for o in outcomes if isinstance(o, BaseException)]
    result.refused = len(failures)
    if failures:
        print(f"  {len(failures)} rooms failed to connect; first: {failures[0]!r}")
    await asyncio.sleep(2.0)
    result.rss_after = sum(rss_bytes(pid) for pid in pids)
    result.rooms = len(peers)

    lags: list[float] = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds

    async def probe() -> None:
        while loop.time() < deadline:
            before = loop.time()
            await asyncio.sleep(0.01)
            lags.append((loop.time() - before - 0.01) * 1000)

    async def drive(therapist: Peer, rng: random.Random) -> None:
        offset = rng.uniform(0, interval)
        if loop.time() + offset >= deadline:
            return  # this room's first round would fall after the phase
        await asyncio.sleep(offset)
        next_round = loop.time()
        while loop.time() < deadline:
            try:
                await therapist.negotiate("offer")
            except ConnectionClosed:
                return  # counted below among the connections dropped
            next_round += interval
            await asyncio.sleep(max(0.0, min(next_round, deadline) - loop.time()))

    rng = random.Random(SEED)
    cpu_before = [cpu_seconds(pid) for pid in pids]
    own_before = time.process_time()
    tally.recording = True
    began = time.perf_counter()
    await asyncio.gather(probe(), *(drive(t, random.Random(rng.random())) for t, _ in peers))
    await asyncio.sleep(GRACE_SECONDS)
    tally.recording = False
    result.seconds = time.perf_counter() - began
    result.server_cpu = sum(cpu_seconds(pid) for pid in pids) - sum(cpu_before)
    result.client_cpu = time.process_time() - own_before
    result.latencies = tally.latencies
    result.frames = tally.received
    result.lost = len(tally.sent)
    result.errors = tally.errors
    result.loop_lag_p99 = percentile(lags, 99)
    result.dropped = sum(1 for pair in peers for p in pair if p.reader.done())
    await asyncio.gather(*(p.close() for pair in peers for p in pair))


# --- The servers -----------------------------------------------------------------------


def hearth_pairs(
    rooms: list[Room], phase: int, therapist_port: int, client_port: int
) -> list[tuple[Endpoint, Endpoint]]:
    cookie = session_cookie_name()
    pairs = []
    for room in rooms:
        path = f"/ws/calls/{room.appointments[phase]}/"
        pairs.append(
            (
                Endpoint(
                    f"ws://127.0.0.1:{therapist_port}{path}",
                    f"{cookie}={room.therapist_session}",
                    f"http://127.0.0.1:{therapist_port}",
                ),
                Endpoint(
                    f"ws://127.0.0.1:{client_port}{path}",
                    f"{cookie}={room.client_session}",
                    f"http://127.0.0.1:{client_port}",
                ),
            )
        )
    return pairs


def run_phases(args: argparse.Namespace) -> list[PhaseResult]:
    results = []
    with bench_environment(DATABASE) as bench:
        hearth(bench, "migrate", "--no-input")
        django_setup(bench)
        started = time.perf_counter()
        rooms = build(args.rooms + 1)  # one more for the warm-up connection
        print(f"Built {len(rooms)} rooms in {time.perf_counter() - started:.0f} s.")
        from django.db import connection

        connection.close()
        load = {"seconds": args.seconds, "interval": args.interval}
        server_env = {"HEARTH_CALL_OPENS_MINUTES": "120"}

        port = free_port()
        floor = PhaseResult("floor: minimal `websockets` relay, 1 process", args.rooms)
        with floor_relay(bench, port) as process:
            base = f"ws://127.0.0.1:{port}/room"
            origin = f"http://127.0.0.1:{port}"
            pairs = [
                (Endpoint(f"{base}/{i}", None, origin), Endpoint(f"{base}/{i}", None, origin))
                for i in range(len(rooms))
            ]
            uvloop.run(run_load(floor, pairs, handshake=False, pids=[process.pid], **load))
        results.append(floor)
        report_phase(floor)

        port = free_port()
        one = PhaseResult("Hearth, 1 process (in-memory channel layer)", args.rooms)
        with hearth_server(bench, port, env=server_env, name="serve-one") as process:
            pairs = hearth_pairs(rooms, 0, port, port)
            uvloop.run(run_load(one, pairs, handshake=True, pids=[process.pid], **load))
        results.append(one)
        report_phase(one)

        on_redis = {**server_env, **redis_env()}
        port_a, port_b = free_port(), free_port()
        two = PhaseResult("Hearth, 2 processes on Redis (peers on different ones)", args.rooms)
        with (
            hearth_server(bench, port_a, env=on_redis, name="serve-a") as process_a,
            hearth_server(bench, port_b, env=on_redis, name="serve-b") as process_b,
        ):
            pairs = hearth_pairs(rooms, 1, port_a, port_b)
            pids = [process_a.pid, process_b.pid]
            uvloop.run(run_load(two, pairs, handshake=True, pids=pids, **load))
        results.append(two)
        report_phase(two)
    return results


# --- The report ------------------------------------------------------------------------


def report_phase(r: PhaseResult) -> None:
    per = (r.rss_after - r.rss_before) / max(1, 2 * r.rooms)
    print(
        f"  {r.name}: {r.rooms} rooms connected in {r.connect_seconds:.1f} s; "
        f"{r.frames} frames, p50 {percentile(r.latencies, 50):.2f} ms, "
        f"p99 {percentile(r.latencies, 99):.2f} ms; {per / 1024:.1f} KiB per connection; "
        f"load {load_average()}",
        flush=True,
    )


def report(results: list[PhaseResult], args: argparse.Namespace) -> None:
    floor = results[0]
    floor_p50, floor_p99 = percentile(floor.latencies, 50), percentile(floor.latencies, 99)
    print()
    print(
        "| phase | rooms (connections) | connect + handshake (server CPU) | frames timed | "
        "frames/s | "
        "p50 | p90 | p99 | max | p99 ÷ floor p99 | lost | error frames | dropped | "
        "memory per connection | server CPU | client CPU | client loop lag p99 |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        per = (r.rss_after - r.rss_before) / max(1, 2 * r.rooms)
        p99 = percentile(r.latencies, 99)
        errors = ", ".join(f"{k} {v}" for k, v in r.errors.most_common()) or "0"
        print(
            f"| {r.name} | {r.rooms} ({2 * r.rooms}) | {r.connect_seconds:.1f} s "
            f"({r.connect_cpu:.1f} s) | "
            f"{r.frames:,} | {r.frames / r.seconds:,.0f} | "
            f"{percentile(r.latencies, 50):.2f} ms | {percentile(r.latencies, 90):.2f} ms | "
            f"{p99:.2f} ms | {max(r.latencies, default=float('nan')):.1f} ms | "
            f"{p99 / floor_p99:.1f}× | {r.lost} | {errors} | {r.dropped} | "
            f"{per / 1024:.1f} KiB ({r.rss_before / 2**20:.0f} → {r.rss_after / 2**20:.0f} MiB) "
            f"| {100 * r.server_cpu / r.seconds:.0f} % | "
            f"{100 * r.client_cpu / r.seconds:.0f} % | {r.loop_lag_p99:.1f} ms |"
        )
    print()
    targets = [
        (results[1], 20.0, "one process: p99 < 20 ms"),
        (results[2], 50.0, "two processes on Redis: p99 < 50 ms"),
    ]
    for r, limit, label in targets:
        p99 = percentile(r.latencies, 99)
        clean = not (r.lost or r.errors or r.refused or r.dropped)
        met = p99 < limit and clean
        problems = (
            f", {r.lost} frames lost, {sum(r.errors.values())} error frames, "
            f"{r.refused} rooms not connected, {r.dropped} connections dropped"
        )
        print(
            f"- {label}: **{'met' if met else 'not met'}** "
            f"(p99 {p99:.2f} ms{'' if clean else problems})"
        )
    print(f"- floor: p50 {floor_p50:.2f} ms, p99 {floor_p99:.2f} ms")
    rounds = args.seconds / args.interval
    print(
        f"\nLoad: {args.rooms} rooms, a negotiation round every {args.interval:g} s per room "
        f"for {args.seconds:g} s (about {rounds:.1f} rounds a room, 12 frames a round, "
        f"10 of them timed)."
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="50 rooms, 5 s a phase")
    parser.add_argument("--rooms", type=int, help=f"default 1000 (at most {MAX_ROOMS})")
    parser.add_argument("--seconds", type=float, help="of exchange per phase, default 60")
    parser.add_argument(
        "--interval", type=float, help="seconds between a room's rounds, default 30 (--quick: 2)"
    )
    args = parser.parse_args(argv)
    args.rooms = args.rooms or (50 if args.quick else 1000)
    args.seconds = args.seconds or (5.0 if args.quick else 60.0)
    args.interval = args.interval or (2.0 if args.quick else 30.0)
    if not (1 <= args.rooms <= MAX_ROOMS and 0 < args.seconds <= MAX_SECONDS):
        parser.error(f"--rooms must be in [1, {MAX_ROOMS}] and --seconds in (0, {MAX_SECONDS}]")
    if not 0.5 <= args.interval <= 600:
        parser.error("--interval must be in [0.5, 600]")

    raise_open_files(2 * args.rooms)

    run_on_redis(
        f"Signalling capacity benchmark ({'quick' if args.quick else 'full'})",
        lambda: run_phases(args),
        lambda results: report(results, args),
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
