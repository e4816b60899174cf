from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from hearth.accounts.decorators import member_required
from hearth.accounts.models import Role
from hearth.calls.selectors import access_call, call_is_open, call_window
from hearth.web.middleware import CALL_POLICY


@member_required(Role.CLIENT, Role.THERAPIST, Role.SUPERVISOR)
def call_page(request: HttpRequest, appointment_id: int) -> HttpResponse:
    """The call room: its client and therapist only; camera and microphone allowed here."""
    access = access_call(request.membership, appointment_id)  # type: ignore[attr-defined]
    opens, closes = call_window(access.appointment)
    response = render(
        request,
        "calls/call.html",
        {
            "access": access,
            "appointment": access.appointment,
            "open": call_is_open(access.appointment),
            "opens": opens,
            "closes": closes,
            "other": access.appointment.client.display_name
            if access.role == "therapist"
            else access.appointment.therapist.full_name,
        },
    )
    response.permissions_policy = CALL_POLICY  # type: ignore[attr-defined]
    return response
