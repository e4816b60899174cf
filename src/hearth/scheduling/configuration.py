"""Service admins configure scheduling: the policy and the service catalogue."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from hearth.accounts.models import Membership, Role
from hearth.governance.audit import audit_record
from hearth.scheduling.models import (
    MAX_DURATION,
    MIN_DURATION,
    Modality,
    SchedulingPolicy,
    ServiceType,
)
from hearth.scheduling.selectors import policy_of

POLICY_FIELDS = (
    "client_booking",
    "late_cancellation_hours",
    "max_continuous_remote_minutes",
    "min_break_minutes",
    "max_daily_video_minutes",
    "booking_horizon_days",
    "minimum_notice_minutes",
    "slot_step_minutes",
)


def _admin(membership: Membership) -> None:
    if membership.role != Role.SERVICE_ADMIN:
        raise PermissionDenied("Only service admins change scheduling settings.")


def reminder_offsets_parse(text: str) -> list[int]:
    """'48, 2' (hours before) → [2880, 120]; a clear error for anything else."""
    hours = []
    for part in text.replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        try:
            value = float(part)
        except ValueError:
            raise ValidationError(
                {"reminder_hours": f"{part!r} is not a number of hours."}
            ) from None
        if not 0.25 <= value <= 24 * 14:
            raise ValidationError(
                {"reminder_hours": "Each reminder is between 15 minutes and 14 days before."}
            )
        hours.append(round(value * 60))
    return sorted(set(hours), reverse=True)


@transaction.atomic
def scheduling_policy_update(
    *, membership: Membership, reminder_hours: str, **values: Any
) -> SchedulingPolicy:
    _admin(membership)
    policy = policy_of(membership.organisation_id)
    unknown = set(values) - set(POLICY_FIELDS)
    if unknown:
        raise ValidationError(f"Unknown settings: {', '.join(sorted(unknown))}.")
    old = {name: getattr(policy, name) for name in values}
    for name, value in values.items():
        setattr(policy, name, value)
    policy.reminder_offsets_minutes = reminder_offsets_parse(reminder_hours)
    policy.full_clean()
    policy.save()
    audit_record(
        actor=membership.user,
        organisation_id=membership.organisation_id,
        action="scheduling_policy.update",
        object_type="scheduling_policy",
        object_id=policy.pk,
        changes={
            name: [str(old[name]), str(values[name])]
            for name in values
            if old[name] != values[name]
        }
        | {"reminder_minutes": policy.reminder_offsets_minutes},
    )
    return policy


@transaction.atomic
def service_type_save(
    *,
    membership: Membership,
    name: str,
    default_minutes: int,
    min_minutes: int,
    max_minutes: int,
    modalities: list[str],
    fee_code: str = "",
    is_active: bool = True,
    service: ServiceType | None = None,
) -> ServiceType:
    """Create a service type, or change ``service``."""
    _admin(membership)
    if not MIN_DURATION <= min_minutes <= default_minutes <= max_minutes <= MAX_DURATION:
        raise ValidationError(
            {
                "default_minutes": f"Durations are {MIN_DURATION}–{MAX_DURATION} minutes, "
                "with shortest ≤ usual ≤ longest."
            }
        )
    if not modalities or set(modalities) - set(Modality.values):
        raise ValidationError({"modalities": "Choose at least one way of meeting."})
    duplicate = ServiceType.objects.filter(
        organisation_id=membership.organisation_id, name__iexact=name.strip()
    ).exclude(pk=service.pk if service else 0)
    if duplicate.exists():
        raise ValidationError({"name": "There is already a service with this name."})
    if service is None:
        service = ServiceType(organisation_id=membership.organisation_id)
    elif service.organisation_id != membership.organisation_id:
        raise PermissionDenied("Not a service of this organisation.")
    service.name = name.strip()
    service.default_minutes, service.min_minutes, service.max_minutes = (
        default_minutes,
        min_minutes,
        max_minutes,
    )
    service.modalities = sorted(set(modalities))
    service.fee_code, service.is_active = fee_code.strip(), is_active
    created = service.pk is None
    service.save()
    audit_record(
        actor=membership.user,
        organisation_id=membership.organisation_id,
        action="service_type.create" if created else "service_type.update",
        object_type="service_type",
        object_id=service.pk,
        changes={"name": service.name, "active": is_active},
    )
    return service
