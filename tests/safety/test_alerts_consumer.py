"""The alerts consumer over the full ASGI app: who may listen, and that a help request
reaches the therapist and the duty clinician (and nobody else) in real time."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from hearth.accounts.personas import Cast
from hearth.config.asgi import application
from hearth.safety.escalation import escalation_acknowledge, help_request_raise
from tests.calls.test_signalling import run, session_cookie
from tests.safety.conftest import shift_now
from tests.sockets import Communicator

pytestmark = pytest.mark.django_db(transaction=True)


def alerts(cookie: bytes | None) -> WebsocketCommunicator:
    headers = [(b"origin", b"http://127.0.0.1"), (b"host", b"127.0.0.1")]
    if cookie is not None:
        headers.append((b"cookie", cookie))
    return Communicator(application, "/ws/alerts/", headers=headers)


async def frame(c: WebsocketCommunicator, timeout: float = 5) -> dict[str, Any]:
    return json.loads(await c.receive_from(timeout=timeout))  # type: ignore[no-any-return]


def test_only_clinicians_may_listen(cast: Cast) -> None:
    cookies = {key: session_cookie(user) for key, user in cast.users.items()}

    async def scenario() -> None:
        for outsider in (None, "alice", "ada", "cora"):
            c = alerts(cookies[outsider] if outsider else None)
            connected, code = await c.connect()
            assert not connected and code == 4403, outsider
        for insider in ("tom", "sam", "olive"):
            c = alerts(cookies[insider])
            connected, _ = await c.connect()
            assert connected
            assert (await frame(c))["type"] == "welcome"
            await c.send_to(text_data="not json")
            assert (await frame(c))["code"] == "bad_message"
            await c.send_to(text_data=json.dumps({"type": "ping"}))
            assert (await frame(c))["type"] == "pong"
            await c.disconnect()

    run(scenario)


def test_help_reaches_the_therapist_and_the_duty_clinician_only(cast: Cast) -> None:
    shift_now(cast, "sam")
    cookies = {key: session_cookie(cast.users[key]) for key in ("tom", "sam", "theo")}
    raise_help = database_sync_to_async(help_request_raise)
    acknowledge = database_sync_to_async(escalation_acknowledge)

    async def scenario() -> None:
        listeners = {key: alerts(cookie) for key, cookie in cookies.items()}
        for c in listeners.values():
            assert (await c.connect())[0]
            await frame(c)
        loop = asyncio.get_running_loop()
        started = loop.time()
        outcome = await raise_help(membership=cast.memberships["alice"])
        for key in ("tom", "sam"):
            message = await frame(listeners[key], timeout=2)
            assert message["type"] == "alert"
            assert message["incident"] == outcome.incident.pk
            assert message["url"] == f"/safety/incidents/{outcome.incident.pk}/"
            assert "Alice Ashworth asked for help now" in message["text"]
        assert loop.time() - started < 2
        assert await listeners["theo"].receive_nothing(timeout=0.5)
        await acknowledge(membership=cast.memberships["sam"], incident=outcome.incident)
        for key in ("tom", "sam"):
            message = await frame(listeners[key])
            assert (message["type"], message["by"]) == ("acknowledged", "Sam Singh")
        for c in listeners.values():
            await c.disconnect()

    run(scenario)
