"""A clinician's own availability: weekly hours, buffer and limits, time off."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from hearth.accounts.models import CLINICIAN_ROLES, Membership
from hearth.governance.audit import audit_record
from hearth.scheduling.models import AvailabilityException, Modality, TherapistProfile, WorkingHours


def profile_of(membership: Membership) -> TherapistProfile:
    if membership.role not in CLINICIAN_ROLES:
        raise PermissionDenied("Only clinicians have working hours.")
    profile, _ = TherapistProfile.objects.get_or_create(membership=membership)
    return profile


def _audit(membership: Membership, action: str, object_id: object, **changes: object) -> None:
    audit_record(
        actor=membership.user,
        organisation_id=membership.organisation_id,
        action=f"availability.{action}",
        object_type="therapist_profile",
        object_id=object_id,
        changes={k: str(v) for k, v in changes.items()},
    )


def _modalities(values: list[str]) -> list[str]:
    if not values:
        raise ValidationError({"modalities": "Choose at least one way of meeting."})
    unknown = set(values) - set(Modality.values)
    if unknown:
        raise ValidationError({"modalities": f"Unknown: {', '.join(sorted(unknown))}."})
    return sorted(set(values))


@transaction.atomic
def working_hours_add(
    *, membership: Membership, weekday: int, start_time: time, end_time: time, modalities: list[str]
) -> WorkingHours:
    profile = profile_of(membership)
    if not 0 <= weekday <= 6:
        raise ValidationError({"weekday": "Choose a day of the week."})
    if start_time >= end_time:
        raise ValidationError({"end_time": "The end must be after the start."})
    clash = profile.working_hours.filter(
        weekday=weekday, start_time__lt=end_time, end_time__gt=start_time
    ).first()
    if clash is not None:
        overlap = f"{clash.start_time:%H:%M}–{clash.end_time:%H:%M}"
        raise ValidationError({"start_time": f"This overlaps your hours {overlap}."})
    block = profile.working_hours.create(
        weekday=weekday,
        start_time=start_time,
        end_time=end_time,
        modalities=_modalities(modalities),
    )
    _audit(membership, "hours_add", profile.pk, weekday=weekday, start=start_time, end=end_time)
    return block


@transaction.atomic
def working_hours_remove(*, membership: Membership, block_id: int) -> None:
    profile = profile_of(membership)
    deleted, _ = profile.working_hours.filter(pk=block_id).delete()
    if not deleted:
        raise ValidationError("No such working hours.")
    _audit(membership, "hours_remove", profile.pk, block=block_id)


@transaction.atomic
def profile_limits_update(
    *,
    membership: Membership,
    buffer_minutes: int,
    max_continuous_remote_minutes: int | None,
    max_daily_video_minutes: int | None,
) -> TherapistProfile:
    profile = profile_of(membership)
    if not 0 <= buffer_minutes <= 60:
        raise ValidationError({"buffer_minutes": "Between 0 and 60 minutes."})
    for name, value in (
        ("max_continuous_remote_minutes", max_continuous_remote_minutes),
        ("max_daily_video_minutes", max_daily_video_minutes),
    ):
        if value is not None and not 30 <= value <= 720:
            raise ValidationError({name: "Between 30 and 720 minutes, or blank."})
    profile.buffer_minutes = buffer_minutes
    profile.max_continuous_remote_minutes = max_continuous_remote_minutes
    profile.max_daily_video_minutes = max_daily_video_minutes
    profile.save()
    _audit(
        membership,
        "limits",
        profile.pk,
        buffer=buffer_minutes,
        continuous=max_continuous_remote_minutes,
        video=max_daily_video_minutes,
    )
    return profile


@transaction.atomic
def exception_add(
    *,
    membership: Membership,
    kind: str,
    starts_local: datetime,
    ends_local: datetime,
    reason: str = "",
    modalities: list[str] | None = None,
) -> AvailabilityException:
    """Time off or extra hours, given as wall-clock times in the clinician's own zone."""
    profile = profile_of(membership)
    if kind not in AvailabilityException.Kind.values:
        raise ValidationError({"kind": "Choose time off or extra hours."})
    zone = ZoneInfo(membership.user.time_zone)
    starts_at = starts_local.replace(tzinfo=zone)
    ends_at = ends_local.replace(tzinfo=zone)
    if starts_at >= ends_at:
        raise ValidationError({"ends_at": "The end must be after the start."})
    exception = profile.exceptions.create(
        kind=kind,
        starts_at=starts_at,
        ends_at=ends_at,
        reason=reason.strip()[:200],
        modalities=_modalities(modalities) if modalities else [],
    )
    _audit(membership, "exception_add", profile.pk, kind=kind, starts=starts_at, ends=ends_at)
    return exception


@transaction.atomic
def exception_remove(*, membership: Membership, exception_id: int) -> None:
    profile = profile_of(membership)
    deleted, _ = profile.exceptions.filter(pk=exception_id).delete()
    if not deleted:
        raise ValidationError("No such entry.")
    _audit(membership, "exception_remove", profile.pk, exception=exception_id)
