"""What the call and messaging benchmarks share, on top of bench/scheduling/common.py:
therapist/client pairs with signed-in sessions made server-side, WebSocket clients,
the ``websockets`` floor relay and the open-file limit.

Sessions are made as the browser tests make them (tests/browser/conftest.py): Django's
``login`` on a server-side session store, as after a completed sign-in with two factors.
"""

from __future__ import annotations

import contextlib
import os
import resource
import secrets
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Origin

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench" / "scheduling"))

from common import BenchEnv, load_average, machine, print_machine, stop  # noqa: E402

REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")


def redis_env() -> dict[str, str]:
    """Server environment for the Redis channel layer at ``BENCH_REDIS_URL``, under
    channel and cache prefixes of its own (nothing else in that Redis is touched)."""
    return {
        "REDIS_URL": REDIS_URL,
        "HEARTH_CHANNEL_PREFIX": f"hearth-bench-{secrets.token_hex(4)}",
        "HEARTH_CACHE_PREFIX": f"hearth-bench-{secrets.token_hex(4)}",
    }


def session_key_for(user: Any) -> str:
    """A signed-in session for ``user`` in the benchmark's database; its cookie value."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import login
    from django.http import HttpRequest

    request = HttpRequest()
    request.META["REMOTE_ADDR"] = "127.0.0.1"
    request.session = import_module(settings.SESSION_ENGINE).SessionStore()
    login(request, user, backend=settings.AUTHENTICATION_BACKENDS[0])
    request.session.save()
    key = request.session.session_key
    assert key is not None
    return key


def session_cookie_name() -> str:
    from django.conf import settings

    return str(settings.SESSION_COOKIE_NAME)


@dataclass(frozen=True)
class Pairs:
    organisation: Any
    therapists: list[Any]
    clients: list[Any]
    records: list[Any]  # records[i]: clients[i]'s, with therapists[i] as their therapist


def pairs_create(count: int, *, name: str, slug: str) -> Pairs:
    """An organisation with ``count`` therapists (each with TOTP, which sockets require
    of staff) and ``count`` clients, client i a client record of therapist i; made
    directly with the ORM, inside the caller's transaction if any."""
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
    from django.contrib.auth.hashers import make_password

    from hearth.accounts.models import Membership, Organisation, Role, User
    from hearth.clients.models import ClientRecord

    unusable = make_password(None)
    org = Organisation.objects.create(name=name, slug=slug)
    therapists, clients = (
        User.objects.bulk_create(
            [
                User(
                    email=f"{kind}{i:04d}@bench.hearth.test",
                    full_name=f"{kind.title()} {i:04d}",
                    password=unusable,
                )
                for i in range(count)
            ]
        )
        for kind in ("therapist", "client")
    )
    Membership.objects.bulk_create(
        [Membership(user=u, organisation=org, role=Role.THERAPIST) for u in therapists]
        + [Membership(user=u, organisation=org, role=Role.CLIENT) for u in clients]
    )
    for therapist in therapists:
        TOTP.activate(therapist, generate_totp_secret())
    records = ClientRecord.objects.bulk_create(
        [
            ClientRecord(
                organisation=org,
                user=client,
                therapist=therapist,
                given_name=f"Client{i:04d}",
                family_name="Bench",
            )
            for i, (client, therapist) in enumerate(zip(clients, therapists, strict=True))
        ]
    )
    return Pairs(org, therapists, clients, records)


@dataclass
class Endpoint:
    url: str
    cookie: str | None  # "name=value" or None
    origin: str


async def ws_open(endpoint: Endpoint, *, open_timeout: float = 120) -> ClientConnection:
    """A WebSocket client as a browser opens one: cookie, origin, no client pings."""
    headers = {"Cookie": endpoint.cookie} if endpoint.cookie else None
    return await connect(
        endpoint.url,
        origin=Origin(endpoint.origin),
        additional_headers=headers,
        open_timeout=open_timeout,
        ping_interval=None,  # browsers do not ping; the server does
        max_size=2**20,
        proxy=None,  # loopback only, whatever the environment says
    )


@contextlib.contextmanager
def floor_relay(bench: BenchEnv, port: int) -> Iterator[subprocess.Popen[str]]:
    """bench/calls/floor_relay.py on ``port``, until leaving."""
    process = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("floor_relay.py")), "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=bench.env,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if line.strip() != "ready":
            raise RuntimeError(f"the floor relay did not start: {line}{process.stdout.read()}")
        yield process
    finally:
        stop(process)


def raise_open_files(connections: int) -> None:
    """Every connection is a file descriptor, here and in the servers (which inherit
    this process's limit)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = 2 * connections + 1024
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(wanted, hard), hard))


def run_on_redis(title: str, run: Callable[[], Any], report: Callable[[Any], None]) -> None:
    """Describe the machine (with the Redis used), ``run()`` the phases, print the
    machine and ``report(results)``, then the load average and the time taken."""
    info = machine()
    info["Redis"] = REDIS_URL.rsplit("/", 1)[0].split("@")[-1]
    wall = time.perf_counter()
    print(f"# {title}\n")
    results = run()
    print()
    print_machine(info)
    report(results)
    elapsed = time.perf_counter() - wall
    print(f"\nLoad average at the end: {load_average()}; {elapsed:.0f} s in all.")
