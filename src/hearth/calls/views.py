from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from hearth.accounts.decorators import member_required
from hearth.accounts.models import Role
from hearth.calls.selectors import (
    access_call,
    call_is_open,
    call_window,
    client_callback_number,
    session_record_of,
)
from hearth.calls.services import session_end, telephone_outcome_record
from hearth.safety.regions import phone_display
from hearth.scheduling.models import Modality
from hearth.web.middleware import CALL_POLICY


@member_required(Role.CLIENT, Role.THERAPIST, Role.SUPERVISOR)
def call_page(request: HttpRequest, appointment_id: int) -> HttpResponse:
    """The call room: its client and therapist only; camera and microphone allowed here.

    A telephone appointment, or a session switched to the telephone, shows the number
    and the call's outcome instead of media.
    """
    access = access_call(request.membership, appointment_id)  # type: ignore[attr-defined]
    appointment = access.appointment
    opens, closes = call_window(appointment)
    record = session_record_of(appointment)
    number = client_callback_number(appointment)
    telephone = appointment.modality == Modality.TELEPHONE or bool(
        record and record.telephone_since
    )
    response = render(
        request,
        "calls/call.html",
        {
            "access": access,
            "appointment": appointment,
            "record": record,
            "open": call_is_open(appointment),
            "telephone": telephone,
            "ended": bool(record and record.ended_at),
            "number": number,
            "number_display": phone_display(number) if number.startswith("+") else number,
            "opens": opens,
            "closes": closes,
            "other": appointment.client.display_name
            if access.role == "therapist"
            else appointment.therapist.full_name,
        },
    )
    if not telephone:
        response.permissions_policy = CALL_POLICY  # type: ignore[attr-defined]
    return response


def _therapist_post(request: HttpRequest, appointment_id: int, action: str) -> HttpResponse:
    access = access_call(request.membership, appointment_id, purpose=action)  # type: ignore[attr-defined]
    try:
        if access.role != "therapist":
            raise PermissionDenied("Only the session's therapist can do this.")
        if action == "end":
            session_end(user=request.user, appointment=access.appointment)  # type: ignore[arg-type]
            messages.success(request, "Session ended and recorded as attended.")
        else:
            outcome = request.POST.get("outcome", "")
            telephone_outcome_record(
                user=request.user,  # type: ignore[arg-type]
                appointment=access.appointment,
                outcome=outcome,
            )
            messages.success(request, "Telephone outcome recorded.")
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    return redirect("call", appointment_id=access.appointment.pk)


@member_required(Role.THERAPIST)
@require_POST
def telephone_outcome(request: HttpRequest, appointment_id: int) -> HttpResponse:
    return _therapist_post(request, appointment_id, "telephone_outcome")


@member_required(Role.THERAPIST)
@require_POST
def end_session(request: HttpRequest, appointment_id: int) -> HttpResponse:
    return _therapist_post(request, appointment_id, "end")
