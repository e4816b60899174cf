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
    ("Messages", "messages", {Role.CLIENT, Role.THERAPIST, Role.SUPERVISOR}),
    ("Questionnaires", "my_measures", {Role.CLIENT}),
    ("Progress", "my_progress", {Role.CLIENT}),
    ("My plan", "my_plan", {Role.CLIENT}),
    ("My record", "my_record", {Role.CLIENT}),
    ("Clients", "client_list", {Role.THERAPIST, Role.SUPERVISOR, Role.SERVICE_ADMIN}),
    (
        "Feedback",
        "feedback_overview",
        {Role.THERAPIST, Role.SUPERVISOR, Role.SERVICE_ADMIN, Role.COMMISSIONER},
    ),
    ("Reviews", "review_list", {Role.THERAPIST, Role.SUPERVISOR}),
    ("Staff", "staff_list", {Role.SERVICE_ADMIN}),
    ("Organisation", "organisation_settings", {Role.SERVICE_ADMIN}),
    ("Scheduling", "scheduling_settings", {Role.SERVICE_ADMIN}),
    ("Clinical record", "clinical_settings", {Role.SERVICE_ADMIN}),
    ("Crisis directory", "crisis_directory", {Role.SERVICE_ADMIN}),
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
                item = {"label": label, "url": url, "current": request.path == url}
                if name == "messages":
                    item["count"] = _unread(membership)
                items.append(item)
    return {
        "nav_items": items,
        "membership": membership,
        "memberships": getattr(request, "memberships", []),
    }


def _unread(membership: Any) -> int:
    from hearth.messaging.selectors import unread_count

    return unread_count(membership)
