"""The signalling protocol, version 1: a small, schema-checked message set.

Client → server: join, offer, answer, candidate, restart, state, leave, and from the
therapist only admit, phone (switch to telephone) and end. Server → client: welcome,
peer, waiting, admitted, offer, answer, candidate, restart, state, phone, ended, left,
replaced, error. Anything else, malformed, oversized or out of
order gets an ``error`` frame and is dropped; the call and the process carry on.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

VERSION = 1
RELAYED = {"offer", "answer", "candidate", "restart", "state"}
THERAPIST_ONLY = {"admit", "phone", "end"}
ACCEPTED = RELAYED | THERAPIST_ONLY | {"join", "leave", "ping"}
STATES = {
    "connected",
    "disconnected",
    "failed",
    "reconnected",
    "muted",
    "unmuted",
    "camera_off",
    "camera_on",
    "audio_only",
    "video",
    "checked",  # the client answered the session-start check
}


class ProtocolError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


def _str(message: dict[str, Any], key: str, limit: int) -> str:
    value = message.get(key)
    if not isinstance(value, str) or len(value) > limit:
        raise ProtocolError("bad_field", f"'{key}' must be text of at most {limit} characters.")
    return value


def parse(text: str | None, *, max_bytes: int) -> dict[str, Any]:
    """Decode and check one frame; return the clean message (only known fields)."""
    if text is None:
        raise ProtocolError("not_text", "Frames are JSON text.")
    if len(text.encode()) > max_bytes:
        raise ProtocolError("too_large", f"Frames are at most {max_bytes} bytes.")
    try:
        message = json.loads(text)
    except ValueError:
        raise ProtocolError("not_json", "Frames are JSON objects.") from None
    if not isinstance(message, dict):
        raise ProtocolError("not_object", "Frames are JSON objects.")
    if message.get("v") != VERSION:
        raise ProtocolError("version", f"Protocol version {VERSION} is required.")
    kind = message.get("type")
    if kind not in ACCEPTED:
        raise ProtocolError("unknown_type", f"Unknown message type {kind!r}.")
    clean: dict[str, Any] = {"type": kind}
    if kind in ("offer", "answer"):
        description = message.get("description")
        if not isinstance(description, dict) or description.get("type") not in (
            "offer",
            "answer",
            "pranswer",
            "rollback",
        ):
            raise ProtocolError("bad_field", "'description' must be a session description.")
        clean["description"] = {
            "type": description["type"],
            "sdp": _str(description, "sdp", max_bytes) if description["type"] != "rollback" else "",
        }
    elif kind == "candidate":
        candidate = message.get("candidate")
        if candidate is not None:  # None: end of candidates
            if not isinstance(candidate, dict):
                raise ProtocolError("bad_field", "'candidate' must be an ICE candidate.")
            clean["candidate"] = {
                "candidate": _str(candidate, "candidate", 2048),
                "sdpMid": candidate.get("sdpMid")
                if isinstance(candidate.get("sdpMid"), str)
                else None,
                "sdpMLineIndex": candidate.get("sdpMLineIndex")
                if isinstance(candidate.get("sdpMLineIndex"), int)
                else None,
            }
        else:
            clean["candidate"] = None
    elif kind == "state":
        state = message.get("state")
        if state not in STATES:
            raise ProtocolError("bad_field", f"Unknown state {state!r}.")
        clean["state"] = state
    elif kind == "join":
        prejoin = message.get("prejoin", {})
        if not isinstance(prejoin, dict) or len(json.dumps(prejoin)) > 2048:
            raise ProtocolError("bad_field", "'prejoin' must be a small object.")
        clean["resume"] = message.get("resume") is True
        clean["prejoin"] = {
            k: v
            for k, v in prejoin.items()
            if isinstance(v, str | bool | int | float) and len(k) < 40
        }
    return clean


@dataclass
class RateLimiter:
    """A token bucket: ``rate`` frames a second, bursts up to twice that."""

    rate: float
    tokens: float = field(init=False)
    updated: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        self.tokens = self.rate * 2

    def allow(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.rate * 2, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False
