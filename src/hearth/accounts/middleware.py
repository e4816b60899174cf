"""Per-request account rules: active organisation, session lifetime, staff MFA."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect

from hearth.accounts.models import STAFF_ROLES
from hearth.accounts.selectors import memberships_of, user_has_totp
from hearth.governance.audit import audit_record

ACTIVE_ORG_KEY = "hearth_active_org"
AUTH_AT_KEY = "hearth_auth_at"
SEEN_AT_KEY = "hearth_seen_at"
# Paths that must stay reachable before MFA is set up or an organisation is chosen.
OPEN_PREFIXES = ("/accounts/", "/static/", "/healthz", "/invitations/", "/join/", "/favicon")


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


class ActiveOrganisationMiddleware:
    """Set ``request.membership``: the user's role in the organisation they chose.

    A user with one membership uses it; with several, the choice is kept in the session
    and made on the organisation page. Every view acts within this one organisation.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.membership = None  # type: ignore[attr-defined]
        if request.user.is_authenticated:
            memberships = list(memberships_of(request.user))
            chosen = request.session.get(ACTIVE_ORG_KEY)
            match = [m for m in memberships if m.organisation_id == chosen]
            if match:
                request.membership = match[0]  # type: ignore[attr-defined]
            elif len(memberships) == 1:
                request.membership = memberships[0]  # type: ignore[attr-defined]
            request.memberships = memberships  # type: ignore[attr-defined]
        return self.get_response(request)


class SessionLifetimeMiddleware:
    """Sign out after idle time (staff 30 min by default) and after an absolute lifetime."""

    # Write the last-seen time at most this often, not on every request.
    TOUCH_SECONDS = 30

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated and not getattr(request, "auth_by_token", False):
            now = time.time()
            session = request.session
            auth_at = session.setdefault(AUTH_AT_KEY, now)
            seen_at = session.get(SEEN_AT_KEY, now)
            idle_limit = self._idle_minutes(request) * 60
            reason = None
            if now - auth_at > settings.HEARTH_SESSION_MAX_HOURS * 3600:
                reason = (
                    f"You were signed out because sessions last at most "
                    f"{settings.HEARTH_SESSION_MAX_HOURS} hours. Please sign in again."
                )
            elif now - seen_at > idle_limit:
                reason = (
                    f"You were signed out after {idle_limit // 60} minutes without activity, "
                    "to keep records safe. Please sign in again."
                )
            if reason:
                audit_record(actor=request.user, action="auth.session_expired", reason=reason)
                logout(request)
                if _is_api(request):
                    return JsonResponse({"detail": reason}, status=401)
                messages.info(request, reason)
                # Encoded, and with the query string, so the page comes back as it was.
                return redirect_to_login(request.get_full_path())
            if now - seen_at >= self.TOUCH_SECONDS or SEEN_AT_KEY not in session:
                session[SEEN_AT_KEY] = now
        return self.get_response(request)

    @staticmethod
    def _idle_minutes(request: HttpRequest) -> int:
        memberships = getattr(request, "memberships", None)
        if memberships is None:
            memberships = list(memberships_of(request.user))  # type: ignore[arg-type]
        staff = [m for m in memberships if m.role in STAFF_ROLES]
        if not staff:
            return int(settings.HEARTH_CLIENT_IDLE_MINUTES)
        # One session reaches every organisation the user works in, so the strictest
        # applies; an organisation without its own setting keeps the platform default.
        return min(
            m.organisation.staff_idle_minutes or int(settings.HEARTH_STAFF_IDLE_MINUTES)
            for m in staff
        )


class StaffMFAMiddleware:
    """Staff must set up two-factor sign-in before any other page or API is reachable."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            user.is_authenticated
            and not request.path.startswith(OPEN_PREFIXES)
            and any(m.role in STAFF_ROLES for m in getattr(request, "memberships", []))
            and not user_has_totp(user)
        ):
            if _is_api(request):
                return JsonResponse(
                    {"detail": "Set up two-factor authentication before using the API."},
                    status=403,
                )
            messages.warning(
                request,
                "Staff accounts need two-factor authentication. Set up an authenticator "
                "app to continue.",
            )
            return redirect("mfa_activate_totp")
        return self.get_response(request)
