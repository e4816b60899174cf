"""Feedback after a session: SRS and the Friends and Family Test, the low-alliance alert
and the figures per therapist and service."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from hearth.accounts.personas import Cast
from hearth.governance.models import AuditEvent
from hearth.measures.feedback import (
    feedback_alert_seen,
    feedback_give,
    feedback_summaries,
    low_alliance_alerts,
)
from hearth.measures.models import MeasureResponse, SessionFeedback
from hearth.records.models import Episode
from hearth.scheduling.models import Appointment
from tests.scheduling.conftest import book_now


@pytest.fixture
def last_session(cast: Cast, episode: Episode) -> Appointment:
    """Alice's session with Tom that ended an hour ago."""
    appointment = book_now(cast, minutes_ahead=120)
    shift = timedelta(hours=4)
    Appointment.objects.filter(pk=appointment.pk).update(
        starts_at=appointment.starts_at - shift,
        ends_at=appointment.ends_at - shift,
        blocked_until=appointment.blocked_until - shift,
        status="attended",
    )
    return Appointment.objects.get(pk=appointment.pk)


def test_low_alliance_alerts_the_therapist_until_acknowledged(
    cast: Cast, last_session: Appointment
) -> None:
    feedback = feedback_give(
        membership=cast.memberships["alice"],
        appointment=last_session,
        friends_and_family="neither",
        comment="I did not feel listened to.",
        srs_answers=[8, 9, 9.5, 8],  # 34.5: below 36
    )
    assert feedback.low_alliance and feedback.srs.total == 34.5
    assert feedback.srs.appointment == last_session and feedback.srs.instrument == "SRS"
    with connection.cursor() as cursor:
        cursor.execute("SELECT comment FROM measures_sessionfeedback WHERE id = %s", [feedback.pk])
        assert "listened" not in cursor.fetchone()[0]
    assert list(low_alliance_alerts(cast.memberships["tom"])) == [feedback]
    assert list(low_alliance_alerts(cast.memberships["sam"])) == [feedback]  # Tom's supervisor
    assert not low_alliance_alerts(cast.memberships["theo"]).exists()
    with pytest.raises(ValidationError, match="Only the session's clinician"):
        feedback_alert_seen(membership=cast.memberships["alice"], feedback=feedback)
    feedback_alert_seen(membership=cast.memberships["tom"], feedback=feedback)
    assert not low_alliance_alerts(cast.memberships["tom"]).exists()
    with pytest.raises(ValidationError, match="already acknowledged"):
        feedback_alert_seen(membership=cast.memberships["tom"], feedback=feedback)


def test_good_alliance_raises_no_alert(cast: Cast, last_session: Appointment) -> None:
    feedback = feedback_give(
        membership=cast.memberships["alice"],
        appointment=last_session,
        friends_and_family="very_good",
        srs_answers=[9, 9, 9, 9],
    )
    assert not feedback.low_alliance
    assert not low_alliance_alerts(cast.memberships["tom"]).exists()


@pytest.mark.parametrize(
    ("persona", "changes", "message"),
    [
        ("alice", {"friends_and_family": "meh"}, "Choose one answer"),
        ("alice", {"srs_answers": [11, 9, 9, 9]}, "SRS item 1: 11 is outside 0–10"),
        ("charlie", {}, "only give feedback on your own sessions"),
        ("tom", {}, "comes from the client"),
    ],
)
def test_bad_feedback_is_refused_and_nothing_is_kept(
    cast: Cast, last_session: Appointment, persona: str, changes: dict, message: str
) -> None:
    arguments = {"friends_and_family": "good", "srs_answers": [9, 9, 9, 9], **changes}
    with pytest.raises(ValidationError, match=message):
        feedback_give(membership=cast.memberships[persona], appointment=last_session, **arguments)
    assert not SessionFeedback.objects.exists() and not MeasureResponse.objects.exists()


def test_one_feedback_per_session_and_only_after_it(cast: Cast, last_session: Appointment) -> None:
    alice = cast.memberships["alice"]
    feedback_give(membership=alice, appointment=last_session, friends_and_family="good")
    with pytest.raises(ValidationError, match="already given feedback"):
        feedback_give(membership=alice, appointment=last_session, friends_and_family="poor")
    coming = book_now(cast, minutes_ahead=300)
    with pytest.raises(ValidationError, match="took place in the last 14 days"):
        feedback_give(membership=alice, appointment=coming, friends_and_family="good")
    assert SessionFeedback.objects.count() == 1


def test_figures_per_therapist_and_service_without_text(
    cast: Cast, as_persona, last_session: Appointment
) -> None:
    feedback_give(
        membership=cast.memberships["alice"],
        appointment=last_session,
        friends_and_family="poor",
        comment="Private words",
        srs_answers=[7, 7, 7, 7],
    )
    service, therapists = feedback_summaries(cast.organisations["riverside"].pk)
    assert (service.responses, service.positive_percent, service.mean_srs) == (1, 0, 28.0)
    assert [(t.label, t.low_alliance) for t in therapists] == [("Tom Turner", 1)]
    admin = as_persona("ada").get("/feedback/").content.decode()
    assert "Whole service" in admin and "Tom Turner" in admin and "28.0" in admin
    assert "Private words" not in admin and "Alice" not in admin
    commissioner = as_persona("cora").get("/feedback/").content.decode()
    assert "Whole service" in commissioner and "Tom Turner" not in commissioner
    therapist = as_persona("tom").get("/feedback/").content.decode()
    assert "Private words" in therapist and "Low alliance" in therapist
    assert "Private words" not in as_persona("theo").get("/feedback/").content.decode()
    feedback = SessionFeedback.objects.get()
    assert as_persona("theo").post(f"/feedback/{feedback.pk}/seen/").status_code == 404
    as_persona("tom").post(f"/feedback/{feedback.pk}/seen/")
    assert SessionFeedback.objects.get().alert_seen_at is not None
    assert AuditEvent.objects.filter(action="session_feedback.alert_seen").count() == 1


def test_the_client_gives_feedback_on_the_page(
    cast: Cast, as_persona, last_session: Appointment
) -> None:
    alice = as_persona("alice")
    assert f"/me/feedback/{last_session.pk}/" in alice.get("/me/measures/").content.decode()
    url = f"/me/feedback/{last_session.pk}/"
    page = alice.get(url).content.decode()
    assert "Overall, how was your experience of our service?" in page
    assert "I felt heard, understood and respected" in page
    response = alice.post(url, {"srs-item_1": "9", "srs-item_2": "9", "srs-item_3": "9"})
    assert "Choose one answer." in response.content.decode()
    assert "Give a number from 0 to 10." in response.content.decode()
    response = alice.post(
        url,
        {
            "srs-item_1": "9",
            "srs-item_2": "9.5",
            "srs-item_3": "9",
            "srs-item_4": "10",
            "friends_and_family": "very_good",
        },
    )
    assert response.status_code == 302
    feedback = SessionFeedback.objects.get()
    assert feedback.srs.total == 37.5 and not feedback.low_alliance
    assert alice.get(url)["Location"] == "/me/measures/"
