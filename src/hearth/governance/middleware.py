from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from hearth.governance.context import AuditContext, reset_audit_context, set_audit_context


class AuditContextMiddleware:
    """Record the client address and user agent for audit entries made by this request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = set_audit_context(
            AuditContext(
                ip=request.META.get("REMOTE_ADDR") or None,
                user_agent=request.META.get("HTTP_USER_AGENT", "")[:300],
            )
        )
        try:
            return self.get_response(request)
        finally:
            reset_audit_context(token)
