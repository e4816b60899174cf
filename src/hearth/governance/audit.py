"""Writing and verifying the audit chain.

Every clinical read and write, and every security event, goes through ``audit_record``
inside the same transaction as the change it describes.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.ipv6 import clean_ipv6_address

from hearth.governance.context import current_audit_context
from hearth.governance.models import AuditChainHead, AuditEvent

GENESIS_HASH = "0" * 64
USER_AGENT_MAX = AuditEvent._meta.get_field("user_agent").max_length or 300


def _hashed_ip(value: str | None) -> str | None:
    """The address in one spelling, as the hash covers it.

    The database may hand an address back spelt differently from how it was written
    (PostgreSQL's ``inet`` prints ``::10.0.0.1`` where Django writes ``::a00:1``), so
    both sides of the comparison are put in Django's spelling before hashing.
    """
    if value and ":" in value:
        try:
            return clean_ipv6_address(value)
        except ValidationError:
            return value
    return value


def _stored_ip(value: str | None) -> str | None:
    """The client address to record: a valid IP address in Django's spelling, else None.

    An address that is not an IP (a proxy's ``unknown``, a scope suffix) would be
    refused by PostgreSQL's ``inet`` column and fail the audited action with it.
    """
    if not value:
        return None
    try:
        address = ipaddress.ip_address(value.split("%", 1)[0])
    except ValueError:
        return None
    return _hashed_ip(str(address))


def _hashed_json(value: Any) -> Any:
    """``changes`` with its numbers as PostgreSQL's ``jsonb`` may hand them back.

    ``jsonb`` stores numbers as decimals, so a whole-valued float comes back as an
    integer (``1e16`` → ``10000000000000000``, ``-0.0`` → ``0.0``); both sides of the
    comparison hash such a number as the integer.
    """
    if isinstance(value, float) and value.is_integer():
        return int(Decimal(repr(value)))  # 1.5e300 → 15 and 299 zeros, as jsonb has it
    if isinstance(value, dict):
        return {key: _hashed_json(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_hashed_json(item) for item in value]
    return value


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
        "ip": _hashed_ip(event.ip),
        "user_agent": event.user_agent,
        "reason": event.reason,
        "changes": _hashed_json(event.changes),
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
        head = AuditChainHead.objects.select_for_update().filter(pk=1).first()
        if head is None:
            # A fresh (or flushed) database: create the head; the primary key makes
            # concurrent creators agree on one row.
            AuditChainHead.objects.get_or_create(pk=1)
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
            ip=_stored_ip(context.ip),
            user_agent=context.user_agent[:USER_AGENT_MAX],
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
    """Walk the chain from the start; report the first broken or missing link.

    The log may be live while it is checked. The head is read before the walk, so every
    entry it counts was committed before the walk began and must be there (anything cut
    from the end is missing); the head is read again after the walk, so every entry the
    walk saw must be counted by it (an entry added without moving the head is foreign).
    Entries appended by writers during the walk fall between the two and are fine.
    """
    head_before = AuditChainHead.objects.filter(pk=1).first()
    if head_before is None:
        return ChainReport(0, ChainProblem(None, "the chain head (audit head #1) is missing"))
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
        if event.seq == head_before.seq and event.hash != head_before.hash:
            return ChainReport(
                checked,
                ChainProblem(
                    event.seq,
                    f"entry #{event.seq} is not the entry that was written "
                    "(the log was rewritten from here or earlier)",
                ),
            )
        prev_hash, expected_seq, checked = event.hash, expected_seq + 1, checked + 1
    if checked < head_before.seq:
        first, last = checked + 1, head_before.seq
        missing = f"entry #{first} is" if first == last else f"entries #{first} to #{last} are"
        return ChainReport(
            checked,
            ChainProblem(
                first,
                f"{missing} missing: the log ends at entry #{checked} "
                f"but entry #{last} was written",
            ),
        )
    head_after = AuditChainHead.objects.filter(pk=1).first()
    if head_after is None:
        return ChainReport(checked, ChainProblem(None, "the chain head (audit head #1) is missing"))
    if head_after.seq < checked:
        return ChainReport(
            checked,
            ChainProblem(
                head_after.seq + 1,
                f"entry #{head_after.seq + 1} was not appended through the chain head "
                f"(the head ends at entry #{head_after.seq})",
            ),
        )
    return ChainReport(checked, None)


def audit_list_read(membership: Any, *, object_type: str, count: int) -> None:
    """One audit event for a page or endpoint that listed clinical objects."""
    audit_record(
        actor=membership.user,
        organisation_id=membership.organisation_id,
        action=f"{object_type}.list",
        object_type=object_type,
        changes={"count": count},
    )
