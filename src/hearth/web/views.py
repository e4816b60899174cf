from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from hearth.accounts.decorators import member_required, signed_in
from hearth.accounts.middleware import ACTIVE_ORG_KEY
from hearth.accounts.models import Role
from hearth.clients.selectors import client_records_visible_to
from hearth.governance.audit import audit_record


@member_required()
def home(request: HttpRequest) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    context: dict[str, object] = {}
    if membership.role in {Role.THERAPIST, Role.SUPERVISOR}:
        # Names only: a list of names is not clinical content, and opening one is audited.
        context["caseload_count"] = client_records_visible_to(membership).count()
    return render(request, "web/home.html", context)


@signed_in
@require_http_methods(["GET", "POST"])
def organisation_choose(request: HttpRequest) -> HttpResponse:
    memberships = request.memberships  # type: ignore[attr-defined]
    if request.method == "POST":
        try:
            chosen = int(request.POST.get("organisation", ""))
        except ValueError:
            chosen = 0
        match = [m for m in memberships if m.organisation_id == chosen]
        if not match:
            messages.error(request, "Choose one of your organisations.")
        else:
            request.session[ACTIVE_ORG_KEY] = chosen
            audit_record(
                actor=request.user,
                organisation_id=chosen,
                action="organisation.switch",
            )
            return redirect("home")
    return render(request, "web/organisation_choose.html", {"choices": memberships})


def error_404(request: HttpRequest, exception: Exception) -> HttpResponse:
    return render(request, "404.html", status=404)


def error_403(request: HttpRequest, exception: Exception) -> HttpResponse:
    return render(request, "403.html", status=403)


def error_400(request: HttpRequest, exception: Exception) -> HttpResponse:
    return render(request, "400.html", status=400)
