"""Reading the audit log: service admins see their own organisation's events."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import Q, QuerySet

from hearth.accounts.models import Membership
from hearth.governance.models import AuditEvent


def audit_events_for(
    membership: Membership,
    *,
    action: str = "",
    actor: str = "",
    object_type: str = "",
    object_id: str = "",
    since: date | None = None,
    until: date | None = None,
) -> QuerySet[AuditEvent]:
    """Events of the admin's organisation, plus security events of its members."""
    member_ids = Membership.objects.filter(organisation_id=membership.organisation_id).values(
        "user_id"
    )
    events = AuditEvent.objects.filter(
        Q(organisation_id=membership.organisation_id)
        | Q(organisation_id__isnull=True, actor_id__in=member_ids)
    )
    filters: dict[str, Any] = {}
    if action:
        filters["action__startswith"] = action
    if actor:
        filters["actor_email__icontains"] = actor
    if object_type:
        filters["object_type"] = object_type
    if object_id:
        filters["object_id"] = object_id
    if since:
        filters["created_at__date__gte"] = since
    if until:
        filters["created_at__date__lte"] = until
    return events.filter(**filters).order_by("-seq")
