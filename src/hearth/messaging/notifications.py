"""“You have a new secure message”: one email per burst, never any content."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from hearth.messaging.models import Notification, NotificationPreference, ReadState
from hearth.platform.sms import get_sms_gateway

logger = logging.getLogger(__name__)
SUBJECT = "You have a new secure message"


def _body(thread_id: int) -> str:
    link = settings.HEARTH_SITE_URL + reverse("message_thread", args=[thread_id])
    return (
        "You have a new secure message.\n\n"
        f"Sign in to read it: {link}\n\n"
        "For your privacy this email never contains the message itself."
    )


def _sms_number(notification: Notification) -> str:
    from hearth.clients.models import ClientRecord

    record = ClientRecord.objects.filter(
        pk=notification.thread.client_id, user_id=notification.user_id
    ).first()
    return record.phone if record else ""


def _notify(notification: Notification) -> None:
    """By the person's own choice; never any content. Raises OSError if sending failed."""
    choice = NotificationPreference.objects.filter(user=notification.user).first()
    if choice is None or choice.email:
        send_mail(SUBJECT, _body(notification.thread_id), None, [notification.user.email])
    if choice is not None and choice.sms:
        number = _sms_number(notification)
        if number:
            link = settings.HEARTH_SITE_URL + reverse(
                "message_thread", args=[notification.thread_id]
            )
            try:
                get_sms_gateway().send(to=number, text=f"{SUBJECT}: {link}")
            except Exception as exc:
                raise OSError("text message not sent") from exc


def message_notifications_send(worker_id: str = "", *, batch: int = 100) -> int:
    """Send due notifications (claimed with row locks: safe with several workers).

    A notification is due once it has waited HEARTH_MESSAGE_NOTIFY_AFTER_SECONDS and its
    reader has not read the message meanwhile (then it is dropped instead).
    """
    due = timezone.now() - timedelta(seconds=settings.HEARTH_MESSAGE_NOTIFY_AFTER_SECONDS)
    sent = 0
    with transaction.atomic():
        pending = list(
            Notification.objects.select_for_update(skip_locked=True)
            .select_related("user", "thread")
            .filter(sent_at__isnull=True, created_at__lte=due)
            .order_by("created_at")[:batch]
        )
        for notification in pending:
            read = (
                ReadState.objects.filter(user=notification.user, thread=notification.thread_id)
                .values_list("last_read_seq", flat=True)
                .first()
                or 0
            )
            if read >= notification.first_seq:
                notification.delete()
                continue
            try:
                _notify(notification)
            except OSError:
                # Left pending: the next run tries again. No address or content logged.
                logger.warning("message notification %s not sent", notification.pk)
                continue
            notification.sent_at = timezone.now()
            notification.save(update_fields=["sent_at"])
            sent += 1
    return sent
