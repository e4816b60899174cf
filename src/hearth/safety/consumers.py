"""Real-time alerts for staff: one Channels group per person (``alerts.user.<id>``).

Thin: a signed-in clinician (with two factors, as for every clinical page) joins their
own group and receives what the escalation service sends to it. Nothing is accepted
from the browser but pings.
"""

from __future__ import annotations

import json
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from hearth.accounts.models import CLINICIAN_ROLES, Membership
from hearth.accounts.selectors import user_has_totp
from hearth.safety.escalation import alert_group


@database_sync_to_async
def _may_receive_alerts(user: Any) -> bool:
    if not user.is_authenticated:
        return False
    is_clinician = Membership.objects.active().filter(user=user, role__in=CLINICIAN_ROLES).exists()
    return is_clinician and user_has_totp(user)


class AlertsConsumer(AsyncWebsocketConsumer):
    group: str | None = None

    async def connect(self) -> None:
        user = self.scope["user"]
        if not await _may_receive_alerts(user):
            await self.close(code=4403)
            return
        self.group = alert_group(user.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self._send("welcome")

    async def disconnect(self, code: int) -> None:
        if self.group is not None:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        try:
            message = json.loads(text_data or "")
        except ValueError:
            message = None
        if isinstance(message, dict) and message.get("type") == "ping":
            await self._send("pong")
        else:
            await self._send("error", code="bad_message", message="Only pings are accepted.")

    async def alert_new(self, event: dict[str, Any]) -> None:
        await self._send("alert", incident=event["incident"], url=event["url"], text=event["text"])

    async def alert_acknowledged(self, event: dict[str, Any]) -> None:
        await self._send("acknowledged", incident=event["incident"], by=event["by"])

    async def _send(self, kind: str, **fields: Any) -> None:
        await self.send(text_data=json.dumps({"type": kind, **fields}))
