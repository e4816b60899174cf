"""Availability, appointments, reminders and the waitlist.

Times are stored in UTC. Weekly working hours are wall-clock times in the therapist's
own zone, so 09:00 stays 09:00 across daylight-saving changes.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from hearth.accounts.models import Membership, Organisation
from hearth.clients.models import ClientRecord


class Modality(models.TextChoices):
    VIDEO = "video", "Video"
    AUDIO = "audio", "Audio call"
    TELEPHONE = "telephone", "Telephone"
    MESSAGING = "messaging", "Messaging session"
    IN_PERSON = "in_person", "In person"


# Live remote sessions count towards screen-fatigue limits; messaging does not.
LIVE_REMOTE = frozenset({Modality.VIDEO, Modality.AUDIO, Modality.TELEPHONE})
MIN_DURATION, MAX_DURATION = 10, 90


class ClientBooking(models.TextChoices):
    OFF = "off", "Staff book all appointments"
    REQUEST = "request", "Clients request, staff confirm"
    BOOK = "book", "Clients book open slots"


class SchedulingPolicy(models.Model):
    """An organisation's scheduling rules. Therapists may tighten the fatigue limits."""

    organisation = models.OneToOneField(
        Organisation, on_delete=models.CASCADE, related_name="scheduling_policy"
    )
    client_booking = models.CharField(
        max_length=10, choices=ClientBooking.choices, default=ClientBooking.BOOK
    )
    late_cancellation_hours = models.PositiveSmallIntegerField(default=24)
    max_continuous_remote_minutes = models.PositiveSmallIntegerField(
        default=180, help_text="Live remote sessions back to back before a break is due."
    )
    min_break_minutes = models.PositiveSmallIntegerField(
        default=15, help_text="A gap at least this long counts as a break."
    )
    max_daily_video_minutes = models.PositiveSmallIntegerField(default=300)
    reminder_offsets_minutes = models.JSONField(default=list, blank=True)
    booking_horizon_days = models.PositiveSmallIntegerField(default=56)
    slot_step_minutes = models.PositiveSmallIntegerField(default=15)
    minimum_notice_minutes = models.PositiveSmallIntegerField(default=60)

    def __str__(self) -> str:
        return f"Scheduling policy of {self.organisation}"

    @property
    def reminder_offsets(self) -> list[int]:
        return [int(m) for m in (self.reminder_offsets_minutes or [48 * 60, 2 * 60])]


class Site(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="sites")
    name = models.CharField(max_length=200)
    address = models.TextField(blank=True)

    def __str__(self) -> str:
        return self.name


class ServiceType(models.Model):
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="service_types"
    )
    name = models.CharField(max_length=100)
    default_minutes = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(MIN_DURATION), MaxValueValidator(MAX_DURATION)]
    )
    min_minutes = models.PositiveSmallIntegerField(
        default=MIN_DURATION,
        validators=[MinValueValidator(MIN_DURATION), MaxValueValidator(MAX_DURATION)],
    )
    max_minutes = models.PositiveSmallIntegerField(
        default=MAX_DURATION,
        validators=[MinValueValidator(MIN_DURATION), MaxValueValidator(MAX_DURATION)],
    )
    modalities = models.JSONField(default=list, help_text="Allowed modalities.")
    fee_code = models.CharField(max_length=32, blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="unique_service_name"),
            models.CheckConstraint(
                condition=models.Q(min_minutes__lte=models.F("default_minutes"))
                & models.Q(default_minutes__lte=models.F("max_minutes")),
                name="service_duration_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class TherapistProfile(models.Model):
    """Scheduling settings of one clinician in one organisation."""

    membership = models.OneToOneField(
        Membership, on_delete=models.CASCADE, related_name="therapist_profile"
    )
    buffer_minutes = models.PositiveSmallIntegerField(default=10)
    max_continuous_remote_minutes = models.PositiveSmallIntegerField(null=True, blank=True)
    max_daily_video_minutes = models.PositiveSmallIntegerField(null=True, blank=True)
    service_types = models.ManyToManyField(ServiceType, blank=True, related_name="therapists")
    calendar_token_hash = models.CharField(max_length=64, blank=True, db_index=True)

    def __str__(self) -> str:
        return f"Schedule of {self.membership.user}"


class WorkingHours(models.Model):
    """A weekly block, in the therapist's own time zone."""

    profile = models.ForeignKey(
        TherapistProfile, on_delete=models.CASCADE, related_name="working_hours"
    )
    weekday = models.PositiveSmallIntegerField(
        validators=[MaxValueValidator(6)], help_text="0 = Monday"
    )
    start_time = models.TimeField()
    end_time = models.TimeField()
    modalities = models.JSONField(default=list)
    site = models.ForeignKey(Site, on_delete=models.SET_NULL, null=True, blank=True)

    class Meta:
        ordering = ["weekday", "start_time"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(start_time__lt=models.F("end_time")),
                name="working_hours_start_before_end",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start_time}–{self.end_time}"

    def get_weekday_display(self) -> str:
        return ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"][self.weekday]


class AvailabilityException(models.Model):
    class Kind(models.TextChoices):
        TIME_OFF = "time_off", "Time off"
        EXTRA = "extra", "Extra hours"

    profile = models.ForeignKey(
        TherapistProfile, on_delete=models.CASCADE, related_name="exceptions"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    modalities = models.JSONField(default=list, blank=True)
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(starts_at__lt=models.F("ends_at")),
                name="exception_start_before_end",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.starts_at:%Y-%m-%d %H:%M}"


class AppointmentStatus(models.TextChoices):
    REQUESTED = "requested", "Requested"
    BOOKED = "booked", "Booked"
    ARRIVED = "arrived", "Client waiting"
    IN_SESSION = "in_session", "In session"
    ATTENDED = "attended", "Attended"
    DNA = "dna", "Did not attend"
    CANCELLED_CLIENT = "cancelled_client", "Cancelled by client"
    CANCELLED_SERVICE = "cancelled_service", "Cancelled by service"


# Statuses that hold the slot: the database refuses two of these that overlap.
HOLDS_SLOT = (
    AppointmentStatus.REQUESTED,
    AppointmentStatus.BOOKED,
    AppointmentStatus.ARRIVED,
    AppointmentStatus.IN_SESSION,
    AppointmentStatus.ATTENDED,
    AppointmentStatus.DNA,
)
CANCELLED = (AppointmentStatus.CANCELLED_CLIENT, AppointmentStatus.CANCELLED_SERVICE)


class Appointment(models.Model):
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="appointments"
    )
    therapist = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="appointments"
    )
    client = models.ForeignKey(ClientRecord, on_delete=models.PROTECT, related_name="appointments")
    service_type = models.ForeignKey(ServiceType, on_delete=models.PROTECT)
    modality = models.CharField(max_length=12, choices=Modality.choices)
    modality_chosen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    site = models.ForeignKey(Site, on_delete=models.SET_NULL, null=True, blank=True)
    starts_at = models.DateTimeField(db_index=True)
    ends_at = models.DateTimeField()
    # End plus the therapist's buffer: the database keeps these ranges of one therapist
    # apart, so the buffer holds even under concurrent booking.
    blocked_until = models.DateTimeField()
    status = models.CharField(
        max_length=20, choices=AppointmentStatus.choices, default=AppointmentStatus.BOOKED
    )
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    fatigue_override_reason = models.CharField(max_length=300, blank=True)
    # Bumped on every reschedule: reminders and calendar entries carry it.
    sequence = models.PositiveIntegerField(default=0)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    cancellation_reason = models.CharField(max_length=300, blank=True)
    late_cancellation = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["starts_at"]
        indexes = [
            models.Index(fields=["therapist", "starts_at"]),
            models.Index(fields=["client", "starts_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(starts_at__lt=models.F("ends_at")),
                name="appointment_start_before_end",
            )
        ]

    def __str__(self) -> str:
        return f"Appointment {self.pk} at {self.starts_at:%Y-%m-%d %H:%M}Z"

    @property
    def minutes(self) -> int:
        return int((self.ends_at - self.starts_at).total_seconds() // 60)

    @property
    def is_remote(self) -> bool:
        return self.modality != Modality.IN_PERSON

    @property
    def is_cancelled(self) -> bool:
        return self.status in CANCELLED


class Reminder(models.Model):
    """One reminder to send; unique per appointment version, channel and offset, so that
    however many workers run, each is claimed and sent once."""

    class Channel(models.TextChoices):
        EMAIL = "email", "Email"
        SMS = "sms", "Text message"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        SKIPPED = "skipped", "Skipped"
        FAILED = "failed", "Failed"

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="reminders")
    channel = models.CharField(max_length=8, choices=Channel.choices)
    offset_minutes = models.PositiveIntegerField()
    sequence = models.PositiveIntegerField()
    due_at = models.DateTimeField(db_index=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    claimed_by = models.CharField(max_length=64, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["appointment", "channel", "offset_minutes", "sequence"],
                name="one_reminder_per_version",
            )
        ]

    def __str__(self) -> str:
        return f"{self.channel} reminder for appointment {self.appointment_id}"


class WaitlistEntry(models.Model):
    class Status(models.TextChoices):
        WAITING = "waiting", "Waiting"
        OFFERED = "offered", "Offered a slot"
        BOOKED = "booked", "Booked"
        REMOVED = "removed", "Removed"

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE)
    client = models.ForeignKey(ClientRecord, on_delete=models.CASCADE, related_name="waitlist")
    service_type = models.ForeignKey(ServiceType, on_delete=models.PROTECT)
    modalities = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.WAITING)
    added_at = models.DateTimeField(auto_now_add=True)
    offered_appointment = models.ForeignKey(
        Appointment, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["added_at"]

    def __str__(self) -> str:
        return f"Waitlist entry {self.pk}"
