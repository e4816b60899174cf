"""Clinical review: a random monthly sample per supervised therapist, findings and
actions recorded by the supervisor, acknowledged by the therapist."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from hearth.accounts.personas import Cast
from hearth.clients.models import ClientRecord
from hearth.records.models import ClinicalPolicy, ClinicalReview
from hearth.records.reviews import (
    review_acknowledge,
    review_record,
    review_sample_draw,
    reviews_visible_to,
)
from hearth.scheduling.demo import schedules_ensure
from hearth.scheduling.models import Appointment

LAST_MONTH = (timezone.now().date().replace(day=1) - timedelta(days=1)).replace(day=1)


def _sessions(cast: Cast, therapist: str, client: str, count: int) -> list[Appointment]:
    """Attended sessions last month (written directly: booking refuses the past)."""
    services = schedules_ensure(cast.organisations["riverside"])
    record: ClientRecord = cast.records[client]
    made = []
    for day in range(count):
        start = datetime(LAST_MONTH.year, LAST_MONTH.month, 1 + day, 10, tzinfo=UTC)
        made.append(
            Appointment.objects.create(
                organisation=cast.organisations["riverside"],
                therapist=cast.users[therapist],
                client=record,
                service_type=services["Treatment"],
                modality="video",
                modality_chosen_by=cast.users[therapist],
                starts_at=start,
                ends_at=start + timedelta(minutes=50),
                blocked_until=start + timedelta(minutes=60),
                status="attended",
                booked_by=cast.users[therapist],
            )
        )
    return made


def test_the_sample_is_drawn_from_each_supervisees_attended_sessions(cast: Cast) -> None:
    toms = _sessions(cast, "tom", "alice", 5)
    _sessions(cast, "theo", "charlie", 3)  # Theo is not Sam's supervisee
    sam = cast.memberships["sam"]
    drawn = review_sample_draw(membership=sam, month=LAST_MONTH)
    assert len(drawn) == 2  # the default sample size
    assert {r.appointment_id for r in drawn} <= {a.pk for a in toms}
    assert {r.therapist_id for r in drawn} == {cast.users["tom"].pk}
    assert review_sample_draw(membership=sam, month=LAST_MONTH) == []  # already full
    ClinicalPolicy.objects.filter(organisation=cast.organisations["riverside"]).update(
        review_sample_size=4
    )
    more = review_sample_draw(membership=sam, month=LAST_MONTH)
    assert len(more) == 2 and not {r.pk for r in more} & {r.pk for r in drawn}
    assert ClinicalReview.objects.values("appointment").distinct().count() == 4


def test_the_draw_is_random_not_the_first_sessions(cast: Cast) -> None:
    _sessions(cast, "tom", "alice", 20)
    sam = cast.memberships["sam"]
    picks = set()
    for _ in range(6):
        picks |= {r.appointment_id for r in review_sample_draw(membership=sam, month=LAST_MONTH)}
        ClinicalReview.objects.all().delete()
    # Six draws of two from twenty: the same two every time has odds of about 1 in 10^10.
    assert len(picks) > 2


@pytest.mark.parametrize("persona", ["tom", "ada", "alice"])
def test_only_supervisors_draw(cast: Cast, persona: str) -> None:
    _sessions(cast, "tom", "alice", 3)
    with pytest.raises(ValidationError, match="Only supervisors"):
        review_sample_draw(membership=cast.memberships[persona], month=LAST_MONTH)
    assert not ClinicalReview.objects.exists()


def test_findings_are_recorded_then_acknowledged(cast: Cast, as_persona) -> None:
    _sessions(cast, "tom", "alice", 2)
    sam, tom = cast.memberships["sam"], cast.memberships["tom"]
    review = review_sample_draw(membership=sam, month=LAST_MONTH)[0]
    assert not reviews_visible_to(tom).exists()  # nothing to see until it is recorded
    with pytest.raises(ValidationError, match="not been recorded yet"):
        review_acknowledge(membership=tom, review=review)
    with pytest.raises(ValidationError, match="Write what you found"):
        review_record(membership=sam, review=review, findings=" ", actions="")
    with pytest.raises(ValidationError, match="Only the supervisor who drew"):
        review_record(membership=tom, review=review, findings="Fine", actions="")
    review_record(membership=sam, review=review, findings="Clear plan.", actions="Add risk note.")
    with pytest.raises(ValidationError, match="Only the therapist whose session"):
        review_acknowledge(membership=sam, review=review)
    page = as_persona("tom").get(f"/reviews/{review.pk}/").content.decode()
    assert "Clear plan." in page and "Add risk note." in page
    as_persona("tom").post(f"/reviews/{review.pk}/", {"action": "acknowledge"})
    review.refresh_from_db()
    assert review.acknowledged_at is not None
    with pytest.raises(ValidationError, match="acknowledged this review: it is closed"):
        review_record(membership=sam, review=review, findings="Changed", actions="")
    assert ClinicalReview.objects.get(pk=review.pk).findings == "Clear plan."


def test_the_review_pages(cast: Cast, as_persona) -> None:
    _sessions(cast, "tom", "alice", 3)
    sam = as_persona("sam")
    month = f"{LAST_MONTH:%Y-%m}"
    response = sam.post("/reviews/", {"month": month}, follow=True)
    assert "Drew 2 session(s)." in response.content.decode()
    assert "Tom Turner: session of" in response.content.decode()
    review = ClinicalReview.objects.first()
    assert review is not None
    response = sam.post(f"/reviews/{review.pk}/", {"findings": "", "actions": ""})
    assert "This field is required" in response.content.decode()
    sam.post(f"/reviews/{review.pk}/", {"findings": "Good work.", "actions": ""})
    assert ClinicalReview.objects.get(pk=review.pk).reviewed_at is not None
    assert as_persona("theo").get(f"/reviews/{review.pk}/").status_code == 404
