"""A clinician's private iCalendar feed: a secret URL, revocable, client initials only."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

import icalendar
from django.db import transaction
from django.utils import timezone

from hearth.accounts.models import Membership
from hearth.governance.audit import audit_record
from hearth.scheduling.models import CANCELLED, Appointment, Modality, TherapistProfile


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _profile(membership: Membership) -> TherapistProfile:
    profile, _ = TherapistProfile.objects.get_or_create(membership=membership)
    return profile


@transaction.atomic
def calendar_feed_create(*, membership: Membership) -> str:
    """A new secret feed token; any earlier link stops working. Returned once."""
    token = secrets.token_urlsafe(32)
    profile = _profile(membership)
    profile.calendar_token_hash = _hash(token)
    profile.save(update_fields=["calendar_token_hash"])
    audit_record(
        actor=membership.user,
        organisation_id=membership.organisation_id,
        action="calendar_feed.create",
        object_type="therapist_profile",
        object_id=profile.pk,
    )
    return token


@transaction.atomic
def calendar_feed_revoke(*, membership: Membership) -> None:
    profile = _profile(membership)
    profile.calendar_token_hash = ""
    profile.save(update_fields=["calendar_token_hash"])
    audit_record(
        actor=membership.user,
        organisation_id=membership.organisation_id,
        action="calendar_feed.revoke",
        object_type="therapist_profile",
        object_id=profile.pk,
    )


def calendar_feed_profile(token: str) -> TherapistProfile | None:
    if not token:
        return None
    return (
        TherapistProfile.objects.select_related("membership__user")
        .filter(calendar_token_hash=_hash(token), membership__is_active=True)
        .first()
    )


def calendar_feed_ics(profile: TherapistProfile) -> bytes:
    """Appointments from 30 days back to 120 ahead; initials and modality, nothing more."""
    now = timezone.now()
    membership = profile.membership
    appointments = (
        Appointment.objects.filter(
            therapist_id=membership.user_id,
            organisation_id=membership.organisation_id,
            starts_at__gte=now - timedelta(days=30),
            starts_at__lt=now + timedelta(days=120),
        )
        .exclude(status__in=CANCELLED)
        .select_related("client")
        .order_by("starts_at")
    )
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//Hearth//Clinician calendar//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", "Hearth appointments")
    for appointment in appointments:
        event = icalendar.Event()
        event.add("uid", f"appointment-{appointment.pk}@hearth")
        event.add("sequence", appointment.sequence)
        event.add("dtstamp", now)
        event.add("dtstart", appointment.starts_at)
        event.add("dtend", appointment.ends_at)
        event.add(
            "summary",
            f"{appointment.client.initials} · {Modality(appointment.modality).label}",
        )
        calendar.add_component(event)
    audit_record(
        actor=None,
        organisation_id=membership.organisation_id,
        action="calendar_feed.read",
        object_type="therapist_profile",
        object_id=profile.pk,
        changes={"events": len(calendar.subcomponents)},
    )
    return bytes(calendar.to_ical())
