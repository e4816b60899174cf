"""Real calls between two Chromium contexts with fake camera and microphone.

The client checks devices and joins the waiting room; the therapist sees who is waiting
and admits them; both sides then decode the other's video (getStats: framesDecoded
growing), not just report a connection state. Then what a real session goes through:
audio only and back, a switch to the telephone, a dropped socket, a reload.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from hearth.accounts.personas import Cast
from hearth.calls.models import CallEvent, SessionRecord
from hearth.scheduling.models import Appointment, AppointmentStatus
from tests.browser.conftest import PHONE, signed_in_context
from tests.calls.conftest import (
    OPEN_CONTEXTS,
    connection_state,
    frames_decoded,
    inbound,
    session_check_done,
)
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


def pages(browser: Any, cast: Cast, client_server: Any, therapist_server: Any) -> tuple[Any, Any]:
    contexts = [
        signed_in_context(browser, client_server, cast.users["alice"], **PHONE),
        signed_in_context(browser, therapist_server, cast.users["tom"]),
    ]
    OPEN_CONTEXTS.extend(contexts)
    client, therapist = (context.new_page() for context in contexts)
    for name, page in (("client", client), ("therapist", therapist)):
        page.on("console", lambda m, name=name: print(f"[{name}] {m.type}: {m.text}"))  # noqa: T201
    return client, therapist


def wait_connected_and_decoding(client: Any, therapist: Any, *, timeout: float = 45) -> None:
    for page in (client, therapist):
        try:
            wait_for(lambda page=page: connection_state(page) == "connected", timeout=timeout)
        except AssertionError:
            raise AssertionError(
                f"not connected: client {describe(client)}; therapist {describe(therapist)}"
            ) from None
    for name, page in (("client", client), ("therapist", therapist)):
        wait_for(lambda page=page: frames_decoded(page) > 10, what=f"{name} decoding video")
        first = frames_decoded(page)
        wait_for(
            lambda page=page, first=first: frames_decoded(page) > first,
            what=f"{name} frames arriving",
        )


def admitted_call(
    browser: Any,
    cast: Cast,
    appointment: Appointment,
    client_server: Any,
    therapist_server: Any | None = None,
) -> tuple[Any, Any]:
    """Client joins the waiting room, the therapist admits, both decode video."""
    therapist_server = therapist_server or client_server
    client, therapist = pages(browser, cast, client_server, therapist_server)
    client.goto(f"{client_server.url}/calls/{appointment.pk}/")
    wait_for(
        lambda: client.evaluate("() => document.getElementById('preview').srcObject !== null"),
        what="camera preview",
    )
    client.click("#join")
    client.wait_for_selector("#waiting:not([hidden])")
    session_check_done(appointment)
    therapist.goto(f"{therapist_server.url}/calls/{appointment.pk}/")
    therapist.wait_for_selector("#session-check-review[data-may-start='true']")
    therapist.click("#join")
    therapist.wait_for_selector("#admit:not([disabled])")
    assert "Alice Ashworth is waiting" in therapist.inner_text("#waiting-detail")
    therapist.click("#admit")
    wait_connected_and_decoding(client, therapist)
    # Both joined once each; nobody's first join may count as a rejoin.
    assert (rejoins(appointment, "client"), rejoins(appointment, "therapist")) == (0, 0)
    return client, therapist


def rejoins(appointment: Appointment, role: str) -> int:
    return CallEvent.objects.filter(
        session_record__appointment=appointment, kind=CallEvent.Kind.RECONNECTED, role=role
    ).count()


def rejoined_and_renegotiates(
    appointment: Appointment, client: Any, therapist: Any, *, role: str, before: int
) -> None:
    """After ``role``'s socket dropped (``before`` rejoins so far): it rejoins, the media
    held, and signalling works again (an ICE restart by the therapist renegotiates
    through the new socket)."""
    wait_for(lambda: rejoins(appointment, role) > before, timeout=45, what=f"the {role} to rejoin")
    assert connection_state(client) == "connected", "media should survive a signalling drop"
    before = client.evaluate("() => window.hearthCall.descriptions")
    therapist.evaluate("() => window.hearthCall.pc.restartIce()")
    try:
        wait_for(
            lambda: client.evaluate("() => window.hearthCall.descriptions") > before,
            what="a new offer reaching the client",
        )
    except AssertionError:
        events = list(CallEvent.objects.values_list("kind", "role", "at"))
        raise AssertionError(
            f"no renegotiation: client {describe(client)}; therapist {describe(therapist)}"
            f" events {events}"
        ) from None
    wait_connected_and_decoding(client, therapist)


def test_the_session_start_check_comes_before_admitting(
    browser: Any, asgi_server: Any, cast: Cast
) -> None:
    appointment = book_now(cast)
    client, therapist = pages(browser, cast, asgi_server, asgi_server)
    url = f"{asgi_server.url}/calls/{appointment.pk}/"
    client.goto(url)
    wait_for(
        lambda: client.evaluate("() => document.getElementById('preview').srcObject !== null"),
        what="camera preview",
    )
    # The session-start check, on the call page, before joining.
    client.check("#session-check input[name=location][value=other]")
    client.fill("#session-check textarea[name=address]", "Flat 2, 3 Canal Street, Riverside")
    client.select_option("#session-check select[name=country]", "GB")
    client.select_option("#session-check select[name=region]", "ENG")
    client.fill("#session-check input[name=callback_phone]", "0161 496 0123")
    client.check("#session-check input[name=is_private][value=yes]")
    client.check("#session-check input[name=emergency_contact_correct][value=yes]")
    client.click("#session-check button[type=submit]")
    client.wait_for_selector("#session-check .message.success")
    client.click("#join")
    client.wait_for_selector("#waiting:not([hidden])")
    wait_for(
        lambda: Appointment.objects.get(pk=appointment.pk).status == AppointmentStatus.ARRIVED,
        what="the appointment marked arrived",
    )
    therapist.goto(url)
    therapist.click("#join")
    therapist.wait_for_selector("#admit:not([disabled])")
    assert "Alice Ashworth is waiting" in therapist.inner_text("#waiting-detail")
    # Not before the therapist has reviewed the check: the server refuses too.
    therapist.wait_for_selector("#session-check-review[data-may-start='false']")
    assert "3 Canal Street" in therapist.inner_text("#session-check-review")
    therapist.click("#admit")
    therapist.wait_for_selector("#call-status:has-text('session-start check')")
    therapist.click("#session-check-review button:has-text('confirm')")
    therapist.wait_for_selector("#session-check-review[data-may-start='true']")
    therapist.click("#admit")
    wait_connected_and_decoding(client, therapist)
    # During the call the therapist keeps the client's location and local crisis numbers
    # in view; the client has "I need help now".
    review = therapist.inner_text("#session-check-review")
    assert "3 Canal Street" in review and "999" in review and "Samaritans" in review
    assert client.locator("button:has-text('I need help now')").count() == 1

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


def segment_modalities(appointment: Appointment) -> list[str]:
    return list(
        SessionRecord.objects.get(appointment=appointment).segments.values_list(
            "modality", flat=True
        )
    )


def test_audio_only_and_back_keeps_the_call_and_records_segments(
    browser: Any, asgi_server: Any, cast: Cast
) -> None:
    appointment = book_now(cast)
    client, therapist = admitted_call(browser, cast, appointment, asgi_server)
    for page in (therapist, client):
        page.click("#audio-toggle")
    # Each side sees the other is on audio only; video stops, audio keeps flowing.
    for page in (client, therapist):
        page.wait_for_selector("#remote-note:not([hidden])")
    wait_for(lambda: segment_modalities(appointment) == ["video", "audio"], what="audio segment")
    stalled = frames_decoded(client)
    audio = inbound(client, "audio", "packetsReceived")
    wait_for(lambda: inbound(client, "audio", "packetsReceived") > audio + 50, what="audio")
    assert frames_decoded(client) <= stalled + 2, "video still arriving on audio only"
    assert connection_state(client) == "connected"

    therapist.click("#audio-toggle")
    client.wait_for_selector("#remote:not([hidden])")
    wait_for(lambda: frames_decoded(client) > stalled + 10, what="video back at the client")
    wait_for(
        lambda: segment_modalities(appointment) == ["video", "audio", "video"],
        what="video segment",
    )


def test_switch_to_phone_continues_the_session_by_telephone(
    browser: Any, asgi_server: Any, cast: Cast
) -> None:
    appointment = book_now(cast)
    client, therapist = admitted_call(browser, cast, appointment, asgi_server)
    therapist.click("#phone")
    therapist.click("#phone-yes")
    for page in (client, therapist):
        page.wait_for_selector("#telephone:not([hidden])")
        wait_for(lambda page=page: connection_state(page) == "closed", what="media ended")
    # The number the client confirmed for this session, not the one on the record.
    assert "will phone you on +44 161 496 0123" in client.inner_text("#telephone")
    assert therapist.get_attribute("#telephone a[href^='tel:']", "href") == "tel:+441614960123"

    therapist.click("#telephone button[value='connected']")
    therapist.wait_for_selector("text=The session started at")
    therapist.click("#telephone button:has-text('End session')")
    therapist.wait_for_selector("text=This session has ended.")
    assert Appointment.objects.get(pk=appointment.pk).status == AppointmentStatus.ATTENDED
    assert segment_modalities(appointment) == ["video", "telephone"]
    session = SessionRecord.objects.get(appointment=appointment)
    assert not session.segments.filter(ended_at=None).exists() and session.ended_at


def test_a_dropped_socket_reconnects_and_signalling_resumes(
    browser: Any, asgi_server: Any, cast: Cast
) -> None:
    appointment = book_now(cast)
    client, therapist = admitted_call(browser, cast, appointment, asgi_server)
    # The socket drops under the client (not a leave): it reconnects with backoff.
    before = rejoins(appointment, "client")
    client.evaluate("() => window.hearthCall.ws.close(4000)")
    rejoined_and_renegotiates(appointment, client, therapist, role="client", before=before)


def test_a_reload_rejoins_the_same_call(browser: Any, asgi_server: Any, cast: Cast) -> None:
    appointment = book_now(cast)
    client, therapist = admitted_call(browser, cast, appointment, asgi_server)
    client.reload()
    # No second click: the tab rejoins, already admitted, and media starts again.
    client.wait_for_selector("#session:not([hidden])")
    wait_connected_and_decoding(client, therapist)
    assert SessionRecord.objects.filter(appointment=appointment).count() == 1
    assert segment_modalities(appointment) == ["video"]


def test_an_offer_made_while_the_socket_is_down_goes_out_after_rejoining(
    browser: Any, asgi_server: Any, cast: Cast
) -> None:
    appointment = book_now(cast)
    client, therapist = admitted_call(browser, cast, appointment, asgi_server)
    before = client.evaluate("() => window.hearthCall.descriptions")
    # The therapist's socket drops and, before it is back, an ICE restart makes an offer.
    therapist.evaluate(
        "() => { window.hearthCall.ws.close(4000); window.hearthCall.pc.restartIce(); }"
    )
    wait_for(lambda: rejoins(appointment, "therapist") == 1, what="the therapist to rejoin")
    wait_for(
        lambda: client.evaluate("() => window.hearthCall.descriptions") > before,
        what="the queued offer reaching the client",
    )
    wait_connected_and_decoding(client, therapist)
