"""Completed measures, and the invitations that ask for them before a session."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from hearth.accounts.models import Organisation
from hearth.clients.models import ClientRecord
from hearth.governance.fields import EncryptedTextField
from hearth.records.models import Episode
from hearth.scheduling.models import Appointment


class MeasureResponse(models.Model):
    """One completed (or partly completed) questionnaire, scored when it was saved."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    client = models.ForeignKey(
        ClientRecord, on_delete=models.PROTECT, related_name="measure_responses"
    )
    episode = models.ForeignKey(Episode, on_delete=models.PROTECT, related_name="measure_responses")
    appointment = models.ForeignKey(
        Appointment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="measure_responses",
    )
    instrument = models.CharField(max_length=12)
    answers = models.JSONField(help_text="One answer per item, null when unanswered.")
    total = models.FloatField(null=True, blank=True)
    band = models.CharField(max_length=40, blank=True)
    flags = models.JSONField(default=list, blank=True)
    complete = models.BooleanField()
    prorated = models.BooleanField(default=False)
    completed_at = models.DateTimeField()
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # A risk item was endorsed: a clinician must review it (see services.measure_risk_items).
    risk_review_needed = models.BooleanField(default=False)
    risk_reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    risk_reviewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["completed_at", "pk"]
        indexes = [models.Index(fields=["episode", "instrument", "completed_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["appointment", "instrument"],
                condition=models.Q(appointment__isnull=False),
                name="one_measure_per_instrument_per_appointment",
            )
        ]

    def __str__(self) -> str:
        return f"{self.instrument} response {self.pk}"


class MeasureInvitation(models.Model):
    """The email asking a client to complete measures before one appointment: at most one
    per appointment, however many workers run."""

    appointment = models.OneToOneField(
        Appointment, on_delete=models.CASCADE, related_name="measure_invitation"
    )
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Measure invitation for appointment {self.appointment_id}"


class FriendsAndFamily(models.TextChoices):
    """NHS Friends and Family Test: "Overall, how was your experience of our service?" """

    VERY_GOOD = "very_good", "Very good"
    GOOD = "good", "Good"
    NEITHER = "neither", "Neither good nor poor"
    POOR = "poor", "Poor"
    VERY_POOR = "very_poor", "Very poor"
    DONT_KNOW = "dont_know", "Don't know"


class SessionFeedback(models.Model):
    """A client's feedback on one session: the Friends and Family Test answer, optional
    free text, and the Session Rating Scale when the client is in an episode of care."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    client = models.ForeignKey(ClientRecord, on_delete=models.PROTECT, related_name="+")
    appointment = models.OneToOneField(
        Appointment, on_delete=models.PROTECT, related_name="feedback"
    )
    therapist = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="session_feedback"
    )
    srs = models.OneToOneField(
        MeasureResponse, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    friends_and_family = models.CharField(max_length=10, choices=FriendsAndFamily.choices)
    comment = EncryptedTextField(blank=True)
    low_alliance = models.BooleanField(default=False)
    alert_seen_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Feedback on appointment {self.appointment_id}"
