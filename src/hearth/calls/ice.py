"""ICE servers for a participant: STUN, and TURN with time-limited credentials.

TURN REST API scheme (coturn ``use-auth-secret``): username ``"<unix expiry>:<user id>"``,
password ``base64(HMAC-SHA1(static-auth-secret, username))``. The credential works until
the expiry and only for the TURN servers sharing the secret.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from typing import Any

from django.conf import settings


def turn_credentials(user_id: int, *, now: float | None = None) -> tuple[str, str]:
    expiry = int((now if now is not None else time.time()) + settings.HEARTH_TURN_TTL_SECONDS)
    username = f"{expiry}:{user_id}"
    digest = hmac.new(settings.HEARTH_TURN_SECRET.encode(), username.encode(), hashlib.sha1)
    return username, base64.b64encode(digest.digest()).decode("ascii")


def ice_configuration(user_id: int) -> dict[str, Any]:
    servers: list[dict[str, Any]] = []
    if settings.HEARTH_STUN_URLS:
        servers.append({"urls": list(settings.HEARTH_STUN_URLS)})
    if settings.HEARTH_TURN_URLS and settings.HEARTH_TURN_SECRET:
        username, credential = turn_credentials(user_id)
        servers.append(
            {
                "urls": list(settings.HEARTH_TURN_URLS),
                "username": username,
                "credential": credential,
            }
        )
    return {"iceServers": servers, "iceTransportPolicy": settings.HEARTH_ICE_TRANSPORT_POLICY}
