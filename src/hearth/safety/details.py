"""Writes to a client's safety details and safety plan. Audited by field name only:
addresses, numbers and plan text never enter the audit log.

- ``safety_details_update(membership=..., record=..., **changes)``
- ``safety_plan_save(membership=..., record=..., **sections)``: a new version.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from hearth.accounts.models import Membership, Role
from hearth.clients.models import ClientRecord
from hearth.clients.selectors import client_records_visible_to
from hearth.governance.audit import audit_record
from hearth.safety.models import SAFETY_PLAN_SECTIONS, SafetyDetails, SafetyPlanVersion
from hearth.safety.regions import phone_normalise, place_check
from hearth.safety.selectors import can_read_safety_plan

DETAIL_FIELDS = (
    "home_address",
    "country",
    "region",
    "callback_phone",
    "emergency_contact_name",
    "emergency_contact_relation",
    "emergency_contact_phone",
    "emergency_contact_consent",
    "professionals",
)
LOCATION_FIELDS = ("home_address", "country", "region")
SECTION_NAMES = tuple(name for name, _, _ in SAFETY_PLAN_SECTIONS)
SECTION_MAX = 4000


def _may_see(membership: Membership, record: ClientRecord) -> None:
    if not client_records_visible_to(membership).filter(pk=record.pk).exists():
        raise PermissionDenied("Not a client record you may change.")


def _clean_details(values: dict[str, Any], country_default: str) -> dict[str, Any]:
    clean: dict[str, Any] = {
        name: str(values[name]).strip()
        for name in DETAIL_FIELDS
        if name in values and name != "emergency_contact_consent"
    }
    if "emergency_contact_consent" in values:
        clean["emergency_contact_consent"] = bool(values["emergency_contact_consent"])
    country = clean.get("country", "")
    if country or clean.get("region"):
        clean["country"], clean["region"] = place_check(country, clean.get("region", ""))
    dial_in = clean.get("country") or country_default
    for name in ("callback_phone", "emergency_contact_phone"):
        if clean.get(name):
            clean[name] = phone_normalise(clean[name], dial_in, field=name)
    if clean.get("home_address") and not clean.get("country"):
        raise ValidationError({"country": "Say which country the address is in."})
    return clean


@transaction.atomic
def safety_details_update(
    *, membership: Membership, record: ClientRecord, **changes: Any
) -> SafetyDetails:
    """The client, their clinicians or a service admin change contact and location
    details. Phone numbers must parse; country and region must be known ones."""
    _may_see(membership, record)
    unknown = set(changes) - set(DETAIL_FIELDS)
    if unknown:
        raise ValidationError(f"You cannot change: {', '.join(sorted(unknown))}.")
    details, _ = SafetyDetails.objects.select_for_update().get_or_create(client=record)
    clean = _clean_details(changes, record.organisation.country)
    merged = {name: clean.get(name, getattr(details, name)) for name in DETAIL_FIELDS}
    if bool(merged["emergency_contact_name"]) != bool(merged["emergency_contact_phone"]):
        field = (
            "emergency_contact_phone"
            if merged["emergency_contact_name"]
            else ("emergency_contact_name")
        )
        raise ValidationError({field: "Give the emergency contact's name and phone number."})
    changed = [name for name, value in clean.items() if getattr(details, name) != value]
    if not changed:
        return details
    now = timezone.now()
    for name in changed:
        setattr(details, name, clean[name])
    if "emergency_contact_consent" in changed:
        details.consent_recorded_at = now
    if set(changed) & set(LOCATION_FIELDS):
        details.location_changed_at = now
    details.updated_by = membership.user
    details.save()
    audit_record(
        actor=membership.user,
        organisation_id=record.organisation_id,
        action="safety_details.update",
        object_type="client_record",
        object_id=record.pk,
        changes={
            "fields": sorted(changed),
            **(
                {"emergency_contact_consent": details.emergency_contact_consent}
                if "emergency_contact_consent" in changed
                else {}
            ),
        },
    )
    return details


@transaction.atomic
def safety_plan_save(
    *, membership: Membership, record: ClientRecord, **sections: str
) -> SafetyPlanVersion:
    """Save the plan as a new version. The client and their clinicians write it
    together; service admins do not read or write clinical text."""
    _may_see(membership, record)
    if not can_read_safety_plan(membership, record) or membership.role == Role.SERVICE_ADMIN:
        raise PermissionDenied("Only the client and their clinicians write the safety plan.")
    unknown = set(sections) - set(SECTION_NAMES)
    if unknown:
        raise ValidationError(f"Unknown sections: {', '.join(sorted(unknown))}.")
    # Lock the record so two saves at once get consecutive version numbers.
    ClientRecord.objects.select_for_update().filter(pk=record.pk).first()
    current = SafetyPlanVersion.objects.filter(client=record).first()
    texts = {name: str(sections.get(name, "")).strip() for name in SECTION_NAMES}
    for name, text in texts.items():
        if len(text) > SECTION_MAX:
            raise ValidationError({name: f"Keep each section under {SECTION_MAX} characters."})
    if not any(texts.values()):
        raise ValidationError("Write at least one section of the plan.")
    if current is not None and all(getattr(current, n) == t for n, t in texts.items()):
        return current
    version = (
        SafetyPlanVersion.objects.filter(client=record).aggregate(v=Max("version"))["v"] or 0
    ) + 1
    plan = SafetyPlanVersion.objects.create(
        client=record, version=version, created_by=membership.user, **texts
    )
    audit_record(
        actor=membership.user,
        organisation_id=record.organisation_id,
        action="safety_plan.update",
        object_type="client_record",
        object_id=record.pk,
        changes={
            "version": version,
            "sections": [
                n for n in SECTION_NAMES if texts[n] != (getattr(current, n) if current else "")
            ],
        },
    )
    return plan
