"""Reads of safety information. ``access_client_safety`` fetches a client record for its
safety pages, checks permission and audits the read; the rest read what the caller has
already been allowed to see."""

from __future__ import annotations

from django.http import Http404

from hearth.accounts.models import Membership, Role
from hearth.accounts.selectors import audit_denied
from hearth.clients.models import ClientRecord
from hearth.clients.selectors import can_read_clinical_text, client_records_visible_to
from hearth.governance.audit import audit_record
from hearth.safety.models import SAFETY_PLAN_SECTIONS, SafetyDetails, SafetyPlanVersion


def access_client_safety(
    membership: Membership, record_id: int, *, purpose: str = "view"
) -> ClientRecord:
    """The client's own record, a clinician's caseload (or team's), or any record for a
    service admin; anything else is 404 and audited as a denied access."""
    record = (
        client_records_visible_to(membership)
        .select_related("therapist", "organisation")
        .filter(pk=record_id)
        .first()
    )
    if record is None:
        audit_denied(membership, object_type="safety_details", object_id=record_id)
        raise Http404("No such client record.")
    audit_record(
        actor=membership.user,
        organisation_id=membership.organisation_id,
        action=f"safety_details.{purpose}",
        object_type="client_record",
        object_id=record.pk,
    )
    return record


def own_record_id(membership: Membership) -> int | None:
    """A client's own record in the organisation they act in."""
    if membership.role != Role.CLIENT:
        return None
    return client_records_visible_to(membership).values_list("pk", flat=True).first()


def can_read_safety_plan(membership: Membership, record: ClientRecord) -> bool:
    """The plan is clinical text: the client and their clinicians, not service admins."""
    return can_read_clinical_text(membership, record)


def safety_details_of(record: ClientRecord) -> SafetyDetails:
    """The record's safety details; an unsaved empty one when none were given yet."""
    details = SafetyDetails.objects.filter(client=record).first()
    return details or SafetyDetails(client=record)


def safety_plan_current(record: ClientRecord) -> SafetyPlanVersion | None:
    return SafetyPlanVersion.objects.filter(client=record).select_related("created_by").first()


def safety_plan_history(record: ClientRecord) -> list[SafetyPlanVersion]:
    """Who saved each version and when (the texts are only decrypted when shown)."""
    return list(
        SafetyPlanVersion.objects.filter(client=record)
        .select_related("created_by")
        .defer(*(name for name, _, _ in SAFETY_PLAN_SECTIONS))
    )
