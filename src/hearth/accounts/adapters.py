"""django-allauth hooks: Hearth's sign-up rules, lockout auditing and wording."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from hearth.governance.audit import audit_record


class AccountAdapter(DefaultAccountAdapter):
    error_messages = {
        **DefaultAccountAdapter.error_messages,
        "too_many_login_attempts": (
            "Too many failed sign-in attempts. For your security this account is locked "
            f"for {settings.HEARTH_LOCKOUT_MINUTES} minutes. You can reset your password "
            "to unlock it sooner."
        ),
    }

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        # Clients register through their organisation's page; staff by invitation.
        return False

    def pre_authenticate(self, request: HttpRequest, **credentials: Any) -> None:
        try:
            super().pre_authenticate(request, **credentials)
        except ValidationError:
            audit_record(
                actor=None,
                action="auth.locked_out",
                changes={"email": str(credentials.get("email", ""))[:254]},
            )
            raise

    def authentication_failed(self, request: HttpRequest, **credentials: Any) -> None:
        audit_record(
            actor=None,
            action="auth.login_failed",
            changes={"email": str(credentials.get("email", ""))[:254]},
        )
