"""Secure messaging: stored encrypted, in order, once; attachments checked by content."""

from __future__ import annotations

import base64
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import time, timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from hearth.accounts.personas import Cast
from hearth.governance.models import AuditEvent
from hearth.messaging.attachments import Upload
from hearth.messaging.models import Arrangement, Attachment, Message, Notification
from hearth.messaging.notifications import SUBJECT, message_notifications_send
from hearth.messaging.selectors import access_thread, threads_with_unread, unread_count
from hearth.messaging.services import (
    message_send,
    next_reply_window,
    replies_open,
    thread_for_client,
    thread_mark_read,
)
from tests.conftest import Inbox

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="
)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
ELF = b"\x7fELF\x02\x01\x01" + bytes(64)


def send(cast: Cast, who: str, body: str = "Hello", **kwargs: Any) -> Any:
    thread = thread_for_client(cast.records["alice"])
    kwargs.setdefault("client_id", uuid.uuid4())
    return message_send(membership=cast.memberships[who], thread=thread, body=body, **kwargs)


@pytest.mark.django_db
def test_messages_are_stored_encrypted_in_order_and_audited(cast: Cast) -> None:
    first = send(cast, "alice", "I slept better this week.")
    second = send(cast, "tom", "That is good to hear.")
    assert (first.message.seq, second.message.seq) == (1, 2)
    with connection.cursor() as cursor:
        cursor.execute("SELECT body FROM messaging_message ORDER BY seq")
        raw = [row[0] for row in cursor.fetchall()]
    assert all(value.startswith("hearth:v1:") for value in raw)
    assert "slept" not in "".join(raw)
    assert Message.objects.get(seq=1).body == "I slept better this week."
    assert AuditEvent.objects.filter(action="message.send").count() == 2


@pytest.mark.django_db
def test_a_retry_is_not_a_duplicate_and_a_reused_id_is_refused(cast: Cast) -> None:
    client_id = uuid.uuid4()
    first = send(cast, "alice", "Same words", client_id=client_id)
    again = send(cast, "alice", "Same words", client_id=client_id)
    assert again.duplicate and again.message.pk == first.message.pk
    with pytest.raises(ValidationError, match="already used for a different message"):
        send(cast, "alice", "Other words", client_id=client_id)
    assert Message.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "uploads", "error"),
    [
        ("   ", [], "Write a message or attach a file"),
        ("x" * 10_001, [], "at most 10000 characters"),
        ("Hi", [Upload("tool.pdf", ELF)], "not a file type that can be sent"),
        ("Hi", [Upload("photo.pdf", PNG)], "does not match its content"),
        ("Hi", [Upload("empty.txt", b"")], "is empty"),
        ("Hi", [Upload(f"n{i}.png", PNG) for i in range(6)], "at most 5 files"),
    ],
    ids=["empty", "too-long", "disallowed", "mislabelled", "empty-file", "too-many"],
)
def test_bad_messages_are_refused_and_store_nothing(
    cast: Cast, body: str, uploads: list[Upload], error: str
) -> None:
    with pytest.raises(ValidationError, match=error):
        send(cast, "alice", body, uploads=uploads)
    assert not Message.objects.exists() and not Attachment.objects.exists()


@pytest.mark.django_db
def test_oversized_attachment_is_refused(cast: Cast, settings: Any) -> None:
    settings.HEARTH_ATTACHMENT_MAX_BYTES = 1024 * 1024
    big = PDF + b" " * (1024 * 1024)
    with pytest.raises(ValidationError, match="larger than 1 MB"):
        send(cast, "alice", "Big", uploads=[Upload("big.pdf", big)])
    with pytest.raises(ValidationError, match="A message id is a UUID"):
        send(cast, "alice", "Hi", client_id="not-a-uuid")
    assert not Message.objects.exists()


@pytest.mark.django_db
def test_only_the_care_team_reads_a_thread(cast: Cast) -> None:
    thread = thread_for_client(cast.records["alice"])
    for who in ("alice", "tom", "sam"):
        assert access_thread(cast.memberships[who], thread.pk) == thread
    for who in ("charlie", "theo", "ada", "cora", "olive"):
        with pytest.raises(Http404):
            access_thread(cast.memberships[who], thread.pk)
    assert AuditEvent.objects.filter(action="access.denied").count() >= 5


@pytest.mark.django_db
def test_attachments_download_only_for_thread_members_and_are_audited(
    cast: Cast, as_persona: Any
) -> None:
    sent = send(cast, "alice", "My worksheet", uploads=[Upload("sheet.pdf", PDF)])
    attachment = sent.message.attachments.get()
    assert attachment.content_type == "application/pdf"
    url = reverse("message_attachment", args=[attachment.pk])
    for who in ("alice", "tom"):
        response = as_persona(who).get(url)
        assert response.status_code == 200 and response.content == PDF
        assert response["Content-Disposition"].startswith("attachment;")
        assert response["X-Content-Type-Options"] == "nosniff"
    for who in ("charlie", "theo", "olive"):
        assert as_persona(who).get(url).status_code == 404
    assert AuditEvent.objects.filter(action="message_attachment.download").count() == 2


@pytest.mark.django_db
def test_out_of_hours_the_client_gets_one_automatic_reply(cast: Cast) -> None:
    today = timezone.now().astimezone().isoweekday()
    Arrangement.objects.create(
        client=cast.records["alice"],
        messaging_therapy=True,
        reply_days=[d for d in range(1, 8) if d != today],
        reply_from=time(0, 0),
        reply_until=time(23, 59),
        time_zone="UTC",
    )
    send(cast, "alice", "Are you there?")
    send(cast, "alice", "Sorry, one more thing")
    send(cast, "tom", "Replying on my day off")
    kinds = list(Message.objects.order_by("seq").values_list("kind", flat=True))
    assert kinds == ["message", "auto_reply", "message", "message"]
    reply = Message.objects.get(kind="auto_reply")
    assert "outside your therapist's messaging hours" in reply.body
    assert "I need help now" in reply.body
    # The crisis numbers of the organisation's directory (England by default).
    assert "Samaritans 116 123" in reply.body


def zone_at_midday() -> str:
    """A fixed-offset zone where it is now between 06:00 and 18:00."""
    shift = 12 - timezone.now().hour  # -11 … +12 hours from UTC
    return "Etc/GMT" if shift == 0 else f"Etc/GMT{'-' if shift > 0 else '+'}{abs(shift)}"


@pytest.mark.django_db
def test_within_hours_there_is_no_automatic_reply(cast: Cast) -> None:
    arrangement = Arrangement.objects.create(
        client=cast.records["alice"],
        messaging_therapy=True,
        reply_days=list(range(1, 8)),
        reply_from=time(6),
        reply_until=time(18),
        time_zone=zone_at_midday(),
    )
    assert replies_open(arrangement, timezone.now())
    send(cast, "alice", "Hello")
    assert not Message.objects.filter(kind="auto_reply").exists()


def test_reply_hours_follow_the_therapists_zone_and_days() -> None:
    from datetime import UTC, datetime

    arrangement = Arrangement(
        reply_days=[1, 2, 3, 4, 5],
        reply_from=time(9),
        reply_until=time(17),
        time_zone="Europe/London",
    )
    friday_evening = datetime(2026, 7, 3, 16, 30, tzinfo=UTC)  # 17:30 in London (BST)
    assert not replies_open(arrangement, friday_evening)
    assert replies_open(arrangement, datetime(2026, 7, 3, 15, 0, tzinfo=UTC))
    opens = next_reply_window(arrangement, friday_evening)
    assert opens is not None and opens.isoformat() == "2026-07-06T09:00:00+01:00"


@pytest.mark.django_db
def test_a_burst_sends_one_notification_without_content(
    cast: Cast, smtp: Inbox, settings: Any
) -> None:
    settings.HEARTH_MESSAGE_NOTIFY_AFTER_SECONDS = 0
    for text in ("First", "Second", "Third, about my medication"):
        send(cast, "tom", text)
    assert Notification.objects.filter(user=cast.users["alice"]).count() == 1
    assert unread_count(cast.memberships["alice"]) == 3
    Notification.objects.update(created_at=timezone.now() - timedelta(seconds=1))
    assert message_notifications_send() == 1
    assert message_notifications_send() == 0
    [mail] = smtp.messages
    assert mail["Subject"] == SUBJECT and mail["To"] == cast.users["alice"].email
    text = mail.get_payload()
    assert "medication" not in text and "First" not in text
    assert reverse("message_thread", args=[thread_for_client(cast.records["alice"]).pk]) in text


@pytest.mark.django_db
def test_reading_clears_unread_and_the_pending_notification(cast: Cast) -> None:
    send(cast, "tom", "Hello")
    send(cast, "tom", "Are you free Tuesday?")
    thread = thread_for_client(cast.records["alice"])
    thread.refresh_from_db()
    assert thread_mark_read(membership=cast.memberships["alice"], thread=thread, seq=99) == 2
    assert unread_count(cast.memberships["alice"]) == 0
    assert not Notification.objects.filter(user=cast.users["alice"]).exists()


@pytest.mark.django_db
def test_each_thread_counts_its_unread_messages_in_one_query(
    cast: Cast, django_assert_num_queries: Any
) -> None:
    send(cast, "tom", "Hello")
    send(cast, "tom", "Are you free Tuesday?")
    send(cast, "alice", "Yes")  # one's own messages are never unread
    thread = thread_for_client(cast.records["alice"])
    thread.refresh_from_db()
    with django_assert_num_queries(1):
        counts = [(t.pk, n) for t, n in threads_with_unread(cast.memberships["alice"])]
    assert counts == [(thread.pk, 0)]  # sending read everything before it
    send(cast, "tom", "See you then")
    assert threads_with_unread(cast.memberships["alice"])[0][1] == 1
    assert threads_with_unread(cast.memberships["tom"])[0][1] == 0
    assert threads_with_unread(cast.memberships["sam"])[0][1] == 4


@pytest.mark.django_db(transaction=True)
def test_concurrent_senders_get_one_gapless_order_on_postgresql(cast: Cast, postgres: None) -> None:
    thread = thread_for_client(cast.records["alice"])

    def one(i: int) -> int:
        try:
            who = ("alice", "tom", "sam")[i % 3]
            result = message_send(
                membership=cast.memberships[who],
                thread=thread,
                client_id=uuid.uuid4(),
                body=f"message {i}",
            )
            return result.message.seq
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=8) as pool:
        seqs = list(pool.map(one, range(40)))
    assert sorted(seqs) == list(range(1, 41))
    stored = list(Message.objects.order_by("seq").values_list("seq", flat=True))
    assert stored == list(range(1, 41))


@pytest.mark.django_db
def test_a_high_risk_client_message_flags_alerts_and_shows_crisis_numbers(
    cast: Cast, as_persona: Any
) -> None:
    from hearth.safety.models import Incident, RiskFlag

    result = send(
        cast, "alice", "I have written my goodbye letters and I'm going to end my life tonight."
    )
    message = Message.objects.get(pk=result.message.pk)
    assert message.risk_level == "high" and message.risk_reason_list
    assert any("Samaritans" in entry["name"] for entry in result.crisis)
    flag = RiskFlag.objects.get(client=cast.records["alice"], source="message")
    assert flag.level == "high"
    incident = Incident.objects.get(client=cast.records["alice"], kind="message")
    assert incident.status == "open"
    # The therapist sees the detector's reasons; the client does not.
    thread = reverse("message_thread", args=[message.thread_id])
    assert b"Risk language (high)" in as_persona("tom").get(thread).content
    assert b"Risk language" not in as_persona("alice").get(thread).content


@pytest.mark.django_db
def test_everyday_and_therapist_messages_raise_nothing(cast: Cast) -> None:
    from hearth.safety.models import Incident, RiskFlag

    quiet = send(cast, "alice", "This traffic is killing me, I might be five minutes late.")
    assert quiet.crisis == () and Message.objects.get(pk=quiet.message.pk).risk_level in (
        "none",
        "low",
    )
    # Clinicians' messages are not read by the detector.
    clinician = send(cast, "tom", "If you ever feel you might end your life, call 999.")
    assert Message.objects.get(pk=clinician.message.pk).risk_level == ""
    assert not RiskFlag.objects.filter(source="message").exists()
    assert not Incident.objects.exists()


@pytest.mark.django_db
def test_each_person_chooses_email_text_both_or_neither(
    cast: Cast, smtp: Inbox, settings: Any, tmp_path: Any, as_persona: Any
) -> None:
    import json

    settings.HEARTH_MESSAGE_NOTIFY_AFTER_SECONDS = 0
    settings.HEARTH_SMS_BACKEND = "file"
    settings.HEARTH_SMS_FILE = str(tmp_path / "sms.jsonl")
    record = cast.records["alice"]
    record.phone = "07700 900123"
    record.save()
    response = as_persona("alice").post(reverse("message_preferences"), {"sms": "on"})
    assert response.status_code == 302
    send(cast, "tom", "About your medication")
    Notification.objects.update(created_at=timezone.now() - timedelta(seconds=1))
    assert message_notifications_send() == 1
    assert smtp.messages == []  # email turned off
    [text] = [json.loads(line) for line in (tmp_path / "sms.jsonl").read_text().splitlines()]
    assert text["to"] == "07700 900123" and text["text"].startswith(SUBJECT)
    assert "medication" not in text["text"]
