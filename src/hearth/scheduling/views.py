"""Scheduling pages: a client's appointments and booking, a clinician's calendar."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from hearth.accounts.decorators import member_required, public
from hearth.accounts.models import Role, User
from hearth.clients.selectors import access_client_record, client_records_visible_to
from hearth.governance.audit import audit_list_read
from hearth.safety.suitability import suitability_booking_warning, suitability_client_refusal
from hearth.scheduling.configuration import scheduling_policy_update, service_type_save
from hearth.scheduling.errors import BookingConflict
from hearth.scheduling.feed import (
    calendar_feed_create,
    calendar_feed_ics,
    calendar_feed_profile,
    calendar_feed_revoke,
)
from hearth.scheduling.forms import (
    ExceptionForm,
    LimitsForm,
    PolicyForm,
    ReasonForm,
    ServiceTypeForm,
    SlotSearchForm,
    WaitlistAddForm,
    WorkingHoursForm,
)
from hearth.scheduling.hours import (
    exception_add,
    exception_remove,
    profile_limits_update,
    profile_of,
    working_hours_add,
    working_hours_remove,
)
from hearth.scheduling.models import (
    CANCELLED,
    Appointment,
    AppointmentStatus,
    SchedulingPolicy,
    ServiceType,
    TherapistProfile,
)
from hearth.scheduling.search import open_slots
from hearth.scheduling.selectors import access_appointment, appointments_between, policy_of
from hearth.scheduling.services import (
    BookingRequest,
    appointment_book,
    appointment_cancel,
    appointment_record_attendance,
    appointment_reschedule,
)
from hearth.scheduling.waitlist import waitlist_add, waitlist_for, waitlist_offer, waitlist_remove

CLINICIANS = (Role.THERAPIST, Role.SUPERVISOR)
STAFF = (Role.THERAPIST, Role.SUPERVISOR, Role.SERVICE_ADMIN)


def _zone(request: HttpRequest) -> ZoneInfo:
    return ZoneInfo(request.user.time_zone)  # type: ignore[union-attr]


def _error_text(exc: Exception) -> str:
    if isinstance(exc, BookingConflict):
        return exc.message
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc)


def _parse_start(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValidationError("Choose one of the times offered.") from None
    if timezone.is_naive(moment):
        raise ValidationError("Choose one of the times offered.")
    return moment


@member_required(Role.CLIENT)
def my_appointments(request: HttpRequest) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    now = timezone.now()
    rows = appointments_between(membership, now - timedelta(days=90), now + timedelta(days=365))
    audit_list_read(membership, object_type="appointment", count=len(rows))
    upcoming = [a for a in rows if a.ends_at >= now and a.status not in CANCELLED]
    _mark_joinable(upcoming)
    past = [a for a in rows if a.ends_at < now or a.status in CANCELLED]
    return render(
        request,
        "scheduling/my_appointments.html",
        {"upcoming": upcoming, "past": past[::-1][:20], "zone": _zone(request)},
    )


def _mark_joinable(appointments: list[Appointment]) -> None:
    """Give each video or audio appointment its call link state: open now, or when."""
    from hearth.calls.selectors import CALL_MODALITIES, call_is_open, call_window

    for appointment in appointments:
        appointment.has_call = appointment.modality in CALL_MODALITIES  # type: ignore[attr-defined]
        appointment.call_open = appointment.has_call and call_is_open(appointment)  # type: ignore[attr-defined]
        appointment.call_opens = call_window(appointment)[0]  # type: ignore[attr-defined]


def _slot_groups(slots: list, zone: ZoneInfo) -> list[tuple[date, list]]:
    groups: dict[date, list] = defaultdict(list)
    for slot in slots:
        groups[slot.starts_at.astimezone(zone).date()].append(slot)
    return sorted(groups.items())


@member_required(Role.CLIENT, Role.THERAPIST, Role.SUPERVISOR, Role.SERVICE_ADMIN)
@require_http_methods(["GET", "POST"])
def book(request: HttpRequest) -> HttpResponse:
    """Clients book for themselves; staff book for a client, having agreed the time and
    the way of meeting with them (recorded as chosen by the staff member)."""
    membership = request.membership  # type: ignore[attr-defined]
    staff = membership.role != Role.CLIENT
    zone = _zone(request)
    form = SlotSearchForm(
        request.GET or None,
        organisation_id=membership.organisation_id,
        clients=client_records_visible_to(membership) if staff else None,
    )
    slots: list = []
    suitability_warning = ""
    client_refusal = ""
    if form.is_valid():
        if staff and form.cleaned_data.get("client") is not None:
            # Told before choosing a time; each time's form then asks for the reason.
            suitability_warning = suitability_booking_warning(
                form.cleaned_data["client"], form.cleaned_data["modality"]
            )
        elif not staff:
            client_refusal = suitability_client_refusal(
                client_records_visible_to(membership).first(), form.cleaned_data["modality"]
            )
        therapist = form.cleaned_data.get("therapist")
        slots = (
            []
            if client_refusal
            else open_slots(
                membership=membership,
                service_type=form.cleaned_data["service_type"],
                modality=form.cleaned_data["modality"],
                start=timezone.now(),
                end=timezone.now() + timedelta(days=21),
                therapist_ids=[therapist.pk] if therapist else None,
            )
        )
    if request.method == "POST" and form.is_valid():
        if staff:
            own = form.cleaned_data["client"].pk
        else:
            own = client_records_visible_to(membership).values_list("pk", flat=True).first()
        therapist_id, _, starts_at = request.POST.get("slot", "").partition("|")
        therapist = User.objects.filter(
            pk=int(therapist_id) if therapist_id.isdigit() else 0
        ).first()
        try:
            if own is None or therapist is None:
                raise ValidationError("Choose one of the times offered.")
            appointment = appointment_book(
                membership=membership,
                request=BookingRequest(
                    client=access_client_record(membership, own, purpose="book"),
                    therapist=therapist,
                    service_type=form.cleaned_data["service_type"],
                    modality=form.cleaned_data["modality"],
                    starts_at=_parse_start(starts_at),
                ),
                fatigue_override_reason=request.POST.get("fatigue_override_reason", "")
                if staff
                else "",
                suitability_reason=request.POST.get("suitability_reason", "") if staff else "",
            )
        except (ValidationError, BookingConflict, PermissionDenied) as exc:
            messages.error(request, _error_text(exc))
        else:
            local = appointment.starts_at.astimezone(zone)
            verb = "requested" if appointment.status == AppointmentStatus.REQUESTED else "booked"
            messages.success(request, f"The appointment on {local:%A %d %B at %H:%M} is {verb}.")
            if staff:
                return redirect("client_detail", record_id=own)
            return redirect("my_appointments")
    return render(
        request,
        "scheduling/book.html",
        {
            "form": form,
            "groups": _slot_groups(slots[:300], zone),
            "zone": zone,
            "searched": form.is_valid(),
            "staff": staff,
            "suitability_warning": suitability_warning,
            "client_refusal": client_refusal,
        },
    )


@member_required(Role.CLIENT, Role.THERAPIST, Role.SUPERVISOR, Role.SERVICE_ADMIN)
@require_http_methods(["GET", "POST"])
def reschedule(request: HttpRequest, appointment_id: int) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    zone = _zone(request)
    appointment = access_appointment(membership, appointment_id, purpose="change_view")
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            moved = appointment_reschedule(
                membership=membership,
                appointment=appointment,
                starts_at=_parse_start(request.POST.get("starts_at", "")),
                reason=form.cleaned_data["reason"],
            )
        except (ValidationError, BookingConflict, PermissionDenied) as exc:
            messages.error(request, _error_text(exc))
        else:
            local = moved.starts_at.astimezone(zone)
            if moved.status == AppointmentStatus.REQUESTED:
                messages.success(
                    request, f"Requested a move to {local:%A %d %B at %H:%M}; staff will confirm."
                )
            else:
                messages.success(request, f"Moved to {local:%A %d %B at %H:%M}.")
            return redirect("my_appointments" if membership.role == Role.CLIENT else "calendar")
    service: ServiceType = appointment.service_type
    slots = open_slots(
        membership=membership,
        service_type=service,
        modality=appointment.modality,
        start=timezone.now(),
        end=timezone.now() + timedelta(days=21),
        therapist_ids=[appointment.therapist_id],
        minutes=appointment.minutes,
    )
    return render(
        request,
        "scheduling/reschedule.html",
        {
            "appointment": appointment,
            "form": form,
            "groups": _slot_groups(slots[:300], zone),
            "zone": zone,
        },
    )


@member_required(Role.CLIENT, Role.THERAPIST, Role.SUPERVISOR, Role.SERVICE_ADMIN)
@require_http_methods(["GET", "POST"])
def cancel(request: HttpRequest, appointment_id: int) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    appointment = access_appointment(membership, appointment_id, purpose="change_view")
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            cancelled = appointment_cancel(
                membership=membership, appointment=appointment, reason=form.cleaned_data["reason"]
            )
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, _error_text(exc))
        else:
            note = " This is a late cancellation." if cancelled.late_cancellation else ""
            messages.success(request, f"The appointment is cancelled.{note}")
            return redirect("my_appointments" if membership.role == Role.CLIENT else "calendar")
    return render(
        request,
        "scheduling/cancel.html",
        {"appointment": appointment, "form": form, "zone": _zone(request)},
    )


@member_required(*CLINICIANS)
def calendar(request: HttpRequest) -> HttpResponse:
    """Day or week view in the clinician's own zone, with outcomes to record."""
    membership = request.membership  # type: ignore[attr-defined]
    zone = _zone(request)
    view = "day" if request.GET.get("view") == "day" else "week"
    try:
        anchor = date.fromisoformat(request.GET.get("date", ""))
    except ValueError:
        anchor = timezone.now().astimezone(zone).date()
    first = anchor if view == "day" else anchor - timedelta(days=anchor.weekday())
    days = [first + timedelta(days=i) for i in range(1 if view == "day" else 7)]
    start = datetime.combine(first, datetime.min.time(), tzinfo=zone)
    end = datetime.combine(days[-1] + timedelta(days=1), datetime.min.time(), tzinfo=zone)
    rows = appointments_between(membership, start, end).filter(therapist_id=request.user.pk)
    by_day: dict[date, list] = defaultdict(list)
    now = timezone.now()
    for appointment in rows:
        appointment.needs_outcome = (  # type: ignore[attr-defined]
            appointment.ends_at <= now and appointment.status == AppointmentStatus.BOOKED
        )
        by_day[appointment.starts_at.astimezone(zone).date()].append(appointment)
    _mark_joinable(list(rows))
    audit_list_read(membership, object_type="appointment", count=len(rows))
    step = timedelta(days=1 if view == "day" else 7)
    return render(
        request,
        "scheduling/calendar.html",
        {
            "view": view,
            "days": [(d, by_day.get(d, [])) for d in days],
            "zone": zone,
            "previous": (first - step).isoformat(),
            "next": (first + step).isoformat(),
            "today": timezone.now().astimezone(zone).date(),
        },
    )


@member_required(*CLINICIANS)
@require_POST
def attendance(request: HttpRequest, appointment_id: int) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    appointment = access_appointment(membership, appointment_id, purpose="change_view")
    if appointment.therapist_id != request.user.pk and membership.role != Role.SUPERVISOR:
        raise Http404("No such appointment.")
    try:
        appointment_record_attendance(
            membership=membership, appointment=appointment, status=request.POST.get("status", "")
        )
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, "Attendance recorded.")
    return redirect(f"/calendar/?date={appointment.starts_at.astimezone(_zone(request)).date()}")


@member_required(*CLINICIANS)
@require_http_methods(["GET", "POST"])
def calendar_feed_settings(request: HttpRequest) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    link = None
    if request.method == "POST":
        if request.POST.get("action") == "revoke":
            calendar_feed_revoke(membership=membership)
            messages.success(request, "Your calendar link is turned off.")
        else:
            token = calendar_feed_create(membership=membership)
            link = request.build_absolute_uri(reverse("calendar_feed", args=[token]))
    profile = TherapistProfile.objects.filter(membership=membership).first()
    return render(
        request,
        "scheduling/calendar_feed.html",
        {"link": link, "active": bool(profile and profile.calendar_token_hash)},
    )


@public
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """The feed itself: the secret token in the URL is the credential."""
    profile = calendar_feed_profile(token)
    if profile is None:
        raise Http404("No such calendar.")
    response = HttpResponse(calendar_feed_ics(profile), content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, no-store"
    return response


@member_required(*STAFF)
@require_http_methods(["GET", "POST"])
def waitlist(request: HttpRequest) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    clients = client_records_visible_to(membership)
    form = WaitlistAddForm(
        request.POST if request.POST.get("action") == "add" else None,
        organisation_id=membership.organisation_id,
        clients=clients,
    )
    if request.method == "POST":
        try:
            action = request.POST.get("action")
            if action == "add":
                if not form.is_valid():
                    raise ValidationError("Check the client, service and ways of meeting.")
                waitlist_add(membership=membership, **form.cleaned_data)
                messages.success(request, "Added to the waiting list.")
            else:
                entry = waitlist_for(membership).filter(pk=request.POST.get("entry") or 0).first()
                if entry is None:
                    raise Http404("No such waiting list entry.")
                if action == "offer":
                    waitlist_offer(membership=membership, entry=entry)
                    messages.success(request, "Email sent: the client can now choose a time.")
                elif action == "remove":
                    waitlist_remove(membership=membership, entry=entry)
                    messages.success(request, "Removed from the waiting list.")
                else:
                    raise ValidationError("Unknown action.")
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, _error_text(exc))
        else:
            return redirect("waitlist")
    now = timezone.now()
    entries = []
    for entry in waitlist_for(membership):
        first = next(
            iter(
                open_slots(
                    membership=membership,
                    service_type=entry.service_type,
                    modality=(entry.modalities or entry.service_type.modalities)[0],
                    start=now,
                    end=now + timedelta(days=14),
                )
            ),
            None,
        )
        entries.append((entry, first))
    audit_list_read(membership, object_type="waitlist_entry", count=len(entries))
    return render(
        request,
        "scheduling/waitlist.html",
        {"entries": entries, "form": form, "zone": _zone(request)},
    )


@member_required(*CLINICIANS)
@require_http_methods(["GET", "POST"])
def availability(request: HttpRequest) -> HttpResponse:
    """The clinician's own weekly hours (in their zone), buffer and limits, time off."""
    membership = request.membership  # type: ignore[attr-defined]
    profile = profile_of(membership)
    action = request.POST.get("action", "")
    hours_form = WorkingHoursForm(request.POST if action == "hours_add" else None)
    limits_form = LimitsForm(
        request.POST if action == "limits" else None,
        initial={
            "buffer_minutes": profile.buffer_minutes,
            "max_continuous_remote_minutes": profile.max_continuous_remote_minutes,
            "max_daily_video_minutes": profile.max_daily_video_minutes,
        },
    )
    exception_form = ExceptionForm(request.POST if action == "exception_add" else None)
    if request.method == "POST":
        forms_by_action: dict[str, tuple[Any, Callable[..., object]]] = {
            "hours_add": (hours_form, working_hours_add),
            "limits": (limits_form, profile_limits_update),
            "exception_add": (exception_form, exception_add),
        }
        try:
            if action in forms_by_action:
                form, service = forms_by_action[action]
                if not form.is_valid():
                    raise ValidationError("Check the highlighted fields.")
                service(membership=membership, **form.cleaned_data)
            elif action == "hours_remove":
                working_hours_remove(membership=membership, block_id=_post_int(request, "block"))
            elif action == "exception_remove":
                exception_remove(
                    membership=membership, exception_id=_post_int(request, "exception")
                )
            else:
                raise ValidationError("Unknown action.")
        except ValidationError as exc:
            if hasattr(exc, "error_dict") and action in forms_by_action:
                for field, errors in exc.message_dict.items():
                    forms_by_action[action][0].add_error(
                        field if field in forms_by_action[action][0].fields else None, errors
                    )
            messages.error(request, _error_text(exc))
        else:
            messages.success(request, "Saved.")
            return redirect("availability")
    zone = _zone(request)
    return render(
        request,
        "scheduling/availability.html",
        {
            "hours": profile.working_hours.all(),
            "exceptions": profile.exceptions.filter(ends_at__gte=timezone.now()).order_by(
                "starts_at"
            ),
            "hours_form": hours_form,
            "limits_form": limits_form,
            "exception_form": exception_form,
            "zone": zone,
        },
    )


def _post_int(request: HttpRequest, name: str) -> int:
    value = request.POST.get(name, "")
    if not value.isdigit():
        raise ValidationError("Choose an entry from the list.")
    return int(value)


@member_required(Role.SERVICE_ADMIN)
@require_http_methods(["GET", "POST"])
def scheduling_settings(request: HttpRequest) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    policy = policy_of(membership.organisation_id)
    action = request.POST.get("action", "")
    hours = ", ".join(f"{m / 60:g}" for m in policy.reminder_offsets)
    policy_form = PolicyForm(
        request.POST if action == "policy" else None,
        instance=SchedulingPolicy.objects.get(pk=policy.pk),
        initial={"reminder_hours": hours},
    )
    editing = ServiceType.objects.filter(
        organisation_id=membership.organisation_id, pk=_optional_int(request, "service")
    ).first()
    service_form = ServiceTypeForm(
        request.POST if action == "service" else None,
        initial=(
            {
                "name": editing.name,
                "default_minutes": editing.default_minutes,
                "min_minutes": editing.min_minutes,
                "max_minutes": editing.max_minutes,
                "modalities": editing.modalities,
                "fee_code": editing.fee_code,
                "is_active": editing.is_active,
            }
            if editing
            else None
        ),
    )
    if request.method == "POST":
        form: Any = policy_form if action == "policy" else service_form
        try:
            if action not in ("policy", "service"):
                raise ValidationError("Unknown action.")
            if not form.is_valid():
                raise ValidationError("Check the highlighted fields.")
            if action == "policy":
                values = dict(form.cleaned_data)
                scheduling_policy_update(
                    membership=membership, reminder_hours=values.pop("reminder_hours"), **values
                )
            else:
                service_type_save(membership=membership, service=editing, **form.cleaned_data)
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            messages.error(request, _error_text(exc))
        else:
            messages.success(request, "Saved.")
            return redirect("scheduling_settings")
    return render(
        request,
        "scheduling/settings.html",
        {
            "policy_form": policy_form,
            "service_form": service_form,
            "editing": editing,
            "services": ServiceType.objects.filter(organisation_id=membership.organisation_id),
        },
    )


def _optional_int(request: HttpRequest, name: str) -> int:
    value = request.POST.get(name) or request.GET.get(name) or ""
    return int(value) if value.isdigit() else 0
