"""The session-start check: the client answers, the therapist confirms (or overrides
with a reason) before starting; bad answers are refused and change nothing."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.http import Http404

from hearth.accounts.personas import Cast
from hearth.governance.models import AuditEvent
from hearth.safety.checks import (
    access_check_appointment,
    session_check_confirm,
    session_check_override,
    session_check_status,
    session_check_submit,
)
from hearth.safety.models import SafetyDetails, SessionStartCheck
from tests.scheduling.conftest import book_now

AT_HOME: dict[str, Any] = {
    "location": "home",
    "callback_phone": "0161 496 0123",
    "is_private": True,
    "emergency_contact_correct": True,
}
ELSEWHERE: dict[str, Any] = {
    "location": "other",
    "address": "3 Harbour Street, Oban",
    "country": "GB",
    "region": "SCT",
    "callback_phone": "0113 496 0456",
    "is_private": False,
    "others_present": "my partner, in the next room",
    "emergency_contact_correct": False,
}


def names(status: Any) -> list[str]:
    return [e.name for e in status.crisis_numbers]


def test_client_answers_at_home_and_the_therapist_confirms(
    cast: Cast, alice_details: SafetyDetails
) -> None:
    appointment = book_now(cast)
    assert session_check_status(appointment).state == "missing"
    assert not session_check_status(appointment).may_start
    check = session_check_submit(
        membership=cast.memberships["alice"], appointment=appointment, **AT_HOME
    )
    assert check.address == alice_details.home_address and check.region == "ENG"
    assert check.callback_phone == "+441614960123"
    status = session_check_status(appointment)
    assert (status.state, status.may_start) == ("submitted", False)
    session_check_confirm(membership=cast.memberships["tom"], appointment=appointment)
    status = session_check_status(appointment)
    assert (status.state, status.may_start) == ("confirmed", True)
    assert status.location is not None and status.location.confirmed
    assert status.location.place == "England, United Kingdom"
    assert "NHS 111, option 2 (urgent mental health)" in names(status)
    actions = list(
        AuditEvent.objects.filter(object_id=str(appointment.pk))
        .filter(action__startswith="session_check.")
        .values_list("action", flat=True)
    )
    assert actions == ["session_check.submit", "session_check.confirm"]


def test_elsewhere_the_numbers_follow_the_client(cast: Cast, alice_details: SafetyDetails) -> None:
    appointment = book_now(cast)
    check = session_check_submit(
        membership=cast.memberships["alice"], appointment=appointment, **ELSEWHERE
    )
    status = session_check_status(appointment)
    assert "Breathing Space" in names(status)
    assert "NHS 111, option 2 (urgent mental health)" not in names(status)
    assert status.location is not None and status.location.address == "3 Harbour Street, Oban"
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT address, others_present FROM safety_sessionstartcheck WHERE id = %s",
            [check.pk],
        )
        assert all(value.startswith("hearth:v1:") for value in cursor.fetchone())
    event = AuditEvent.objects.filter(action="session_check.submit").latest("seq")
    assert "Harbour" not in str(event.changes) and "partner" not in str(event.changes)


def test_before_any_check_the_record_on_file_is_shown_unconfirmed(
    cast: Cast, alice_details: SafetyDetails
) -> None:
    status = session_check_status(book_now(cast))
    assert status.location is not None and not status.location.confirmed
    assert status.location.region == "ENG"


@pytest.mark.parametrize(
    ("answers", "field", "message"),
    [
        ({**ELSEWHERE, "address": " "}, "address", "Give the address"),
        ({**ELSEWHERE, "region": "QQ"}, "region", "not a region of United Kingdom"),
        ({**ELSEWHERE, "country": "ZZ"}, "country", "Unknown country"),
        ({**ELSEWHERE, "callback_phone": "ring me"}, "callback_phone", "not a phone number"),
        ({**ELSEWHERE, "callback_phone": "0123"}, "callback_phone", "not a valid phone number"),
        ({**ELSEWHERE, "callback_phone": ""}, "callback_phone", "Give a phone number"),
        ({**ELSEWHERE, "others_present": ""}, "others_present", "who else is with you"),
        ({**ELSEWHERE, "is_private": None}, "is_private", "talk privately"),
        (
            {**ELSEWHERE, "emergency_contact_correct": None},
            "emergency_contact_correct",
            "still right",
        ),
        ({**ELSEWHERE, "location": "moon"}, "location", "at home or somewhere else"),
        (AT_HOME, "location", "No home address is on file"),
    ],
)
def test_bad_answers_are_refused_and_change_nothing(
    cast: Cast, answers: dict[str, Any], field: str, message: str
) -> None:
    appointment = book_now(cast)
    with pytest.raises(ValidationError) as caught:
        session_check_submit(
            membership=cast.memberships["alice"], appointment=appointment, **answers
        )
    assert message in " ".join(caught.value.message_dict[field])
    assert not SessionStartCheck.objects.exists()


def test_only_the_right_people_answer_confirm_and_override(
    cast: Cast, alice_details: SafetyDetails
) -> None:
    appointment = book_now(cast)
    with pytest.raises(PermissionDenied):  # a video session: the client answers
        session_check_submit(membership=cast.memberships["tom"], appointment=appointment, **AT_HOME)
    for outsider in ("charlie", "theo", "sam"):
        with pytest.raises(PermissionDenied):
            session_check_submit(
                membership=cast.memberships[outsider], appointment=appointment, **AT_HOME
            )
    session_check_submit(membership=cast.memberships["alice"], appointment=appointment, **AT_HOME)
    for persona in ("alice", "theo", "sam", "ada"):
        with pytest.raises(PermissionDenied):
            session_check_confirm(membership=cast.memberships[persona], appointment=appointment)
        with pytest.raises(PermissionDenied):
            session_check_override(
                membership=cast.memberships[persona],
                appointment=appointment,
                reason="the client cannot use the form",
            )
    assert session_check_status(appointment).state == "submitted"
    for persona in ("charlie", "theo", "olive"):
        with pytest.raises(Http404):
            access_check_appointment(cast.memberships[persona], appointment.pk)
    assert (
        AuditEvent.objects.filter(action="access.denied", object_type="session_check").count() == 3
    )


def test_confirming_needs_answers_and_happens_once(
    cast: Cast, alice_details: SafetyDetails
) -> None:
    appointment = book_now(cast)
    tom = cast.memberships["tom"]
    with pytest.raises(ValidationError, match="not completed the check"):
        session_check_confirm(membership=tom, appointment=appointment)
    session_check_submit(membership=cast.memberships["alice"], appointment=appointment, **AT_HOME)
    session_check_confirm(membership=tom, appointment=appointment)
    with pytest.raises(ValidationError, match="already confirmed"):
        session_check_confirm(membership=tom, appointment=appointment)
    with pytest.raises(ValidationError, match="no override is needed"):
        session_check_override(membership=tom, appointment=appointment, reason="just because, ok")
    # A changed answer needs a fresh review.
    session_check_submit(membership=cast.memberships["alice"], appointment=appointment, **ELSEWHERE)
    assert session_check_status(appointment).state == "submitted"


def test_override_needs_a_reason_and_is_logged_without_it(cast: Cast) -> None:
    appointment = book_now(cast)
    tom = cast.memberships["tom"]
    with pytest.raises(ValidationError) as caught:
        session_check_override(membership=tom, appointment=appointment, reason="  no ")
    assert "Say why" in caught.value.message_dict["reason"][0]
    assert not SessionStartCheck.objects.exists()
    session_check_override(
        membership=tom, appointment=appointment, reason="Client's browser cannot show the form"
    )
    status = session_check_status(appointment)
    assert (status.state, status.may_start) == ("overridden", True)
    event = AuditEvent.objects.get(action="session_check.override")
    assert event.changes == {"client_answered": False} and "browser" not in event.reason
    with pytest.raises(ValidationError, match="already overridden"):
        session_check_override(membership=tom, appointment=appointment, reason="again, a reason")


def test_telephone_sessions_are_recorded_by_the_therapist(
    cast: Cast, alice_details: SafetyDetails
) -> None:
    appointment = book_now(cast, modality="telephone")
    check = session_check_submit(
        membership=cast.memberships["tom"], appointment=appointment, **AT_HOME
    )
    assert check.recorded_by == cast.users["tom"]
    assert session_check_status(appointment).state == "confirmed"


def test_the_check_opens_with_the_call_room(cast: Cast, alice_details: SafetyDetails) -> None:
    later = book_now(cast, minutes_ahead=24 * 60)
    with pytest.raises(ValidationError, match="opens 15 minutes before"):
        session_check_submit(membership=cast.memberships["alice"], appointment=later, **AT_HOME)
    with pytest.raises(ValidationError, match="opens 15 minutes before"):
        session_check_override(
            membership=cast.memberships["tom"], appointment=later, reason="a long enough reason"
        )
    assert not SessionStartCheck.objects.exists()


HTMX = {"HTTP_HX_REQUEST": "true"}


def test_the_fragments_work_in_the_waiting_room(
    cast: Cast, alice_details: SafetyDetails, as_persona
) -> None:
    appointment = book_now(cast)
    alice, tom = as_persona("alice"), as_persona("tom")
    url = f"/safety/checks/{appointment.pk}/"
    page = alice.get(url).content.decode()
    assert "<h1>" in page and 'name="callback_phone"' in page
    fragment = alice.get(url, **HTMX).content.decode()
    assert "<h1>" not in fragment and fragment.lstrip().startswith("{#") is False
    bad = alice.post(
        url,
        {
            **AT_HOME,
            "is_private": "yes",
            "emergency_contact_correct": "yes",
            "callback_phone": "nope",
        },
        **HTMX,
    )
    assert "not a phone number" in bad.content.decode()
    sent = alice.post(
        url,
        {
            "location": "home",
            "callback_phone": "0161 496 0123",
            "is_private": "yes",
            "emergency_contact_correct": "yes",
        },
        **HTMX,
    )
    assert "Your therapist will confirm this" in sent.content.decode()
    review = tom.get(f"{url}review/", **HTMX).content.decode()
    assert 'data-may-start="false"' in review and "12 Mill Lane" in review
    assert "NHS 111" in review and "Bea Ashworth" in review
    confirmed = tom.post(f"{url}confirm/", **HTMX).content.decode()
    assert 'data-may-start="true"' in confirmed and "You may start the session" in confirmed
    again = tom.post(f"{url}confirm/", **HTMX).content.decode()
    assert "already confirmed" in again
    assert tom.get(url).status_code == 403  # a video session: the client answers
    assert alice.get(f"{url}review/").status_code == 403


def test_override_on_the_page(cast: Cast, as_persona) -> None:
    appointment = book_now(cast)
    tom = as_persona("tom")
    url = f"/safety/checks/{appointment.pk}/override/"
    short = tom.post(url, {"reason": "no"})
    assert short.status_code == 200 and "Say why" in short.content.decode()
    done = tom.post(url, {"reason": "The client is on a train with no data"})
    assert done.status_code == 302
    assert session_check_status(appointment).state == "overridden"
