"""Safe remote delivery: the crisis directory, safety details and plans, session-start
checks, risk flags, the duty rota, escalations and incidents, suitability."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from hearth.accounts.models import Membership, Organisation
from hearth.clients.models import ClientRecord
from hearth.governance.fields import EncryptedTextField
from hearth.safety.regions import COUNTRY_CHOICES
from hearth.scheduling.models import Appointment


class CrisisKind(models.TextChoices):
    EMERGENCY = "emergency", "Emergency"
    URGENT_MENTAL_HEALTH = "urgent_mental_health", "Urgent mental health"
    HELPLINE = "helpline", "Helpline"
    TEXT = "text", "Text service"


# The order a person in crisis should see them: emergency first.
CRISIS_KIND_ORDER = [kind.value for kind in CrisisKind]


class CrisisService(models.Model):
    """One number in an organisation's crisis directory. Region "" serves the whole country."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="crisis_services"
    )
    country = models.CharField(max_length=2, choices=COUNTRY_CHOICES)
    region = models.CharField(max_length=8, blank=True)
    name = models.CharField(max_length=120)
    number = models.CharField(max_length=32)
    kind = models.CharField(max_length=24, choices=CrisisKind.choices)
    hours = models.CharField(max_length=200)
    source_url = models.URLField(max_length=300)
    notes = models.CharField(max_length=300, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["country", "region", "name"]
        indexes = [models.Index(fields=["organisation", "country", "region"])]

    def __str__(self) -> str:
        return f"{self.name} {self.number}"

    @property
    def dial(self) -> str:
        """The number as a tel: link wants it (no spaces)."""
        return "".join(ch for ch in self.number if ch.isdigit() or ch == "+")


class SafetyDetails(models.Model):
    """How to reach a client and their help in an emergency: one per client record."""

    client = models.OneToOneField(
        ClientRecord, on_delete=models.CASCADE, related_name="safety_details"
    )
    # Where the client usually is: encrypted like clinical text (it says where a
    # vulnerable person lives), shown to their care team in every remote session.
    home_address = EncryptedTextField(blank=True)
    country = models.CharField(max_length=2, choices=COUNTRY_CHOICES, blank=True)
    region = models.CharField(max_length=8, blank=True)
    callback_phone = models.CharField(max_length=20, blank=True, help_text="E.164")
    emergency_contact_name = models.CharField(max_length=200, blank=True)
    emergency_contact_relation = models.CharField(max_length=100, blank=True)
    emergency_contact_phone = models.CharField(max_length=20, blank=True, help_text="E.164")
    emergency_contact_consent = models.BooleanField(default=False)
    consent_recorded_at = models.DateTimeField(null=True, blank=True)
    # GP and other professionals involved: names, practices, numbers.
    professionals = EncryptedTextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    # When the usual location last changed: a suitability review falls due.
    location_changed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Safety details of client {self.client_id}"

    @property
    def has_emergency_contact(self) -> bool:
        return bool(self.emergency_contact_name and self.emergency_contact_phone)


# The six sections of a Stanley–Brown safety plan, in order.
SAFETY_PLAN_SECTIONS = [
    (
        "warning_signs",
        "Warning signs",
        "Thoughts, feelings, situations that a crisis may be coming",
    ),
    ("coping_strategies", "Things I can do on my own", "Ways to take my mind off things"),
    (
        "distractions",
        "People and places that take my mind off things",
        "People to be with and places to go",
    ),
    ("people_to_ask", "People I can ask for help", "Names and numbers"),
    (
        "professionals",
        "Professionals and services I can contact",
        "My therapist, GP, crisis lines",
    ),
    (
        "safe_environment",
        "Making my surroundings safe",
        "Keeping away what I could use to hurt myself",
    ),
]


class SafetyPlanVersion(models.Model):
    """One saved version of a client's safety plan; the newest is the plan. Versions
    are never changed, so the record shows what the plan said and who wrote it when."""

    client = models.ForeignKey(
        ClientRecord, on_delete=models.CASCADE, related_name="safety_plan_versions"
    )
    version = models.PositiveIntegerField()
    warning_signs = EncryptedTextField(blank=True)
    coping_strategies = EncryptedTextField(blank=True)
    distractions = EncryptedTextField(blank=True)
    people_to_ask = EncryptedTextField(blank=True)
    professionals = EncryptedTextField(blank=True)
    safe_environment = EncryptedTextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(fields=["client", "version"], name="one_safety_plan_version")
        ]

    def __str__(self) -> str:
        return f"Safety plan v{self.version} of client {self.client_id}"

    def sections(self) -> list[tuple[str, str, str]]:
        """(label, hint, text) in Stanley–Brown order, for display."""
        return [(label, hint, getattr(self, name)) for name, label, hint in SAFETY_PLAN_SECTIONS]


class SessionStartCheck(models.Model):
    """Where the client is and how to reach help, confirmed at the start of a remote
    session; the therapist reviews it (or overrides, with a reason) before starting."""

    class Location(models.TextChoices):
        HOME = "home", "At my home address"
        OTHER = "other", "Somewhere else"

    appointment = models.OneToOneField(
        Appointment, on_delete=models.CASCADE, related_name="session_check"
    )
    location = models.CharField(max_length=8, choices=Location.choices, blank=True)
    # A copy of the address confirmed for this session: the home address may change later.
    address = EncryptedTextField(blank=True)
    country = models.CharField(max_length=2, blank=True)
    region = models.CharField(max_length=8, blank=True)
    callback_phone = models.CharField(max_length=20, blank=True)
    is_private = models.BooleanField(null=True)
    others_present = EncryptedTextField(blank=True)
    emergency_contact_correct = models.BooleanField(null=True)
    confirmed_by_client_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    # Set when the therapist took the answers by telephone.
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    override_reason = EncryptedTextField(blank=True)
    overridden_at = models.DateTimeField(null=True, blank=True)
    overridden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )

    def __str__(self) -> str:
        return f"Session-start check of appointment {self.appointment_id}"


class RiskType(models.TextChoices):
    SUICIDE = "suicide", "Suicide"
    SELF_HARM = "self_harm", "Self-harm"
    HARM_TO_OTHERS = "harm_to_others", "Harm to others"
    SAFEGUARDING_CHILD = "safeguarding_child", "Safeguarding (child)"
    SAFEGUARDING_ADULT = "safeguarding_adult", "Safeguarding (adult)"
    OTHER = "other", "Other"


class RiskLevel(models.TextChoices):
    LOW = "low", "Low"
    MODERATE = "moderate", "Moderate"
    HIGH = "high", "High"


RISK_LEVEL_ORDER = [level.value for level in RiskLevel]


class RiskSource(models.TextChoices):
    CLINICIAN = "clinician", "Clinical assessment"
    DISCLOSURE = "disclosure", "Disclosed by the client"
    MEASURE = "measure", "Questionnaire answer"
    HELP_REQUEST = "help_request", "Client asked for help now"
    MESSAGE = "message", "Risk language in a secure message"
    THIRD_PARTY = "third_party", "Someone else told us"
    OTHER = "other", "Other"


class RiskFlag(models.Model):
    """A disclosed or detected risk on a client's record, active until resolved."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        RESOLVED = "resolved", "Resolved"

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    client = models.ForeignKey(ClientRecord, on_delete=models.CASCADE, related_name="risk_flags")
    type = models.CharField(max_length=24, choices=RiskType.choices)
    level = models.CharField(max_length=10, choices=RiskLevel.choices)
    source = models.CharField(max_length=16, choices=RiskSource.choices)
    # Where it came from, without content: "PHQ-9 item 9", "session 12 May".
    source_detail = models.CharField(max_length=100, blank=True)
    note = EncryptedTextField(blank=True)
    review_due = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    raised_at = models.DateTimeField(auto_now_add=True)
    # None when raised automatically (a questionnaire answer).
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolution_note = EncryptedTextField(blank=True)

    class Meta:
        ordering = ["status", "-raised_at"]
        indexes = [models.Index(fields=["client", "status"])]

    def __str__(self) -> str:
        return f"{self.get_type_display()} risk ({self.level}) for client {self.client_id}"


class EscalationPolicy(models.Model):
    """How an organisation escalates: how long an alert may go unacknowledged, and the
    service lead who is alerted when the duty rota is exhausted."""

    organisation = models.OneToOneField(
        Organisation, on_delete=models.CASCADE, related_name="escalation_policy"
    )
    ack_minutes = models.PositiveSmallIntegerField(
        default=5, help_text="Minutes an alert may go unacknowledged before it moves on."
    )
    service_lead = models.ForeignKey(
        Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    def __str__(self) -> str:
        return f"Escalation policy of {self.organisation}"


class DutyShift(models.Model):
    """A clinician on duty (on call) for risk escalations for a stretch of time.
    Position 1 is alerted first; position 2 when position 1 does not answer, and so on."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="duty_shifts"
    )
    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="+")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    position = models.PositiveSmallIntegerField(default=1)

    class Meta:
        ordering = ["starts_at", "position"]
        indexes = [models.Index(fields=["organisation", "starts_at", "ends_at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(starts_at__lt=models.F("ends_at")),
                name="duty_shift_start_before_end",
            )
        ]

    def __str__(self) -> str:
        return f"Duty {self.position}: {self.membership.user} from {self.starts_at:%Y-%m-%d %H:%M}"


class Incident(models.Model):
    """A risk event and everything done about it, step by step, until a supervisor
    reviews and closes it."""

    class Kind(models.TextChoices):
        HELP_REQUEST = "help_request", "Client asked for help now"
        DISCLOSURE = "disclosure", "Risk disclosed in a session"
        MESSAGE = "message", "High-risk language in a message"

    class Status(models.TextChoices):
        OPEN = "open", "Waiting for acknowledgement"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"
        CLOSED = "closed", "Reviewed and closed"

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    client = models.ForeignKey(ClientRecord, on_delete=models.PROTECT, related_name="incidents")
    appointment = models.ForeignKey(
        Appointment, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    opened_at = models.DateTimeField()
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # Where the client was, as known when it opened.
    address = EncryptedTextField(blank=True)
    country = models.CharField(max_length=2, blank=True)
    region = models.CharField(max_length=8, blank=True)
    location_confirmed = models.BooleanField(default=False)
    # Escalation: how far up the chain it has gone, and when it next moves on.
    escalation_level = models.PositiveSmallIntegerField(default=0)
    ack_due_at = models.DateTimeField(null=True, blank=True, db_index=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    review_note = EncryptedTextField(blank=True)

    class Meta:
        ordering = ["-opened_at"]

    def __str__(self) -> str:
        return f"Incident {self.pk} ({self.kind})"


class IncidentStep(models.Model):
    """One timestamped step of an incident: who was alerted, who acknowledged, what was done."""

    class Kind(models.TextChoices):
        OPENED = "opened", "Opened"
        ALERTED = "alerted", "Alerted"
        ESCALATED = "escalated", "Escalated"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"
        ACTION = "action", "Action taken"
        EXHAUSTED = "exhausted", "Nobody left to alert"
        CLOSED = "closed", "Reviewed and closed"

    class Action(models.TextChoices):
        EMERGENCY_SERVICES = "emergency_services", "Called emergency services"
        EMERGENCY_CONTACT = "emergency_contact", "Contacted the emergency contact"
        SAFETY_PLAN = "safety_plan", "Agreed a safety plan"
        CRISIS_TEAM = "crisis_team", "Referred to the crisis team"
        CALLED_CLIENT = "called_client", "Called the client back"
        OTHER = "other", "Other"

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="steps")
    at = models.DateTimeField()
    kind = models.CharField(max_length=16, choices=Kind.choices)
    # The person alerted, or the person who acted.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    action = models.CharField(max_length=24, choices=Action.choices, blank=True)
    note = EncryptedTextField(blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.kind} at {self.at:%H:%M:%S}"


class SuitabilityAssessment(models.Model):
    """One version of the judgement that remote delivery fits a client, and the client's
    own choice. Versions are never changed; the newest is the current one."""

    client = models.ForeignKey(
        ClientRecord, on_delete=models.CASCADE, related_name="suitability_assessments"
    )
    version = models.PositiveIntegerField()
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    assessed_at = models.DateTimeField()
    risk_level = models.CharField(max_length=10, choices=RiskLevel.choices)
    presentation = EncryptedTextField(blank=True)
    capacity = EncryptedTextField(blank=True)
    preference = EncryptedTextField(blank=True)
    privacy = EncryptedTextField(blank=True)
    technology = EncryptedTextField(blank=True)
    access_needs = EncryptedTextField(blank=True, help_text="Language and accessibility needs")
    # Which modalities were judged suitable: names only, so bookings can be checked.
    suitable_modalities = models.JSONField(default=list)
    # {modality: {"suitable": bool, "reason": str}}: the reasons are clinical text.
    judgements = EncryptedTextField()
    client_choice = models.CharField(max_length=12)
    choice_recorded_at = models.DateTimeField()
    choice_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    review_due = models.DateField()

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(fields=["client", "version"], name="one_suitability_version")
        ]

    def __str__(self) -> str:
        return f"Suitability v{self.version} of client {self.client_id}"


class SuitabilityBookingReason(models.Model):
    """Why a remote appointment was booked despite the suitability warning."""

    appointment = models.OneToOneField(
        Appointment, on_delete=models.CASCADE, related_name="suitability_reason"
    )
    warning = models.CharField(max_length=300)
    reason = EncryptedTextField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Suitability reason for appointment {self.appointment_id}"
