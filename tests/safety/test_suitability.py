"""Suitability for remote delivery: versions with reasons and the client's choice, the
rules that make a review due, the worklist, and the booking warning that needs a reason."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.db.models import F
from django.utils import timezone

from hearth.accounts.personas import Cast
from hearth.governance.models import AuditEvent
from hearth.safety.details import safety_details_update
from hearth.safety.models import SuitabilityAssessment, SuitabilityBookingReason
from hearth.safety.risk import risk_flag_raise
from hearth.safety.suitability import (
    CLIENT_BOOKED_REASON,
    SuitabilityWarning,
    suitability_assess,
    suitability_booking_warning,
    suitability_judgements,
    suitability_review_reasons,
    suitability_worklist,
)
from hearth.scheduling.demo import schedules_ensure
from hearth.scheduling.models import Appointment, AppointmentStatus, ServiceType
from hearth.scheduling.search import open_slots
from hearth.scheduling.services import BookingRequest, appointment_book
from tests.scheduling.conftest import book_now

JUDGED = {
    "video": (True, "Private room at home, good connection"),
    "telephone": (True, "Reliable phone"),
    "messaging": (False, "Written English is hard for her"),
}


def assess(cast: Cast, persona: str = "tom", **extra: Any) -> SuitabilityAssessment:
    values: dict[str, Any] = {
        "risk_level": "moderate",
        "judgements": JUDGED,
        "client_choice": "video",
        "presentation": "Low mood",
        **extra,
    }
    return suitability_assess(
        membership=cast.memberships[persona], record=cast.records["alice"], **values
    )


def test_an_assessment_is_versioned_with_reasons_and_the_clients_choice(cast: Cast) -> None:
    first = assess(cast)
    assert first.version == 1 and first.suitable_modalities == ["telephone", "video"]
    assert suitability_judgements(first)["messaging"] == {
        "suitable": False,
        "reason": "Written English is hard for her",
    }
    assert (first.client_choice, first.choice_recorded_by) == ("video", cast.users["tom"])
    assert first.review_due == timezone.localdate() + timedelta(days=91)
    second = assess(cast, "sam", client_choice="telephone", review_interval_days=30)
    assert second.version == 2 and second.review_due == timezone.localdate() + timedelta(days=30)
    with connection.cursor() as cursor:
        cursor.execute("SELECT judgements, presentation FROM safety_suitabilityassessment")
        assert all(v.startswith("hearth:v1:") for row in cursor.fetchall() for v in row)
    event = AuditEvent.objects.filter(action="suitability.assess").latest("seq")
    assert event.changes["client_choice"] == "telephone" and "English" not in str(event.changes)


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"risk_level": "extreme"}, "risk_level"),
        ({"judgements": {}}, "judgements"),
        ({"judgements": {"carrier_pigeon": (True, "fast")}}, "judgements"),
        ({"judgements": {"video": (True, "  ")}}, "judgements"),
        ({"client_choice": "smoke signals"}, "client_choice"),
        ({"review_interval_days": 400}, "review_interval_days"),
    ],
)
def test_bad_assessments_are_refused(cast: Cast, extra: dict, field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        assess(cast, **extra)
    assert field in caught.value.message_dict
    assert not SuitabilityAssessment.objects.exists()


def test_only_the_clients_clinicians_assess(cast: Cast) -> None:
    for persona in ("theo", "ada", "alice", "olive"):
        with pytest.raises(PermissionDenied):
            assess(cast, persona)
    assert not SuitabilityAssessment.objects.exists()


def test_review_falls_due_by_interval_risk_dnas_and_location(cast: Cast) -> None:
    record = cast.records["alice"]
    assert suitability_review_reasons(record) == ["No suitability assessment yet."]
    current = assess(cast)
    assert suitability_review_reasons(record) == []
    risk_flag_raise(
        organisation=cast.organisations["riverside"],
        client=record,
        type="self_harm",
        level="low",
        source="measure",
    )
    assert suitability_review_reasons(record) == []  # lower than assessed: not a rise
    risk_flag_raise(
        organisation=cast.organisations["riverside"],
        client=record,
        type="suicide",
        level="high",
        source="measure",
    )
    assert suitability_review_reasons(record) == ["Risk has risen since the assessment."]
    current = assess(cast, risk_level="high")
    for minutes in (60 * 24, 60 * 48):
        missed = book_now(cast, minutes_ahead=minutes)
        Appointment.objects.filter(pk=missed.pk).update(status=AppointmentStatus.DNA)
    assert suitability_review_reasons(record) == ["2 missed appointments since the assessment."]
    current = assess(cast)
    # The missed appointments now lie before the new assessment (each moved back alike).
    Appointment.objects.filter(client=record).update(
        starts_at=F("starts_at") - timedelta(days=3),
        ends_at=F("ends_at") - timedelta(days=3),
        blocked_until=F("blocked_until") - timedelta(days=3),
    )
    safety_details_update(
        membership=cast.memberships["alice"], record=record, country="GB", region="SCT"
    )
    assert suitability_review_reasons(record) == ["The client's usual location has changed."]
    current = assess(cast)
    SuitabilityAssessment.objects.filter(pk=current.pk).update(
        review_due=timezone.localdate() - timedelta(days=1)
    )
    [reason] = suitability_review_reasons(record)
    assert reason.startswith("The review was due on")


def test_the_worklist_shows_the_caseload_with_reviews_due(cast: Cast, as_persona: Any) -> None:
    assert [e.record.pk for e in suitability_worklist(cast.memberships["tom"])] == [
        cast.records["alice"].pk
    ]
    assert suitability_worklist(cast.memberships["ada"]) == []
    assess(cast)
    assert suitability_worklist(cast.memberships["tom"]) == []
    page = as_persona("theo").get("/safety/suitability/").content.decode()
    assert "Charlie Chen" in page and "Alice" not in page
    assert AuditEvent.objects.filter(action="suitability.list").exists()


def test_booking_remotely_without_suitability_needs_a_reason(cast: Cast) -> None:
    appointment = book_now(cast)  # no suitability rule asked for: books as before
    request = BookingRequest(
        client=cast.records["alice"],
        therapist=cast.users["tom"],
        service_type=appointment.service_type,
        modality="video",
        starts_at=appointment.ends_at + timedelta(minutes=15),
    )
    tom = cast.memberships["tom"]
    with pytest.raises(SuitabilityWarning) as caught:
        appointment_book(membership=tom, request=request, suitability_reason="")
    assert "no suitability assessment" in caught.value.message_dict["suitability_reason"][0]
    assert Appointment.objects.count() == 1
    booked = appointment_book(
        membership=tom, request=request, suitability_reason="Assessment booked for next week"
    )
    kept = SuitabilityBookingReason.objects.get(appointment=booked)
    assert kept.reason == "Assessment booked for next week" and kept.recorded_by == tom.user
    assert AuditEvent.objects.filter(action="suitability.booking_override").exists()


def test_booking_a_modality_judged_unsuitable_is_warned(cast: Cast) -> None:
    assess(cast)
    client = cast.records["alice"]
    assert suitability_booking_warning(client, "video") == ""
    assert suitability_booking_warning(client, "in_person") == ""
    assert "did not judge messaging session suitable" in suitability_booking_warning(
        client, "messaging"
    )
    assert "did not judge audio call suitable" in suitability_booking_warning(client, "audio")
    appointment = book_now(cast)
    request = BookingRequest(
        client=client,
        therapist=cast.users["tom"],
        service_type=appointment.service_type,
        modality="video",
        starts_at=appointment.ends_at + timedelta(minutes=15),
    )
    booked = appointment_book(
        membership=cast.memberships["tom"], request=request, suitability_reason=""
    )
    assert not SuitabilityBookingReason.objects.filter(appointment=booked).exists()


def test_the_suitability_page(cast: Cast, as_persona: Any) -> None:
    tom = as_persona("tom")
    url = f"/clients/{cast.records['alice'].pk}/suitability/"
    assert "No suitability assessment yet" in tom.get(url).content.decode()
    form = {
        "risk_level": "low",
        "client_choice": "video",
        "review_interval_days": 91,
        "judge_video": "yes",
        "reason_video": "Quiet room",
        "judge_messaging": "no",
        "reason_messaging": "",
    }
    bad = tom.post(url, form)
    assert bad.status_code == 200 and "Give the reason" in bad.content.decode()
    assert not SuitabilityAssessment.objects.exists()
    good = tom.post(url, {**form, "reason_messaging": "Prefers talking"})
    assert good.status_code == 302
    page = tom.get(url).content.decode()
    assert "Quiet room" in page and "Prefers talking" in page
    assert as_persona("ada").get(url).status_code == 403
    assert as_persona("theo").get(url).status_code == 404


def first_slot(cast: Cast, persona: str, modality: str) -> tuple[ServiceType, str]:
    """A real open time for ``persona`` to book with Tom, and its service."""
    services = schedules_ensure(cast.organisations["riverside"])
    slots = open_slots(
        membership=cast.memberships[persona],
        service_type=services["Treatment"],
        modality=modality,
        start=timezone.now(),
        end=timezone.now() + timedelta(days=21),
        therapist_ids=[cast.users["tom"].pk],
    )
    return services["Treatment"], slots[0].starts_at.isoformat()


def test_the_booking_page_warns_staff_and_needs_their_reason(cast: Cast, as_persona: Any) -> None:
    service, _ = first_slot(cast, "tom", "video")
    tom = as_persona("tom")
    query = {"client": cast.records["alice"].pk, "service_type": service.pk, "modality": "video"}
    page = tom.get("/appointments/book/", query).content.decode()
    assert 'id="suitability-warning"' in page
    assert "There is no suitability assessment for remote sessions" in page
    slot = re.search(r'name="slot" value="([^"]+)"', page)
    assert slot is not None
    url = f"/appointments/book/?{urlencode(query)}"
    refused = tom.post(url, {"slot": html.unescape(slot.group(1))}, follow=True)
    assert "Give a reason to book it anyway" in refused.content.decode()
    assert not Appointment.objects.exists()
    booked = tom.post(
        url, {"slot": html.unescape(slot.group(1)), "suitability_reason": "Assessment on Friday"}
    )
    assert booked.status_code == 302
    kept = SuitabilityBookingReason.objects.get()
    assert (kept.reason, kept.recorded_by) == ("Assessment on Friday", cast.users["tom"])
    # The suitability page lists it with the reason.
    suitability = tom.get(f"/clients/{cast.records['alice'].pk}/suitability/").content.decode()
    assert "Remote bookings made despite a warning" in suitability
    assert "Assessment on Friday" in suitability
    # Once assessed as suitable for video, nothing to warn about.
    assess(cast)
    assert "suitability-warning" not in tom.get("/appointments/book/", query).content.decode()


def test_the_api_needs_staffs_reason_and_refuses_clients_an_unsuitable_modality(
    cast: Cast, as_persona: Any
) -> None:
    service, starts_at = first_slot(cast, "tom", "video")
    body = {
        "client_id": cast.records["alice"].pk,
        "therapist_id": cast.users["tom"].pk,
        "service_type_id": service.pk,
        "modality": "video",
        "starts_at": starts_at,
    }
    tom = as_persona("tom")
    refused = tom.post("/api/v1/appointments/", body, content_type="application/json")
    assert refused.status_code == 400
    assert "no suitability assessment" in refused.json()["suitability_reason"][0]
    assert not Appointment.objects.exists()
    made = tom.post(
        "/api/v1/appointments/",
        {**body, "suitability_reason": "Assessment at the first session"},
        content_type="application/json",
    )
    assert made.status_code == 201
    assert SuitabilityBookingReason.objects.get().reason == "Assessment at the first session"

    # A client with no assessment yet books; that is recorded, and the review is due.
    alice = as_persona("alice")
    _, own_time = first_slot(cast, "alice", "telephone")
    mine = {k: v for k, v in body.items() if k != "client_id"}
    own = alice.post(
        "/api/v1/appointments/",
        {**mine, "modality": "telephone", "starts_at": own_time},
        content_type="application/json",
    )
    assert own.status_code == 201
    assert SuitabilityBookingReason.objects.get(appointment_id=own.json()["id"]).reason == (
        CLIENT_BOOKED_REASON
    )

    # Once assessed, a client cannot book themselves a modality judged unsuitable (audio
    # here), is told why, and the booking page says so before offering times.
    assess(cast)
    _, audio_time = first_slot(cast, "alice", "audio")
    count = Appointment.objects.count()
    unsuitable = alice.post(
        "/api/v1/appointments/",
        {**mine, "modality": "audio", "starts_at": audio_time},
        content_type="application/json",
    )
    assert unsuitable.status_code == 400
    assert "has not agreed sessions by audio call" in unsuitable.json()["modality"][0]
    assert Appointment.objects.count() == count
    page = alice.get(
        "/appointments/book/", {"service_type": service.pk, "modality": "audio"}
    ).content.decode()
    assert 'id="suitability-refusal"' in page and 'name="slot"' not in page
