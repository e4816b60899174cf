"""The clinician's calendar feed, the waitlist, staff booking, and the SMS provider."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any
from urllib.parse import parse_qs

import icalendar
import pytest
from django.core import mail
from django.utils import timezone

from hearth.accounts.personas import Cast
from hearth.governance.models import AuditEvent
from hearth.platform.sms import get_sms_gateway
from hearth.scheduling.models import (
    Appointment,
    SchedulingPolicy,
    ServiceType,
    WaitlistEntry,
)
from hearth.scheduling.services import BookingRequest, appointment_book
from tests.scheduling.conftest import utc


def _feed_link(as_persona: Any) -> str:
    response = as_persona("tom").post("/calendar/link/", {"action": "create"})
    assert response.status_code == 200
    text = response.content.decode()
    start = text.index("/calendar/feed/")
    return text[start : text.index(".ics", start) + 4]


def test_calendar_feed_shows_initials_only_and_can_be_replaced_or_revoked(
    cast: Cast, services: dict[str, ServiceType], as_persona: Any, client: Any
) -> None:
    # Next week's Monday, 10:00 UTC: inside Tom's hours in London all year.
    start = timezone.now() + timedelta(days=7)
    start = start.replace(hour=10, minute=0, second=0, microsecond=0)
    while start.weekday() != 0:
        start += timedelta(days=1)
    booked = appointment_book(
        membership=cast.memberships["tom"],
        request=BookingRequest(
            client=cast.records["alice"],
            therapist=cast.users["tom"],
            service_type=services["Treatment"],
            modality="video",
            starts_at=start,
        ),
    )
    link = _feed_link(as_persona)
    response = client.get(link)  # no sign-in: the token is the credential
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    body = response.content.decode()
    [event] = icalendar.Calendar.from_ical(response.content).walk("VEVENT")
    assert str(event["summary"]) == "AA · Video"
    assert event.decoded("dtstart") == booked.starts_at
    for private in ("Alice", "Ashworth", "alice@", "Low mood", "Treatment"):
        assert private not in body
    assert AuditEvent.objects.filter(action="calendar_feed.read").exists()
    # A new link turns the old one off; revoking turns every link off.
    newer = _feed_link(as_persona)
    assert client.get(link).status_code == 404
    assert client.get(newer).status_code == 200
    as_persona("tom").post("/calendar/link/", {"action": "revoke"})
    assert client.get(newer).status_code == 404
    assert client.get("/calendar/feed/not-a-token.ics").status_code == 404


def test_waitlist_add_offer_and_book(
    cast: Cast, services: dict[str, ServiceType], as_persona: Any
) -> None:
    ada = as_persona("ada")
    alice = cast.records["alice"]
    response = ada.post(
        "/waitlist/",
        {
            "action": "add",
            "client": alice.pk,
            "service_type": services["Treatment"].pk,
            "modalities": ["video", "audio"],
        },
    )
    assert response.status_code == 302
    entry = WaitlistEntry.objects.get(client=alice)
    assert entry.modalities == ["audio", "video"]
    # Adding the same client for the same service again is refused; nothing added.
    response = ada.post(
        "/waitlist/",
        {"action": "add", "client": alice.pk, "service_type": services["Treatment"].pk},
        follow=True,
    )
    assert "already waiting" in response.content.decode()
    assert WaitlistEntry.objects.filter(client=alice).count() == 1
    page = ada.get("/waitlist/").content.decode()
    assert "<strong>Alice Ashworth</strong>" in page and "Earliest time" in page
    # Offer by email: a link, nothing clinical.
    ada.post("/waitlist/", {"action": "offer", "entry": entry.pk})
    [message] = mail.outbox
    assert message.to == ["alice@demo.hearth.test"]
    assert "/appointments/book/" in message.body
    assert "Low mood" not in message.body and "Treatment" not in message.body
    entry.refresh_from_db()
    assert entry.status == WaitlistEntry.Status.OFFERED
    # Booking the client for that service takes them off the list.
    start = utc(2027, 1, 11, 10)
    appointment_book(
        membership=cast.memberships["tom"],
        request=BookingRequest(
            client=alice,
            therapist=cast.users["tom"],
            service_type=services["Treatment"],
            modality="video",
            starts_at=start,
        ),
    )
    entry.refresh_from_db()
    assert entry.status == WaitlistEntry.Status.BOOKED
    assert "<strong>Alice Ashworth</strong>" not in ada.get("/waitlist/").content.decode()
    # Clients and commissioners have no waitlist page.
    assert as_persona("alice").get("/waitlist/").status_code == 403
    assert as_persona("cora").get("/waitlist/").status_code == 403


def _first_slot_value(page: str) -> str:
    marker = 'name="slot" value="'
    start = page.index(marker) + len(marker)
    return page[start : page.index('"', start)]


def test_staff_book_for_a_client_and_give_a_reason_past_fatigue_limits(
    cast: Cast, services: dict[str, ServiceType], as_persona: Any
) -> None:
    tom = as_persona("tom")
    query = (
        f"?client={cast.records['alice'].pk}&service_type={services['Treatment'].pk}"
        f"&modality=video&therapist={cast.users['tom'].pk}"
    )
    page = tom.get("/appointments/book/" + query).content.decode()
    slot = _first_slot_value(page)
    response = tom.post("/appointments/book/" + query, {"slot": slot})
    assert response.status_code == 302
    appointment = Appointment.objects.get(client=cast.records["alice"])
    assert appointment.modality_chosen_by == cast.users["tom"]
    assert appointment.booked_by == cast.users["tom"]
    # A limit of one session a day: the next booking needs a recorded reason.
    policy = SchedulingPolicy.objects.get(organisation=cast.organisations["riverside"])
    policy.max_daily_video_minutes = 60
    policy.save()
    charlie = cast.records["charlie"]
    charlie.therapist = cast.users["tom"]
    charlie.save()
    same_day = appointment.ends_at + timedelta(minutes=60)
    value = f"{cast.users['tom'].pk}|{same_day.isoformat()}"
    other = query.replace(str(cast.records["alice"].pk), str(charlie.pk), 1)
    response = tom.post("/appointments/book/" + other, {"slot": value}, follow=True)
    assert "limit" in response.content.decode()
    assert not Appointment.objects.filter(client=charlie).exists()
    response = tom.post(
        "/appointments/book/" + other,
        {"slot": value, "fatigue_override_reason": "Client in crisis; agreed with supervisor"},
    )
    assert response.status_code == 302
    extra = Appointment.objects.get(client=charlie)
    assert extra.fatigue_override_reason == "Client in crisis; agreed with supervisor"


class _FakeTwilio(BaseHTTPRequestHandler):
    received: list[dict[str, Any]] = []

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        self.received.append(
            {
                "path": self.path,
                "auth": self.headers["Authorization"],
                "form": parse_qs(self.rfile.read(length).decode()),
            }
        )
        body = json.dumps({"sid": "SM123"}).encode()
        self.send_response(201)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def twilio(settings: Any) -> Iterator[list[dict[str, Any]]]:
    """A loopback HTTP server standing in for the provider's Messages API."""
    server = HTTPServer(("127.0.0.1", 0), _FakeTwilio)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.HEARTH_SMS_BACKEND = "twilio"
    settings.HEARTH_TWILIO_ACCOUNT_SID = "AC0001"
    settings.HEARTH_TWILIO_AUTH_TOKEN = "secret-token"
    settings.HEARTH_TWILIO_FROM = "+447700900000"
    settings.HEARTH_TWILIO_BASE_URL = f"http://127.0.0.1:{server.server_port}"
    _FakeTwilio.received = []
    try:
        yield _FakeTwilio.received
    finally:
        server.shutdown()


def test_twilio_adapter_posts_the_text(twilio: list[dict[str, Any]]) -> None:
    sid = get_sms_gateway().send(to="+447700900123", text="Reminder: your appointment")
    assert sid == "SM123"
    [request] = twilio
    assert request["path"] == "/2010-04-01/Accounts/AC0001/Messages.json"
    assert request["auth"].startswith("Basic ")
    assert request["form"] == {
        "To": ["+447700900123"],
        "From": ["+447700900000"],
        "Body": ["Reminder: your appointment"],
    }


def test_unknown_sms_backend_is_a_clear_error(settings: Any) -> None:
    settings.HEARTH_SMS_BACKEND = "pigeon"
    with pytest.raises(ValueError, match="Unknown HEARTH_SMS_BACKEND 'pigeon'"):
        get_sms_gateway()


def test_clinician_sets_hours_limits_and_time_off(
    cast: Cast, services: dict[str, ServiceType], as_persona: Any
) -> None:
    from hearth.scheduling.models import AvailabilityException, TherapistProfile

    tom = as_persona("tom")
    profile = TherapistProfile.objects.get(membership=cast.memberships["tom"])
    before = profile.working_hours.count()
    response = tom.post(
        "/calendar/availability/",
        {
            "action": "hours_add",
            "weekday": "5",
            "start_time": "10:00",
            "end_time": "13:00",
            "modalities": ["video", "audio"],
        },
    )
    assert response.status_code == 302
    saturday = profile.working_hours.get(weekday=5)
    assert (saturday.start_time.hour, saturday.end_time.hour) == (10, 13)
    # Overlapping hours on the same day, and end before start, are refused; nothing added.
    for start, end, error in [
        ("12:00", "14:00", "overlaps your hours 10:00–13:00"),
        ("15:00", "14:00", "end must be after the start"),
    ]:
        response = tom.post(
            "/calendar/availability/",
            {
                "action": "hours_add",
                "weekday": "5",
                "start_time": start,
                "end_time": end,
                "modalities": ["video"],
            },
        )
        assert response.status_code == 200 and error in response.content.decode()
    assert profile.working_hours.count() == before + 1
    # Time off is read in Tom's own zone (London, BST in July: 09:00 local = 08:00 UTC).
    tom.post(
        "/calendar/availability/",
        {
            "action": "exception_add",
            "kind": "time_off",
            "starts_local": "2027-07-05T09:00",
            "ends_local": "2027-07-05T17:00",
            "reason": "Training",
        },
    )
    off = AvailabilityException.objects.get(profile=profile)
    assert off.starts_at == utc(2027, 7, 5, 8)
    api = tom.get(
        f"/api/v1/slots/?service_type={services['Treatment'].pk}&modality=video"
        f"&therapist={cast.users['tom'].pk}&start=2027-07-05&days=1"
    )
    assert api.status_code == 200 and api.json() == []
    response = tom.post(
        "/calendar/availability/",
        {"action": "limits", "buffer_minutes": "99"},
    )
    assert response.status_code == 200
    profile.refresh_from_db()
    assert profile.buffer_minutes == 10
    tom.post(
        "/calendar/availability/",
        {"action": "limits", "buffer_minutes": "5", "max_daily_video_minutes": "240"},
    )
    profile.refresh_from_db()
    assert (profile.buffer_minutes, profile.max_daily_video_minutes) == (5, 240)
    assert as_persona("alice").get("/calendar/availability/").status_code == 403


def test_service_admin_configures_policy_and_services(
    cast: Cast, services: dict[str, ServiceType], as_persona: Any
) -> None:
    ada = as_persona("ada")
    form = {
        "action": "policy",
        "client_booking": "request",
        "late_cancellation_hours": "48",
        "minimum_notice_minutes": "120",
        "booking_horizon_days": "28",
        "slot_step_minutes": "30",
        "max_continuous_remote_minutes": "150",
        "min_break_minutes": "20",
        "max_daily_video_minutes": "240",
        "reminder_hours": "72, 24, 1.5",
    }
    assert ada.post("/settings/scheduling/", form).status_code == 302
    policy = SchedulingPolicy.objects.get(organisation=cast.organisations["riverside"])
    assert policy.client_booking == "request"
    assert policy.reminder_offsets == [4320, 1440, 90]
    assert AuditEvent.objects.filter(action="scheduling_policy.update").exists()
    # A reminder time that is not a number: a specific error, nothing changed.
    response = ada.post(
        "/settings/scheduling/", form | {"reminder_hours": "soon", "late_cancellation_hours": "1"}
    )
    assert response.status_code == 200
    assert "&#x27;soon&#x27; is not a number of hours" in response.content.decode()
    policy.refresh_from_db()
    assert policy.late_cancellation_hours == 48
    # Services: add, refuse a duplicate and impossible durations, change.
    service = {
        "action": "service",
        "name": "Couples session",
        "default_minutes": "75",
        "min_minutes": "60",
        "max_minutes": "90",
        "modalities": ["video", "in_person"],
        "fee_code": "CPL",
        "is_active": "on",
    }
    assert ada.post("/settings/scheduling/", service).status_code == 302
    couples = ServiceType.objects.get(name="Couples session")
    assert couples.modalities == ["in_person", "video"]
    response = ada.post("/settings/scheduling/", service | {"name": "couples SESSION"})
    assert "already a service with this name" in response.content.decode()
    response = ada.post("/settings/scheduling/", service | {"name": "Odd", "min_minutes": "80"})
    assert "shortest ≤ usual ≤ longest" in response.content.decode()
    assert not ServiceType.objects.filter(name="Odd").exists()
    ada.post("/settings/scheduling/", service | {"service": couples.pk, "is_active": ""})
    couples.refresh_from_db()
    assert couples.is_active is False
    for persona in ("tom", "alice", "cora"):
        assert as_persona(persona).get("/settings/scheduling/").status_code == 403
