"""Safety details and the safety plan on the client record: who may read and write
them, bad input refused, versions kept, text encrypted at rest, audits without content."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from hearth.accounts.personas import Cast
from hearth.governance.models import AuditEvent
from hearth.safety.details import safety_details_update, safety_plan_save
from hearth.safety.models import SafetyDetails, SafetyPlanVersion

ADDRESS = "12 Mill Lane\nRiverside RS1 2AB"
DETAILS = {
    "home_address": ADDRESS,
    "country": "GB",
    "region": "ENG",
    "callback_phone": "0161 496 0123",
    "emergency_contact_name": "Bea Ashworth",
    "emergency_contact_relation": "sister",
    "emergency_contact_phone": "0113 496 0456",
    "emergency_contact_consent": True,
    "professionals": "Dr Patel, Riverside Surgery",
}


def test_the_client_fills_in_details_numbers_stored_dialable(cast: Cast) -> None:
    details = safety_details_update(
        membership=cast.memberships["alice"], record=cast.records["alice"], **DETAILS
    )
    assert details.callback_phone == "+441614960123"
    assert details.emergency_contact_phone == "+441134960456"
    assert details.consent_recorded_at is not None
    assert details.location_changed_at is not None
    event = AuditEvent.objects.filter(action="safety_details.update").latest("seq")
    assert "home_address" in event.changes["fields"]
    assert "Mill Lane" not in str(event.changes) and "4960123" not in str(event.changes)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT home_address, professionals FROM safety_safetydetails WHERE id = %s",
            [details.pk],
        )
        address, professionals = cursor.fetchone()
    assert address.startswith("hearth:v1:") and "Mill" not in address
    assert professionals.startswith("hearth:v1:")


def test_an_unchanged_save_writes_nothing(cast: Cast) -> None:
    alice = cast.memberships["alice"]
    safety_details_update(membership=alice, record=cast.records["alice"], **DETAILS)
    before = AuditEvent.objects.filter(action="safety_details.update").count()
    safety_details_update(membership=alice, record=cast.records["alice"], **DETAILS)
    assert AuditEvent.objects.filter(action="safety_details.update").count() == before


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"callback_phone": "not a number"}, "callback_phone", "is not a phone number"),
        ({"callback_phone": "0770"}, "callback_phone", "not a valid phone number"),
        ({"emergency_contact_phone": "12345"}, "emergency_contact_phone", "not a valid"),
        ({"region": "ZZ"}, "region", "not a region of United Kingdom"),
        ({"country": "XX"}, "country", "Unknown country"),
        ({"country": ""}, "country", "Unknown country"),  # a region without its country
        ({"emergency_contact_phone": ""}, "emergency_contact_phone", "name and phone number"),
        ({"emergency_contact_name": ""}, "emergency_contact_name", "name and phone number"),
    ],
)
def test_bad_details_are_refused_and_change_nothing(
    cast: Cast, change: dict[str, str], field: str, message: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        safety_details_update(
            membership=cast.memberships["tom"], record=cast.records["alice"], **DETAILS | change
        )
    assert message in " ".join(caught.value.message_dict[field])
    assert not SafetyDetails.objects.filter(client=cast.records["alice"]).exists()


def test_an_address_needs_its_country(cast: Cast) -> None:
    with pytest.raises(ValidationError) as caught:
        safety_details_update(
            membership=cast.memberships["tom"],
            record=cast.records["alice"],
            home_address=ADDRESS,
        )
    assert "which country" in caught.value.message_dict["country"][0]


def test_unknown_fields_and_outsiders_are_refused(cast: Cast) -> None:
    with pytest.raises(ValidationError):
        safety_details_update(
            membership=cast.memberships["tom"], record=cast.records["alice"], therapist="x"
        )
    for outsider in ("theo", "charlie", "olive", "cora"):
        with pytest.raises(PermissionDenied):
            safety_details_update(
                membership=cast.memberships[outsider], record=cast.records["alice"], **DETAILS
            )
    assert not SafetyDetails.objects.exists()


def test_the_plan_is_versioned_and_written_by_client_and_clinicians(cast: Cast) -> None:
    record = cast.records["alice"]
    first = safety_plan_save(
        membership=cast.memberships["alice"], record=record, warning_signs="Not sleeping"
    )
    second = safety_plan_save(
        membership=cast.memberships["tom"],
        record=record,
        warning_signs="Not sleeping",
        people_to_ask="Bea",
    )
    same = safety_plan_save(
        membership=cast.memberships["sam"],
        record=record,
        warning_signs="Not sleeping",
        people_to_ask="Bea",
    )
    assert (first.version, second.version, same.pk) == (1, 2, second.pk)
    assert first.created_by == cast.users["alice"] and second.created_by == cast.users["tom"]
    first.refresh_from_db()
    assert first.people_to_ask == ""  # earlier versions stay as they were
    event = AuditEvent.objects.filter(action="safety_plan.update").latest("seq")
    assert event.changes == {"version": 2, "sections": ["people_to_ask"]}
    with connection.cursor() as cursor:
        cursor.execute("SELECT warning_signs FROM safety_safetyplanversion")
        assert all(row[0].startswith("hearth:v1:") for row in cursor.fetchall())


def test_the_plan_refuses_admins_outsiders_and_empty_plans(cast: Cast) -> None:
    record = cast.records["alice"]
    for persona in ("ada", "theo", "charlie", "olive"):
        with pytest.raises(PermissionDenied):
            safety_plan_save(membership=cast.memberships[persona], record=record, warning_signs="x")
    with pytest.raises(ValidationError, match="at least one section"):
        safety_plan_save(membership=cast.memberships["tom"], record=record, warning_signs="  ")
    with pytest.raises(ValidationError, match="under 4000"):
        safety_plan_save(
            membership=cast.memberships["tom"], record=record, warning_signs="x" * 4001
        )
    with pytest.raises(ValidationError, match="Unknown sections"):
        safety_plan_save(membership=cast.memberships["tom"], record=record, diagnosis="x")
    assert not SafetyPlanVersion.objects.exists()


def test_pages_show_the_plan_to_the_care_team_but_not_to_admins(cast: Cast, as_persona) -> None:
    record = cast.records["alice"]
    safety_details_update(membership=cast.memberships["alice"], record=record, **DETAILS)
    safety_plan_save(membership=cast.memberships["alice"], record=record, warning_signs="Pacing")
    alice = as_persona("alice").get("/me/safety/").content.decode()
    assert "Pacing" in alice and "Mill Lane" in alice and "Samaritans" in alice
    tom = as_persona("tom").get(f"/clients/{record.pk}/safety/").content.decode()
    assert "Pacing" in tom and "Bea Ashworth" in tom
    ada = as_persona("ada").get(f"/clients/{record.pk}/safety/").content.decode()
    assert "Bea Ashworth" in ada and "Pacing" not in ada and "Safety plan" not in ada
    assert AuditEvent.objects.filter(
        action="safety_details.view", actor_id=cast.users["ada"].pk
    ).exists()
    assert as_persona("theo").get(f"/clients/{record.pk}/safety/").status_code == 404
    assert AuditEvent.objects.filter(
        action="access.denied", object_type="safety_details", actor_id=cast.users["theo"].pk
    ).exists()


def test_the_client_edits_on_the_page_with_specific_errors(cast: Cast, as_persona) -> None:
    alice = as_persona("alice")
    bad = alice.post(
        "/me/safety/", {**DETAILS, "callback_phone": "call me maybe", "action": "details"}
    )
    assert bad.status_code == 200 and "is not a phone number" in bad.content.decode()
    assert not SafetyDetails.objects.exists()
    good = alice.post("/me/safety/", {**DETAILS, "action": "details"})
    assert good.status_code == 302
    plan = alice.post("/me/safety/", {"action": "plan", "coping_strategies": "Walk the dog"})
    assert plan.status_code == 302
    assert SafetyPlanVersion.objects.get().coping_strategies == "Walk the dog"
    assert (
        as_persona("ada")
        .post(
            f"/clients/{cast.records['alice'].pk}/safety/",
            {"action": "plan", "coping_strategies": "x"},
        )
        .status_code
        == 403
    )
