"""The signalling consumer over the full ASGI app: who may connect, and bad input."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable, Coroutine
from importlib import import_module
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from channels.db import database_sync_to_async
from channels.layers import InMemoryChannelLayer, channel_layers
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.contrib.auth import login
from django.http import HttpRequest

from hearth.accounts.personas import Cast
from hearth.calls.ice import turn_credentials
from hearth.config.asgi import application
from tests.calls.conftest import session_check_done
from tests.scheduling.conftest import book_now
from tests.sockets import Communicator

pytestmark = pytest.mark.django_db(transaction=True)


def session_cookie(user: Any) -> bytes:
    request = HttpRequest()
    request.session = import_module(settings.SESSION_ENGINE).SessionStore()
    login(request, user, backend=settings.AUTHENTICATION_BACKENDS[0])
    request.session.save()
    return f"{settings.SESSION_COOKIE_NAME}={request.session.session_key}".encode()


def communicator(appointment_id: int, cookie: bytes | None) -> WebsocketCommunicator:
    """A WebSocket client; ``cookie`` from session_cookie(), made before any event loop
    runs (it writes the session to the database)."""
    headers = [(b"origin", b"http://127.0.0.1"), (b"host", b"127.0.0.1")]
    if cookie is not None:
        headers.append((b"cookie", cookie))
    return Communicator(application, f"/ws/calls/{appointment_id}/", headers=headers)


def run(scenario: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """Run an async scenario on an event loop of its own thread (the browser tests'
    Playwright keeps one running in the main thread)."""
    failure: list[BaseException] = []

    async def fresh_layer_then_scenario() -> None:
        # The sockets of a scenario all live in this process: an in-memory channel layer
        # of this loop's own. (A Redis layer kept from an earlier scenario's closed loop
        # lost a message now and then; Redis between processes is exercised by the
        # tests that start real servers.)
        channel_layers.backends["default"] = InMemoryChannelLayer()
        try:
            await scenario()
        finally:
            channel_layers.backends.clear()

    def target() -> None:
        try:
            asyncio.run(fresh_layer_then_scenario())
        except BaseException as exc:
            failure.append(exc)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join(timeout=60)
    if failure:
        raise failure[0]
    assert not thread.is_alive(), "scenario did not finish"


async def frame(c: WebsocketCommunicator) -> dict[str, Any]:
    return json.loads(await c.receive_from(timeout=5))  # type: ignore[no-any-return]


async def frame_of(c: WebsocketCommunicator, kind: str, limit: int = 5) -> dict[str, Any]:
    """The next frame of ``kind`` (errors count by their code), skipping others."""
    for _ in range(limit):
        message = await frame(c)
        if kind in (message["type"], message.get("code")):
            return message
    raise AssertionError(f"no {kind!r} frame")


def test_only_the_client_and_therapist_may_connect(cast: Cast) -> None:
    appointment = book_now(cast)
    cookies = {key: session_cookie(user) for key, user in cast.users.items()}

    async def scenario() -> None:
        for outsider in (None, "charlie", "theo", "sam", "ada", "olive"):
            c = communicator(appointment.pk, cookies[outsider] if outsider else None)
            connected, code = await c.connect()
            assert not connected and code == 4403, outsider
        for insider, role in (("alice", "client"), ("tom", "therapist")):
            c = communicator(appointment.pk, cookies[insider])
            connected, _ = await c.connect()
            assert connected
            welcome = await frame(c)
            assert (welcome["type"], welcome["role"]) == ("welcome", role)
            assert welcome["polite"] is (role == "client")
            await c.disconnect()

    run(scenario)


def test_room_closed_outside_its_window(cast: Cast) -> None:
    later = book_now(cast, minutes_ahead=60 * 24)
    cookies = {key: session_cookie(user) for key, user in cast.users.items()}

    async def scenario() -> None:
        connected, code = await communicator(later.pk, cookies["alice"]).connect()
        assert not connected and code == 4403

    run(scenario)


def test_bad_frames_get_error_frames_and_the_call_goes_on(cast: Cast) -> None:
    appointment = book_now(cast)
    cookies = {key: session_cookie(user) for key, user in cast.users.items()}

    async def scenario() -> None:
        client = communicator(appointment.pk, cookies["alice"])
        therapist = communicator(appointment.pk, cookies["tom"])
        await client.connect()
        await therapist.connect()
        await frame(client)
        await frame(therapist)
        await client.send_to(
            text_data=json.dumps(
                {"v": 1, "type": "offer", "description": {"type": "offer", "sdp": "x"}}
            )
        )
        assert (await frame(client))["code"] == "out_of_order"
        bad = [
            ("not json", "not_json"),
            ("[1, 2]", "not_object"),
            (json.dumps({"v": 2, "type": "join"}), "version"),
            (json.dumps({"v": 1, "type": "hack"}), "unknown_type"),
            (json.dumps({"v": 1, "type": "state", "state": "exploded"}), "bad_field"),
            ("x" * (settings.HEARTH_SIGNAL_MAX_BYTES + 1), "too_large"),
        ]
        for text, code in bad:
            await client.send_to(text_data=text)
            reply = await frame(client)
            assert (reply["type"], reply.get("code")) == ("error", code), (text[:30], reply)
        # The connection still works: join, and the therapist hears of it.
        await therapist.send_to(text_data=json.dumps({"v": 1, "type": "join"}))
        await client.send_to(
            text_data=json.dumps({"v": 1, "type": "join", "prejoin": {"camera": True}})
        )
        await frame_of(client, "waiting")
        peer = await frame_of(therapist, "peer")
        assert (peer["type"], peer["role"], peer["prejoin"]) == ("peer", "client", {"camera": True})
        # Only the therapist admits.
        await client.send_to(text_data=json.dumps({"v": 1, "type": "admit"}))
        await frame_of(client, "not_allowed")
        # Not before the session-start check is confirmed (or overridden with a reason).
        await therapist.send_to(text_data=json.dumps({"v": 1, "type": "admit"}))
        refused = await frame_of(therapist, "refused")
        assert "session-start check" in refused["message"]
        await database_sync_to_async(session_check_done)(appointment)
        await therapist.send_to(text_data=json.dumps({"v": 1, "type": "admit"}))
        await frame_of(client, "admitted")
        # A candidate is relayed to the other side only, schema-cleaned.
        await client.send_to(
            text_data=json.dumps(
                {
                    "v": 1,
                    "type": "candidate",
                    "candidate": {
                        "candidate": "candidate:1 1 udp 1 127.0.0.1 9 typ host",
                        "sdpMid": "0",
                        "sdpMLineIndex": 0,
                        "evil": "x",
                    },
                }
            )
        )
        relayed = await frame_of(therapist, "candidate")
        assert "evil" not in relayed["candidate"] and relayed["from"] == "client"
        await client.disconnect()
        await therapist.disconnect()

    run(scenario)


def test_a_flood_is_rate_limited(cast: Cast, settings: Any) -> None:
    settings.HEARTH_SIGNAL_RATE_PER_SECOND = 5
    appointment = book_now(cast)
    cookies = {key: session_cookie(user) for key, user in cast.users.items()}

    async def scenario() -> None:
        c = communicator(appointment.pk, cookies["alice"])
        await c.connect()
        await frame(c)
        for _ in range(40):
            await c.send_to(text_data=json.dumps({"v": 1, "type": "ping"}))
        replies = [await frame(c) for _ in range(40)]
        kinds = [r["type"] if r["type"] != "error" else r["code"] for r in replies]
        assert kinds.count("pong") <= 12 and "rate_limited" in kinds
        await c.disconnect()

    run(scenario)


def test_the_same_person_connecting_again_replaces_the_first(cast: Cast) -> None:
    appointment = book_now(cast)
    cookies = {key: session_cookie(user) for key, user in cast.users.items()}

    async def scenario() -> None:
        first = communicator(appointment.pk, cookies["alice"])
        second = communicator(appointment.pk, cookies["alice"])
        await first.connect()
        await frame(first)
        await first.send_to(text_data=json.dumps({"v": 1, "type": "join"}))
        assert (await frame(first))["type"] == "waiting"
        await second.connect()
        await frame(second)
        await second.send_to(text_data=json.dumps({"v": 1, "type": "join"}))
        assert (await frame(first))["type"] == "replaced"
        assert (await first.receive_output(timeout=5))["type"] == "websocket.close"
        assert (await frame(second))["type"] == "waiting"
        await second.disconnect()

    run(scenario)


def test_turn_credentials_follow_the_rest_scheme(settings: Any) -> None:
    import base64
    import hashlib
    import hmac

    settings.HEARTH_TURN_SECRET = "s3cret"
    settings.HEARTH_TURN_TTL_SECONDS = 600
    username, password = turn_credentials(42, now=1_700_000_000)
    assert username == "1700000600:42"
    expected = base64.b64encode(hmac.new(b"s3cret", username.encode(), hashlib.sha1).digest())
    assert password == expected.decode()


def test_only_the_call_page_allows_camera_and_microphone(cast: Cast, as_persona: Any) -> None:
    appointment = book_now(cast)
    call = as_persona("alice").get(f"/calls/{appointment.pk}/")
    assert "camera=(self)" in call["Permissions-Policy"]
    assert "microphone=(self)" in call["Permissions-Policy"]
    home = as_persona("alice").get("/")
    assert "camera=()" in home["Permissions-Policy"]


def test_join_links_appear_when_the_room_is_open(cast: Cast, as_persona: Any) -> None:
    soon = book_now(cast)
    page = as_persona("alice").get("/appointments/").content.decode()
    assert f'href="/calls/{soon.pk}/">Join</a>' in page
    calendar = (
        as_persona("tom")
        .get(
            f"/calendar/?view=day&date={soon.starts_at.astimezone(ZoneInfo('Europe/London')).date()}"
        )
        .content.decode()
    )
    assert f'href="/calls/{soon.pk}/">Join</a>' in calendar


def test_join_link_waits_for_the_room_to_open(cast: Cast, as_persona: Any) -> None:
    later = book_now(cast, minutes_ahead=60 * 24)
    page = as_persona("alice").get("/appointments/").content.decode()
    assert f'href="/calls/{later.pk}/"' not in page
    assert "Join opens at" in page
