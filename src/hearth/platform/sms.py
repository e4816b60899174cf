"""Text messages through a gateway. Backends: console, file (development), Twilio.

Texts carry times and links, never clinical content.
"""

from __future__ import annotations

import base64
import json
import logging
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Protocol

from django.conf import settings
from django.utils import timezone

logger = logging.getLogger(__name__)


class SmsGateway(Protocol):
    def send(self, *, to: str, text: str) -> str:
        """Send; return the provider's message id. Raise on failure."""
        ...


class ConsoleGateway:
    def send(self, *, to: str, text: str) -> str:
        print(f"SMS to {to}: {text}")  # noqa: T201  (the development backend's purpose)
        return "console"


class FileGateway:
    """Appends one JSON line per text to a file: for development and tests."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def send(self, *, to: str, text: str) -> str:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps({"to": to, "text": text, "at": timezone.now().isoformat()}))
            handle.write("\n")
        return "file"


class TwilioGateway:
    """Twilio's Messages API (form-encoded POST, basic auth)."""

    def __init__(self, *, account_sid: str, auth_token: str, sender: str, base_url: str) -> None:
        self.account_sid, self.auth_token, self.sender = account_sid, auth_token, sender
        self.base_url = base_url.rstrip("/")

    def send(self, *, to: str, text: str) -> str:
        url = f"{self.base_url}/2010-04-01/Accounts/{self.account_sid}/Messages.json"
        body = urllib.parse.urlencode({"To": to, "From": self.sender, "Body": text}).encode()
        credentials = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        request = urllib.request.Request(  # noqa: S310  (https URL from settings)
            url, data=body, headers={"Authorization": f"Basic {credentials}"}, method="POST"
        )
        with urllib.request.urlopen(request, timeout=15) as response:  # noqa: S310
            return str(json.loads(response.read())["sid"])


def get_sms_gateway() -> SmsGateway:
    backend = settings.HEARTH_SMS_BACKEND
    if backend == "console":
        return ConsoleGateway()
    if backend == "file":
        return FileGateway(Path(settings.HEARTH_SMS_FILE))
    if backend == "twilio":
        return TwilioGateway(
            account_sid=settings.HEARTH_TWILIO_ACCOUNT_SID,
            auth_token=settings.HEARTH_TWILIO_AUTH_TOKEN,
            sender=settings.HEARTH_TWILIO_FROM,
            base_url=settings.HEARTH_TWILIO_BASE_URL,
        )
    raise ValueError(f"Unknown HEARTH_SMS_BACKEND {backend!r}: use console, file or twilio")
