from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

# Camera, microphone and screen capture are denied everywhere by default; a call page
# opts in by setting ``response.permissions_policy`` (see the calls app).
DEFAULT_POLICY = (
    "camera=(), microphone=(), display-capture=(), geolocation=(), payment=(), usb=(), "
    "interest-cohort=()"
)
CALL_POLICY = (
    "camera=(self), microphone=(self), display-capture=(self), geolocation=(), payment=(), usb=()"
)


class PermissionsPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault(
            "Permissions-Policy", getattr(response, "permissions_policy", DEFAULT_POLICY)
        )
        return response
