"""Who may use a page: every Hearth view states it with one of these."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseBase
from django.shortcuts import redirect

from hearth.governance.audit import audit_record

View = TypeVar("View", bound=Callable[..., HttpResponseBase])


def public(view: View) -> View:
    """Anyone, signed in or not."""
    view.access_rule = "public"  # type: ignore[attr-defined]
    return view


def member_required(*roles: str) -> Callable[[View], View]:
    """Signed in, acting within an organisation, and (if given) in one of ``roles``."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            membership = getattr(request, "membership", None)
            if membership is None:
                return redirect("organisation_choose")
            if roles and membership.role not in roles:
                audit_record(
                    actor=request.user,
                    organisation_id=membership.organisation_id,
                    action="access.denied",
                    object_type="page",
                    object_id=request.resolver_match.url_name if request.resolver_match else "",
                )
                raise PermissionDenied("Your role does not include this page.")
            return view(request, *args, **kwargs)

        wrapper.access_rule = ("member", roles)  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorator


def signed_in(view: View) -> View:
    """Signed in; no organisation needed (e.g. choosing one)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    wrapper.access_rule = "signed_in"  # type: ignore[attr-defined]
    return wrapper  # type: ignore[return-value]
