"""Suitability for remote delivery, the client's own choice, and when to review it.

Public interface:
- ``suitability_assess(membership=..., record=..., ...)``: a new version
- ``suitability_current(record)``, ``suitability_judgements(assessment)``
- ``suitability_review_reasons(record, assessment)``: why a review is due, in words
- ``suitability_worklist(membership)``: the clinician's clients with a review due
- ``suitability_booking_warning(client, modality)``: what booking this would be warned
  about; ``suitability_booking_check(...)``: the booking rule (a reason is needed);
  ``suitability_client_refusal(client, modality)``: what a client may not book themselves
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from hearth.accounts.models import CLINICIAN_ROLES, Membership, User
from hearth.clients.models import ClientRecord
from hearth.clients.selectors import client_records_visible_to
from hearth.governance.audit import audit_record
from hearth.safety.models import (
    RISK_LEVEL_ORDER,
    RiskFlag,
    RiskLevel,
    SafetyDetails,
    SuitabilityAssessment,
    SuitabilityBookingReason,
)
from hearth.scheduling.models import Appointment, AppointmentStatus, Modality

REVIEW_INTERVAL_DAYS = 91  # about three months
TEXT_FIELDS = ("presentation", "capacity", "preference", "privacy", "technology", "access_needs")
REMOTE = [m for m in Modality.values if m != Modality.IN_PERSON]


class SuitabilityWarning(ValidationError):
    """Booking a remote session needs a reason: no current assessment, or the modality
    was judged unsuitable. The message says which."""


def _clinician_for(membership: Membership, record: ClientRecord) -> None:
    if membership.role not in CLINICIAN_ROLES or not (
        client_records_visible_to(membership).filter(pk=record.pk).exists()
    ):
        raise PermissionDenied("Only the client's clinicians assess suitability.")


@transaction.atomic
def suitability_assess(
    *,
    membership: Membership,
    record: ClientRecord,
    risk_level: str,
    judgements: dict[str, tuple[bool, str]],
    client_choice: str,
    review_interval_days: int = REVIEW_INTERVAL_DAYS,
    **texts: str,
) -> SuitabilityAssessment:
    """Record a new version: the modalities judged suitable or not (each with its
    reason) and the modality the client chose, today, with this clinician."""
    _clinician_for(membership, record)
    unknown = set(texts) - set(TEXT_FIELDS)
    if unknown:
        raise ValidationError(f"Unknown fields: {', '.join(sorted(unknown))}.")
    if risk_level not in RiskLevel.values:
        raise ValidationError({"risk_level": f"Unknown risk level {risk_level!r}."})
    if not judgements:
        raise ValidationError({"judgements": "Judge at least one way of meeting."})
    for modality, (_, reason) in judgements.items():
        if modality not in Modality.values:
            raise ValidationError({"judgements": f"Unknown modality {modality!r}."})
        if not reason.strip():
            raise ValidationError(
                {"judgements": f"Give the reason for the judgement on {Modality(modality).label}."}
            )
    if client_choice not in Modality.values:
        raise ValidationError({"client_choice": "Record which way of meeting the client chose."})
    if not 7 <= review_interval_days <= 365:
        raise ValidationError({"review_interval_days": "Review between 7 and 365 days from now."})
    ClientRecord.objects.select_for_update().filter(pk=record.pk).first()
    version = (
        SuitabilityAssessment.objects.filter(client=record).aggregate(v=Max("version"))["v"] or 0
    ) + 1
    now = timezone.now()
    assessment = SuitabilityAssessment.objects.create(
        client=record,
        version=version,
        assessed_by=membership.user,
        assessed_at=now,
        risk_level=risk_level,
        suitable_modalities=sorted(m for m, (ok, _) in judgements.items() if ok),
        judgements=json.dumps(
            {
                m: {"suitable": ok, "reason": reason.strip()}
                for m, (ok, reason) in judgements.items()
            }
        ),
        client_choice=client_choice,
        choice_recorded_at=now,
        choice_recorded_by=membership.user,
        review_due=timezone.localdate() + timedelta(days=review_interval_days),
        **{name: texts.get(name, "").strip() for name in TEXT_FIELDS},
    )
    audit_record(
        actor=membership.user,
        organisation_id=record.organisation_id,
        action="suitability.assess",
        object_type="client_record",
        object_id=record.pk,
        changes={
            "version": version,
            "suitable": assessment.suitable_modalities,
            "client_choice": client_choice,
        },
    )
    return assessment


def suitability_current(record: ClientRecord | int) -> SuitabilityAssessment | None:
    record_id = record if isinstance(record, int) else record.pk
    return SuitabilityAssessment.objects.filter(client_id=record_id).first()


def suitability_judgements(assessment: SuitabilityAssessment) -> dict[str, dict[str, object]]:
    return dict(json.loads(assessment.judgements))


def suitability_review_reasons(
    record: ClientRecord, assessment: SuitabilityAssessment | None = None
) -> list[str]:
    """Why this client's suitability should be reviewed now; empty when it need not be."""
    assessment = assessment or suitability_current(record)
    if assessment is None:
        return ["No suitability assessment yet."]
    reasons = []
    if timezone.localdate() >= assessment.review_due:
        reasons.append(f"The review was due on {assessment.review_due:%d %b %Y}.")
    assessed_rank = RISK_LEVEL_ORDER.index(assessment.risk_level)
    risen = [
        flag
        for flag in RiskFlag.objects.filter(
            client=record, status=RiskFlag.Status.ACTIVE, raised_at__gt=assessment.assessed_at
        )
        if RISK_LEVEL_ORDER.index(flag.level) > assessed_rank
    ]
    if risen:
        reasons.append("Risk has risen since the assessment.")
    dnas = Appointment.objects.filter(
        client=record, status=AppointmentStatus.DNA, starts_at__gt=assessment.assessed_at
    ).count()
    if dnas >= 2:
        reasons.append(f"{dnas} missed appointments since the assessment.")
    moved = SafetyDetails.objects.filter(
        client=record, location_changed_at__gt=assessment.assessed_at
    ).exists()
    if moved:
        reasons.append("The client's usual location has changed.")
    return reasons


@dataclass(frozen=True)
class WorklistEntry:
    record: ClientRecord
    assessment: SuitabilityAssessment | None
    reasons: list[str]


def suitability_worklist(membership: Membership) -> list[WorklistEntry]:
    """The clinician's caseload (a supervisor's team's) with a suitability review due."""
    if membership.role not in CLINICIAN_ROLES:
        return []
    entries = []
    for record in client_records_visible_to(membership).select_related("therapist"):
        assessment = suitability_current(record)
        reasons = suitability_review_reasons(record, assessment)
        if reasons:
            entries.append(WorklistEntry(record, assessment, reasons))
    audit_record(
        actor=membership.user,
        organisation_id=membership.organisation_id,
        action="suitability.list",
        object_type="client_record",
        changes={"count": len(entries)},
    )
    return entries


def suitability_booking_warning(client: ClientRecord, modality: str) -> str:
    """What a booker must be told before booking ``client`` remotely; "" for nothing."""
    if modality not in REMOTE:
        return ""
    assessment = suitability_current(client)
    label = Modality(modality).label.lower()
    if assessment is None:
        return "There is no suitability assessment for remote sessions with this client."
    if modality not in assessment.suitable_modalities:
        return f"The latest suitability assessment did not judge {label} suitable."
    return ""


def suitability_client_refusal(client: ClientRecord | None, modality: str) -> str:
    """Why a client may not book themselves in ``modality``: their current assessment
    did not judge it suitable. "" when they may."""
    assessment = suitability_current(client) if client is not None else None
    if modality not in REMOTE or assessment is None:
        return ""
    if modality in assessment.suitable_modalities:
        return ""
    label = Modality(modality).label.lower()
    return (
        f"Your therapist has not agreed sessions by {label} with you. "
        "Choose another way of meeting, or ask your therapist about it."
    )


CLIENT_BOOKED_REASON = "Booked by the client before any suitability assessment."


def suitability_booking_check(
    *, booker: User, client: ClientRecord, modality: str, reason: str, by_client: bool = False
) -> tuple[str, str]:
    """The booking rule: with a warning, a reason is needed. Returns (warning, reason).

    Staff give the reason. A client booking for themselves cannot be asked for a clinical
    reason: a modality their assessment judged unsuitable is refused (they may choose
    another); with no assessment yet, the booking stands with that fact recorded, and the
    review shows on the therapist's worklist.
    """
    warning = suitability_booking_warning(client, modality)
    if not warning:
        return "", ""
    if by_client:
        refusal = suitability_client_refusal(client, modality)
        if refusal:
            raise SuitabilityWarning({"modality": refusal})
        return warning, CLIENT_BOOKED_REASON
    if not reason.strip():
        raise SuitabilityWarning(
            {"suitability_reason": f"{warning} Give a reason to book it anyway."}
        )
    return warning, reason.strip()


def suitability_booking_reason_record(
    *, appointment: Appointment, booker: User, warning: str, reason: str
) -> SuitabilityBookingReason:
    """Keep the reason with the appointment, in the booking's transaction."""
    kept = SuitabilityBookingReason.objects.create(
        appointment=appointment, warning=warning[:300], reason=reason, recorded_by=booker
    )
    audit_record(
        actor=booker,
        organisation_id=appointment.organisation_id,
        action="suitability.booking_override",
        object_type="appointment",
        object_id=appointment.pk,
        changes={"modality": appointment.modality},
    )
    return kept
