"""The signalling consumer: thin. Access, then relay of checked messages in one room.

Media never passes through here: the two browsers connect peer to peer (or through
TURN); this only carries offers, answers and candidates between them.
"""

from __future__ import annotations

import json
from typing import Any

from channels.db import database_sync_to_async
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from hearth.accounts.sockets import (
    DirectDispatchConsumer,
    socket_audit_context,
    socket_membership,
)
from hearth.calls.ice import ice_configuration
from hearth.calls.models import CallEvent, SessionRecord
from hearth.calls.selectors import (
    CALL_MODALITIES,
    CallAccess,
    access_call,
    call_is_open,
    client_callback_number,
)
from hearth.calls.services import call_event_record, session_end, session_switch_to_phone
from hearth.calls.signalling import (
    RELAYED,
    THERAPIST_ONLY,
    VERSION,
    ProtocolError,
    RateLimiter,
    parse,
)
from hearth.safety.checks import session_check_status
from hearth.safety.regions import phone_display
from hearth.scheduling.models import Appointment

STATE_EVENTS = {
    "connected": CallEvent.Kind.CONNECTED,
    "disconnected": CallEvent.Kind.DISCONNECTED,
    "failed": CallEvent.Kind.FAILED,
    "reconnected": CallEvent.Kind.RECONNECTED,
    "audio_only": CallEvent.Kind.AUDIO_ONLY,
    "video": CallEvent.Kind.VIDEO,
}


@database_sync_to_async
def _authorise(user: Any, appointment_id: int) -> CallAccess | None:
    appointment = Appointment.objects.filter(pk=appointment_id).only("organisation_id").first()
    membership = socket_membership(user, appointment.organisation_id) if appointment else None
    if membership is None:
        return None
    try:
        access = access_call(membership, appointment_id, purpose="connect")
    except Http404:
        return None
    if access.appointment.modality not in CALL_MODALITIES:
        return None  # a telephone appointment has a page, not a media call
    return access if call_is_open(access.appointment) else None


@database_sync_to_async
def _therapist_action(access: CallAccess, kind: str) -> str | None:
    """Switch to phone or end the session; returns an error message, or None if done."""
    action = session_switch_to_phone if kind == "phone" else session_end
    try:
        action(user=access.membership.user, appointment=access.appointment)
    except (ValidationError, PermissionDenied) as exc:
        return " ".join(getattr(exc, "messages", [str(exc)]))
    return None


@database_sync_to_async
def _may_start(access: CallAccess) -> bool:
    """The therapist has confirmed the client's session-start check (or overridden it
    with a reason): only then may the session start."""
    return session_check_status(access.appointment).may_start


@database_sync_to_async
def _callback_number(access: CallAccess) -> tuple[str, str]:
    number = client_callback_number(access.appointment)
    return number, phone_display(number) if number.startswith("+") else number


@database_sync_to_async
def _record(access: CallAccess, kind: str, prejoin: dict[str, Any] | None = None) -> SessionRecord:
    return call_event_record(
        appointment=access.appointment,
        user=access.membership.user,
        role=access.role,
        kind=kind,
        prejoin=prejoin,
    )


class CallConsumer(DirectDispatchConsumer):
    access: CallAccess | None = None
    joined = False
    peer: str | None = None  # the other side's connection, once it has said so

    async def connect(self) -> None:
        self._audit_context()
        appointment_id = int(self.scope["url_route"]["kwargs"]["appointment_id"])
        self.access = await _authorise(self.scope["user"], appointment_id)
        if self.access is None:
            # Refused before joining any group: outsiders learn nothing about the room.
            await self.close(code=4403)
            return
        self.limiter = RateLimiter(settings.HEARTH_SIGNAL_RATE_PER_SECOND)
        await self.channel_layer.group_add(self.access.room, self.channel_name)
        await self.accept()
        await self._send(
            "welcome",
            role=self.access.role,
            ice=ice_configuration(self.access.membership.user_id),
            polite=self.access.role == "client",
        )

    async def disconnect(self, code: int) -> None:
        if self.access is None:
            return
        await self.channel_layer.group_discard(self.access.room, self.channel_name)
        if self.joined:
            await _record(self.access, CallEvent.Kind.LEFT)
            await self._group("call.left", role=self.access.role)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        assert self.access is not None
        self._audit_context()
        if not self.limiter.allow():
            await self._error("rate_limited", "Too many messages; this one was dropped.")
            return
        try:
            message = parse(text_data, max_bytes=settings.HEARTH_SIGNAL_MAX_BYTES)
        except ProtocolError as exc:
            await self._error(exc.code, exc.message)
            return
        kind = message["type"]
        if kind == "ping":
            await self._send("pong")
        elif kind == "join":
            await self._join(message.get("prejoin", {}), resume=message["resume"])
        elif not self.joined:
            await self._error("out_of_order", "Send join first.")
        elif kind in THERAPIST_ONLY and self.access.role != "therapist":
            await self._error("not_allowed", "Only the therapist can do that.")
        elif kind == "admit":
            await self._admit()
        elif kind in ("phone", "end"):
            problem = await _therapist_action(self.access, kind)
            if problem:
                await self._error("refused", problem)
            elif kind == "phone":
                number, display = await _callback_number(self.access)
                await self._group("call.phone", number=number, display=display)
            else:
                await self._group("call.ended")
        elif kind == "leave":
            await self.close(code=1000)
        elif kind in RELAYED:
            if kind == "state" and message["state"] in STATE_EVENTS:
                await _record(self.access, STATE_EVENTS[message["state"]])
            if kind == "restart":
                await _record(self.access, CallEvent.Kind.ICE_RESTART)
            await self._relay(message)

    async def _join(self, prejoin: dict[str, Any], *, resume: bool = False) -> None:
        assert self.access is not None
        kind = CallEvent.Kind.RECONNECTED if resume else CallEvent.Kind.JOINED
        record = await _record(
            self.access, kind, prejoin if self.access.role == "client" and not resume else None
        )
        self.joined = True
        await self._group(
            "call.joined",
            role=self.access.role,
            name=self.access.membership.user.full_name,
            prejoin=record.prejoin if self.access.role == "client" else {},
            since=record.client_arrived_at.isoformat() if record.client_arrived_at else None,
            resume=resume,
        )
        if record.admitted_at is not None:
            # Already admitted earlier in this session: a reload or reconnection rejoins.
            await self._send("admitted", rejoin=True)
        elif self.access.role == "client":
            await self._send("waiting")

    async def _admit(self) -> None:
        assert self.access is not None
        if not await _may_start(self.access):
            await self._error(
                "refused",
                "Confirm the session-start check first, or start without it and say why.",
            )
            return
        await _record(self.access, CallEvent.Kind.ADMITTED)
        await self._group("call.admitted")

    # --- group events --------------------------------------------------------------

    async def call_joined(self, event: dict[str, Any]) -> None:
        assert self.access is not None
        if event["sender"] == self.channel_name:
            return
        if event["role"] == self.access.role:
            # The same person connected again (a reload or a second tab): newest wins.
            await self._send("replaced")
            self.joined = False
            await self.close(code=4409)
            return
        self.peer = event["sender"]
        await self._send(
            "peer",
            role=event["role"],
            name=event["name"],
            prejoin=event["prejoin"],
            since=event["since"],
            # A resumed socket keeps its media: the other side must not start over.
            resume=event["resume"],
        )
        if self.joined:
            # Tell the newcomer that we are here too.
            await self.channel_layer.send(
                event["sender"],
                {
                    "type": "call.present",
                    "sender": self.channel_name,
                    "role": self.access.role,
                    "name": self.access.membership.user.full_name,
                },
            )

    async def call_present(self, event: dict[str, Any]) -> None:
        self.peer = event["sender"]
        await self._send(
            "peer", role=event["role"], name=event["name"], prejoin={}, since=None, resume=True
        )

    async def call_admitted(self, event: dict[str, Any]) -> None:
        if self.joined:
            await self._send("admitted", rejoin=False)

    async def call_phone(self, event: dict[str, Any]) -> None:
        await self._send("phone", number=event["number"], display=event["display"])

    async def call_ended(self, event: dict[str, Any]) -> None:
        await self._send("ended")

    async def call_relay(self, event: dict[str, Any]) -> None:
        if event["sender"] != self.channel_name and self.joined:
            await self.send(
                text_data=json.dumps({"v": VERSION, **event["message"], "from": event["role"]})
            )

    async def call_left(self, event: dict[str, Any]) -> None:
        if event["sender"] == self.peer:
            self.peer = None
        if event["sender"] != self.channel_name:
            await self._send("left", role=event["role"])

    # --- helpers -------------------------------------------------------------------

    async def _relay(self, message: dict[str, Any]) -> None:
        """Straight to the other side's connection once it is known (half the channel
        layer traffic of a room broadcast, which would come back to the sender too);
        to the room until then. A peer that reconnects announces its new connection."""
        assert self.access is not None
        if self.peer is None:
            await self._group("call.relay", message=message, role=self.access.role)
            return
        await self.channel_layer.send(
            self.peer,
            {
                "type": "call.relay",
                "sender": self.channel_name,
                "message": message,
                "role": self.access.role,
            },
        )

    async def _group(self, kind: str, **fields: Any) -> None:
        assert self.access is not None
        await self.channel_layer.group_send(
            self.access.room, {"type": kind, "sender": self.channel_name, **fields}
        )

    async def _send(self, kind: str, **fields: Any) -> None:
        await self.send(text_data=json.dumps({"v": VERSION, "type": kind, **fields}))

    async def _error(self, code: str, message: str) -> None:
        await self._send("error", code=code, message=message)

    def _audit_context(self) -> None:
        socket_audit_context(self.scope)
