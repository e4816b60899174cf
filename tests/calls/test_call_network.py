"""Calls across real network parts: a TURN relay (coturn), and two app processes on Redis."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from hearth.accounts.personas import Cast
from tests.browser.server import asgi_server_on_test_database
from tests.calls.conftest import TurnServer
from tests.calls.test_call_browser import admitted_call, rejoined_and_renegotiates, rejoins
from tests.conftest import TEST_KEYRING
from tests.scheduling.conftest import book_now

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def selected_candidate_types(page: Any) -> list[str]:
    """Local and remote candidate types of the pair the call is using."""
    return list(
        page.evaluate(
            """async () => {
                const stats = await window.hearthCall.pc.getStats();
                let pair = null;
                stats.forEach((r) => { if (r.type === "transport" && r.selectedCandidatePairId)
                    pair = stats.get(r.selectedCandidatePairId); });
                if (!pair) return [];
                return [stats.get(pair.localCandidateId).candidateType,
                        stats.get(pair.remoteCandidateId).candidateType];
            }"""
        )
    )


def test_relay_only_call_through_coturn(
    browser: Any, cast: Cast, turn_server: TurnServer, tmp_path: Path
) -> None:
    server = asgi_server_on_test_database(
        tmp_path,
        keyring=json.dumps(TEST_KEYRING),
        extra_env={
            "HEARTH_STUN_URLS": "",
            "HEARTH_TURN_URLS": turn_server.url,
            "HEARTH_TURN_SECRET": turn_server.secret,
            "HEARTH_ICE_TRANSPORT_POLICY": "relay",
        },
    )
    try:
        server.wait_ready()
        appointment = book_now(cast)
        client, therapist = admitted_call(browser, cast, appointment, server)
        for page in (client, therapist):
            assert selected_candidate_types(page) == ["relay", "relay"]
        # The client's pre-join check found the relay, and the therapist was told.
        checks = client.inner_text("#checks")
        assert "✓ Relay" in checks, checks
    finally:
        server.stop()


def test_peers_on_two_processes_connect_and_survive_a_restart(
    browser: Any, cast: Cast, redis_url: str, tmp_path: Path
) -> None:
    shared = {
        "REDIS_URL": redis_url,
        "HEARTH_CHANNEL_PREFIX": f"hearth-two-{os.getpid()}",
        "HEARTH_CACHE_PREFIX": f"hearth-two-{os.getpid()}",
    }
    keyring = json.dumps(TEST_KEYRING)
    first = asgi_server_on_test_database(tmp_path / "a", keyring=keyring, extra_env=shared)
    second = asgi_server_on_test_database(tmp_path / "b", keyring=keyring, extra_env=shared)
    try:
        first.wait_ready()
        second.wait_ready()
        appointment = book_now(cast)
        # The client is served by one process, the therapist by the other.
        client, therapist = admitted_call(browser, cast, appointment, first, second)

        # Restart the client's process: its socket drops, comes back to the new process,
        # rejoins; the media (peer to peer) never depended on it.
        before = rejoins(appointment, "client")
        first.stop()
        first.start(worker=False)
        first.wait_ready()
        rejoined_and_renegotiates(appointment, client, therapist, role="client", before=before)

        # And the therapist's process restarting is survived the same way.
        before = rejoins(appointment, "therapist")
        second.stop()
        second.start(worker=False)
        second.wait_ready()
        rejoined_and_renegotiates(appointment, client, therapist, role="therapist", before=before)
    finally:
        for server in (first, second):
            server.stop()
            if server.process is not None and server.process.stdout is not None:
                print(server.process.stdout.read().decode()[-6000:])  # noqa: T201
