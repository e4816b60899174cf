"""In Chromium: a client presses "I need help now" and the signed-in therapist and the
duty clinician see the alert on whatever page they have open, within 2 seconds; the
therapist acknowledges and the duty clinician sees that too."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import pytest

from hearth.accounts.personas import Cast
from hearth.safety.escalation import escalations_advance
from hearth.safety.models import Incident
from tests.browser.conftest import PHONE, signed_in_context
from tests.calls.conftest import asgi_server  # noqa: F401  (hearth serve: HTTP + WebSockets)
from tests.safety.conftest import shift_now

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CONNECTED = (
    "() => window.hearthAlerts && window.hearthAlerts.ws"
    " && window.hearthAlerts.ws.readyState === WebSocket.OPEN"
)


def test_help_now_reaches_the_therapist_and_the_duty_clinician(
    browser: Any,
    asgi_server: Any,  # noqa: F811
    cast: Cast,
) -> None:
    shift_now(cast, "sam")
    base = asgi_server.url
    alice = signed_in_context(browser, asgi_server, cast.users["alice"], **PHONE).new_page()
    staff = {
        key: signed_in_context(browser, asgi_server, cast.users[key]).new_page()
        for key in ("tom", "sam")
    }
    staff["tom"].goto(f"{base}/")
    staff["sam"].goto(f"{base}/clients/")
    for page in staff.values():
        page.wait_for_function(CONNECTED, timeout=15000)

    alice.goto(f"{base}/")
    alice.get_by_role("button", name="I need help now").click()
    pressed = time.monotonic()
    for page in staff.values():
        page.locator("#alerts .alert-item.urgent").wait_for(timeout=2000)
    assert time.monotonic() - pressed < 2
    for page in staff.values():
        assert "Alice Ashworth asked for help now" in page.locator("#alerts").inner_text()
    alice.get_by_text("have been alerted").wait_for(timeout=5000)
    numbers = alice.locator(".crisis-numbers").inner_text()
    assert "999" in numbers and "116 123" in numbers

    incident = Incident.objects.get()
    staff["tom"].get_by_role("link", name="Open and acknowledge").click()
    staff["tom"].wait_for_url(f"**/safety/incidents/{incident.pk}/")
    staff["tom"].get_by_role("button", name="Acknowledge: I am dealing with this").click()
    staff["tom"].get_by_text("Acknowledged by Tom Turner").wait_for(timeout=5000)
    staff["sam"].get_by_text("Acknowledged by Tom Turner.").wait_for(timeout=5000)
    incident.refresh_from_db()
    assert incident.acknowledged_by == cast.users["tom"]


def test_an_unacknowledged_alert_moves_to_the_next_person_when_time_passes(
    browser: Any,
    asgi_server: Any,  # noqa: F811
    cast: Cast,
    redis_url: str,
) -> None:
    """Theo is first on duty and Sam second. Nobody acknowledges Alice's call for help;
    when the acknowledgement time has passed (the worker's job, run here with the clock
    moved on) the alert reaches Sam's open page, saying it was escalated. The job runs
    in this process and reaches the server's sockets through the shared Redis layer."""
    shift_now(cast, "theo", position=1)
    shift_now(cast, "sam", position=2)
    base = asgi_server.url
    alice = signed_in_context(browser, asgi_server, cast.users["alice"], **PHONE).new_page()
    staff = {
        key: signed_in_context(browser, asgi_server, cast.users[key]).new_page()
        for key in ("theo", "sam")
    }
    for page in staff.values():
        page.goto(f"{base}/")
        page.wait_for_function(CONNECTED, timeout=15000)

    alice.goto(f"{base}/")
    alice.get_by_role("button", name="I need help now").click()
    staff["theo"].locator("#alerts .alert-item.urgent").wait_for(timeout=2000)
    incident = Incident.objects.get()
    # Not yet Sam's: still within the time to acknowledge.
    assert escalations_advance(now=incident.opened_at + timedelta(minutes=4)) == 0
    staff["sam"].wait_for_timeout(500)
    assert staff["sam"].locator("#alerts .alert-item.urgent").count() == 0

    assert escalations_advance(now=incident.opened_at + timedelta(minutes=5, seconds=1)) == 1
    moved = time.monotonic()
    staff["sam"].locator("#alerts .alert-item.urgent").wait_for(timeout=2000)
    assert time.monotonic() - moved < 2
    assert "escalated to you" in staff["sam"].locator("#alerts").inner_text()

    staff["sam"].get_by_role("link", name="Open and acknowledge").click()
    staff["sam"].wait_for_url(f"**/safety/incidents/{incident.pk}/")
    staff["sam"].get_by_role("button", name="Acknowledge: I am dealing with this").click()
    staff["sam"].get_by_text("Acknowledged by Sam").first.wait_for(timeout=5000)
    incident.refresh_from_db()
    assert incident.acknowledged_by == cast.users["sam"]
    kinds = list(incident.steps.values_list("kind", flat=True))
    # (The escalation's steps carry the moved-on clock's times; only their kinds here.)
    assert kinds.count("escalated") == 1 and kinds.count("acknowledged") == 1
