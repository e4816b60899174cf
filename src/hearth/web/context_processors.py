from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from hearth.accounts.models import Role

# (label, url name, roles that see it)
NAVIGATION = [
    ("Home", "home", None),
    ("Appointments", "my_appointments", {Role.CLIENT}),
    ("Calendar", "calendar", {Role.THERAPIST, Role.SUPERVISOR}),
    ("Book", "appointment_book", {Role.THERAPIST, Role.SUPERVISOR, Role.SERVICE_ADMIN}),
    ("Waiting list", "waitlist", {Role.THERAPIST, Role.SUPERVISOR, Role.SERVICE_ADMIN}),
    ("My record", "my_record", {Role.CLIENT}),
    ("Clients", "client_list", {Role.THERAPIST, Role.SUPERVISOR, Role.SERVICE_ADMIN}),
    ("Staff", "staff_list", {Role.SERVICE_ADMIN}),
    ("Organisation", "organisation_settings", {Role.SERVICE_ADMIN}),
    ("Scheduling", "scheduling_settings", {Role.SERVICE_ADMIN}),
    ("Audit log", "audit_log", {Role.SERVICE_ADMIN}),
    ("API tokens", "api_tokens", {Role.THERAPIST, Role.SUPERVISOR, Role.SERVICE_ADMIN}),
]


def navigation(request: HttpRequest) -> dict[str, Any]:
    membership = getattr(request, "membership", None)
    items = []
    if membership is not None:
        for label, name, roles in NAVIGATION:
            if roles is None or membership.role in roles:
                url = reverse(name)
                items.append({"label": label, "url": url, "current": request.path == url})
    return {
        "nav_items": items,
        "membership": membership,
        "memberships": getattr(request, "memberships", []),
    }
