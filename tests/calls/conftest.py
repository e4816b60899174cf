from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.browser.server import HearthServer, asgi_server_on_test_database
from tests.conftest import (
    OPEN_CONTEXTS,  # noqa: F401  (re-exported for the call tests)
    TEST_KEYRING,
    need,
)


@pytest.fixture
def asgi_server(tmp_path: Path) -> Iterator[HearthServer]:
    server = asgi_server_on_test_database(tmp_path, keyring=json.dumps(TEST_KEYRING))
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()
        if server.process is not None and server.process.stdout is not None:
            # Shown by pytest only when the test failed.
            print(server.process.stdout.read().decode()[-6000:])  # noqa: T201


def frames_decoded(page: Any) -> int:
    return int(
        page.evaluate(
            """async () => {
                const pc = window.hearthCall && window.hearthCall.pc;
                if (!pc) return 0;
                let frames = 0;
                (await pc.getStats()).forEach((r) => {
                    if (r.type === "inbound-rtp" && r.kind === "video") {
                        frames += r.framesDecoded || 0;
                    }
                });
                return frames;
            }"""
        )
    )


def connection_state(page: Any) -> str | None:
    return page.evaluate(  # type: ignore[no-any-return]
        "() => window.hearthCall && window.hearthCall.pc"
        " ? window.hearthCall.pc.connectionState : null"
    )


@dataclass(frozen=True)
class TurnServer:
    url: str
    secret: str


@pytest.fixture
def turn_server(tmp_path: Path) -> Iterator[TurnServer]:
    """coturn on loopback with TURN REST credentials (tests only: loopback peers allowed)."""
    binary = shutil.which("turnserver")
    need("coturn", binary is not None, "apt-get install coturn")
    assert binary is not None
    port, secret = free_udp_port(), secrets.token_hex(16)
    low = 49152 + (os.getpid() % 200) * 50
    process = subprocess.Popen(
        [
            binary,
            "-n",
            "--listening-ip=127.0.0.1",
            "--relay-ip=127.0.0.1",
            f"--listening-port={port}",
            f"--min-port={low}",
            f"--max-port={low + 49}",
            "--use-auth-secret",
            f"--static-auth-secret={secret}",
            "--realm=hearth.test",
            "--allow-loopback-peers",
            "--no-cli",
            "--no-tls",
            "--no-dtls",
            f"--pidfile={tmp_path / 'turnserver.pid'}",
            "--log-file=stdout",
            "--simple-log",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_for_udp_listener(process, port)
        yield TurnServer(url=f"turn:127.0.0.1:{port}?transport=udp", secret=secret)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for_udp_listener(process: subprocess.Popen[bytes], port: int) -> None:
    """Until coturn answers a STUN binding request on its port (it is also a STUN server)."""
    request = b"\x00\x01\x00\x00\x21\x12\xa4\x42" + secrets.token_bytes(12)
    deadline = time.monotonic() + 15
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(0.3)
        while time.monotonic() < deadline:
            if process.poll() is not None:
                output = process.stdout.read().decode() if process.stdout else ""
                raise AssertionError(f"turnserver exited:\n{output[-3000:]}")
            sock.sendto(request, ("127.0.0.1", port))
            try:
                reply, _ = sock.recvfrom(2048)
            except OSError:
                continue
            if reply[:2] == b"\x01\x01":  # binding success response
                return
    raise AssertionError("turnserver did not answer on its port")


def inbound(page: Any, kind: str, field: str) -> int:
    """Sum of one counter over the inbound RTP streams of ``kind`` (audio or video)."""
    return int(
        page.evaluate(
            """async ([kind, field]) => {
                const pc = window.hearthCall && window.hearthCall.pc;
                if (!pc) return 0;
                let total = 0;
                (await pc.getStats()).forEach((r) => {
                    if (r.type === "inbound-rtp" && r.kind === kind) total += r[field] || 0;
                });
                return total;
            }""",
            [kind, field],
        )
    )


def session_check_done(appointment: Any) -> None:
    """Alice answers the session-start check and Tom confirms it (the UI path has a test
    of its own: test_the_session_start_check_comes_before_admitting)."""
    from hearth.accounts.models import Membership
    from hearth.safety.checks import session_check_confirm, session_check_submit

    members = Membership.objects.select_related("user")
    session_check_submit(
        membership=members.get(user=appointment.client.user),
        appointment=appointment,
        location="other",
        address="Flat 2, 3 Canal Street, Riverside",
        country="GB",
        region="ENG",
        callback_phone="0161 496 0123",
        is_private=True,
        emergency_contact_correct=True,
    )
    session_check_confirm(
        membership=members.get(user=appointment.therapist), appointment=appointment
    )
