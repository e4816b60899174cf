"""Experience feedback after each session: the Friends and Family Test and the Session
Rating Scale. A Session Rating Scale total below 36 (Duncan et al. 2003) alerts the
therapist, who acknowledges the alert. Results aggregate per therapist and per service.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from hearth.accounts.models import CLINICIAN_ROLES, Membership, Role
from hearth.clients.models import ClientRecord
from hearth.clients.selectors import client_records_visible_to
from hearth.governance.audit import audit_record
from hearth.measures.models import FriendsAndFamily, SessionFeedback
from hearth.measures.services import measure_record
from hearth.records.selectors import open_episode_of
from hearth.scheduling.models import Appointment, AppointmentStatus

FEEDBACK_DAYS = 14  # how long after a session the client may still give feedback
POSITIVE = {FriendsAndFamily.VERY_GOOD, FriendsAndFamily.GOOD}
NOT_HELD = {
    AppointmentStatus.CANCELLED_CLIENT,
    AppointmentStatus.CANCELLED_SERVICE,
    AppointmentStatus.DNA,
    AppointmentStatus.REQUESTED,
}


def feedback_due(client: ClientRecord, *, now: datetime | None = None) -> list[Appointment]:
    """The client's sessions of the last fortnight that have begun and have no feedback."""
    now = now or timezone.now()
    return list(
        Appointment.objects.filter(
            client=client,
            starts_at__lte=now,
            starts_at__gte=now - timedelta(days=FEEDBACK_DAYS),
            feedback__isnull=True,
        )
        .exclude(status__in=NOT_HELD)
        .select_related("therapist")
        .order_by("-starts_at")
    )


@transaction.atomic
def feedback_give(
    *,
    membership: Membership,
    appointment: Appointment,
    friends_and_family: str,
    comment: str = "",
    srs_answers: Sequence[int | float | None] | None = None,
) -> SessionFeedback:
    """A client's feedback on a session of theirs that has taken place."""
    if membership.role != Role.CLIENT:
        raise ValidationError("Feedback on a session comes from the client.")
    if not client_records_visible_to(membership).filter(pk=appointment.client_id).exists():
        raise ValidationError("You can only give feedback on your own sessions.")
    if appointment.pk not in {a.pk for a in feedback_due(appointment.client)}:
        if SessionFeedback.objects.filter(appointment=appointment).exists():
            raise ValidationError("You have already given feedback on this session.")
        raise ValidationError("Feedback is for a session that took place in the last 14 days.")
    if friends_and_family not in FriendsAndFamily.values:
        raise ValidationError({"friends_and_family": "Choose one answer."})
    srs = None
    if srs_answers is not None:
        if open_episode_of(appointment.client) is None:
            raise ValidationError("The session rating is kept with an episode of care.")
        srs = measure_record(
            membership=membership,
            client=appointment.client,
            code="SRS",
            answers=srs_answers,
            appointment=appointment,
        )
    try:
        with transaction.atomic():
            feedback = SessionFeedback.objects.create(
                organisation_id=appointment.organisation_id,
                client_id=appointment.client_id,
                appointment=appointment,
                therapist_id=appointment.therapist_id,
                srs=srs,
                friends_and_family=friends_and_family,
                comment=comment.strip(),
                low_alliance=srs is not None and "alliance" in srs.flags,
            )
    except IntegrityError:
        raise ValidationError("You have already given feedback on this session.") from None
    audit_record(
        actor=membership.user,
        organisation_id=membership.organisation_id,
        action="session_feedback.create",
        object_type="session_feedback",
        object_id=feedback.pk,
        changes={"appointment_id": appointment.pk, "low_alliance": feedback.low_alliance},
    )
    return feedback


def feedback_visible_to(membership: Membership) -> QuerySet[SessionFeedback]:
    """Identifiable feedback: a clinician's own sessions, and a supervisor's team's."""
    feedback = SessionFeedback.objects.filter(organisation_id=membership.organisation_id)
    if membership.role == Role.THERAPIST:
        return feedback.filter(therapist_id=membership.user_id)
    if membership.role == Role.SUPERVISOR:
        team = Membership.objects.filter(supervisor=membership, is_active=True).values("user_id")
        return feedback.filter(
            therapist_id__in=[membership.user_id, *team.values_list("user_id", flat=True)]
        )
    return feedback.none()


def low_alliance_alerts(membership: Membership) -> QuerySet[SessionFeedback]:
    return (
        feedback_visible_to(membership)
        .filter(low_alliance=True, alert_seen_at__isnull=True)
        .select_related("client", "appointment", "srs", "therapist")
    )


@transaction.atomic
def feedback_alert_seen(*, membership: Membership, feedback: SessionFeedback) -> SessionFeedback:
    """The session's therapist (or their supervisor) acknowledges a low-alliance alert."""
    if membership.role not in CLINICIAN_ROLES:
        raise ValidationError("Only the session's clinician acknowledges this alert.")
    feedback = SessionFeedback.objects.select_for_update().get(pk=feedback.pk)
    if not feedback.low_alliance:
        raise ValidationError("This feedback raised no alert.")
    if feedback.alert_seen_at is not None:
        raise ValidationError("This alert was already acknowledged.")
    feedback.alert_seen_at = timezone.now()
    feedback.save(update_fields=["alert_seen_at"])
    audit_record(
        actor=membership.user,
        organisation_id=membership.organisation_id,
        action="session_feedback.alert_seen",
        object_type="session_feedback",
        object_id=feedback.pk,
    )
    return feedback


@dataclass
class FeedbackSummary:
    label: str
    responses: int = 0
    positive: int = 0
    answered: int = 0  # all but "don't know"
    srs_total: float = 0.0
    srs_count: int = 0
    low_alliance: int = 0

    @property
    def positive_percent(self) -> int | None:
        return round(100 * self.positive / self.answered) if self.answered else None

    @property
    def mean_srs(self) -> float | None:
        return round(self.srs_total / self.srs_count, 1) if self.srs_count else None


def feedback_summaries(
    organisation_id: int, *, since: datetime | None = None
) -> tuple[FeedbackSummary, list[FeedbackSummary]]:
    """The service's totals and each therapist's: counts and averages only, no text.

    The FFT percentage positive counts "very good" and "good" among answers other than
    "don't know"."""
    rows = SessionFeedback.objects.filter(organisation_id=organisation_id).select_related(
        "therapist", "srs"
    )
    if since is not None:
        rows = rows.filter(created_at__gte=since)
    service = FeedbackSummary("Whole service")
    per_therapist: dict[int, FeedbackSummary] = {}
    for row in rows:
        mine = per_therapist.setdefault(row.therapist_id, FeedbackSummary(str(row.therapist)))
        for summary in (service, mine):
            summary.responses += 1
            if row.friends_and_family != FriendsAndFamily.DONT_KNOW:
                summary.answered += 1
                summary.positive += row.friends_and_family in POSITIVE
            if row.srs is not None and row.srs.total is not None:
                summary.srs_total += row.srs.total
                summary.srs_count += 1
            summary.low_alliance += row.low_alliance
    return service, sorted(per_therapist.values(), key=lambda s: s.label)
