"""One session record per remote appointment: segments, telephone, the end, attendance."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from hearth.accounts.personas import Cast
from hearth.calls.models import CallEvent, SessionRecord
from hearth.calls.services import (
    call_event_record,
    session_end,
    session_switch_to_phone,
    telephone_outcome_record,
)
from hearth.governance.models import AuditEvent
from hearth.scheduling.models import Appointment, AppointmentStatus
from tests.calls.test_signalling import communicator, frame, frame_of, run, session_cookie
from tests.scheduling.conftest import book_now


def event(cast: Cast, appointment: Appointment, who: str, kind: str) -> SessionRecord:
    role = "client" if who in ("alice", "charlie") else "therapist"
    return call_event_record(appointment=appointment, user=cast.users[who], role=role, kind=kind)


def segments(appointment: Appointment) -> list[tuple[str, bool]]:
    record = SessionRecord.objects.get(appointment=appointment)
    return [(s.modality, s.ended_at is not None) for s in record.segments.all()]


def status(appointment: Appointment) -> str:
    return Appointment.objects.get(pk=appointment.pk).status


@pytest.mark.django_db
def test_audio_only_on_both_sides_is_an_audio_segment_and_video_returns(cast: Cast) -> None:
    appointment = book_now(cast)
    event(cast, appointment, "alice", CallEvent.Kind.JOINED)
    assert status(appointment) == AppointmentStatus.ARRIVED
    event(cast, appointment, "tom", CallEvent.Kind.CONNECTED)
    assert segments(appointment) == [("video", False)]
    assert status(appointment) == AppointmentStatus.IN_SESSION
    # One side on audio only: the other still sends video, so the session is still video.
    event(cast, appointment, "alice", CallEvent.Kind.AUDIO_ONLY)
    assert segments(appointment) == [("video", False)]
    event(cast, appointment, "tom", CallEvent.Kind.AUDIO_ONLY)
    assert segments(appointment) == [("video", True), ("audio", False)]
    event(cast, appointment, "alice", CallEvent.Kind.VIDEO)
    assert segments(appointment) == [("video", True), ("audio", True), ("video", False)]
    # A dropped connection that comes back does not start a new segment.
    event(cast, appointment, "alice", CallEvent.Kind.CONNECTED)
    assert len(segments(appointment)) == 3


@pytest.mark.django_db
def test_audio_only_before_connecting_starts_the_session_as_audio(cast: Cast) -> None:
    appointment = book_now(cast)
    event(cast, appointment, "alice", CallEvent.Kind.AUDIO_ONLY)
    event(cast, appointment, "tom", CallEvent.Kind.AUDIO_ONLY)
    event(cast, appointment, "tom", CallEvent.Kind.CONNECTED)
    assert segments(appointment) == [("audio", False)]


@pytest.mark.django_db
def test_switch_to_phone_continues_the_same_session_by_telephone(cast: Cast) -> None:
    appointment = book_now(cast)
    event(cast, appointment, "tom", CallEvent.Kind.CONNECTED)
    session_switch_to_phone(user=cast.users["tom"], appointment=appointment)
    assert segments(appointment) == [("video", True)]
    telephone_outcome_record(user=cast.users["tom"], appointment=appointment, outcome="no_answer")
    assert segments(appointment) == [("video", True)]
    telephone_outcome_record(user=cast.users["tom"], appointment=appointment, outcome="connected")
    assert segments(appointment) == [("video", True), ("telephone", False)]
    # Media events after the switch (a late "connected") change nothing.
    event(cast, appointment, "alice", CallEvent.Kind.CONNECTED)
    assert segments(appointment) == [("video", True), ("telephone", False)]
    record = session_end(user=cast.users["tom"], appointment=appointment)
    assert segments(appointment) == [("video", True), ("telephone", True)]
    assert record.ended_at is not None and record.started_at is not None
    assert status(appointment) == AppointmentStatus.ATTENDED
    assert SessionRecord.objects.filter(appointment=appointment).count() == 1
    kinds = list(record.events.values_list("kind", flat=True))
    assert kinds.index("switched_to_phone") < kinds.index("phone_no_answer")
    assert kinds.index("phone_no_answer") < kinds.index("phone_connected")
    assert kinds[-1] == "ended"
    assert AuditEvent.objects.filter(
        action="session.telephone_outcome", object_id=str(appointment.pk)
    ).exists()


@pytest.mark.django_db
def test_a_telephone_appointment_records_outcome_and_attendance(cast: Cast) -> None:
    appointment = book_now(cast, modality="telephone")
    telephone_outcome_record(
        user=cast.users["tom"], appointment=appointment, outcome="wrong_number"
    )
    assert status(appointment) == AppointmentStatus.BOOKED
    telephone_outcome_record(user=cast.users["tom"], appointment=appointment, outcome="connected")
    assert status(appointment) == AppointmentStatus.IN_SESSION
    assert segments(appointment) == [("telephone", False)]
    session_end(user=cast.users["tom"], appointment=appointment)
    assert status(appointment) == AppointmentStatus.ATTENDED


@pytest.mark.django_db
def test_bad_telephone_input_is_refused_and_changes_nothing(cast: Cast) -> None:
    video = book_now(cast)
    phone = book_now(cast, modality="telephone", minutes_ahead=120)
    with pytest.raises(ValidationError, match="connected, no answer or wrong number"):
        telephone_outcome_record(user=cast.users["tom"], appointment=phone, outcome="maybe")
    with pytest.raises(ValidationError, match="Switch to phone first"):
        telephone_outcome_record(user=cast.users["tom"], appointment=video, outcome="connected")
    for who in ("alice", "theo", "sam"):
        with pytest.raises(PermissionDenied):
            telephone_outcome_record(user=cast.users[who], appointment=phone, outcome="connected")
        with pytest.raises(PermissionDenied):
            session_switch_to_phone(user=cast.users[who], appointment=video)
    with pytest.raises(ValidationError, match="has not started"):
        session_end(user=cast.users["tom"], appointment=phone)
    assert not CallEvent.objects.exists()
    assert not SessionRecord.objects.exclude(telephone_since=None).exists()
    assert (status(video), status(phone)) == (AppointmentStatus.BOOKED,) * 2


@pytest.mark.django_db
def test_telephone_pages_post_outcome_and_end(cast: Cast, as_persona: Any) -> None:
    appointment = book_now(cast, modality="telephone")
    cast.records["alice"].phone = "07700 900123"
    cast.records["alice"].save()
    page = as_persona("tom").get(reverse("call", args=[appointment.pk]))
    assert b'href="tel:07700 900123"' in page.content
    # No media on a telephone page: camera and microphone stay off.
    assert "camera=()" in page.headers["Permissions-Policy"]
    client_page = as_persona("alice").get(reverse("call", args=[appointment.pk]))
    assert b'will phone you<span id="phone-number"> on 07700 900123' in client_page.content
    assert b"How did the call go?" not in client_page.content

    url = reverse("call_telephone_outcome", args=[appointment.pk])
    assert as_persona("alice").post(url, {"outcome": "connected"}).status_code == 403
    assert as_persona("theo").post(url, {"outcome": "connected"}).status_code == 404
    assert status(appointment) == AppointmentStatus.BOOKED
    response = as_persona("tom").post(url, {"outcome": "connected"})
    assert response.status_code == 302
    assert status(appointment) == AppointmentStatus.IN_SESSION
    response = as_persona("tom").post(reverse("call_end", args=[appointment.pk]), follow=True)
    assert b"This session has ended." in response.content
    assert b"recorded as attended" in response.content and b"<li>Telephone: " in response.content
    assert status(appointment) == AppointmentStatus.ATTENDED


@pytest.mark.django_db(transaction=True)
def test_phone_and_end_over_the_socket_are_the_therapists(cast: Cast) -> None:
    appointment = book_now(cast)
    cast.records["alice"].phone = "07700 900123"
    cast.records["alice"].save()
    cookies = {key: session_cookie(cast.users[key]) for key in ("alice", "tom")}

    async def send(c: Any, kind: str, **fields: Any) -> None:
        await c.send_to(text_data=json.dumps({"v": 1, "type": kind, **fields}))

    async def scenario() -> None:
        client = communicator(appointment.pk, cookies["alice"])
        therapist = communicator(appointment.pk, cookies["tom"])
        for c in (client, therapist):
            assert (await c.connect())[0]
            await frame(c)
            await send(c, "join")
        await send(therapist, "end")
        refused = await frame_of(therapist, "refused")
        assert "has not started" in refused["message"]
        await send(client, "phone")
        await frame_of(client, "not_allowed")
        await send(therapist, "state", state="connected")
        await send(therapist, "phone")
        for c in (client, therapist):
            assert (await frame_of(c, "phone"))["number"] == "07700 900123"
        await send(therapist, "end")
        for c in (client, therapist):
            await frame_of(c, "ended")
        for c in (client, therapist):
            await c.disconnect()

    run(scenario)
    record = SessionRecord.objects.get(appointment=appointment)
    assert record.telephone_since and record.ended_at
    assert status(appointment) == AppointmentStatus.ATTENDED


@pytest.mark.django_db
def test_demo_call_now_opens_one_room_and_reuses_it() -> None:
    from io import StringIO

    from django.core.management import call_command

    from hearth.calls.selectors import call_is_open

    first, second, phone = StringIO(), StringIO(), StringIO()
    call_command("demo", "--call-now", "video", stdout=first)
    call_command("demo", "--call-now", "video", stdout=second)
    call_command("demo", "--call-now", "telephone", stdout=phone)
    room = re.search(r"/calls/(\d+)/", first.getvalue())
    assert room is not None and room.group(0) in second.getvalue()
    video = Appointment.objects.get(pk=room.group(1))
    assert video.modality == "video"
    # Trying the telephone next: the unstarted video session makes way.
    assert Appointment.objects.get(pk=video.pk).status == AppointmentStatus.CANCELLED_SERVICE
    telephone = Appointment.objects.get(modality="telephone", status=AppointmentStatus.BOOKED)
    assert call_is_open(telephone)
    assert f"/calls/{telephone.pk}/" in phone.getvalue()
    assert telephone.client.phone == "07700 900123"
