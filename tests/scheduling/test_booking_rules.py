"""The booking rules, through the REST API: bad input, screen-fatigue limits, and how
clients may book.

Every refused booking gets a specific error and changes nothing: no appointment, no
reminder, no audited write. The one audit row a refused booking may leave is the audited
read of the client's record that the attempt made ("client_record.book"): the booker
did open that record, and a 409 can show the client's other appointment times, so that
read is logged on purpose. The tests say exactly which audit rows each attempt adds.

Dates are in January 2027 (London on GMT, so London time = UTC): Monday 11 January.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from hearth.accounts.personas import Cast
from hearth.governance.models import AuditEvent
from hearth.scheduling.models import (
    Appointment,
    AvailabilityException,
    Reminder,
    SchedulingPolicy,
    ServiceType,
    TherapistProfile,
)
from hearth.scheduling.search import open_slots
from tests.scheduling.conftest import utc

MONDAY = utc(2027, 1, 11)
APPOINTMENTS = "/api/v1/appointments/"
READ = "client_record.book"  # the audited read of the record a booking attempt makes


# --- helpers (also used by test_scheduling_api) -------------------------------------


@dataclass
class Ledger:
    """What a request may change: appointments, reminders and the audit log."""

    appointments: list[tuple[Any, ...]]
    reminders: list[tuple[Any, ...]]
    last_audit_seq: int

    @classmethod
    def take(cls) -> Ledger:
        return cls(
            appointments=list(
                Appointment.objects.order_by("pk").values_list(
                    "pk", "status", "starts_at", "ends_at", "sequence", "client_id"
                )
            ),
            reminders=list(
                Reminder.objects.order_by("pk").values_list("pk", "status", "sequence", "due_at")
            ),
            last_audit_seq=AuditEvent.objects.order_by("-seq").values_list("seq", flat=True)[0],
        )

    def new_audit(self) -> list[str]:
        return list(
            AuditEvent.objects.filter(seq__gt=self.last_audit_seq).values_list("action", flat=True)
        )

    def assert_unchanged(self, *, audit: list[str]) -> None:
        """Nothing booked, moved or reminded; exactly ``audit`` added to the log."""
        after = Ledger.take()
        assert after.appointments == self.appointments
        assert after.reminders == self.reminders
        assert self.new_audit() == audit


def policy(cast: Cast, **changes: Any) -> SchedulingPolicy:
    rules = SchedulingPolicy.objects.get(organisation=cast.organisations["riverside"])
    for name, value in changes.items():
        setattr(rules, name, value)
    rules.save()
    return rules


def profile_of(cast: Cast, key: str, **changes: Any) -> TherapistProfile:
    profile = TherapistProfile.objects.get(membership=cast.memberships[key])
    for name, value in changes.items():
        setattr(profile, name, value)
    profile.save()
    return profile


def at(day: datetime, hour: int, minute: int = 0) -> datetime:
    return day.replace(hour=hour, minute=minute)


def body(
    cast: Cast,
    services: dict[str, ServiceType],
    starts_at: datetime | str,
    *,
    client: str = "alice",
    therapist: str = "tom",
    service: str | ServiceType = "Treatment",
    modality: str = "video",
    **extra: Any,
) -> dict[str, Any]:
    return {
        "client_id": cast.records[client].pk,
        "therapist_id": cast.users[therapist].pk,
        "service_type_id": (service if isinstance(service, ServiceType) else services[service]).pk,
        "modality": modality,
        "starts_at": starts_at if isinstance(starts_at, str) else starts_at.isoformat(),
        **extra,
    }


def post(http: Client, data: dict[str, Any], query: str = "") -> Any:
    return http.post(APPOINTMENTS + query, data, content_type="application/json")


def booked(http: Client, data: dict[str, Any]) -> Appointment:
    response = post(http, data)
    assert response.status_code == 201, response.json()
    return Appointment.objects.get(pk=response.json()["id"])


def quarter_hour(moment: datetime) -> datetime:
    moment = moment.replace(second=0, microsecond=0)
    return moment + timedelta(minutes=-moment.minute % 15)


def open_extra_hours(cast: Cast, key: str, start: datetime, end: datetime) -> None:
    """Extra hours for ``key`` (whatever day and hour it is now), for tests near now."""
    AvailabilityException.objects.create(
        profile=profile_of(cast, key),
        kind=AvailabilityException.Kind.EXTRA,
        starts_at=start,
        ends_at=end,
    )


# --- 1. bad input ---------------------------------------------------------------------


@pytest.fixture
def calendar(cast: Cast, services: dict[str, ServiceType], as_persona: Any) -> dict[str, Any]:
    """Alice with Tom on Monday 10:00–10:50 and with Theo on Tuesday 10:00–10:50 (both
    booked by Tom, her therapist), and a video-only service that Tom offers."""
    tom = as_persona("tom")
    booked(tom, body(cast, services, at(MONDAY, 10)))
    booked(tom, body(cast, services, at(MONDAY + timedelta(days=1), 10), therapist="theo"))
    video_only = ServiceType.objects.create(
        organisation=cast.organisations["riverside"],
        name="Video group",
        default_minutes=60,
        min_minutes=45,
        max_minutes=90,
        modalities=["video"],
    )
    profile_of(cast, "tom").service_types.add(video_only)
    return {"tom": tom, "video_only": video_only}


def bad(name: str, changes: dict[str, Any], field: str, words: str, *, read: bool = True) -> Any:
    """A refused booking: ``changes`` to a good body (14:00 Monday, Treatment by video),
    the field the 400 names, words its message must contain, and whether the attempt got
    as far as the audited read of the client's record."""
    return pytest.param(changes, field, words, read, id=name)


BAD_BOOKINGS = [
    bad("in the past", {"starts_at": "2 hours ago"}, "starts_at", "This time is in the past."),
    bad(
        "before hours",
        {"starts_at": "2027-01-11T07:00:00+00:00"},
        "starts_at",
        "This time is outside the therapist's working hours.",
    ),
    bad(
        "running past the end of the day",
        {"starts_at": "2027-01-11T16:30:00+00:00"},
        "starts_at",
        "This time is outside the therapist's working hours.",
    ),
    bad(
        "on a Saturday",
        {"starts_at": "2027-01-16T10:00:00+00:00"},
        "starts_at",
        "This time is outside the therapist's working hours.",
    ),
    bad(
        "in person on a Monday",
        {"modality": "in_person"},
        "modality",
        "The therapist does not offer in person sessions at this time.",
    ),
    bad(
        "telephone for a video-only service",
        {"service": "Video group", "modality": "telephone"},
        "modality",
        "Video group is not offered as telephone.",
    ),
    bad("five minutes", {"minutes": 5}, "minutes", "Treatment lasts 30 to 60 minutes, not 5."),
    bad("two hours", {"minutes": 120}, "minutes", "Treatment lasts 30 to 60 minutes, not 120."),
    bad(
        "a time without an offset",
        {"starts_at": "2027-01-11T14:00:00"},
        "starts_at",
        "Give the time with its time zone offset.",
        read=False,
    ),
    bad(
        "a therapist of another organisation",
        {"therapist": "olive"},
        "therapist",
        "Choose a therapist from this service.",
    ),
    bad(
        "a service of another organisation",
        {"service": "Northgate's Treatment"},
        "service_type",
        "Choose a service this organisation offers.",
    ),
    bad(
        "an unknown time zone for the answer",
        {"query": "?tz=Mars/Olympus"},
        "tz",
        "Unknown time zone 'Mars/Olympus'.",
        read=False,
    ),
]


@pytest.mark.parametrize(("changes", "field", "message", "read"), BAD_BOOKINGS)
def test_bad_booking_gets_a_specific_error_and_changes_nothing(
    cast: Cast,
    services: dict[str, ServiceType],
    calendar: dict[str, Any],
    changes: dict[str, Any],
    field: str,
    message: str,
    read: bool,
) -> None:
    changes = dict(changes)
    query = changes.pop("query", "")
    service = {
        "Treatment": services["Treatment"],
        "Video group": calendar["video_only"],
        "Northgate's Treatment": ServiceType.objects.get(
            organisation=cast.organisations["northgate"], name="Treatment"
        ),
    }[changes.pop("service", "Treatment")]
    data = body(cast, services, at(MONDAY, 14), service=service)
    if "therapist" in changes:
        data["therapist_id"] = cast.users[changes.pop("therapist")].pk
    if changes.get("starts_at") == "2 hours ago":
        changes["starts_at"] = (timezone.now() - timedelta(hours=2)).isoformat()
    data |= changes
    ledger = Ledger.take()

    response = post(calendar["tom"], data, query)

    assert response.status_code == 400
    assert response.json() == {field: [message]}
    ledger.assert_unchanged(audit=[READ] if read else [])


@pytest.mark.parametrize(
    ("start", "what"),
    [
        (at(MONDAY, 10, 30), "overlapping the booking"),
        (at(MONDAY, 9, 5), "ending five minutes before it (buffer 10)"),
        (at(MONDAY, 10, 55), "starting five minutes after it (buffer 10)"),
    ],
)
def test_a_taken_slot_or_its_buffer_is_a_409_naming_the_conflict(
    cast: Cast,
    services: dict[str, ServiceType],
    calendar: dict[str, Any],
    as_persona: Any,
    start: datetime,
    what: str,
) -> None:
    # Ada books Charlie with Tom, so the clash is Tom's, not the client's.
    ada = as_persona("ada")
    ledger = Ledger.take()
    response = post(ada, body(cast, services, start, client="charlie"))
    assert response.status_code == 409, what
    assert response.json() == {
        "detail": "The therapist is already booked from Mon 11 Jan 10:00 to 10:50 "
        "(with 10 minutes between sessions).",
        "code": "therapist_busy",
    }
    ledger.assert_unchanged(audit=[READ])
    # Just outside the buffer is free.
    assert post(ada, body(cast, services, at(MONDAY, 11), client="charlie")).status_code == 201


def test_the_client_already_booked_with_another_therapist_is_a_409(
    cast: Cast, services: dict[str, ServiceType], calendar: dict[str, Any]
) -> None:
    tuesday = MONDAY + timedelta(days=1)
    ledger = Ledger.take()
    # Tom is free on Tuesday at 10:30; Alice is with Theo from 10:00 to 10:50.
    response = post(calendar["tom"], body(cast, services, at(tuesday, 10, 30)))
    assert response.status_code == 409
    assert response.json() == {
        "detail": "The client already has an appointment from Tue 12 Jan 10:00 to 10:50.",
        "code": "client_busy",
    }
    ledger.assert_unchanged(audit=[READ])
    # A cancelled appointment holds nothing: once it is gone, the time can be booked.
    theirs = Appointment.objects.get(therapist=cast.users["theo"])
    cancel = calendar["tom"].post(
        f"{APPOINTMENTS}{theirs.pk}/cancel/", {"reason": "Moving to Tom"}, "application/json"
    )
    assert cancel.status_code == 200
    assert post(calendar["tom"], body(cast, services, at(tuesday, 10, 30))).status_code == 201


def test_a_client_of_another_organisation_or_another_therapist_is_not_found(
    cast: Cast, services: dict[str, ServiceType], calendar: dict[str, Any], as_persona: Any
) -> None:
    # Charlie is Theo's client: to Tom his record does not exist (404), and the attempt
    # is recorded as a security event, not as a read.
    olive, cora = as_persona("olive"), as_persona("cora")
    ledger = Ledger.take()
    response = post(calendar["tom"], body(cast, services, at(MONDAY, 14), client="charlie"))
    assert response.status_code == 404
    ledger.assert_unchanged(audit=["access.denied"])
    # Olive (Northgate) cannot book a Riverside client with a Riverside therapist.
    northgate_treatment = ServiceType.objects.get(
        organisation=cast.organisations["northgate"], name="Treatment"
    )
    response = post(olive, body(cast, services, at(MONDAY, 14), service=northgate_treatment))
    assert response.status_code == 404
    ledger.assert_unchanged(audit=["access.denied", "access.denied"])
    # Commissioners do not book at all.
    response = post(cora, body(cast, services, at(MONDAY, 14)))
    assert response.status_code == 403
    assert response.json() == {"detail": "Your role cannot use this endpoint."}
    ledger.assert_unchanged(audit=["access.denied", "access.denied"])


# --- 2. screen-fatigue limits ---------------------------------------------------------


@pytest.fixture
def tight(cast: Cast, services: dict[str, ServiceType], as_persona: Any) -> dict[str, Any]:
    """At most 120 minutes of remote sessions without a 30-minute break and 2 hours of
    video a day; no buffer. Ada has booked Charlie with Tom 09:00–09:50 and 10:00–10:50,
    by video: a run of 110 minutes (a 10-minute gap is no break)."""
    policy(
        cast,
        max_continuous_remote_minutes=120,
        min_break_minutes=30,
        max_daily_video_minutes=120,
        booking_horizon_days=400,
    )
    profile_of(cast, "tom", buffer_minutes=0)
    ada = as_persona("ada")
    for hour in (9, 10):
        booked(ada, body(cast, services, at(MONDAY, hour), client="charlie"))
    return {"alice": as_persona("alice"), "tom": as_persona("tom")}


CONTINUOUS = (
    "This would make more than 120 minutes of remote sessions without a break of at least "
    "30 minutes."
)
DAILY_VIDEO = "This would take video sessions that day past the limit of 2 hours."


@pytest.mark.parametrize(
    ("start", "modality", "problem"),
    [
        (at(MONDAY, 11), "video", CONTINUOUS),
        (at(MONDAY, 11, 15), "audio", CONTINUOUS),  # a 25-minute gap is still no break
        (at(MONDAY, 11, 30), "video", DAILY_VIDEO),  # after a break, but 150 min of video
    ],
)
def test_a_client_cannot_book_past_a_fatigue_limit(
    cast: Cast,
    services: dict[str, ServiceType],
    tight: dict[str, Any],
    start: datetime,
    modality: str,
    problem: str,
) -> None:
    ledger = Ledger.take()
    response = post(tight["alice"], body(cast, services, start, modality=modality))
    assert response.status_code == 400
    assert response.json() == {"starts_at": [f"{problem} Please choose another time."]}
    ledger.assert_unchanged(audit=[READ])


def test_within_the_limits_a_client_books(
    cast: Cast, services: dict[str, ServiceType], tight: dict[str, Any], as_persona: Any
) -> None:
    # Audio after a 40-minute break: a new run, and audio does not count as video.
    appointment = booked(tight["alice"], body(cast, services, at(MONDAY, 11, 30), modality="audio"))
    assert appointment.fatigue_override_reason == ""
    # In person counts towards neither limit: on Tuesday (in-person day) after the same
    # two video sessions, 11:00 in person is fine where 11:00 by video is not.
    tuesday = MONDAY + timedelta(days=1)
    for hour in (9, 10):
        booked(as_persona("ada"), body(cast, services, at(tuesday, hour), client="charlie"))
    assert post(tight["alice"], body(cast, services, at(tuesday, 11))).status_code == 400
    in_person = booked(tight["alice"], body(cast, services, at(tuesday, 11), modality="in_person"))
    assert in_person.modality == "in_person"


def test_staff_must_give_a_reason_to_book_past_a_fatigue_limit(
    cast: Cast, services: dict[str, ServiceType], tight: dict[str, Any]
) -> None:
    ledger = Ledger.take()
    for reason in (None, "   "):
        extra = {} if reason is None else {"fatigue_override_reason": reason}
        response = post(tight["tom"], body(cast, services, at(MONDAY, 11), **extra))
        assert response.status_code == 400
        assert response.json() == {
            "fatigue_override_reason": [f"{CONTINUOUS} Give a reason to book it anyway."]
        }
    ledger.assert_unchanged(audit=[READ, READ])

    reason = "Client in crisis; only time available this week."
    appointment = booked(
        tight["tom"], body(cast, services, at(MONDAY, 11), fatigue_override_reason=reason)
    )
    assert appointment.fatigue_override_reason == reason
    assert appointment.booked_by == cast.users["tom"]
    event = AuditEvent.objects.get(action="appointment.book", object_id=str(appointment.pk))
    assert event.changes["fatigue_override"] is True
    # A booking within the limits records no override, whatever reason is sent.
    within = booked(
        tight["tom"],
        body(
            cast,
            services,
            at(MONDAY + timedelta(days=2), 9),
            fatigue_override_reason="Not needed",
        ),
    )
    assert within.fatigue_override_reason == ""
    event = AuditEvent.objects.get(action="appointment.book", object_id=str(within.pk))
    assert event.changes["fatigue_override"] is False


def test_a_therapists_own_tighter_limits_apply_when_the_organisations_are_looser(
    cast: Cast, services: dict[str, ServiceType], as_persona: Any
) -> None:
    # The organisation's defaults: 180 continuous minutes (15-minute break), 5 h of video.
    rules = policy(cast, booking_horizon_days=400)
    assert (rules.max_continuous_remote_minutes, rules.max_daily_video_minutes) == (180, 300)
    profile_of(cast, "tom", max_continuous_remote_minutes=60, max_daily_video_minutes=90)
    ada, alice, charlie = as_persona("ada"), as_persona("alice"), as_persona("charlie")
    booked(ada, body(cast, services, at(MONDAY, 9), client="charlie"))  # Tom 09:00–09:50
    booked(ada, body(cast, services, at(MONDAY, 9), therapist="theo"))  # Theo 09:00–09:50

    # 10:00 after 09:00–09:50 is a 110-minute run: over Tom's 60, under the org's 180.
    ledger = Ledger.take()
    response = post(alice, body(cast, services, at(MONDAY, 10)))
    assert response.status_code == 400
    assert "more than 60 minutes of remote sessions" in response.json()["starts_at"][0]
    # 14:00 is after a break, but 50 + 50 minutes of video is over Tom's 1.5 hours.
    response = post(alice, body(cast, services, at(MONDAY, 14)))
    assert response.status_code == 400
    assert "past the limit of 1.5 hours" in response.json()["starts_at"][0]
    ledger.assert_unchanged(audit=[READ, READ])
    # Theo has no limits of his own: the same pattern is fine with him.
    booked(charlie, body(cast, services, at(MONDAY, 10), client="charlie", therapist="theo"))
    booked(charlie, body(cast, services, at(MONDAY, 14), client="charlie", therapist="theo"))
    # The slot search applies the same limits: after 09:00–09:50 any second 50-minute
    # video session that day would pass Tom's 1.5 hours, so he offers none.
    offered = open_slots(
        membership=cast.memberships["ada"],
        service_type=services["Treatment"],
        modality="video",
        start=MONDAY,
        end=MONDAY + timedelta(days=1),
    )
    by_therapist = Counter(s.therapist_id for s in offered)
    assert by_therapist[cast.users["tom"].pk] == 0
    assert by_therapist[cast.users["sam"].pk] > 0


# --- 3. how clients book --------------------------------------------------------------


def test_clients_book_open_slots_for_themselves_only(
    cast: Cast, services: dict[str, ServiceType], as_persona: Any
) -> None:
    policy(cast, client_booking="book", booking_horizon_days=400)
    charlie_before = Appointment.objects.filter(client=cast.records["charlie"]).count()
    # Alice sends Charlie's record id: it is ignored, the booking is hers.
    appointment = booked(
        as_persona("alice"), body(cast, services, at(MONDAY, 10), client="charlie")
    )
    assert appointment.status == "booked"
    assert appointment.client == cast.records["alice"]
    assert appointment.booked_by == appointment.modality_chosen_by == cast.users["alice"]
    assert Appointment.objects.filter(client=cast.records["charlie"]).count() == charlie_before
    assert appointment.reminders.filter(status="pending").count() == 2  # 48 h and 2 h, email
    assert AuditEvent.objects.filter(
        action="appointment.book", object_id=str(appointment.pk), actor_id=cast.users["alice"].pk
    ).exists()
    # Charlie can neither see nor cancel nor move nor confirm Alice's appointment.
    charlie = as_persona("charlie")
    ledger = Ledger.take()
    url = f"{APPOINTMENTS}{appointment.pk}/"
    assert charlie.get(url).status_code == 404
    assert charlie.post(url + "cancel/", {"reason": "x"}, "application/json").status_code == 404
    assert (
        charlie.post(
            url + "reschedule/",
            {"starts_at": at(MONDAY, 14).isoformat(), "reason": "x"},
            "application/json",
        ).status_code
        == 404
    )
    listed = charlie.get(APPOINTMENTS + "?start=2027-01-11&days=7").json()
    assert appointment.pk not in [row["id"] for row in listed]
    # Three refusals, and Charlie's own (empty) list read.
    ledger.assert_unchanged(
        audit=["access.denied", "access.denied", "access.denied", "appointment.list"]
    )
    # Alice sees her own.
    assert as_persona("alice").get(url).json()["client_name"] == "Alice Ashworth"


def test_where_clients_request_staff_confirm(
    cast: Cast, services: dict[str, ServiceType], as_persona: Any
) -> None:
    policy(cast, client_booking="request", booking_horizon_days=400)
    alice = as_persona("alice")
    response = post(alice, body(cast, services, at(MONDAY, 10)))
    assert response.status_code == 201
    assert response.json()["status"] == "requested"
    request = Appointment.objects.get(pk=response.json()["id"])
    assert AuditEvent.objects.filter(
        action="appointment.request", object_id=str(request.pk)
    ).exists()
    # Not confirmed, so nothing to remind her of yet; but the time is held.
    assert not request.reminders.exists()
    clash = post(as_persona("ada"), body(cast, services, at(MONDAY, 10), client="charlie"))
    assert clash.status_code == 409
    # The client cannot confirm her own request.
    confirm = f"{APPOINTMENTS}{request.pk}/confirm/"
    assert alice.post(confirm).status_code == 403
    request.refresh_from_db()
    assert request.status == "requested"
    # Staff confirm it; then it is booked and reminders are due.
    response = as_persona("tom").post(confirm)
    assert response.status_code == 200
    assert response.json()["status"] == "booked"
    request.refresh_from_db()
    assert request.status == "booked"
    assert request.reminders.filter(status="pending").count() == 2
    assert AuditEvent.objects.filter(
        action="appointment.confirm", object_id=str(request.pk)
    ).exists()
    # Confirming twice is refused.
    again = as_persona("tom").post(confirm)
    assert again.status_code == 400
    assert "Only a requested appointment can be confirmed" in str(again.json())


def test_where_staff_book_all_appointments_clients_are_told_so(
    cast: Cast, services: dict[str, ServiceType], as_persona: Any
) -> None:
    policy(cast, client_booking="off", booking_horizon_days=400)
    alice = as_persona("alice")
    ledger = Ledger.take()
    response = post(alice, body(cast, services, at(MONDAY, 10)))
    assert response.status_code == 403
    assert response.json() == {"detail": "Appointments with this service are booked by staff."}
    ledger.assert_unchanged(audit=[READ])
    # Staff still book.
    assert post(as_persona("tom"), body(cast, services, at(MONDAY, 10))).status_code == 201


def test_clients_book_within_the_notice_and_the_horizon(
    cast: Cast, services: dict[str, ServiceType], as_persona: Any
) -> None:
    policy(cast, booking_horizon_days=3, minimum_notice_minutes=60)
    now = timezone.now()
    open_extra_hours(cast, "tom", now, now + timedelta(hours=6))
    alice = as_persona("alice")
    ledger = Ledger.take()
    too_soon = post(alice, body(cast, services, quarter_hour(now + timedelta(minutes=20))))
    assert too_soon.status_code == 400
    assert too_soon.json() == {"starts_at": ["Book at least 60 minutes ahead."]}
    too_far = post(alice, body(cast, services, at(MONDAY, 10)))
    assert too_far.status_code == 400
    assert too_far.json() == {"starts_at": ["Book at most 3 days ahead."]}
    ledger.assert_unchanged(audit=[READ, READ])
    # Staff are not held to the client's notice or horizon.
    tom = as_persona("tom")
    assert (
        post(tom, body(cast, services, quarter_hour(now + timedelta(minutes=20)))).status_code
        == 201
    )
    assert post(tom, body(cast, services, at(MONDAY, 10))).status_code == 201
    # A client's booking two hours ahead is fine.
    assert (
        post(
            alice, body(cast, services, quarter_hour(now + timedelta(hours=2)), client="alice")
        ).status_code
        == 201
    )
