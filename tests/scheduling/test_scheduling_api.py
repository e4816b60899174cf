"""The scheduling REST API: rescheduling, cancelling, attendance, open-slot search and
the OpenAPI schema.

Dates are in January 2027 (London on GMT, so London time = UTC) unless a test needs a
time near now; then it opens extra hours for the therapist around now.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from hearth.accounts.personas import Cast
from hearth.governance.models import AuditEvent
from hearth.scheduling.models import (
    Appointment,
    AppointmentStatus,
    AvailabilityException,
    Reminder,
    ServiceType,
)
from hearth.scheduling.reminders import reminders_send_due
from tests.scheduling.test_booking_rules import (
    APPOINTMENTS,
    MONDAY,
    Ledger,
    at,
    body,
    booked,
    open_extra_hours,
    policy,
    post,
    profile_of,
    quarter_hour,
)

SLOTS = "/api/v1/slots/"


def act(http: Client, appointment: Appointment, action: str, data: Any = None) -> Any:
    return http.post(f"{APPOINTMENTS}{appointment.pk}/{action}/", data or {}, "application/json")


def reschedule(http: Client, appointment: Appointment, starts_at: datetime, reason: str) -> Any:
    return act(
        http, appointment, "reschedule", {"starts_at": starts_at.isoformat(), "reason": reason}
    )


def move_into_the_past(appointment: Appointment, starts_at: datetime) -> Appointment:
    """Time passes: the appointment (and its reminders) now lie behind us."""
    shift = starts_at - appointment.starts_at
    Appointment.objects.filter(pk=appointment.pk).update(
        starts_at=starts_at,
        ends_at=appointment.ends_at + shift,
        blocked_until=appointment.blocked_until + shift,
    )
    for reminder in appointment.reminders.all():
        Reminder.objects.filter(pk=reminder.pk).update(due_at=reminder.due_at + shift)
    appointment.refresh_from_db()
    return appointment


@pytest.fixture
def monday(cast: Cast, services: dict[str, ServiceType], as_persona: Any) -> Appointment:
    """Alice with Tom, Monday 11 January 2027, 10:00–10:50 by video, booked by Tom."""
    return booked(as_persona("tom"), body(cast, services, at(MONDAY, 10)))


# --- 4. reschedule and cancel ---------------------------------------------------------


def test_moving_or_cancelling_needs_a_reason(
    cast: Cast, monday: Appointment, as_persona: Any
) -> None:
    tom = as_persona("tom")
    ledger = Ledger.take()
    for data in ({}, {"reason": ""}, {"reason": "   "}):
        response = act(tom, monday, "cancel", data)
        assert response.status_code == 400
        assert list(response.json()) == ["reason"]
        move = {"starts_at": at(MONDAY, 14).isoformat(), **data}
        response = act(tom, monday, "reschedule", move)
        assert response.status_code == 400
        assert list(response.json()) == ["reason"]
    ledger.assert_unchanged(audit=[])


def test_rescheduling_moves_the_reminders_with_the_appointment(
    cast: Cast, services: dict[str, ServiceType], monday: Appointment, as_persona: Any
) -> None:
    old = {r.pk: r.due_at for r in monday.reminders.all()}
    assert sorted(old.values()) == [at(MONDAY, 10) - timedelta(hours=48), at(MONDAY, 8)]
    wednesday_2pm = at(MONDAY + timedelta(days=2), 14)

    response = reschedule(as_persona("tom"), monday, wednesday_2pm, "Tom is in training")

    assert response.status_code == 200, response.json()
    assert response.json()["starts_at"] == "2027-01-13T14:00:00+00:00"
    assert response.json()["sequence"] == 1
    monday.refresh_from_db()
    assert (monday.starts_at, monday.ends_at) == (wednesday_2pm, at(wednesday_2pm, 14, 50))
    assert monday.status == "booked"
    assert set(Reminder.objects.filter(pk__in=old).values_list("status", "note", "sequence")) == {
        ("skipped", "moved", 0)
    }
    new = monday.reminders.exclude(pk__in=old)
    assert sorted(new.values_list("status", "sequence", "due_at")) == [
        ("pending", 1, wednesday_2pm - timedelta(hours=48)),
        ("pending", 1, wednesday_2pm - timedelta(hours=2)),
    ]
    event = AuditEvent.objects.get(action="appointment.reschedule")
    assert event.actor_id == cast.users["tom"].pk
    assert event.changes["reason"] == "Tom is in training"
    assert event.changes["old_starts_at"] == str(at(MONDAY, 10))
    # The old time is free again.
    ada = as_persona("ada")
    assert post(ada, body(cast, services, at(MONDAY, 10), client="charlie")).status_code == 201


def test_rescheduling_onto_a_taken_slot_is_a_409_and_changes_nothing(
    cast: Cast, services: dict[str, ServiceType], monday: Appointment, as_persona: Any
) -> None:
    booked(as_persona("ada"), body(cast, services, at(MONDAY, 14), client="charlie"))
    tom = as_persona("tom")
    ledger = Ledger.take()
    response = reschedule(tom, monday, at(MONDAY, 14, 30), "Alice asked for the afternoon")
    assert response.status_code == 409
    assert response.json()["code"] == "therapist_busy"
    assert "already booked from Mon 11 Jan 14:00 to 14:50" in response.json()["detail"]
    # The audited look at the appointment is the only trace: not moved, not re-reminded.
    ledger.assert_unchanged(audit=["appointment.change_view"])
    # Moving within its own time (overlapping only itself) is fine.
    response = reschedule(tom, monday, at(MONDAY, 10, 15), "A little later")
    assert response.status_code == 200
    assert response.json()["starts_at"] == "2027-01-11T10:15:00+00:00"


def test_a_client_cancelling_late_is_marked_late_and_staff_cancel_for_the_service(
    cast: Cast, services: dict[str, ServiceType], as_persona: Any
) -> None:
    now = timezone.now()
    open_extra_hours(cast, "tom", now, now + timedelta(hours=8))
    alice, tom = as_persona("alice"), as_persona("tom")
    soon = booked(alice, body(cast, services, quarter_hour(now + timedelta(hours=2))))
    later = booked(alice, body(cast, services, quarter_hour(now + timedelta(hours=5))))
    policy(cast, booking_horizon_days=400)
    far = booked(alice, body(cast, services, at(MONDAY, 10)))

    # Inside the 24 hours' notice: a late cancellation by the client.
    response = act(alice, soon, "cancel", {"reason": "Feeling unwell"})
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled_client"
    assert response.json()["late_cancellation"] is True
    soon.refresh_from_db()
    assert soon.cancelled_by == cast.users["alice"]
    assert soon.cancellation_reason == "Feeling unwell"
    assert soon.cancelled_at is not None
    assert set(soon.reminders.values_list("status", "note")) <= {("skipped", "cancelled")}
    event = AuditEvent.objects.get(action="appointment.cancel", object_id=str(soon.pk))
    assert event.changes == {"by": "client", "late": True}
    # Weeks ahead: not late.
    response = act(alice, far, "cancel", {"reason": "Moving away"})
    assert response.json()["late_cancellation"] is False
    # Staff cancel for the service, never "late", however close.
    response = act(tom, later, "cancel", {"reason": "Tom is ill"})
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled_service"
    assert response.json()["late_cancellation"] is False
    later.refresh_from_db()
    assert later.cancelled_by == cast.users["tom"]
    # Twice is refused, by anyone, and changes nothing.
    ledger = Ledger.take()
    for who, appointment in ((tom, later), (alice, soon), (tom, soon)):
        response = act(who, appointment, "cancel", {"reason": "Again"})
        assert response.status_code == 400
        assert "already cancelled" in str(response.json())
    ledger.assert_unchanged(audit=["appointment.change_view"] * 3)
    assert Appointment.objects.get(pk=soon.pk).cancellation_reason == "Feeling unwell"


def test_a_client_cannot_cancel_or_move_an_appointment_that_has_begun(
    cast: Cast, services: dict[str, ServiceType], monday: Appointment, as_persona: Any
) -> None:
    # A missed session must stay a matter of attendance, not become a cancellation.
    policy(cast, booking_horizon_days=400)
    missed = move_into_the_past(monday, quarter_hour(timezone.now() - timedelta(hours=3)))
    alice = as_persona("alice")
    ledger = Ledger.take()
    response = act(alice, missed, "cancel", {"reason": "Forgot"})
    assert response.status_code == 400
    assert "has started or ended" in str(response.json())
    response = reschedule(alice, missed, at(MONDAY, 14), "Forgot")
    assert response.status_code == 400
    assert "already started" in str(response.json())
    ledger.assert_unchanged(audit=["appointment.change_view"] * 2)


def test_a_client_moving_an_appointment_follows_the_booking_rule(
    cast: Cast, services: dict[str, ServiceType], monday: Appointment, as_persona: Any
) -> None:
    alice, tom = as_persona("alice"), as_persona("tom")
    policy(cast, client_booking="off", booking_horizon_days=400)
    ledger = Ledger.take()
    response = reschedule(alice, monday, at(MONDAY, 14), "Work")
    assert response.status_code == 403
    assert response.json() == {"detail": "Appointments with this service are booked by staff."}
    ledger.assert_unchanged(audit=["appointment.change_view"])
    # Where clients request, a client's move is a new request for staff to confirm.
    policy(cast, client_booking="request")
    response = reschedule(alice, monday, at(MONDAY, 14), "Work")
    assert response.status_code == 200
    assert response.json()["status"] == "requested"
    assert not monday.reminders.filter(status="pending").exists()
    assert act(tom, monday, "confirm").json()["status"] == "booked"
    assert monday.reminders.filter(status="pending", sequence=1).count() == 2
    # Where clients book, they move it themselves.
    policy(cast, client_booking="book")
    response = reschedule(alice, monday, at(MONDAY, 15), "Work again")
    assert (response.status_code, response.json()["status"]) == (200, "booked")
    assert response.json()["sequence"] == 2


def test_a_request_whose_time_has_passed_cannot_be_confirmed(
    cast: Cast, services: dict[str, ServiceType], as_persona: Any
) -> None:
    policy(cast, client_booking="request", booking_horizon_days=400)
    response = post(as_persona("alice"), body(cast, services, at(MONDAY, 10)))
    request = Appointment.objects.get(pk=response.json()["id"])
    move_into_the_past(request, quarter_hour(timezone.now() - timedelta(hours=1)))
    tom = as_persona("tom")
    ledger = Ledger.take()
    response = act(tom, request, "confirm")
    assert response.status_code == 400
    assert "The requested time has passed" in str(response.json())
    ledger.assert_unchanged(audit=["appointment.change_view"])


# --- 5. attendance --------------------------------------------------------------------


def test_attendance_is_recorded_by_the_clinician_after_the_start(
    cast: Cast, services: dict[str, ServiceType], monday: Appointment, as_persona: Any
) -> None:
    tom = as_persona("tom")
    others = {key: as_persona(key) for key in ("alice", "ada", "cora", "theo", "charlie")}
    ledger = Ledger.take()
    # Not before it starts.
    response = act(tom, monday, "attendance", {"status": "attended"})
    assert response.status_code == 400
    assert "once the appointment has started" in str(response.json())
    # Only clinicians: a client, a service admin and a commissioner are refused outright.
    for key in ("alice", "ada", "cora", "charlie"):
        response = act(others[key], monday, "attendance", {"status": "dna"})
        assert response.status_code == 403, key
    # Theo cannot see Alice's appointment with Tom at all.
    assert act(others["theo"], monday, "attendance", {"status": "dna"}).status_code == 404
    # Only "attended" or "did not attend".
    response = act(tom, monday, "attendance", {"status": "cancelled_client"})
    assert response.status_code == 400
    ledger.assert_unchanged(audit=["appointment.change_view", "access.denied"])

    move_into_the_past(monday, quarter_hour(timezone.now() - timedelta(hours=2)))
    response = act(tom, monday, "attendance", {"status": "attended"})
    assert response.status_code == 200
    assert response.json()["status"] == "attended"
    event = AuditEvent.objects.get(action="appointment.attendance", object_id=str(monday.pk))
    assert event.actor_id == cast.users["tom"].pk
    assert event.changes == {"old": "booked", "new": "attended"}
    # Sam (Tom's supervisor) may correct it.
    response = act(as_persona("sam"), monday, "attendance", {"status": "dna"})
    assert response.status_code == 200
    monday.refresh_from_db()
    assert monday.status == "dna"
    assert AuditEvent.objects.filter(action="appointment.attendance").count() == 2


def test_a_therapist_records_attendance_only_of_their_own_sessions(
    cast: Cast, services: dict[str, ServiceType], as_persona: Any
) -> None:
    # Charlie (Theo's client) sees Tom once; Theo can see that appointment, being
    # Charlie's therapist, but it is Tom's session to record.
    session = booked(as_persona("ada"), body(cast, services, at(MONDAY, 10), client="charlie"))
    move_into_the_past(session, quarter_hour(timezone.now() - timedelta(hours=2)))
    theo = as_persona("theo")
    assert theo.get(f"{APPOINTMENTS}{session.pk}/").status_code == 200
    response = act(theo, session, "attendance", {"status": "dna"})
    assert response.status_code == 403
    session.refresh_from_db()
    assert session.status == "booked"
    assert act(as_persona("tom"), session, "attendance", {"status": "dna"}).status_code == 200


def test_a_past_appointment_is_never_marked_dna_by_itself(
    cast: Cast, services: dict[str, ServiceType], monday: Appointment, as_persona: Any
) -> None:
    missed = move_into_the_past(monday, quarter_hour(timezone.now() - timedelta(hours=1)))
    assert missed.reminders.filter(status="pending", due_at__lt=timezone.now()).exists()
    # The reminder worker runs (and skips reminders of a past appointment), slots are
    # searched, calendars listed: the appointment stays booked.
    reminders_send_due("test-worker")
    assert not missed.reminders.filter(status="pending").exists()
    tom = as_persona("tom")
    query = f"?service_type={monday.service_type_id}&modality=video&days=2"
    assert tom.get(SLOTS + query).status_code == 200
    listed = tom.get(APPOINTMENTS + f"?start={missed.starts_at.date()}&days=2").json()
    assert [(row["id"], row["status"]) for row in listed] == [(missed.pk, "booked")]
    missed.refresh_from_db()
    assert missed.status == AppointmentStatus.BOOKED
    assert not AuditEvent.objects.filter(action="appointment.attendance").exists()


# --- 6. open-slot search --------------------------------------------------------------


def slots(http: Client, services: dict[str, ServiceType], query: str = "", **params: Any) -> Any:
    params = {"service_type": services["Treatment"].pk, "modality": "video", **params}
    response = http.get(SLOTS, params)
    assert response.status_code == 200, response.json()
    return response.json()


def test_slots_of_one_therapist_and_of_all_in_the_viewers_zone(
    cast: Cast, services: dict[str, ServiceType], as_persona: Any
) -> None:
    ada = as_persona("ada")
    tom_id = cast.users["tom"].pk
    one = slots(ada, services, therapist=tom_id, start="2027-01-11", days=1, tz="Europe/London")
    # 09:00 to 16:00 every 15 minutes: 29 slots of 50 minutes.
    assert len(one) == 29
    assert {s["therapist_id"] for s in one} == {tom_id}
    assert (one[0]["starts_at"], one[0]["ends_at"]) == (
        "2027-01-11T09:00:00+00:00",
        "2027-01-11T09:50:00+00:00",
    )
    assert one[-1]["starts_at"] == "2027-01-11T16:00:00+00:00"
    assert one[0]["therapist_name"] == "Tom Turner"
    # The same, for a viewer in New York (EST, UTC-5, in January).
    new_york = slots(
        ada,
        services,
        therapist=tom_id,
        start="2027-01-11T00:00:00+00:00",
        days=1,
        tz="America/New_York",
    )
    assert [s["starts_at"][:19] for s in new_york][:2] == [
        "2027-01-11T04:00:00",
        "2027-01-11T04:15:00",
    ]
    assert all(s["starts_at"].endswith("-05:00") for s in new_york)
    assert len(new_york) == 29
    # Everyone who offers the service in this organisation, never another's.
    everyone = slots(ada, services, start="2027-01-11", days=1, tz="Europe/London")
    counts = Counter(s["therapist_id"] for s in everyone)
    assert counts == {
        cast.users["tom"].pk: 29,
        cast.users["theo"].pk: 29,
        cast.users["sam"].pk: 29,
    }
    assert [s["starts_at"] for s in everyone] == sorted(s["starts_at"] for s in everyone)
    # A therapist of another organisation has no slots here.
    assert slots(ada, services, therapist=cast.users["olive"].pk, start="2027-01-11") == []


def test_time_off_removes_slots_and_extra_hours_add_them(
    cast: Cast, services: dict[str, ServiceType], as_persona: Any
) -> None:
    tom = as_persona("tom")
    profile = profile_of(cast, "tom")
    monday = {"therapist": cast.users["tom"].pk, "start": "2027-01-11", "days": 1}
    AvailabilityException.objects.create(
        profile=profile, kind="time_off", starts_at=at(MONDAY, 12), ends_at=at(MONDAY, 14)
    )
    starts = [s["starts_at"][11:16] for s in slots(tom, services, **monday)]
    assert "11:00" in starts and "14:00" in starts
    assert not [s for s in starts if "11:15" <= s < "14:00"]
    # Saturday: nothing, until extra hours are opened.
    saturday = {"therapist": cast.users["tom"].pk, "start": "2027-01-16", "days": 1}
    assert slots(tom, services, **saturday) == []
    AvailabilityException.objects.create(
        profile=profile,
        kind="extra",
        starts_at=at(MONDAY + timedelta(days=5), 10),
        ends_at=at(MONDAY + timedelta(days=5), 12),
        modalities=["video"],
    )
    starts = [s["starts_at"][11:16] for s in slots(tom, services, **saturday)]
    assert starts == ["10:00", "10:15", "10:30", "10:45", "11:00"]
    # Extra hours for video only: no audio slots on Saturday.
    assert slots(tom, services, modality="audio", **saturday) == []
    # And they can be booked.
    booked(tom, body(cast, services, at(MONDAY + timedelta(days=5), 10, 30)))


def test_extra_hours_next_to_working_hours_make_one_longer_window(
    cast: Cast, services: dict[str, ServiceType], as_persona: Any
) -> None:
    """Extra hours that overlap or follow the working day add time, once: no slot twice,
    and a session may run across the join."""
    tom = as_persona("tom")
    profile = profile_of(cast, "tom")
    tuesday, wednesday = MONDAY + timedelta(days=1), MONDAY + timedelta(days=2)
    AvailabilityException.objects.create(
        profile=profile, kind="extra", starts_at=at(tuesday, 16), ends_at=at(tuesday, 19)
    )
    AvailabilityException.objects.create(
        profile=profile, kind="extra", starts_at=at(wednesday, 17), ends_at=at(wednesday, 18)
    )
    found = slots(tom, services, therapist=cast.users["tom"].pk, start="2027-01-12", days=2)
    starts = [s["starts_at"] for s in found]
    assert len(starts) == len(set(starts))
    assert "2027-01-12T18:00:00+00:00" in starts  # the last of 09:00–19:00
    assert "2027-01-13T16:45:00+00:00" in starts  # runs from the day into the extra hour
    assert "2027-01-13T17:15:00+00:00" not in starts  # would end after 18:00
    booked(tom, body(cast, services, at(wednesday, 16, 45)))


def test_clients_see_slots_within_the_notice_and_the_horizon_only(
    cast: Cast, services: dict[str, ServiceType], as_persona: Any
) -> None:
    policy(cast, minimum_notice_minutes=60, booking_horizon_days=3)
    now = timezone.now()
    open_extra_hours(cast, "tom", now, now + timedelta(hours=4))
    query = {"therapist": cast.users["tom"].pk, "start": now.isoformat(), "days": 7}

    def moments(who: str) -> list[datetime]:
        found = slots(as_persona(who), services, **query)
        return [datetime.fromisoformat(s["starts_at"]) for s in found]

    client_view, staff_view = moments("alice"), moments("tom")
    assert client_view and staff_view
    assert min(client_view) >= now + timedelta(minutes=60)
    assert max(client_view) <= now + timedelta(days=3)
    # Staff see the times a client may not book (the working week always reaches past
    # three days within seven).
    assert min(staff_view) < now + timedelta(minutes=60)
    assert max(staff_view) > now + timedelta(days=3)
    assert set(client_view) < set(staff_view)


def test_a_search_costs_the_same_queries_with_2_or_40_appointments(
    cast: Cast, services: dict[str, ServiceType], as_persona: Any
) -> None:
    ada = as_persona("ada")
    start, days = MONDAY, 14
    weekdays = [start + timedelta(days=d) for d in range(days)]
    weekdays = [day for day in weekdays if day.weekday() < 5]
    times = [at(day, hour) for day in weekdays for hour in (9, 11, 13, 15)]
    assert len(times) == 40
    params = {"start": start.isoformat(), "days": days, "tz": "America/New_York"}

    def book(moments: list[datetime]) -> None:
        for moment in moments:
            # Alternate Tom (for Alice) and Theo (for Charlie), so both calendars fill.
            client, therapist = ("alice", "tom") if moment.hour in (9, 13) else ("charlie", "theo")
            booked(ada, body(cast, services, moment, client=client, therapist=therapist))

    def search() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as queries:
            found = slots(ada, services, **params)
        return len(queries), len(found)

    search()  # warm up the session
    book(times[:2])
    queries_with_2, found_with_2 = search()
    book(times[2:])
    assert Appointment.objects.filter(starts_at__gte=start).count() == 40
    queries_with_40, found_with_40 = search()
    assert found_with_40 < found_with_2, "the appointments are in the searched range"
    assert queries_with_40 == queries_with_2
    # And for one therapist.
    with CaptureQueriesContext(connection) as one:
        slots(ada, services, therapist=cast.users["tom"].pk, **params)
    assert len(one) == queries_with_2


def test_searches_and_lists_refuse_an_unknown_time_zone(
    cast: Cast, services: dict[str, ServiceType], monday: Appointment, as_persona: Any
) -> None:
    tom = as_persona("tom")
    query = f"?service_type={services['Treatment'].pk}&modality=video&tz=Mars/Olympus"
    for url in (SLOTS + query, APPOINTMENTS + "?tz=Mars/Olympus"):
        response = tom.get(url)
        assert response.status_code == 400, url
        assert response.json() == {"tz": ["Unknown time zone 'Mars/Olympus'."]}
    ledger = Ledger.take()
    response = tom.post(
        f"{APPOINTMENTS}{monday.pk}/cancel/?tz=Mars/Olympus", {"reason": "Ill"}, "application/json"
    )
    assert response.status_code == 400
    ledger.assert_unchanged(audit=[])
    assert Appointment.objects.get(pk=monday.pk).status == "booked"
    # A known zone: the list is in it.
    listed = tom.get(APPOINTMENTS + "?start=2027-01-11&days=1&tz=America/New_York").json()
    assert [row["starts_at"] for row in listed] == ["2027-01-11T05:00:00-05:00"]


def test_bad_search_parameters_get_specific_errors(
    cast: Cast, services: dict[str, ServiceType], as_persona: Any
) -> None:
    tom = as_persona("tom")
    northgate = ServiceType.objects.get(organisation=cast.organisations["northgate"], name="Review")
    cases = [
        ({"service_type": northgate.pk, "modality": "video"}, "service_type"),
        ({"service_type": services["Treatment"].pk, "modality": "smoke"}, "modality"),
        ({"service_type": services["Treatment"].pk, "modality": "video", "days": 29}, "days"),
        ({"service_type": services["Treatment"].pk, "modality": "video", "start": "soon"}, "start"),
        ({"service_type": "one", "modality": "video"}, "service_type"),
    ]
    for params, field in cases:
        response = tom.get(SLOTS, params)
        assert response.status_code == 400, params
        assert list(response.json()) == [field], response.json()


# --- 7. the OpenAPI schema ------------------------------------------------------------


def test_the_schema_lists_the_scheduling_endpoints(cast: Cast, as_persona: Any) -> None:
    response = as_persona("tom").get("/api/schema/?format=json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    expected = {
        "/api/v1/slots/": {"get"},
        "/api/v1/appointments/": {"get", "post"},
        "/api/v1/appointments/{appointment_id}/": {"get"},
        "/api/v1/appointments/{appointment_id}/reschedule/": {"post"},
        "/api/v1/appointments/{appointment_id}/cancel/": {"post"},
        "/api/v1/appointments/{appointment_id}/attendance/": {"post"},
        "/api/v1/appointments/{appointment_id}/confirm/": {"post"},
    }
    for path, methods in expected.items():
        assert path in paths, path
        assert methods <= set(paths[path]), (path, set(paths[path]))
    slot_params = {p["name"] for p in paths["/api/v1/slots/"]["get"]["parameters"]}
    assert {"service_type", "modality", "therapist", "start", "days", "tz"} <= slot_params
    schemas = response.json()["components"]["schemas"]
    book = schemas["BookRequest"]
    assert set(book["required"]) >= {"therapist_id", "service_type_id", "modality", "starts_at"}
    assert book["properties"]["starts_at"]["format"] == "date-time"
    assert "reason" in schemas["RescheduleRequest"]["required"]
    assert "reason" in schemas["CancelRequest"]["required"]
