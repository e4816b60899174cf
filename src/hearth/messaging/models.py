"""Secure messaging: one thread per client with their care team.

Messages are clinical records. They are stored (encrypted) before anyone is told of
them, numbered per thread so every reader sees one order, never edited or deleted,
and each carries the sender's own id for it so a retried send is never a duplicate.
"""

from __future__ import annotations

from datetime import time

from django.conf import settings
from django.db import models

from hearth.accounts.models import Organisation
from hearth.clients.models import ClientRecord
from hearth.governance.fields import EncryptedTextField


class Thread(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    client = models.OneToOneField(
        ClientRecord, on_delete=models.PROTECT, related_name="message_thread"
    )
    # The last sequence number given out; the thread row is locked to give the next.
    last_seq = models.PositiveBigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Thread {self.pk}"


class Message(models.Model):
    class Kind(models.TextChoices):
        MESSAGE = "message", "Message"
        AUTO_REPLY = "auto_reply", "Automatic reply"

    thread = models.ForeignKey(Thread, on_delete=models.PROTECT, related_name="messages")
    seq = models.PositiveBigIntegerField()
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.MESSAGE)
    # None for automatic replies.
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    # The sender's own id for this message (a UUID made on their device): a retry of
    # the same send finds the stored message instead of storing it twice.
    client_id = models.UUIDField(null=True)
    # SHA-256 of what was sent (text and attachments), to tell a retry from a reuse.
    digest = models.CharField(max_length=64)
    body = EncryptedTextField(blank=True)
    # The risk-language detector's reading of a client's message, for the care team:
    # "" (not assessed), "none", "low", "medium" or "high", and the reasons it gave.
    risk_level = models.CharField(max_length=8, blank=True)
    risk_reasons = EncryptedTextField(blank=True)  # JSON: [{"label", "excerpt"}, …]
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["thread", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["thread", "seq"], name="message_seq_unique"),
            models.UniqueConstraint(
                fields=["sender", "client_id"], name="message_client_id_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"Message {self.seq} of thread {self.thread_id}"

    @property
    def risk_reason_list(self) -> list[dict[str, str]]:
        import json

        return list(json.loads(self.risk_reasons)) if self.risk_reasons else []


class Attachment(models.Model):
    message = models.ForeignKey(Message, on_delete=models.PROTECT, related_name="attachments")
    filename = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)  # from the content, not the name
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    # Base64 of the file, encrypted like all clinical text (and rotated with it).
    data = EncryptedTextField()

    def __str__(self) -> str:
        return f"Attachment {self.pk}"


class ReadState(models.Model):
    """How far each member has read a thread: read receipts and unread counts."""

    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="read_states")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    last_read_seq = models.PositiveBigIntegerField(default=0)
    read_at = models.DateTimeField(null=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["thread", "user"], name="read_state_unique")]

    def __str__(self) -> str:
        return f"{self.user_id} read thread {self.thread_id} to {self.last_read_seq}"


class Arrangement(models.Model):
    """Whether messaging is part of this client's care, and when replies come."""

    client = models.OneToOneField(
        ClientRecord, on_delete=models.CASCADE, related_name="messaging_arrangement"
    )
    messaging_therapy = models.BooleanField(default=False)
    reply_days = models.JSONField(default=list)  # ISO weekdays 1–7 with replies
    reply_from = models.TimeField(default=time(9))
    reply_until = models.TimeField(default=time(17))
    response_hours = models.PositiveSmallIntegerField(default=24)  # expected reply within
    time_zone = models.CharField(max_length=64, default="Europe/London")
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Messaging arrangement of {self.client_id}"


class Notification(models.Model):
    """One pending "you have a new secure message" per person and thread: a burst of
    messages gives one notification, sent by the worker after a short delay."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="+")
    first_seq = models.PositiveBigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "thread"],
                condition=models.Q(sent_at__isnull=True),
                name="one_pending_notification",
            )
        ]

    def __str__(self) -> str:
        return f"Notification for {self.user_id} on thread {self.thread_id}"


class NotificationPreference(models.Model):
    """How a person is told of new secure messages: email, text message, both or neither.
    Without a row: email only. Texts go to the number on a client's record."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="message_notifications"
    )
    email = models.BooleanField(default=True)
    sms = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Message notifications of {self.user_id}"
