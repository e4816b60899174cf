import uuid
from datetime import time

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from hearth.accounts.decorators import member_required
from hearth.accounts.models import Role
from hearth.clients.models import ClientRecord
from hearth.governance.audit import audit_list_read
from hearth.messaging.attachments import Upload
from hearth.messaging.models import Arrangement, NotificationPreference
from hearth.messaging.selectors import (
    MESSAGING_ROLES,
    access_attachment,
    access_thread,
    read_upto,
    thread_recent,
    threads_with_unread,
)
from hearth.messaging.services import (
    WEEKDAYS,
    arrangement_of,
    arrangement_summary,
    arrangement_update,
    message_send,
    thread_for_client,
)


def _error_text(exc: ValidationError) -> str:
    return " ".join(exc.messages)


@member_required(*MESSAGING_ROLES)
def inbox(request: HttpRequest) -> HttpResponse:
    """Clients go straight to their conversation; clinicians see their clients' threads."""
    membership = request.membership  # type: ignore[attr-defined]
    if membership.role == Role.CLIENT:
        record = ClientRecord.objects.filter(
            organisation_id=membership.organisation_id, user_id=membership.user_id
        ).first()
        if record is None:
            return render(request, "messaging/inbox.html", {"threads": [], "no_record": True})
        return redirect("message_thread", thread_id=thread_for_client(record).pk)
    threads = threads_with_unread(membership)
    audit_list_read(membership, object_type="message_thread", count=len(threads))
    return render(request, "messaging/inbox.html", {"threads": threads})


@member_required(Role.THERAPIST, Role.SUPERVISOR)
@require_POST
def thread_start(request: HttpRequest, record_id: int) -> HttpResponse:
    """Open (or find) the conversation with a client from their record."""
    from hearth.clients.selectors import access_client_record

    record = access_client_record(request.membership, record_id, purpose="message")  # type: ignore[attr-defined]
    return redirect("message_thread", thread_id=thread_for_client(record).pk)


@member_required(*MESSAGING_ROLES)
def thread_page(request: HttpRequest, thread_id: int) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    thread = access_thread(membership, thread_id)
    arrangement = arrangement_of(thread)
    recent = thread_recent(thread)
    return render(
        request,
        "messaging/thread.html",
        {
            "thread": thread,
            "recent": recent,
            "read": read_upto(thread),
            "arrangement": arrangement,
            "arrangement_text": arrangement_summary(arrangement)
            if arrangement and arrangement.messaging_therapy
            else "",
            "new_client_id": uuid.uuid4(),
            "is_client": membership.role == Role.CLIENT,
        },
    )


@member_required(*MESSAGING_ROLES)
@require_POST
def message_post(request: HttpRequest, thread_id: int) -> HttpResponse:
    """Send by form (attachments, or no JavaScript). JSON for the page's script."""
    membership = request.membership  # type: ignore[attr-defined]
    thread = access_thread(membership, thread_id, purpose="send")
    wants_json = "application/json" in request.headers.get("Accept", "")
    uploads = [Upload(f.name or "", f.read()) for f in request.FILES.getlist("files")]
    try:
        result = message_send(
            membership=membership,
            thread=thread,
            client_id=request.POST.get("client_id", ""),
            body=request.POST.get("body", ""),
            uploads=uploads,
        )
    except ValidationError as exc:
        if wants_json:
            return JsonResponse({"error": _error_text(exc)}, status=400)
        messages.error(request, _error_text(exc))
        return redirect("message_thread", thread_id=thread.pk)
    if wants_json:
        return JsonResponse(
            {
                "seq": result.message.seq,
                "id": result.message.pk,
                "duplicate": result.duplicate,
                "crisis": list(result.crisis),
            }
        )
    if result.crisis:
        lines = "; ".join(f"{c['name']} {c['number']} ({c['hours']})" for c in result.crisis)
        messages.warning(request, f"If you need help now: {lines}.")
    return redirect("message_thread", thread_id=thread.pk)


@member_required(*MESSAGING_ROLES)
def attachment_download(request: HttpRequest, attachment_id: int) -> HttpResponse:
    import base64

    attachment = access_attachment(request.membership, attachment_id)  # type: ignore[attr-defined]
    response = HttpResponse(base64.b64decode(attachment.data), content_type=attachment.content_type)
    # Always a download (never rendered in the page's origin), with the checked type.
    response["Content-Disposition"] = "attachment; filename*=UTF-8''" + _quote(attachment.filename)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    return response


def _quote(name: str) -> str:
    from urllib.parse import quote

    return quote(name, safe="")


@member_required(Role.THERAPIST, Role.SUPERVISOR)
@require_http_methods(["GET", "POST"])
def arrangement_edit(request: HttpRequest, thread_id: int) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    thread = access_thread(membership, thread_id, purpose="arrangement")
    current = arrangement_of(thread) or Arrangement(
        client=thread.client, reply_days=[1, 2, 3, 4, 5]
    )
    if request.method == "POST":
        try:
            arrangement_update(
                membership=membership,
                thread=thread,
                messaging_therapy=request.POST.get("messaging_therapy") == "on",
                reply_days=[int(d) for d in request.POST.getlist("reply_days") if d.isdigit()],
                reply_from=time.fromisoformat(request.POST.get("reply_from") or "09:00"),
                reply_until=time.fromisoformat(request.POST.get("reply_until") or "17:00"),
                response_hours=int(request.POST.get("response_hours") or 0),
                time_zone=request.POST.get("time_zone", ""),
            )
        except ValidationError as exc:
            messages.error(request, _error_text(exc))
        except ValueError:
            messages.error(request, "Give times as HH:MM and the reply time in whole hours.")
        else:
            messages.success(request, "Messaging arrangement saved.")
            return redirect("message_thread", thread_id=thread.pk)
    return render(
        request,
        "messaging/arrangement.html",
        {"thread": thread, "arrangement": current, "weekdays": list(enumerate(WEEKDAYS, 1))},
    )


@member_required(*MESSAGING_ROLES)
@require_http_methods(["GET", "POST"])
def notification_preferences(request: HttpRequest) -> HttpResponse:
    """Each person chooses how they hear of new messages (never their content)."""
    choice, _ = NotificationPreference.objects.get_or_create(user=request.user)
    if request.method == "POST":
        choice.email = request.POST.get("email") == "on"
        choice.sms = request.POST.get("sms") == "on"
        choice.save(update_fields=["email", "sms", "updated_at"])
        messages.success(request, "Your notification choices are saved.")
        return redirect("message_preferences")
    return render(request, "messaging/preferences.html", {"choice": choice})
