"""What happened at a remote appointment: one session record with its segments and events.

Nothing about a call's content is stored: only who joined, when, by which modality,
and how the connection behaved.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from hearth.scheduling.models import Appointment, Modality


class SessionRecord(models.Model):
    appointment = models.OneToOneField(
        Appointment, on_delete=models.PROTECT, related_name="session_record"
    )
    client_arrived_at = models.DateTimeField(null=True, blank=True)
    admitted_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    # The client's pre-join check, for the therapist in the waiting room.
    prejoin = models.JSONField(default=dict, blank=True)
    # What each side is sending now: {"client": "video" | "audio", "therapist": ...}.
    media = models.JSONField(default=dict, blank=True)
    # Set when the session moved to the telephone ("switch to phone", or a telephone
    # appointment): the call page then shows the number and the outcome, not media.
    telephone_since = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Session record of appointment {self.appointment_id}"


class CallEvent(models.Model):
    class Kind(models.TextChoices):
        JOINED = "joined", "Joined"
        LEFT = "left", "Left"
        ADMITTED = "admitted", "Admitted"
        CONNECTED = "connected", "Media connected"
        DISCONNECTED = "disconnected", "Media disconnected"
        RECONNECTED = "reconnected", "Reconnected"
        ICE_RESTART = "ice_restart", "Connection restarted"
        FAILED = "failed", "Connection failed"
        AUDIO_ONLY = "audio_only", "Switched to audio only"
        VIDEO = "video", "Switched to video"
        SWITCHED_TO_PHONE = "switched_to_phone", "Switched to telephone"
        PHONE_CONNECTED = "phone_connected", "Telephone: connected"
        PHONE_NO_ANSWER = "phone_no_answer", "Telephone: no answer"
        PHONE_WRONG_NUMBER = "phone_wrong_number", "Telephone: wrong number"
        ENDED = "ended", "Session ended"

    session_record = models.ForeignKey(
        SessionRecord, on_delete=models.CASCADE, related_name="events"
    )
    kind = models.CharField(max_length=24, choices=Kind.choices)
    at = models.DateTimeField(auto_now_add=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    role = models.CharField(max_length=10, blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.kind} at {self.at:%H:%M:%S}"


class ModalitySegment(models.Model):
    """One stretch of the session in one modality: video, then telephone after a drop."""

    session_record = models.ForeignKey(
        SessionRecord, on_delete=models.CASCADE, related_name="segments"
    )
    modality = models.CharField(max_length=12, choices=Modality.choices)
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["started_at", "pk"]

    def __str__(self) -> str:
        return f"{self.modality} from {self.started_at:%H:%M}"
