"""Real-time delivery of a thread: catch up from the last seen message, then live.

The socket never carries anything that is not already stored. Live events say only
"there is a message numbered N"; each connection then reads what it has not delivered
yet from the database, so every reader gets every message once and in thread order,
whichever process stored it.
"""

from __future__ import annotations

import json
from typing import Any

from channels.db import database_sync_to_async
from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import Http404

from hearth.accounts.models import Membership
from hearth.accounts.sockets import (
    DirectDispatchConsumer,
    socket_audit_context,
    socket_membership,
)
from hearth.calls.signalling import RateLimiter
from hearth.messaging.delivery import message_json, recent_message
from hearth.messaging.models import Thread
from hearth.messaging.selectors import access_thread, read_upto, thread_messages
from hearth.messaging.services import message_send, thread_group, thread_mark_read

MAX_FRAME = 64 * 1024


@database_sync_to_async
def _authorise(user: Any, thread_id: int) -> tuple[Membership, Thread] | None:
    thread = Thread.objects.filter(pk=thread_id).only("organisation_id").first()
    membership = socket_membership(user, thread.organisation_id) if thread else None
    if membership is None:
        return None
    try:
        return membership, access_thread(membership, thread_id, purpose="connect")
    except Http404:
        return None


@database_sync_to_async
def _after(thread: Thread, seq: int) -> list[dict[str, Any]]:
    return [message_json(m) for m in thread_messages(thread, after=seq)]


@database_sync_to_async
def _send(membership: Membership, thread: Thread, client_id: str, body: str) -> dict[str, Any]:
    try:
        result = message_send(membership=membership, thread=thread, client_id=client_id, body=body)
    except ValidationError as exc:
        return {"type": "error", "client_id": client_id, "message": " ".join(exc.messages)}
    return {
        "type": "ack",
        "client_id": client_id,
        "seq": result.message.seq,
        "id": result.message.pk,
        "duplicate": result.duplicate,
        "crisis": list(result.crisis),
    }


@database_sync_to_async
def _read(membership: Membership, thread: Thread, seq: int) -> int:
    thread.refresh_from_db(fields=["last_seq"])
    return thread_mark_read(membership=membership, thread=thread, seq=seq)


@database_sync_to_async
def _reads(thread: Thread) -> dict[int, int]:
    return read_upto(thread)


class ThreadConsumer(DirectDispatchConsumer):
    membership: Membership | None = None
    thread: Thread | None = None
    delivered = 0  # highest sequence number sent on this socket
    synced = False

    async def connect(self) -> None:
        self._audit_context()
        found = await _authorise(
            self.scope["user"], int(self.scope["url_route"]["kwargs"]["thread_id"])
        )
        if found is None:
            await self.close(code=4403)
            return
        self.membership, self.thread = found
        self.limiter = RateLimiter(settings.HEARTH_SIGNAL_RATE_PER_SECOND)
        await self.channel_layer.group_add(thread_group(self.thread.pk), self.channel_name)
        await self.accept()
        await self._json(
            {"type": "welcome", "me": self.membership.user_id, "read": await _reads(self.thread)}
        )

    async def disconnect(self, code: int) -> None:
        if self.thread is not None:
            await self.channel_layer.group_discard(thread_group(self.thread.pk), self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        assert self.membership is not None and self.thread is not None
        self._audit_context()
        if not self.limiter.allow():
            await self._json({"type": "error", "message": "Too many messages; slow down."})
            return
        try:
            if text_data is None or len(text_data) > MAX_FRAME:
                raise ValueError("Frames are JSON text of at most 64 KB.")
            frame = json.loads(text_data)
            if not isinstance(frame, dict):
                raise ValueError("Frames are JSON objects.")
            kind = frame.get("type")
            if kind == "sync":
                # Catch up from the last message this device has seen, in order.
                self.delivered = max(0, int(frame.get("after", 0)))
                self.synced = True
                await self._deliver()
            elif kind == "send":
                client_id, body = frame.get("client_id"), frame.get("body")
                if not isinstance(client_id, str) or not isinstance(body, str):
                    raise ValueError("send needs a client_id and a body.")
                await self._json(await _send(self.membership, self.thread, client_id, body))
            elif kind == "read":
                await _read(self.membership, self.thread, int(frame.get("seq", 0)))
            else:
                raise ValueError(f"Unknown frame type {kind!r}.")
        except (ValueError, TypeError) as exc:
            await self._json({"type": "error", "message": str(exc)[:200]})

    async def _deliver(self) -> None:
        assert self.thread is not None
        while True:
            batch = await _after(self.thread, self.delivered)
            for message in batch:
                await self._json(message)
                self.delivered = message["seq"]
            if len(batch) < 200:
                return

    # --- group events ----------------------------------------------------------------

    async def thread_message(self, event: dict[str, Any]) -> None:
        # Before the device's first sync we do not know what it has: its sync delivers.
        if not self.synced or event["seq"] <= self.delivered:
            return
        assert self.thread is not None
        # Stored by this process a moment ago: sent as kept, in order, without a query.
        while (kept := recent_message(self.thread.pk, self.delivered + 1)) is not None:
            await self._json(kept)
            self.delivered = kept["seq"]
        if event["seq"] > self.delivered:
            await self._deliver()

    async def thread_read(self, event: dict[str, Any]) -> None:
        await self._json({"type": "read", "user": event["user"], "seq": event["seq"]})

    async def _json(self, payload: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps(payload))

    def _audit_context(self) -> None:
        socket_audit_context(self.scope)
