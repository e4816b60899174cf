from __future__ import annotations

from typing import Any

from rest_framework import permissions
from rest_framework.request import Request

from hearth.accounts.models import STAFF_ROLES
from hearth.accounts.selectors import user_has_totp
from hearth.api.models import ApiToken


class IsMemberWithMFA(permissions.BasePermission):
    """Signed in (session or token), acting in an organisation; staff have MFA set up;
    a token carries the scope the view asks for (``required_scopes`` by method)."""

    message = "Sign in and choose an organisation."

    def has_permission(self, request: Request, view: Any) -> bool:
        membership = getattr(request._request, "membership", None)
        if not request.user or not request.user.is_authenticated or membership is None:
            return False
        if membership.role in STAFF_ROLES and not user_has_totp(request.user):
            self.message = "Set up two-factor authentication before using the API."
            return False
        roles = getattr(view, "allowed_roles", None)
        if roles is not None and membership.role not in roles:
            self.message = "Your role cannot use this endpoint."
            return False
        if isinstance(request.auth, ApiToken):
            scopes = getattr(view, "required_scopes", {})
            needed = scopes.get(
                "write" if request.method not in permissions.SAFE_METHODS else "read"
            )
            if needed and needed not in request.auth.scopes:
                self.message = f"This token lacks the {needed} scope."
                return False
        return True
