"""What every WebSocket consumer checks before anything else, in one place."""

from __future__ import annotations

from typing import Any

from channels.consumer import get_handler_name
from channels.generic.websocket import AsyncWebsocketConsumer

from hearth.accounts.models import STAFF_ROLES, Membership
from hearth.accounts.selectors import user_has_totp
from hearth.governance.context import AuditContext, set_audit_context


def socket_membership(user: Any, organisation_id: int) -> Membership | None:
    """The user's active membership in the organisation that owns what they connect to,
    under the same rules as pages: signed in, and staff with two factors set up."""
    if not user.is_authenticated:
        return None
    membership = (
        Membership.objects.active()
        .select_related("user", "organisation")
        .filter(user=user, organisation_id=organisation_id)
        .first()
    )
    if membership is None or (membership.role in STAFF_ROLES and not user_has_totp(user)):
        return None
    return membership


def socket_audit_context(scope: dict[str, Any]) -> None:
    """Audit events written while handling a frame carry the socket's address and agent."""
    headers = dict(scope.get("headers", []))
    client = scope.get("client") or [None]
    set_audit_context(
        AuditContext(
            ip=client[0], user_agent=headers.get(b"user-agent", b"").decode("latin-1")[:300]
        )
    )


class DirectDispatchConsumer(AsyncWebsocketConsumer):
    """A consumer whose frames and group events do not wait for Django's sync thread.

    Channels runs ``close_old_connections`` on the one thread-sensitive sync thread
    before *every* handler, so each relayed frame queued behind every database call of
    every connection in the process. Handlers here touch the database only through
    ``database_sync_to_async``, which closes stale connections itself, so the hop is
    skipped (bench/calls/signalling.py measured it as the first bottleneck).
    """

    closing = False

    async def close(self, code: int | bool | None = None, reason: str | None = None) -> None:
        self.closing = True
        await super().close(code=code, reason=reason)

    async def send(
        self, text_data: str | None = None, bytes_data: bytes | None = None, close: bool = False
    ) -> None:
        # Group events can still arrive between our close and the disconnect that takes
        # this connection out of its groups; there is no one left to send them to.
        if self.closing:
            return
        await super().send(text_data=text_data, bytes_data=bytes_data, close=close)

    async def dispatch(self, message: dict[str, Any]) -> None:
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)
