"""Reads of client records. ``access_client_record`` is the only way to fetch one."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404

from hearth.accounts.models import Membership, Role
from hearth.accounts.selectors import audit_denied
from hearth.clients.models import ClientRecord
from hearth.governance.audit import audit_record


def client_records_visible_to(membership: Membership) -> QuerySet[ClientRecord]:
    """The records this membership may see, by role. Never crosses organisations."""
    records = ClientRecord.objects.filter(organisation_id=membership.organisation_id)
    role = membership.role
    if role == Role.CLIENT:
        return records.filter(user_id=membership.user_id)
    if role == Role.THERAPIST:
        return records.filter(therapist_id=membership.user_id)
    if role == Role.SUPERVISOR:
        team = Membership.objects.filter(supervisor=membership, is_active=True).values("user_id")
        return records.filter(Q(therapist_id=membership.user_id) | Q(therapist_id__in=team))
    if role == Role.SERVICE_ADMIN:
        return records
    return records.none()  # commissioners see aggregates only


def can_read_clinical_text(membership: Membership, record: ClientRecord) -> bool:
    """Service admins manage records but do not read clinical free text."""
    return membership.role in {Role.THERAPIST, Role.SUPERVISOR} or (
        membership.role == Role.CLIENT and record.user_id == membership.user_id
    )


def access_client_record(
    membership: Membership, record_id: int, *, purpose: str = "view"
) -> ClientRecord:
    """Fetch a record the membership may see, and audit the read; otherwise 404.

    A missing and a forbidden record look the same to the caller; the forbidden
    attempt is audited as a security event.
    """
    record = client_records_visible_to(membership).filter(pk=record_id).first()
    if record is None:
        audit_denied(membership, object_type="client_record", object_id=record_id)
        raise Http404("No such client record.")
    audit_record(
        actor=membership.user,
        organisation_id=membership.organisation_id,
        action=f"client_record.{purpose}",
        object_type="client_record",
        object_id=record.pk,
    )
    return record
