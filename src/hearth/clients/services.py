"""Writes to client records. Audited in the same transaction."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from hearth.accounts.models import CLINICIAN_ROLES, Membership, Organisation, Role, User
from hearth.clients.models import ClientRecord
from hearth.clients.selectors import can_read_clinical_text
from hearth.governance.audit import audit_record

# Fields whose values may appear in the audit log; clinical text only by name.
_PLAIN_FIELDS = ("given_name", "family_name", "preferred_name", "date_of_birth", "email", "phone")
_CLINICAL_FIELDS = ("presenting_summary",)


def _check_therapist(organisation: Organisation, therapist: User | None) -> None:
    if therapist is None:
        return
    if (
        not Membership.objects.active()
        .filter(organisation=organisation, user=therapist, role__in=CLINICIAN_ROLES)
        .exists()
    ):
        raise ValidationError({"therapist": "Choose a therapist from this organisation."})


@transaction.atomic
def client_record_create(
    *,
    membership: Membership | None,
    organisation: Organisation,
    actor: User,
    given_name: str,
    family_name: str,
    user: User | None = None,
    therapist: User | None = None,
    preferred_name: str = "",
    email: str = "",
    phone: str = "",
    presenting_summary: str = "",
) -> ClientRecord:
    """Create a client record. Staff create for their organisation; ``membership`` is None
    only for a client's own self-registration."""
    if membership is not None and membership.role not in {
        Role.THERAPIST,
        Role.SUPERVISOR,
        Role.SERVICE_ADMIN,
    }:
        raise PermissionError("Only therapists, supervisors and admins add clients.")
    if membership is not None and membership.role == Role.SERVICE_ADMIN and presenting_summary:
        raise ValidationError({"presenting_summary": "Service admins do not write clinical text."})
    _check_therapist(organisation, therapist)
    record = ClientRecord.objects.create(
        organisation=organisation,
        user=user,
        therapist=therapist,
        given_name=given_name.strip(),
        family_name=family_name.strip(),
        preferred_name=preferred_name.strip(),
        email=email.strip().lower(),
        phone=phone.strip(),
        presenting_summary=presenting_summary,
    )
    audit_record(
        actor=actor,
        organisation_id=organisation.pk,
        action="client_record.create",
        object_type="client_record",
        object_id=record.pk,
        changes={
            "fields": [f for f in _PLAIN_FIELDS + _CLINICAL_FIELDS if getattr(record, f)],
            "therapist_id": therapist.pk if therapist else None,
        },
    )
    return record


@transaction.atomic
def client_record_update(
    *, membership: Membership, record: ClientRecord, **changes: Any
) -> ClientRecord:
    """Update fields of a record the membership has already accessed."""
    record = ClientRecord.objects.select_for_update().get(pk=record.pk)
    allowed = set(_PLAIN_FIELDS) | {"therapist"}
    if can_read_clinical_text(membership, record) and membership.role != Role.CLIENT:
        allowed |= set(_CLINICAL_FIELDS)
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationError(f"You cannot change: {', '.join(sorted(unknown))}.")
    if "therapist" in changes:
        _check_therapist(record.organisation, changes["therapist"])
    diff: dict[str, Any] = {}
    for name, value in changes.items():
        old = getattr(record, name)
        if old == value:
            continue
        setattr(record, name, value)
        if name in _CLINICAL_FIELDS:
            diff[name] = "changed"  # never the text itself
        elif name == "therapist":
            diff["therapist_id"] = [getattr(old, "pk", None), getattr(value, "pk", None)]
        else:
            diff[name] = [str(old), str(value)]
    if diff:
        record.save()
        audit_record(
            actor=membership.user,
            organisation_id=record.organisation_id,
            action="client_record.update",
            object_type="client_record",
            object_id=record.pk,
            changes=diff,
        )
    return record
