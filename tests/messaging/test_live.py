"""Live delivery over the full ASGI app: who may connect, catch-up, retries, receipts."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from hearth.accounts.personas import Cast
from hearth.config.asgi import application
from hearth.messaging.models import Message
from hearth.messaging.services import message_send, thread_for_client
from tests.calls.test_signalling import run, session_cookie
from tests.sockets import Communicator

pytestmark = pytest.mark.django_db(transaction=True)


def socket(thread_id: int, cookie: bytes | None) -> WebsocketCommunicator:
    headers = [(b"origin", b"http://127.0.0.1"), (b"host", b"127.0.0.1")]
    if cookie is not None:
        headers.append((b"cookie", cookie))
    return Communicator(application, f"/ws/messages/{thread_id}/", headers=headers)


async def frame(c: WebsocketCommunicator) -> dict[str, Any]:
    return json.loads(await c.receive_from(timeout=5))  # type: ignore[no-any-return]


async def put(c: WebsocketCommunicator, **payload: Any) -> None:
    await c.send_to(text_data=json.dumps(payload))


def test_only_the_care_team_may_connect(cast: Cast) -> None:
    thread = thread_for_client(cast.records["alice"])
    cookies = {key: session_cookie(user) for key, user in cast.users.items()}

    async def scenario() -> None:
        for outsider in (None, "charlie", "theo", "ada", "cora", "olive"):
            connected, code = await socket(thread.pk, cookies.get(outsider or "")).connect()
            assert not connected and code == 4403, outsider
        for member in ("alice", "tom", "sam"):
            c = socket(thread.pk, cookies[member])
            assert (await c.connect())[0], member
            assert (await frame(c))["type"] == "welcome"
            await c.disconnect()

    run(scenario)


def test_live_delivery_catch_up_in_order_retries_and_receipts(cast: Cast) -> None:
    thread = thread_for_client(cast.records["alice"])
    cookies = {key: session_cookie(cast.users[key]) for key in ("alice", "tom")}

    @database_sync_to_async
    def send_while_offline(body: str) -> None:
        message_send(
            membership=cast.memberships["tom"], thread=thread, client_id=uuid.uuid4(), body=body
        )

    async def scenario() -> None:
        alice, tom = socket(thread.pk, cookies["alice"]), socket(thread.pk, cookies["tom"])
        for c in (alice, tom):
            assert (await c.connect())[0]
            await frame(c)
            await put(c, type="sync", after=0)
        client_id = str(uuid.uuid4())
        await put(tom, type="send", client_id=client_id, body="How was the week?")
        ack = await frame(tom)
        assert (ack["type"], ack["seq"], ack["duplicate"]) == ("ack", 1, False)
        delivered = await frame(alice)
        assert (delivered["type"], delivered["seq"], delivered["body"]) == (
            "message",
            1,
            "How was the week?",
        )
        # A retry after a lost acknowledgement: the same message, not a second one.
        await put(tom, type="send", client_id=client_id, body="How was the week?")
        retry = [await frame(tom) for _ in range(2)]
        acks = [f for f in retry if f["type"] == "ack"]
        assert acks and acks[0]["duplicate"] is True and acks[0]["seq"] == 1
        # Alice reads: Tom sees the receipt.
        await put(alice, type="read", seq=1)
        receipt = await frame(tom)
        while receipt["type"] != "read":
            receipt = await frame(tom)
        assert receipt["seq"] == 1

        # Alice goes offline; Tom sends two; she comes back and catches up, in order.
        await alice.disconnect()
        await send_while_offline("Second")
        await send_while_offline("Third")
        alice = socket(thread.pk, cookies["alice"])
        assert (await alice.connect())[0]
        await frame(alice)
        await put(alice, type="sync", after=1)
        caught_up = [await frame(alice), await frame(alice)]
        assert [(m["seq"], m["body"]) for m in caught_up] == [(2, "Second"), (3, "Third")]
        assert await alice.receive_nothing(timeout=0.3)

        # Bad frames get an error and change nothing.
        for bad in ("not json", json.dumps([1]), json.dumps({"type": "edit", "seq": 1})):
            await alice.send_to(text_data=bad)
            assert (await frame(alice))["type"] == "error"
        await put(alice, type="send", client_id=str(uuid.uuid4()), body="   ")
        refused = await frame(alice)
        assert refused["type"] == "error" and "Write a message" in refused["message"]
        for c in (alice, tom):
            await c.disconnect()

    run(scenario)
    assert list(Message.objects.order_by("seq").values_list("seq", "body")) == [
        (1, "How was the week?"),
        (2, "Second"),
        (3, "Third"),
    ]


def test_messages_stored_elsewhere_come_from_the_database_in_order(cast: Cast) -> None:
    """A socket delivers what this process just stored from the kept copy, and what
    another process stored (not kept here) from the database: the same frames, in
    order, once each."""
    from hearth.messaging import delivery
    from hearth.messaging.selectors import thread_messages

    thread = thread_for_client(cast.records["alice"])
    cookie = session_cookie(cast.users["alice"])

    @database_sync_to_async
    def tom_sends(body: str, *, elsewhere: bool) -> None:
        kept = delivery.KEPT
        if elsewhere:  # as if another process had stored it: nothing kept here
            delivery.KEPT = 0
        try:
            message_send(
                membership=cast.memberships["tom"],
                thread=thread,
                client_id=uuid.uuid4(),
                body=body,
            )
        finally:
            delivery.KEPT = kept

    @database_sync_to_async
    def from_database() -> list[dict[str, Any]]:
        return [delivery.message_json(m) for m in thread_messages(thread)]

    async def scenario() -> None:
        alice = socket(thread.pk, cookie)
        assert (await alice.connect())[0]
        await frame(alice)
        await put(alice, type="sync", after=0)
        await tom_sends("Kept here", elsewhere=False)
        await tom_sends("Stored elsewhere", elsewhere=True)
        await tom_sends("Kept again", elsewhere=False)
        got = [await frame(alice) for _ in range(3)]
        assert await alice.receive_nothing(timeout=0.3)
        assert got == await from_database()
        assert [m["body"] for m in got] == ["Kept here", "Stored elsewhere", "Kept again"]
        assert delivery.recent_message(thread.pk, 2) is None  # it really was not kept
        await alice.disconnect()

    run(scenario)
