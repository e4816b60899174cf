"""Sending and reading messages. Stored first, published after commit, never twice."""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from hearth.accounts.models import Membership, User
from hearth.governance.audit import audit_record
from hearth.messaging.attachments import CheckedUpload, Upload, attachment_check
from hearth.messaging.delivery import recent_keep
from hearth.messaging.models import (
    Arrangement,
    Attachment,
    Message,
    Notification,
    ReadState,
    Thread,
)
from hearth.platform.realtime import group_send_now

WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def thread_group(thread_id: int) -> str:
    return f"thread.{thread_id}"


def _publish(thread_id: int, event: dict[str, object]) -> None:
    group_send_now(thread_group(thread_id), event)


def thread_for_client(client: object) -> Thread:
    thread, _ = Thread.objects.get_or_create(
        client=client,
        defaults={"organisation_id": client.organisation_id},  # type: ignore[attr-defined]
    )
    return thread


@dataclass(frozen=True)
class SendResult:
    message: Message
    duplicate: bool  # a retry of a message already stored
    # For a client's message the detector reads as risky: the numbers to show at once.
    crisis: tuple[dict[str, str], ...] = ()


def _digest(body: str, files: Sequence[CheckedUpload]) -> str:
    digest = hashlib.sha256(body.encode())
    for upload in files:
        digest.update(b"\0" + upload.filename.encode() + b"\0" + upload.sha256.encode())
    return digest.hexdigest()


def _clean_body(body: str, has_files: bool) -> str:
    body = body.replace("\r\n", "\n").strip()
    limit = settings.HEARTH_MESSAGE_MAX_CHARS
    if not body and not has_files:
        raise ValidationError({"body": "Write a message or attach a file."})
    if len(body) > limit:
        raise ValidationError({"body": f"Messages are at most {limit} characters."})
    return body


def _existing(user: User, client_id: uuid.UUID, thread: Thread, digest: str) -> Message | None:
    message = Message.objects.filter(sender=user, client_id=client_id).first()
    if message is None:
        return None
    if message.thread_id != thread.pk or message.digest != digest:
        raise ValidationError(
            {"client_id": "This message id was already used for a different message."}
        )
    return message


def message_send(
    *,
    membership: Membership,
    thread: Thread,
    client_id: uuid.UUID | str,
    body: str,
    uploads: Sequence[Upload] = (),
) -> SendResult:
    """Store a message (and its attachments) in thread order, then tell the thread.

    ``thread`` must come from ``access_thread`` for this membership. A retry with the
    same ``client_id`` and content returns the stored message; the same id with other
    content is refused. Nothing is stored unless everything is valid.
    """
    try:
        client_id = uuid.UUID(str(client_id))
    except ValueError:
        raise ValidationError({"client_id": "A message id is a UUID."}) from None
    if len(uploads) > 5:
        raise ValidationError({"files": "Attach at most 5 files to one message."})
    files = [attachment_check(upload) for upload in uploads]
    body = _clean_body(body, bool(files))
    digest = _digest(body, files)
    user = membership.user
    existing = _existing(user, client_id, thread, digest)
    if existing is not None:
        return SendResult(existing, duplicate=True)
    try:
        message, crisis = _store(membership, thread, client_id, body, files, digest)
    except IntegrityError:
        # The same send raced itself (two retries at once): the other one stored it.
        existing = _existing(user, client_id, thread, digest)
        if existing is None:
            raise
        return SendResult(existing, duplicate=True)
    return SendResult(message, duplicate=False, crisis=crisis)


@transaction.atomic
def _store(
    membership: Membership,
    thread: Thread,
    client_id: uuid.UUID,
    body: str,
    files: Sequence[CheckedUpload],
    digest: str,
) -> tuple[Message, tuple[dict[str, str], ...]]:
    locked = Thread.objects.select_for_update().get(pk=thread.pk)
    locked.last_seq += 1
    message = Message.objects.create(
        thread=locked,
        seq=locked.last_seq,
        sender=membership.user,
        client_id=client_id,
        digest=digest,
        body=body,
    )
    attachments = []
    for upload in files:
        attachments.append(
            Attachment.objects.create(
                message=message,
                filename=upload.filename,
                content_type=upload.content_type,
                size=len(upload.data),
                sha256=upload.sha256,
                data=base64.b64encode(upload.data).decode("ascii"),
            )
        )
    _read_to(locked, membership.user, message.seq)
    audit_record(
        actor=membership.user,
        organisation_id=locked.organisation_id,
        action="message.send",
        object_type="message_thread",
        object_id=locked.pk,
        changes={"seq": message.seq, "attachments": len(files)},
    )
    crisis: tuple[dict[str, str], ...] = ()
    if membership.user_id == locked.client.user_id:
        crisis = _triage(membership, locked, message)
        _auto_reply_if_out_of_hours(locked)
    _notify_members(locked, membership.user, message.seq)
    locked.save(update_fields=["last_seq"])
    seq = locked.last_seq

    def published() -> None:
        recent_keep(message, attachments)
        _publish(locked.pk, {"type": "thread.message", "seq": seq})

    transaction.on_commit(published)
    return message, crisis


# --- Risk triage ------------------------------------------------------------------------

RULE_RISK_TYPES = {
    "self-harm": "self_harm",
    "self-harm-urge": "self_harm",
    "harm-to-others": "harm_to_others",
    "harm-to-others-thoughts": "harm_to_others",
    "safeguarding": "safeguarding_adult",
    "safeguarding-concern": "safeguarding_adult",
}


def _triage(membership: Membership, thread: Thread, message: Message) -> tuple[dict[str, str], ...]:
    """Read a client's message with the risk-language detector. Medium or high: a risk
    flag for review, with the detector's reasons kept for the care team, and the crisis
    numbers shown to the client at once. High: an incident that alerts the therapist and
    the clinician on duty in real time (and escalates if nobody acknowledges it)."""
    from hearth.safety.escalation import help_request_raise
    from hearth.safety.language import risk_language_assess
    from hearth.safety.models import Incident, RiskLevel, RiskSource, RiskType
    from hearth.safety.risk import risk_flag_raise

    if not message.body:
        return ()
    assessment = risk_language_assess(message.body)
    message.risk_level = assessment.level
    message.risk_reasons = json.dumps(
        [{"label": r.label, "excerpt": r.excerpt, "level": r.level} for r in assessment.reasons]
    )
    message.save(update_fields=["risk_level", "risk_reasons"])
    if not assessment.needs_review:
        return ()
    high = assessment.level == "high"
    types = [RULE_RISK_TYPES.get(r.rule) for r in assessment.reasons if r.level == assessment.level]
    risk_flag_raise(
        organisation=thread.client.organisation,
        client=thread.client,
        type=next((t for t in types if t), RiskType.SUICIDE),
        level=RiskLevel.HIGH if high else RiskLevel.MODERATE,
        source=RiskSource.MESSAGE,
        source_detail=f"Secure message {message.seq}",
    )
    if high:
        help_request_raise(membership=membership, kind=Incident.Kind.MESSAGE)
    return tuple(
        {"name": e.name, "number": e.number, "dial": e.dial, "hours": e.hours}
        for e in _crisis_entries(thread)
    )


def thread_member_ids(thread: Thread) -> set[int]:
    """The client, their therapist, and any other clinician who has written here."""
    ids = {thread.client.user_id, thread.client.therapist_id}
    ids |= set(
        Message.objects.filter(thread=thread, sender__isnull=False)
        .order_by()
        .values_list("sender_id", flat=True)
        .distinct()
    )
    return {i for i in ids if i is not None}


def _notify_members(thread: Thread, sender: User, seq: int) -> None:
    # One pending notification per person and thread (a unique constraint on the
    # pending ones): a burst sends one email. Those already pending are left as they are.
    Notification.objects.bulk_create(
        [
            Notification(user_id=member, thread=thread, first_seq=seq)
            for member in sorted(thread_member_ids(thread) - {sender.pk})
        ],
        ignore_conflicts=True,
    )


def _read_to(thread: Thread, user: User, seq: int) -> ReadState:
    state, _ = ReadState.objects.get_or_create(thread=thread, user=user)
    if seq > state.last_read_seq:
        state.last_read_seq = seq
        state.read_at = timezone.now()
        state.save(update_fields=["last_read_seq", "read_at"])
    return state


@transaction.atomic
def thread_mark_read(*, membership: Membership, thread: Thread, seq: int) -> int:
    """Record that this member has read up to ``seq``; returns how far they have read."""
    seq = max(0, min(int(seq), thread.last_seq))
    state = _read_to(thread, membership.user, seq)
    Notification.objects.filter(
        user=membership.user, thread=thread, sent_at=None, first_seq__lte=state.last_read_seq
    ).delete()
    upto = state.last_read_seq
    user_id = membership.user_id
    transaction.on_commit(
        lambda: _publish(thread.pk, {"type": "thread.read", "user": user_id, "seq": upto})
    )
    return upto


# --- Out of hours -------------------------------------------------------------------


def arrangement_of(thread: Thread) -> Arrangement | None:
    return Arrangement.objects.filter(client=thread.client).first()


def replies_open(arrangement: Arrangement, moment: datetime) -> bool:
    local = moment.astimezone(ZoneInfo(arrangement.time_zone))
    return (
        local.isoweekday() in arrangement.reply_days
        and arrangement.reply_from <= local.time() < arrangement.reply_until
    )


def next_reply_window(arrangement: Arrangement, moment: datetime) -> datetime | None:
    zone = ZoneInfo(arrangement.time_zone)
    local = moment.astimezone(zone)
    for days in range(8):
        day = local.date() + timedelta(days=days)
        if day.isoweekday() not in arrangement.reply_days:
            continue
        opens = datetime.combine(day, arrangement.reply_from, tzinfo=zone)
        closes = datetime.combine(day, arrangement.reply_until, tzinfo=zone)
        if closes > local:
            return max(opens, local)
    return None


def arrangement_summary(arrangement: Arrangement) -> str:
    days = ", ".join(WEEKDAYS[d - 1] for d in sorted(arrangement.reply_days)) or "no days"
    return (
        f"Replies on {days}, {arrangement.reply_from:%H:%M}–{arrangement.reply_until:%H:%M} "
        f"({arrangement.time_zone}), usually within {arrangement.response_hours} hours."
    )


def _crisis_entries(thread: Thread) -> list[Any]:
    from hearth.safety.directory import crisis_numbers_for
    from hearth.safety.models import SafetyDetails

    details = SafetyDetails.objects.filter(client=thread.client).first()
    return crisis_numbers_for(
        thread.organisation_id,
        details.country if details else "",
        details.region if details else "",
    )


def crisis_lines_for(thread: Thread) -> str:
    """The crisis numbers for where the client lives, as one line of plain text."""
    entries = _crisis_entries(thread)
    if not entries:
        return "the emergency number for where you are"
    return "; ".join(f"{e.name} {e.number} ({e.hours})" for e in entries)


def _auto_reply_if_out_of_hours(thread: Thread) -> None:
    arrangement = arrangement_of(thread)
    now = timezone.now()
    if arrangement is None or not arrangement.messaging_therapy or replies_open(arrangement, now):
        return
    recent = Message.objects.filter(
        thread=thread, kind=Message.Kind.AUTO_REPLY, created_at__gte=now - timedelta(hours=12)
    )
    if recent.exists():
        return
    opens = next_reply_window(arrangement, now)
    when = f"from {opens:%A %H:%M}" if opens else "when your therapist is next working"
    text = (
        "Thank you for your message. It is outside your therapist's messaging hours, so "
        f"expect a reply {when} ({arrangement_summary(arrangement)}) "
        "If you need help now, use “I need help now” or call: "
        f"{crisis_lines_for(thread)}."
    )
    thread.last_seq += 1
    Message.objects.create(
        thread=thread,
        seq=thread.last_seq,
        kind=Message.Kind.AUTO_REPLY,
        digest=hashlib.sha256(text.encode()).hexdigest(),
        body=text,
    )


@transaction.atomic
def arrangement_update(
    *,
    membership: Membership,
    thread: Thread,
    messaging_therapy: bool,
    reply_days: list[int],
    reply_from: object,
    reply_until: object,
    response_hours: int,
    time_zone: str,
) -> Arrangement:
    if membership.user_id == thread.client.user_id:
        raise ValidationError("Your therapist sets the messaging arrangement.")
    if not reply_days or any(d not in range(1, 8) for d in reply_days):
        raise ValidationError({"reply_days": "Choose the days replies are sent."})
    if reply_from >= reply_until:  # type: ignore[operator]
        raise ValidationError({"reply_until": "The end of replies must be after the start."})
    if not 1 <= response_hours <= 336:
        raise ValidationError({"response_hours": "Give a reply time of 1 to 336 hours."})
    try:
        ZoneInfo(time_zone)
    except (ValueError, KeyError):
        raise ValidationError({"time_zone": "Unknown time zone."}) from None
    arrangement, _ = Arrangement.objects.update_or_create(
        client=thread.client,
        defaults={
            "messaging_therapy": messaging_therapy,
            "reply_days": sorted(set(reply_days)),
            "reply_from": reply_from,
            "reply_until": reply_until,
            "response_hours": response_hours,
            "time_zone": time_zone,
        },
    )
    audit_record(
        actor=membership.user,
        organisation_id=thread.organisation_id,
        action="messaging_arrangement.update",
        object_type="client_record",
        object_id=thread.client_id,
    )
    return arrangement
