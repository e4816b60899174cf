"""The duty rota, "I need help now", escalation and incidents.

Public interface:
- ``help_request_raise(membership=...)`` → ``HelpOutcome``: a client asks for help now;
  their therapist and the duty clinician are alerted in real time and by email
- ``escalation_acknowledge(membership=..., incident=...)``: someone alerted responds
- ``escalations_advance(now=...)``: the periodic job; an alert unacknowledged for the
  organisation's ``ack_minutes`` moves to the next person on duty, then the service lead
- ``incident_action_record`` / ``incident_close``: what was done; a supervisor's review
- ``duty_shift_add`` / ``duty_shift_remove`` / ``escalation_policy_update``: the rota
- ``risk_disclosure_record(membership=..., appointment=..., ...)``: the therapist's risk
  panel in a session; ``disclosures_of(appointment)`` lists what was recorded
- ``alert_group(user_id)``: the Channels group a person's alerts are sent to
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from hearth.accounts.models import CLINICIAN_ROLES, Membership, Role, User
from hearth.accounts.selectors import audit_denied
from hearth.clients.models import ClientRecord
from hearth.clients.selectors import client_records_visible_to
from hearth.governance.audit import audit_record
from hearth.platform.realtime import group_send_now
from hearth.safety.directory import crisis_numbers_for
from hearth.safety.models import (
    CrisisService,
    DutyShift,
    EscalationPolicy,
    Incident,
    IncidentStep,
    RiskLevel,
    RiskSource,
    SafetyDetails,
    SessionStartCheck,
)
from hearth.safety.regions import place_label
from hearth.safety.risk import risk_flag_raise
from hearth.scheduling.models import Appointment

logger = logging.getLogger(__name__)

# A second press soon after the first joins the same incident instead of alerting again.
REPEAT_WINDOW = timedelta(minutes=15)
# A session-start check this recent still says where the client is.
CHECK_STILL_CURRENT = timedelta(hours=3)
MAX_SHIFT = timedelta(days=7)


def alert_group(user_id: int) -> str:
    return f"alerts.user.{user_id}"


def policy_of(organisation_id: int) -> EscalationPolicy:
    policy, _ = EscalationPolicy.objects.get_or_create(organisation_id=organisation_id)
    return policy


def on_duty(organisation_id: int, at: datetime) -> QuerySet[DutyShift]:
    return (
        DutyShift.objects.filter(
            organisation_id=organisation_id,
            starts_at__lte=at,
            ends_at__gt=at,
            membership__is_active=True,
        )
        .select_related("membership__user")
        .order_by("position", "pk")
    )


# --- Escalation chain -------------------------------------------------------------


def _chain(incident: Incident, at: datetime) -> list[list[User]]:
    """Who is alerted at each level: the client's therapist and the first on duty, then
    each further duty position, then the service lead (or, with none named, the
    organisation's supervisors)."""
    shifts = list(on_duty(incident.organisation_id, at))
    positions = sorted({s.position for s in shifts})
    by_position = [[s.membership.user for s in shifts if s.position == p] for p in positions]
    first: list[User] = [incident.client.therapist] if incident.client.therapist else []
    levels = [first + (by_position[0] if by_position else []), *by_position[1:]]
    lead = policy_of(incident.organisation_id).service_lead
    if lead is not None and lead.is_active:
        levels.append([lead.user])
    else:
        levels.append(
            [
                m.user
                for m in Membership.objects.active()
                .filter(organisation_id=incident.organisation_id, role=Role.SUPERVISOR)
                .select_related("user")
            ]
        )
    return levels


def alerted_user_ids(incident: Incident) -> set[int]:
    return set(
        incident.steps.filter(kind=IncidentStep.Kind.ALERTED).values_list("user_id", flat=True)
    )


def _alert_next(incident: Incident, at: datetime, *, start: int) -> bool:
    """Alert the first level from ``start`` with someone not yet alerted; False if none."""
    already = alerted_user_ids(incident)
    for level, users in enumerate(_chain(incident, at)):
        fresh = list({u.pk: u for u in users if u.pk not in already}.values())
        if level < start or not fresh:
            continue
        for user in fresh:
            IncidentStep.objects.create(
                incident=incident, at=at, kind=IncidentStep.Kind.ALERTED, user=user
            )
        incident.escalation_level = level
        incident.ack_due_at = at + timedelta(
            minutes=policy_of(incident.organisation_id).ack_minutes
        )
        incident.save(update_fields=["escalation_level", "ack_due_at"])
        ids = [u.pk for u in fresh]
        transaction.on_commit(partial(_deliver, incident.pk, ids, escalated=level > 0))
        return True
    return False


def _deliver(incident_id: int, user_ids: list[int], *, escalated: bool) -> None:
    """Real time first, then email. Neither carries clinical content; the real-time
    alert names the client to the clinicians it reaches, the email does not."""
    incident = Incident.objects.select_related("client").get(pk=incident_id)
    url = reverse("incident_detail", kwargs={"incident_id": incident_id})
    what = "asked for help now" if incident.kind == Incident.Kind.HELP_REQUEST else "is at risk"
    text = f"{incident.client.display_name} {what}." + (
        " Nobody has responded yet: this alert was escalated to you." if escalated else ""
    )
    for user_id in user_ids:
        try:
            group_send_now(
                alert_group(user_id),
                {"type": "alert.new", "incident": incident_id, "url": url, "text": text},
            )
        except Exception:
            logger.exception("real-time alert for incident %s failed", incident_id)
    message = (
        "A client may need help now and this alert has reached you"
        + (" because nobody has responded yet" if escalated else "")
        + ".\n\nOpen Hearth to acknowledge it and see what to do:\n"
        + f"{settings.HEARTH_SITE_URL.rstrip('/')}{url}\n"
    )
    # One email each: a failure for one address must not stop the others.
    for address in User.objects.filter(pk__in=user_ids).values_list("email", flat=True):
        try:
            send_mail(
                subject="Hearth: urgent alert, please respond now",
                message=message,
                from_email=None,
                recipient_list=[address],
            )
        except Exception:
            logger.exception("alert email for incident %s failed", incident_id)


# --- Help now ----------------------------------------------------------------------


@dataclass(frozen=True)
class ClientPlace:
    address: str
    country: str
    region: str
    confirmed: bool

    @property
    def label(self) -> str:
        return place_label(self.country, self.region)


def client_place(record: ClientRecord, at: datetime | None = None) -> ClientPlace:
    """Where the client is as far as we know: a recent session-start check, else the
    record on file, else the organisation's country."""
    at = at or timezone.now()
    check = (
        SessionStartCheck.objects.filter(
            appointment__client=record, confirmed_by_client_at__gte=at - CHECK_STILL_CURRENT
        )
        .order_by("-confirmed_by_client_at")
        .first()
    )
    if check is not None:
        return ClientPlace(check.address, check.country, check.region, True)
    details = SafetyDetails.objects.filter(client=record).first()
    if details is not None and details.country:
        return ClientPlace(details.home_address, details.country, details.region, False)
    return ClientPlace("", record.organisation.country, "", False)


@dataclass(frozen=True)
class HelpOutcome:
    incident: Incident
    place: ClientPlace
    crisis_numbers: list[CrisisService]
    repeated: bool


def _own_record(membership: Membership) -> ClientRecord:
    if membership.role != Role.CLIENT:
        raise PermissionDenied("Only clients ask for help this way.")
    record = client_records_visible_to(membership).select_related("therapist").first()
    if record is None:
        raise ValidationError("There is no client record for you here yet.")
    return record


def help_numbers_for(membership: Membership) -> tuple[ClientPlace, list[CrisisService]]:
    """The crisis numbers for where a client is: shown before anything else happens."""
    record = _own_record(membership)
    place = client_place(record)
    return place, crisis_numbers_for(record.organisation_id, place.country, place.region)


@transaction.atomic
def help_request_raise(
    *, membership: Membership, kind: str = Incident.Kind.HELP_REQUEST
) -> HelpOutcome:
    """The client pressed "I need help now" (or wrote a high-risk message: ``kind``):
    open an incident and alert people."""
    record = _own_record(membership)
    now = timezone.now()
    place = client_place(record, now)
    numbers = crisis_numbers_for(record.organisation_id, place.country, place.region)
    recent = (
        Incident.objects.select_for_update()
        .filter(
            client=record,
            kind=kind,
            status=Incident.Status.OPEN,
            opened_at__gte=now - REPEAT_WINDOW,
        )
        .first()
    )
    if recent is not None:
        IncidentStep.objects.create(
            incident=recent, at=now, kind=IncidentStep.Kind.OPENED, user=membership.user
        )
        return HelpOutcome(recent, place, numbers, repeated=True)
    incident = Incident.objects.create(
        organisation_id=record.organisation_id,
        client=record,
        kind=kind,
        opened_at=now,
        opened_by=membership.user,
        address=place.address,
        country=place.country,
        region=place.region,
        location_confirmed=place.confirmed,
    )
    IncidentStep.objects.create(
        incident=incident, at=now, kind=IncidentStep.Kind.OPENED, user=membership.user
    )
    if not _alert_next(incident, now, start=0):
        IncidentStep.objects.create(incident=incident, at=now, kind=IncidentStep.Kind.EXHAUSTED)
    audit_record(
        actor=membership.user,
        organisation_id=record.organisation_id,
        action="incident.open",
        object_type="incident",
        object_id=incident.pk,
        changes={"kind": incident.kind, "client_id": record.pk},
    )
    return HelpOutcome(incident, place, numbers, repeated=False)


# --- Escalating, acknowledging, acting, closing ----------------------------------


def escalations_advance(*, now: datetime | None = None) -> int:
    """Move every alert unacknowledged past its time to the next level; return how many.
    Safe in several workers at once: each incident is claimed with a skip-locked lock."""
    now = now or timezone.now()
    due = list(
        Incident.objects.filter(status=Incident.Status.OPEN, ack_due_at__lte=now).values_list(
            "pk", flat=True
        )
    )
    moved = 0
    for incident_id in due:
        with transaction.atomic():
            incident = (
                Incident.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("client__therapist")
                .filter(pk=incident_id, status=Incident.Status.OPEN, ack_due_at__lte=now)
                .first()
            )
            if incident is None:
                continue
            IncidentStep.objects.create(incident=incident, at=now, kind=IncidentStep.Kind.ESCALATED)
            if not _alert_next(incident, now, start=incident.escalation_level + 1):
                IncidentStep.objects.create(
                    incident=incident, at=now, kind=IncidentStep.Kind.EXHAUSTED
                )
                incident.ack_due_at = None
                incident.save(update_fields=["ack_due_at"])
            audit_record(
                actor=None,
                organisation_id=incident.organisation_id,
                action="incident.escalate",
                object_type="incident",
                object_id=incident.pk,
                changes={"level": incident.escalation_level},
            )
            moved += 1
    return moved


def _step_audited(
    incident: Incident,
    membership: Membership,
    kind: str,
    *,
    at: datetime,
    action: str = "",
    note: str = "",
) -> IncidentStep:
    """One timestamped step by a person, and its audit event (never the note)."""
    step = IncidentStep.objects.create(
        incident=incident, at=at, kind=kind, user=membership.user, action=action, note=note
    )
    audit_record(
        actor=membership.user,
        organisation_id=incident.organisation_id,
        action=f"incident.{'action' if kind == IncidentStep.Kind.ACTION else kind}",
        object_type="incident",
        object_id=incident.pk,
        changes={"action": action} if action else None,
    )
    return step


def _locked(incident: Incident) -> Incident:
    return (
        Incident.objects.select_for_update(of=("self",))
        .select_related("client")
        .get(pk=incident.pk)
    )


@transaction.atomic
def escalation_acknowledge(*, membership: Membership, incident: Incident) -> Incident:
    """Someone who was alerted takes it on. Once only; nobody else may."""
    incident = _locked(incident)
    if incident.organisation_id != membership.organisation_id:
        raise PermissionDenied("Not an incident of your organisation.")
    if incident.acknowledged_at is not None:
        who = incident.acknowledged_by.full_name if incident.acknowledged_by else "someone"
        raise ValidationError(f"Already acknowledged by {who}.")
    if incident.status == Incident.Status.CLOSED:
        raise ValidationError("This incident is closed.")
    if membership.user_id not in alerted_user_ids(incident):
        raise ValidationError("You are not on the rota for this escalation.")
    now = timezone.now()
    incident.status, incident.acknowledged_at = Incident.Status.ACKNOWLEDGED, now
    incident.acknowledged_by, incident.ack_due_at = membership.user, None
    incident.save(update_fields=["status", "acknowledged_at", "acknowledged_by", "ack_due_at"])
    _step_audited(incident, membership, IncidentStep.Kind.ACKNOWLEDGED, at=now)
    ids = sorted(alerted_user_ids(incident))
    transaction.on_commit(partial(_tell_acknowledged, incident.pk, ids, membership.user.full_name))
    return incident


def _tell_acknowledged(incident_id: int, user_ids: list[int], name: str) -> None:
    for user_id in user_ids:
        try:
            group_send_now(
                alert_group(user_id),
                {"type": "alert.acknowledged", "incident": incident_id, "by": name},
            )
        except Exception:
            logger.exception("acknowledgement notice for incident %s failed", incident_id)


@transaction.atomic
def incident_action_record(
    *, membership: Membership, incident: Incident, action: str, note: str = ""
) -> IncidentStep:
    """A clinician records what they did (called emergency services, …), timestamped."""
    incident = _locked(incident)
    if membership.role not in CLINICIAN_ROLES:
        raise PermissionDenied("Only clinicians record actions on an incident.")
    if action not in IncidentStep.Action.values:
        raise ValidationError({"action": f"Unknown action {action!r}."})
    if incident.status == Incident.Status.CLOSED:
        raise ValidationError("This incident is closed.")
    return _step_audited(
        incident,
        membership,
        IncidentStep.Kind.ACTION,
        at=timezone.now(),
        action=action,
        note=note.strip(),
    )


@transaction.atomic
def incident_close(*, membership: Membership, incident: Incident, review_note: str) -> Incident:
    """A supervisor reviews the incident and closes it."""
    if membership.role != Role.SUPERVISOR:
        raise PermissionDenied("A supervisor reviews and closes incidents.")
    incident = _locked(incident)
    if incident.status == Incident.Status.CLOSED:
        raise ValidationError("This incident is already closed.")
    if incident.acknowledged_at is None:
        raise ValidationError("Nobody has acknowledged this incident yet.")
    if not review_note.strip():
        raise ValidationError({"review_note": "Write the review before closing."})
    now = timezone.now()
    incident.status, incident.closed_at, incident.closed_by = (
        Incident.Status.CLOSED,
        now,
        (membership.user),
    )
    incident.review_note = review_note.strip()
    incident.save(update_fields=["status", "closed_at", "closed_by", "review_note"])
    _step_audited(incident, membership, IncidentStep.Kind.CLOSED, at=now)
    return incident


def incidents_visible_to(membership: Membership) -> QuerySet[Incident]:
    """Supervisors see every incident of the organisation (they review them); a
    therapist those of their caseload and those they were alerted to."""
    base = Incident.objects.filter(organisation_id=membership.organisation_id)
    if membership.role == Role.SUPERVISOR:
        return base
    if membership.role != Role.THERAPIST:
        return base.none()
    alerted = IncidentStep.objects.filter(
        kind=IncidentStep.Kind.ALERTED, user_id=membership.user_id
    ).values("incident_id")
    caseload = client_records_visible_to(membership).values("pk")
    return base.filter(pk__in=alerted) | base.filter(client_id__in=caseload)


def access_incident(membership: Membership, incident_id: int, *, purpose: str = "view") -> Incident:
    incident = (
        incidents_visible_to(membership)
        .select_related("client", "acknowledged_by", "closed_by", "opened_by")
        .filter(pk=incident_id)
        .first()
    )
    if incident is None:
        audit_denied(membership, object_type="incident", object_id=incident_id)
        raise Http404("No such incident.")
    audit_record(
        actor=membership.user,
        organisation_id=membership.organisation_id,
        action=f"incident.{purpose}",
        object_type="incident",
        object_id=incident.pk,
    )
    return incident


# --- The rota ----------------------------------------------------------------------


def _rota_keeper(membership: Membership) -> None:
    if membership.role not in (Role.SERVICE_ADMIN, Role.SUPERVISOR):
        raise PermissionDenied("Service admins and supervisors keep the duty rota.")


@transaction.atomic
def duty_shift_add(
    *,
    membership: Membership,
    clinician: Membership,
    starts_at: datetime,
    ends_at: datetime,
    position: int = 1,
) -> DutyShift:
    _rota_keeper(membership)
    if (
        clinician.organisation_id != membership.organisation_id
        or clinician.role not in CLINICIAN_ROLES
        or not clinician.is_active
    ):
        raise ValidationError({"clinician": "Choose a clinician of this organisation."})
    if timezone.is_naive(starts_at) or timezone.is_naive(ends_at):
        raise ValidationError({"starts_at": "Give times with their time zone."})
    if ends_at <= starts_at:
        raise ValidationError({"ends_at": "A shift ends after it starts."})
    if ends_at - starts_at > MAX_SHIFT:
        raise ValidationError({"ends_at": "A shift lasts at most 7 days."})
    if ends_at <= timezone.now():
        raise ValidationError({"ends_at": "This shift is already over."})
    if not 1 <= position <= 9:
        raise ValidationError({"position": "Give a position from 1 (first on call) to 9."})
    shift = DutyShift.objects.create(
        organisation_id=membership.organisation_id,
        membership=clinician,
        starts_at=starts_at,
        ends_at=ends_at,
        position=position,
    )
    audit_record(
        actor=membership.user,
        organisation_id=membership.organisation_id,
        action="duty_shift.add",
        object_type="duty_shift",
        object_id=shift.pk,
        changes={"user_id": clinician.user_id, "position": position},
    )
    return shift


@transaction.atomic
def duty_shift_remove(*, membership: Membership, shift: DutyShift) -> None:
    _rota_keeper(membership)
    if shift.organisation_id != membership.organisation_id:
        raise PermissionDenied("Not a shift of your organisation.")
    audit_record(
        actor=membership.user,
        organisation_id=membership.organisation_id,
        action="duty_shift.remove",
        object_type="duty_shift",
        object_id=shift.pk,
    )
    shift.delete()


@transaction.atomic
def escalation_policy_update(
    *, membership: Membership, ack_minutes: int, service_lead: Membership | None
) -> EscalationPolicy:
    if membership.role != Role.SERVICE_ADMIN:
        raise PermissionDenied("Only service admins change how alerts escalate.")
    if not 1 <= ack_minutes <= 60:
        raise ValidationError({"ack_minutes": "Give between 1 and 60 minutes."})
    if service_lead is not None and (
        service_lead.organisation_id != membership.organisation_id
        or service_lead.role not in CLINICIAN_ROLES
    ):
        raise ValidationError({"service_lead": "Choose a clinician of this organisation."})
    policy = policy_of(membership.organisation_id)
    policy.ack_minutes, policy.service_lead = ack_minutes, service_lead
    policy.save()
    audit_record(
        actor=membership.user,
        organisation_id=membership.organisation_id,
        action="escalation_policy.update",
        object_type="escalation_policy",
        object_id=policy.pk,
        changes={
            "ack_minutes": ack_minutes,
            "service_lead_user_id": getattr(service_lead, "user_id", None),
        },
    )
    return policy


# --- A disclosure in a session ----------------------------------------------------


@transaction.atomic
def risk_disclosure_record(
    *,
    membership: Membership,
    appointment: Appointment,
    type: str,
    level: str,
    actions: list[str],
    note: str = "",
) -> Incident:
    """The therapist's risk panel in a session: a risk flag on the record and an incident
    with each action taken, timestamped, and where the client is. The therapist is
    dealing with it, so it is acknowledged at once; a high risk also alerts the
    clinicians on duty."""
    from hearth.safety.checks import check_role, session_check_status

    if check_role(membership, appointment) != "therapist":
        raise PermissionDenied("Only the session's therapist records a disclosure here.")
    unknown = [a for a in actions if a not in IncidentStep.Action.values]
    if unknown:
        raise ValidationError({"actions": f"Unknown action {unknown[0]!r}."})
    record = appointment.client
    now = timezone.now()
    risk_flag_raise(
        organisation=appointment.organisation,
        client=record,
        type=type,
        level=level,
        source=RiskSource.DISCLOSURE,
        source_detail=f"Session on {appointment.starts_at:%d %b %Y}",
        note=note,
        raised_by=membership,
    )
    location = session_check_status(appointment).location
    incident = Incident.objects.create(
        organisation_id=appointment.organisation_id,
        client=record,
        appointment=appointment,
        kind=Incident.Kind.DISCLOSURE,
        status=Incident.Status.ACKNOWLEDGED,
        opened_at=now,
        opened_by=membership.user,
        address=location.address if location else "",
        country=location.country if location else "",
        region=location.region if location else "",
        location_confirmed=bool(location and location.confirmed),
        acknowledged_at=now,
        acknowledged_by=membership.user,
    )
    IncidentStep.objects.create(
        incident=incident, at=now, kind=IncidentStep.Kind.OPENED, user=membership.user
    )
    _step_audited(incident, membership, IncidentStep.Kind.ACKNOWLEDGED, at=now)
    for action in actions:
        _step_audited(incident, membership, IncidentStep.Kind.ACTION, at=now, action=action)
    if level == RiskLevel.HIGH:
        shifts = on_duty(appointment.organisation_id, now)
        first = min((s.position for s in shifts), default=None)
        duty = [s.membership.user for s in shifts if s.position == first]
        duty = [u for u in duty if u.pk != membership.user_id]
        for user in duty:
            IncidentStep.objects.create(
                incident=incident, at=now, kind=IncidentStep.Kind.ALERTED, user=user
            )
        if duty:
            transaction.on_commit(
                partial(_deliver, incident.pk, [u.pk for u in duty], escalated=False)
            )
    return incident


def disclosures_of(appointment: Appointment) -> list[Incident]:
    return list(
        Incident.objects.filter(appointment=appointment, kind=Incident.Kind.DISCLOSURE)
        .prefetch_related("steps__user")
        .order_by("opened_at")
    )
