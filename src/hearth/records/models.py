"""The record of care: episodes, session notes and their addenda.

An episode runs from referral to discharge and is the unit for outcomes. Appointments
are linked to an episode here, on the records side (``EpisodeAppointment``), so that
scheduling does not depend on the clinical record. Session notes are drafted, then
signed and locked; after that only signed addenda are added.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.db import models

from hearth.accounts.models import Organisation
from hearth.clients.models import ClientRecord
from hearth.governance.fields import EncryptedTextField
from hearth.scheduling.models import Appointment

DEFAULT_MEASURES_BEFORE_SESSION = ["PHQ-9", "GAD-7"]


def _default_measures() -> list[str]:
    return list(DEFAULT_MEASURES_BEFORE_SESSION)


class ClinicalPolicy(models.Model):
    """An organisation's rules for the clinical record and session-by-session measures."""

    organisation = models.OneToOneField(
        Organisation, on_delete=models.CASCADE, related_name="clinical_policy"
    )
    share_notes_with_clients = models.BooleanField(
        default=False,
        help_text="Clients may read their signed session notes in their portal.",
    )
    late_entry_hours = models.PositiveSmallIntegerField(
        default=48,
        help_text="A note signed more than this many hours after the session is a late entry.",
    )
    supervised_notes_need_cosignature = models.BooleanField(
        default=True,
        help_text="Notes of a clinician with a supervisor need the supervisor's co-signature.",
    )
    measures_before_session = models.JSONField(
        default=_default_measures,
        blank=True,
        help_text="Measures the client is asked to complete before each session.",
    )
    measures_invite_hours = models.PositiveSmallIntegerField(
        default=48, help_text="How long before a session the client is asked to complete them."
    )
    review_sample_size = models.PositiveSmallIntegerField(
        default=2,
        help_text="Sessions of each therapist a supervisor reviews each month, drawn at random.",
    )

    def __str__(self) -> str:
        return f"Clinical record policy of {self.organisation}"


class EpisodeStatus(models.TextChoices):
    ASSESSMENT = "assessment", "Assessment"
    TREATMENT = "treatment", "Treatment"
    DISCHARGED = "discharged", "Discharged"


class ReferralSource(models.TextChoices):
    SELF = "self", "Self-referral"
    GP = "gp", "GP or primary care"
    SECONDARY = "secondary", "Secondary care"
    EMPLOYER = "employer", "Employer or occupational health"
    OTHER = "other", "Other"


class DischargeReason(models.TextChoices):
    COMPLETED = "completed", "Completed treatment"
    DROPPED_OUT = "dropped_out", "Stopped attending"
    DECLINED = "declined", "Declined treatment"
    REFERRED_ON = "referred_on", "Referred on"
    NOT_SUITABLE = "not_suitable", "Not suitable for this service"
    OTHER = "other", "Other"


class Episode(models.Model):
    """A course of care from referral to discharge."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    client = models.ForeignKey(ClientRecord, on_delete=models.PROTECT, related_name="episodes")
    referral_source = models.CharField(max_length=12, choices=ReferralSource.choices)
    referral_date = models.DateField()
    # Clinical free text: encrypted at rest, hidden from service admins.
    presenting_problem = EncryptedTextField(blank=True)
    status = models.CharField(
        max_length=12, choices=EpisodeStatus.choices, default=EpisodeStatus.ASSESSMENT
    )
    discharge_reason = models.CharField(max_length=14, choices=DischargeReason.choices, blank=True)
    discharge_date = models.DateField(null=True, blank=True)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    appointments: models.ManyToManyField[Appointment, EpisodeAppointment] = models.ManyToManyField(
        Appointment, through="EpisodeAppointment", related_name="episodes", blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-referral_date", "-pk"]
        constraints = [
            # One open episode per client: appointments and measures attach to it.
            models.UniqueConstraint(
                fields=["client"],
                condition=~models.Q(status="discharged"),
                name="one_open_episode_per_client",
            ),
            models.CheckConstraint(
                condition=models.Q(status="discharged", discharge_date__isnull=False)
                | (~models.Q(status="discharged") & models.Q(discharge_date__isnull=True)),
                name="discharge_date_iff_discharged",
            ),
        ]

    def __str__(self) -> str:
        return f"Episode {self.pk} ({self.get_status_display()})"

    @property
    def is_open(self) -> bool:
        return self.status != EpisodeStatus.DISCHARGED


class EpisodeAppointment(models.Model):
    """An appointment belongs to at most one episode."""

    episode = models.ForeignKey(Episode, on_delete=models.CASCADE, related_name="+")
    appointment = models.OneToOneField(
        Appointment, on_delete=models.CASCADE, related_name="episode_link"
    )

    def __str__(self) -> str:
        return f"Appointment {self.appointment_id} in episode {self.episode_id}"


class NoteTemplate(models.TextChoices):
    SOAP = "soap", "SOAP (subjective, objective, assessment, plan)"
    DAP = "dap", "DAP (data, assessment, plan)"
    BIRP = "birp", "BIRP (behaviour, intervention, response, plan)"
    FREE = "free", "Free text"


# The sections of each template, in order: (key, heading).
TEMPLATE_SECTIONS: dict[str, list[tuple[str, str]]] = {
    NoteTemplate.SOAP: [
        ("subjective", "Subjective"),
        ("objective", "Objective"),
        ("assessment", "Assessment"),
        ("plan", "Plan"),
    ],
    NoteTemplate.DAP: [("data", "Data"), ("assessment", "Assessment"), ("plan", "Plan")],
    NoteTemplate.BIRP: [
        ("behaviour", "Behaviour"),
        ("intervention", "Intervention"),
        ("response", "Response"),
        ("plan", "Plan"),
    ],
    NoteTemplate.FREE: [("text", "Note")],
}


class SessionNote(models.Model):
    """A clinician's note of one session. Drafts autosave; signing locks it."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    episode = models.ForeignKey(Episode, on_delete=models.PROTECT, related_name="notes")
    client = models.ForeignKey(ClientRecord, on_delete=models.PROTECT, related_name="+")
    appointment = models.ForeignKey(
        Appointment, on_delete=models.PROTECT, null=True, blank=True, related_name="notes"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="session_notes"
    )
    template = models.CharField(max_length=4, choices=NoteTemplate.choices)
    session_at = models.DateTimeField(help_text="When the session took place.")
    # The sections as JSON, encrypted at rest as one value.
    body = EncryptedTextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    saved_at = models.DateTimeField(auto_now=True)
    signed_at = models.DateTimeField(null=True, blank=True)
    late_entry = models.BooleanField(default=False)
    needs_cosignature = models.BooleanField(default=False)
    cosigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    cosigned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-session_at", "-pk"]

    def __str__(self) -> str:
        return f"Session note {self.pk}"

    @property
    def is_locked(self) -> bool:
        return self.signed_at is not None

    @property
    def awaiting_cosignature(self) -> bool:
        return self.is_locked and self.needs_cosignature and self.cosigned_at is None

    @property
    def status_label(self) -> str:
        if not self.is_locked:
            return "Draft"
        if self.awaiting_cosignature:
            return "Signed, awaiting co-signature"
        return "Signed and locked"

    @property
    def sections(self) -> dict[str, str]:
        if not self.body:
            return {}
        data: Any = json.loads(self.body)
        return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}

    def section_rows(self) -> list[tuple[str, str, str]]:
        """(key, heading, text) for each section of the note's template."""
        values = self.sections
        return [
            (key, heading, values.get(key, "")) for key, heading in TEMPLATE_SECTIONS[self.template]
        ]


class NoteAddendum(models.Model):
    """Added to a locked note; signed and timestamped when added, never changed."""

    note = models.ForeignKey(SessionNote, on_delete=models.PROTECT, related_name="addenda")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = EncryptedTextField()
    signed_at = models.DateTimeField()

    class Meta:
        ordering = ["signed_at", "pk"]

    def __str__(self) -> str:
        return f"Addendum {self.pk} to note {self.note_id}"


class TherapyPlan(models.Model):
    """The plan of an episode, written with the client, who may comment and agree to it.

    Any change to the plan or its goals clears the client's agreement: they agree to
    what the plan says now."""

    episode = models.OneToOneField(Episode, on_delete=models.PROTECT, related_name="plan")
    approach = EncryptedTextField(blank=True, help_text="What we will work on, and how.")
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    client_agreed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Plan of episode {self.episode_id}"


class GoalStatus(models.TextChoices):
    ACTIVE = "active", "Working on it"
    ACHIEVED = "achieved", "Achieved"
    DROPPED = "dropped", "No longer a goal"


class Goal(models.Model):
    plan = models.ForeignKey(TherapyPlan, on_delete=models.PROTECT, related_name="goals")
    description = EncryptedTextField(help_text="Specific and measurable.")
    target_date = models.DateField()
    status = models.CharField(max_length=10, choices=GoalStatus.choices, default=GoalStatus.ACTIVE)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["target_date", "pk"]

    def __str__(self) -> str:
        return f"Goal {self.pk}"


class GoalRating(models.Model):
    """How far towards a goal, 0 (not at all) to 10 (achieved), as rated at one time."""

    goal = models.ForeignKey(Goal, on_delete=models.PROTECT, related_name="ratings")
    rating = models.PositiveSmallIntegerField()
    rated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    rated_at = models.DateTimeField()

    class Meta:
        ordering = ["rated_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(rating__lte=10), name="goal_rating_0_to_10")
        ]

    def __str__(self) -> str:
        return f"Rating of goal {self.goal_id}"


class PlanComment(models.Model):
    plan = models.ForeignKey(TherapyPlan, on_delete=models.PROTECT, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = EncryptedTextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"Comment on plan {self.plan_id}"


class ClinicalReview(models.Model):
    """A supervisor's review of one randomly sampled session of a therapist they
    supervise: the findings and actions, and the therapist's acknowledgement."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    supervisor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reviews_made"
    )
    therapist = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reviews_received"
    )
    month = models.DateField(help_text="The first day of the month sampled.")
    appointment = models.OneToOneField(
        Appointment, on_delete=models.PROTECT, related_name="clinical_review"
    )
    findings = EncryptedTextField(blank=True)
    actions = EncryptedTextField(blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-month", "therapist_id", "appointment__starts_at"]

    def __str__(self) -> str:
        return f"Clinical review {self.pk}"

    @property
    def status_label(self) -> str:
        if self.reviewed_at is None:
            return "To review"
        if self.acknowledged_at is None:
            return "Reviewed, awaiting acknowledgement"
        return "Acknowledged"
