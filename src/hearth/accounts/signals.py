"""Security events into the audit log."""

from typing import Any

from allauth.account.signals import email_changed, password_changed, password_reset
from allauth.mfa.signals import (
    authentication_failed,
    authenticator_added,
    authenticator_removed,
    authenticator_reset,
)
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.dispatch import receiver
from django.http import HttpRequest

from hearth.accounts.middleware import AUTH_AT_KEY, SEEN_AT_KEY
from hearth.governance.audit import audit_record


@receiver(user_logged_in)
def on_logged_in(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    import time

    if hasattr(request, "session"):
        request.session[AUTH_AT_KEY] = request.session[SEEN_AT_KEY] = time.time()
    audit_record(actor=user, action="auth.login")


@receiver(user_logged_out)
def on_logged_out(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    if user is not None:
        audit_record(actor=user, action="auth.logout")


def _mfa_event(action: str) -> Any:
    def handler(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
        authenticator = kwargs.get("authenticator")
        audit_record(
            actor=user,
            action=action,
            object_type="authenticator",
            object_id=getattr(authenticator, "pk", ""),
            changes={"type": getattr(authenticator, "type", "")},
        )

    return handler


_handlers = {
    authenticator_added: _mfa_event("mfa.added"),
    authenticator_removed: _mfa_event("mfa.removed"),
    authenticator_reset: _mfa_event("mfa.reset"),
    authentication_failed: _mfa_event("mfa.code_rejected"),
}
for _signal, _handler in _handlers.items():
    _signal.connect(_handler, weak=False, dispatch_uid=f"hearth-{id(_signal)}")


@receiver(password_changed)
def on_password_changed(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    audit_record(actor=user, action="auth.password_changed")


@receiver(password_reset)
def on_password_reset(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    audit_record(actor=user, action="auth.password_reset")


@receiver(email_changed)
def on_email_changed(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    audit_record(actor=user, action="auth.email_changed")
