"""Who may read which thread; what a reader has not seen yet."""

from __future__ import annotations

from django.db.models import Count, F, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import Http404

from hearth.accounts.models import Membership, Role
from hearth.accounts.selectors import audit_denied
from hearth.clients.selectors import can_read_clinical_text, client_records_visible_to
from hearth.governance.audit import audit_record
from hearth.messaging.models import Attachment, Message, ReadState, Thread

# Who may take part in a thread: the client and clinicians who may read their record.
# Service admins manage records but never read messages; commissioners see none.
MESSAGING_ROLES = {Role.CLIENT, Role.THERAPIST, Role.SUPERVISOR}


def threads_visible_to(membership: Membership) -> QuerySet[Thread]:
    if membership.role not in MESSAGING_ROLES:
        return Thread.objects.none()
    return Thread.objects.filter(
        organisation_id=membership.organisation_id,
        client__in=client_records_visible_to(membership),
    ).select_related("client", "client__therapist")


def access_thread(membership: Membership, thread_id: int, *, purpose: str = "view") -> Thread:
    """The thread if this member may read it (audited); otherwise 404 (denial audited)."""
    thread = threads_visible_to(membership).filter(pk=thread_id).first()
    if thread is None or not can_read_clinical_text(membership, thread.client):
        audit_denied(membership, object_type="message_thread", object_id=thread_id)
        raise Http404("No such conversation.")
    audit_record(
        actor=membership.user,
        organisation_id=membership.organisation_id,
        action=f"message_thread.{purpose}",
        object_type="message_thread",
        object_id=thread.pk,
    )
    return thread


def thread_messages(thread: Thread, *, after: int = 0, limit: int = 200) -> list[Message]:
    """Messages after ``after`` in thread order (oldest first), at most ``limit``."""
    return list(
        Message.objects.filter(thread=thread, seq__gt=after)
        .select_related("sender")
        .prefetch_related("attachments")
        .order_by("seq")[:limit]
    )


def thread_recent(thread: Thread, *, count: int = 50) -> list[Message]:
    return thread_messages(thread, after=max(0, thread.last_seq - count), limit=count)


def read_upto(thread: Thread) -> dict[int, int]:
    """How far each member has read: user id → last read sequence number."""
    return dict(ReadState.objects.filter(thread=thread).values_list("user_id", "last_read_seq"))


def unread_count(membership: Membership) -> int:
    """Messages from others this member has not read, over all their threads."""
    last_read = ReadState.objects.filter(
        thread=OuterRef("thread"), user_id=membership.user_id
    ).values("last_read_seq")
    return (
        Message.objects.filter(thread__in=threads_visible_to(membership))
        .exclude(sender_id=membership.user_id)
        .annotate(read=Coalesce(Subquery(last_read), Value(0)))
        .filter(seq__gt=F("read"))
        .count()
    )


def threads_with_unread(membership: Membership) -> list[tuple[Thread, int]]:
    """The member's threads, latest activity first, each with its count of messages from
    others after the member's last read (one query)."""
    last_read = ReadState.objects.filter(thread=OuterRef("pk"), user_id=membership.user_id).values(
        "last_read_seq"
    )
    unread = (
        Message.objects.filter(thread=OuterRef("pk"), seq__gt=OuterRef("read"))
        .exclude(sender_id=membership.user_id)
        .order_by()
        .values("thread")
        .annotate(n=Count("pk"))
        .values("n")
    )
    threads = (
        threads_visible_to(membership)
        .annotate(read=Coalesce(Subquery(last_read), Value(0)))
        .annotate(unread=Coalesce(Subquery(unread), Value(0)))
        .order_by("-last_seq")
    )
    return [(thread, thread.unread) for thread in threads]


def access_attachment(membership: Membership, attachment_id: int) -> Attachment:
    """An attachment of a thread this member may read; every download is audited."""
    attachment = (
        Attachment.objects.select_related("message__thread")
        .filter(
            pk=attachment_id,
            message__thread__in=threads_visible_to(membership),
        )
        .first()
    )
    if attachment is None or not can_read_clinical_text(
        membership, attachment.message.thread.client
    ):
        audit_denied(membership, object_type="message_attachment", object_id=attachment_id)
        raise Http404("No such attachment.")
    audit_record(
        actor=membership.user,
        organisation_id=membership.organisation_id,
        action="message_attachment.download",
        object_type="message_attachment",
        object_id=attachment.pk,
    )
    return attachment
