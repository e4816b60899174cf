"""Writing and verifying the audit chain.

Every clinical read and write, and every security event, goes through ``audit_record``
inside the same transaction as the change it describes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from hearth.governance.context import current_audit_context
from hearth.governance.models import AuditChainHead, AuditEvent

GENESIS_HASH = "0" * 64


def _canonical(event: AuditEvent) -> bytes:
    """The bytes a row's hash covers: every field but the hash itself."""
    created: datetime = event.created_at
    payload = {
        "seq": event.seq,
        "created_at": created.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor_id": event.actor_id,
        "actor_email": event.actor_email,
        "organisation_id": event.organisation_id,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "ip": event.ip,
        "user_agent": event.user_agent,
        "reason": event.reason,
        "changes": event.changes,
        "prev_hash": event.prev_hash,
    }
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str).encode()


def event_hash(event: AuditEvent) -> str:
    return hashlib.sha256(_canonical(event)).hexdigest()


def audit_record(
    *,
    actor: Any,
    action: str,
    organisation_id: int | None = None,
    object_type: str = "",
    object_id: object = "",
    reason: str = "",
    changes: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to the chain, in the caller's transaction if there is one.

    ``actor`` is a user, or None/AnonymousUser for events without a signed-in actor.
    """
    context = current_audit_context()
    actor_id = getattr(actor, "pk", None) if getattr(actor, "is_authenticated", False) else None
    actor_email = getattr(actor, "email", "") if actor_id else ""
    with transaction.atomic():
        # The lock is held to the end of the outermost transaction, so appends are
        # serialised in commit order and the chain never forks.
        head = AuditChainHead.objects.select_for_update().get(pk=1)
        event = AuditEvent(
            seq=head.seq + 1,
            created_at=timezone.now(),
            actor_id=actor_id,
            actor_email=actor_email or "",
            organisation_id=organisation_id,
            action=action,
            object_type=object_type,
            object_id=str(object_id) if object_id not in (None, "") else "",
            ip=context.ip,
            user_agent=context.user_agent,
            reason=reason[:500],
            changes=changes or {},
            prev_hash=head.hash,
        )
        event.hash = event_hash(event)
        event.save(force_insert=True)
        head.seq, head.hash = event.seq, event.hash
        head.save(update_fields=["seq", "hash"])
    return event


@dataclass(frozen=True)
class ChainProblem:
    seq: int | None
    message: str


@dataclass(frozen=True)
class ChainReport:
    checked: int
    problem: ChainProblem | None

    @property
    def ok(self) -> bool:
        return self.problem is None


def _events() -> Iterator[AuditEvent]:
    return AuditEvent.objects.order_by("seq").iterator(chunk_size=2000)


def audit_verify() -> ChainReport:
    """Walk the chain from the start; report the first broken or missing link."""
    expected_seq, prev_hash, checked = 1, GENESIS_HASH, 0
    for event in _events():
        if event.seq != expected_seq:
            return ChainReport(
                checked,
                ChainProblem(expected_seq, f"entry #{expected_seq} is missing"),
            )
        if event.prev_hash != prev_hash:
            return ChainReport(
                checked,
                ChainProblem(
                    event.seq,
                    f"entry #{event.seq} does not follow entry #{event.seq - 1} "
                    "(removed, replaced or reordered)",
                ),
            )
        if event_hash(event) != event.hash:
            return ChainReport(
                checked,
                ChainProblem(event.seq, f"entry #{event.seq} was altered after it was written"),
            )
        prev_hash, expected_seq, checked = event.hash, expected_seq + 1, checked + 1
    head = AuditChainHead.objects.get(pk=1)
    if head.seq != checked or head.hash != prev_hash:
        return ChainReport(
            checked,
            ChainProblem(
                checked + 1,
                f"the log ends at entry #{checked} but entry #{head.seq} was written",
            ),
        )
    return ChainReport(checked, None)
