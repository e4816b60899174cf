"""A real call between two Chromium contexts with fake camera and microphone.

The client checks devices and joins the waiting room; the therapist sees who is waiting
and admits them; both sides then decode the other's video (getStats: framesDecoded
growing), not just report a connection state.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from hearth.accounts.personas import Cast
from hearth.calls.models import CallEvent, SessionRecord
from hearth.scheduling.models import Appointment, AppointmentStatus
from tests.browser.conftest import PHONE, signed_in_context
from tests.calls.conftest import connection_state, frames_decoded
from tests.scheduling.conftest import book_now

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def describe(page: Any) -> str:
    return str(
        page.evaluate(
            """() => { const s = window.hearthCall; const pc = s && s.pc;
            return pc ? {conn: pc.connectionState, ice: pc.iceConnectionState,
              sig: pc.signalingState, gathering: pc.iceGatheringState, admitted: s.admitted,
              ws: s.ws && s.ws.readyState, local: pc.localDescription && pc.localDescription.type,
              remote: pc.remoteDescription && pc.remoteDescription.type,
              failures: s.failures.join(" | ")}
              : {pc: null, admitted: s && s.admitted}; }"""
        )
    )


def wait_for(predicate: Any, timeout: float = 20, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def test_client_waits_is_admitted_and_both_decode_video(
    browser: Any, asgi_server: Any, cast: Cast
) -> None:
    appointment = book_now(cast)
    url = f"{asgi_server.url}/calls/{appointment.pk}/"
    client = signed_in_context(browser, asgi_server, cast.users["alice"], **PHONE).new_page()
    therapist = signed_in_context(browser, asgi_server, cast.users["tom"]).new_page()
    for name, page in (("client", client), ("therapist", therapist)):
        page.on("console", lambda m, name=name: print(f"[{name}] {m.type}: {m.text}"))  # noqa: T201

    client.goto(url)
    wait_for(
        lambda: client.evaluate("() => document.getElementById('preview').srcObject !== null"),
        what="camera preview",
    )
    client.click("#join")
    client.wait_for_selector("#waiting:not([hidden])")

    therapist.goto(url)
    therapist.click("#join")
    therapist.wait_for_selector("#admit:not([disabled])")
    assert "Alice Ashworth is waiting" in therapist.inner_text("#waiting-detail")
    wait_for(
        lambda: Appointment.objects.get(pk=appointment.pk).status == AppointmentStatus.ARRIVED,
        what="the appointment marked arrived",
    )
    therapist.click("#admit")

    for page in (client, therapist):
        try:
            wait_for(lambda page=page: connection_state(page) == "connected", timeout=45)
        except AssertionError:
            raise AssertionError(
                f"not connected: client {describe(client)}; therapist {describe(therapist)}"
            ) from None
    wait_for(lambda: frames_decoded(client) > 10, what="client decoding video")
    wait_for(lambda: frames_decoded(therapist) > 10, what="therapist decoding video")
    first = frames_decoded(client)
    wait_for(lambda: frames_decoded(client) > first, what="frames still arriving")

    wait_for(
        lambda: SessionRecord.objects.filter(
            appointment=appointment, started_at__isnull=False
        ).exists(),
        what="the session record started",
    )
    record = SessionRecord.objects.get(appointment=appointment)
    assert record.admitted_at and record.started_at and record.client_arrived_at
    kinds = set(record.events.values_list("kind", flat=True))
    assert {CallEvent.Kind.JOINED, CallEvent.Kind.ADMITTED, CallEvent.Kind.CONNECTED} <= kinds
    assert list(record.segments.values_list("modality", flat=True)) == ["video"]
    wait_for(
        lambda: Appointment.objects.get(pk=appointment.pk).status == AppointmentStatus.IN_SESSION,
        what="the appointment marked in session",
    )
