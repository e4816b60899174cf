"""Open-slot search for one therapist or all who offer a service."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from hearth.accounts.models import Membership, Role
from hearth.scheduling.availability import Limits, load_calendars, slots_for
from hearth.scheduling.models import ServiceType
from hearth.scheduling.selectors import policy_of, therapist_profiles


@dataclass(frozen=True)
class OpenSlot:
    therapist_id: int
    therapist_name: str
    starts_at: datetime
    ends_at: datetime
    modality: str


def open_slots(
    *,
    membership: Membership,
    service_type: ServiceType,
    modality: str,
    start: datetime,
    end: datetime,
    therapist_ids: list[int] | None = None,
    minutes: int | None = None,
) -> list[OpenSlot]:
    """Slots bookable by this membership (clients: within notice and horizon)."""
    policy = policy_of(membership.organisation_id)
    now = timezone.now()
    start = max(start, now)
    if membership.role == Role.CLIENT:
        start = max(start, now + timedelta(minutes=policy.minimum_notice_minutes))
        end = min(end, now + timedelta(days=policy.booking_horizon_days))
    if modality not in service_type.modalities or start >= end:
        return []
    profiles = list(
        therapist_profiles(
            membership.organisation_id, service_type=service_type, user_ids=therapist_ids
        )
    )
    step = timedelta(minutes=policy.slot_step_minutes)
    found: list[OpenSlot] = []
    for calendar in load_calendars(profiles, start, end):
        name = calendar.profile.membership.user.full_name
        for slot in slots_for(
            calendar,
            modality=modality,
            minutes=minutes or service_type.default_minutes,
            start=start,
            end=end,
            limits=Limits.of(policy, calendar.profile),
            step=step,
        ):
            found.append(OpenSlot(slot.therapist_id, name, slot.starts_at, slot.ends_at, modality))
    found.sort(key=lambda s: (s.starts_at, s.therapist_name))
    return found
