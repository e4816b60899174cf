from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache

from hearth.accounts.decorators import public
from hearth.platform.health import health_report


@public
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when every part is up; 503 naming the parts that are not."""
    checks = health_report()
    failing = [name for name, result in checks.items() if result["status"] != "ok"]
    body = {"status": "fail" if failing else "ok", "failing": failing, "checks": checks}
    return JsonResponse(body, status=503 if failing else 200)
