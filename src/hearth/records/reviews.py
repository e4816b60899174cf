"""Clinical review: each month a supervisor reviews a random sample of each supervised
therapist's sessions (notes, measures, feedback), records findings and actions, and the
therapist acknowledges them. The sample size is an organisation setting.

The draw uses the operating system's random source, so nobody can predict or steer which
sessions are picked; drawing again in the same month only tops the sample up.
"""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from hearth.accounts.models import Membership, Role
from hearth.records.models import ClinicalReview
from hearth.records.selectors import clinical_policy_of
from hearth.records.services import audit_member_action
from hearth.scheduling.models import Appointment, AppointmentStatus

_random = secrets.SystemRandom()


def month_bounds(month: date) -> tuple[datetime, datetime]:
    start = datetime(month.year, month.month, 1, tzinfo=UTC)
    end = datetime(month.year + month.month // 12, month.month % 12 + 1, 1, tzinfo=UTC)
    return start, end


@transaction.atomic
def review_sample_draw(*, membership: Membership, month: date) -> list[ClinicalReview]:
    """Draw this month's sample of sessions for each therapist the supervisor supervises.
    Returns the reviews created now (none when the sample is already full)."""
    if membership.role != Role.SUPERVISOR:
        raise ValidationError("Only supervisors draw sessions for clinical review.")
    month = month.replace(day=1)
    if month > timezone.now().date().replace(day=1):
        raise ValidationError("Choose this month or an earlier one.")
    size = clinical_policy_of(membership.organisation_id).review_sample_size
    start, end = month_bounds(month)
    supervisees = Membership.objects.active().filter(supervisor=membership)
    created = []
    for supervisee in supervisees.select_related("user"):
        already = ClinicalReview.objects.filter(
            supervisor=membership.user, therapist=supervisee.user, month=month
        ).count()
        candidates = list(
            Appointment.objects.filter(
                organisation_id=membership.organisation_id,
                therapist=supervisee.user,
                status=AppointmentStatus.ATTENDED,
                starts_at__gte=start,
                starts_at__lt=end,
                clinical_review__isnull=True,
            ).values_list("pk", flat=True)
        )
        for appointment_id in _random.sample(candidates, min(size - already, len(candidates))):
            review = ClinicalReview.objects.create(
                organisation_id=membership.organisation_id,
                supervisor=membership.user,
                therapist=supervisee.user,
                month=month,
                appointment_id=appointment_id,
            )
            audit_member_action(
                membership,
                "clinical_review.sample",
                "clinical_review",
                review.pk,
                {"appointment_id": appointment_id},
            )
            created.append(review)
    return created


def reviews_visible_to(membership: Membership) -> QuerySet[ClinicalReview]:
    """Supervisors: the reviews they make. Therapists: reviews of them once recorded."""
    reviews = ClinicalReview.objects.filter(organisation_id=membership.organisation_id)
    if membership.role == Role.SUPERVISOR:
        return reviews.filter(supervisor_id=membership.user_id)
    if membership.role == Role.THERAPIST:
        return reviews.filter(therapist_id=membership.user_id, reviewed_at__isnull=False)
    return reviews.none()


@transaction.atomic
def review_record(
    *, membership: Membership, review: ClinicalReview, findings: str, actions: str
) -> ClinicalReview:
    """The supervisor records findings and actions (until the therapist acknowledges)."""
    review = ClinicalReview.objects.select_for_update().get(pk=review.pk)
    if review.supervisor_id != membership.user_id:
        raise ValidationError("Only the supervisor who drew this review records it.")
    if review.acknowledged_at is not None:
        raise ValidationError("The therapist has acknowledged this review: it is closed.")
    if not findings.strip():
        raise ValidationError({"findings": "Write what you found."})
    review.findings, review.actions = findings.strip(), actions.strip()
    review.reviewed_at = timezone.now()
    review.save(update_fields=["findings", "actions", "reviewed_at"])
    audit_member_action(
        membership,
        "clinical_review.record",
        "clinical_review",
        review.pk,
        {"fields": ["findings", "actions"]},
    )
    return review


@transaction.atomic
def review_acknowledge(*, membership: Membership, review: ClinicalReview) -> ClinicalReview:
    review = ClinicalReview.objects.select_for_update().get(pk=review.pk)
    if review.therapist_id != membership.user_id:
        raise ValidationError("Only the therapist whose session was reviewed acknowledges it.")
    if review.reviewed_at is None:
        raise ValidationError("The review has not been recorded yet.")
    if review.acknowledged_at is not None:
        raise ValidationError("You have already acknowledged this review.")
    review.acknowledged_at = timezone.now()
    review.save(update_fields=["acknowledged_at"])
    audit_member_action(membership, "clinical_review.acknowledge", "clinical_review", review.pk)
    return review
