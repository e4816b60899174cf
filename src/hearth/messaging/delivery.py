"""What a socket sends for a stored message, and the messages this process just stored.

A live event says only "message N is stored"; each socket then sends what it has not
delivered yet, in thread order. Messages this process has just stored are kept here
for a moment (a bounded, process-local map), so that sockets served by the same process
deliver them without reading the database again. They are immutable once stored, so a
kept copy can never be stale; anything not kept here is read from the database.
Nothing here leaves the process.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable
from typing import Any

from hearth.messaging.models import Attachment, Message

KEPT = 2000  # recent messages per process; a socket behind by more reads the database

_recent: OrderedDict[tuple[int, int], dict[str, Any]] = OrderedDict()
_lock = threading.Lock()


def message_json(
    message: Message, attachments: Iterable[Attachment] | None = None
) -> dict[str, Any]:
    """The ``message`` frame of the thread socket."""
    return {
        "type": "message",
        "seq": message.seq,
        "id": message.pk,
        "client_id": str(message.client_id) if message.client_id else None,
        "kind": message.kind,
        "sender": message.sender_id,
        "sender_name": message.sender.full_name if message.sender else "Automatic reply",
        "body": message.body,
        "at": message.created_at.isoformat(),
        "attachments": [
            {"id": a.pk, "name": a.filename, "size": a.size, "type": a.content_type}
            for a in (message.attachments.all() if attachments is None else attachments)
        ],
    }


def recent_keep(message: Message, attachments: Iterable[Attachment] = ()) -> None:
    """Keep a message this process has just stored (call after its commit)."""
    frame = message_json(message, attachments)
    with _lock:
        _recent[(message.thread_id, message.seq)] = frame
        while len(_recent) > KEPT:
            _recent.popitem(last=False)


def recent_message(thread_id: int, seq: int) -> dict[str, Any] | None:
    with _lock:
        return _recent.get((thread_id, seq))
