"""Helpers for the account, tenancy and sign-in tests: real allauth views, real forms."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from html import unescape
from html.parser import HTMLParser
from typing import Any

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse

from hearth.accounts.middleware import AUTH_AT_KEY, SEEN_AT_KEY
from hearth.accounts.models import Membership, Organisation, Role, User
from hearth.accounts.personas import DEMO_PASSWORD, Cast, totp_code_now
from hearth.governance.models import AuditEvent

LOGIN_URL = "/accounts/login/"
MFA_URL = "/accounts/2fa/authenticate/"


@dataclass
class Form:
    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)
    buttons: list[str] = field(default_factory=list)


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []
        self._current: Form | None = None
        self._button: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._current = Form(action=a.get("action", ""), method=a.get("method", "get"))
            self.forms.append(self._current)
        elif tag == "input" and self._current is not None and a.get("name"):
            if a.get("type") in {"radio", "checkbox"} and "checked" not in a:
                return
            self._current.fields[a["name"]] = a.get("value", "")
        elif tag == "button" and self._current is not None:
            self._button = []

    def handle_data(self, data: str) -> None:
        if self._button is not None:
            self._button.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "button" and self._current is not None and self._button is not None:
            self._current.buttons.append(" ".join("".join(self._button).split()))
            self._button = None
        elif tag == "form":
            self._current = None


def forms_in(response: HttpResponse) -> list[Form]:
    parser = _FormParser()
    parser.feed(response.content.decode())
    return parser.forms


def form_with_button(response: HttpResponse, label: str) -> Form:
    """The form on the page whose submit button reads ``label``, as the browser sees it."""
    matches = [f for f in forms_in(response) if label in f.buttons]
    assert matches, f"no form with a {label!r} button in the page"
    return matches[0]


def text_of(response: HttpResponse) -> str:
    """The page's text with tags stripped and whitespace collapsed, entities decoded."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split())


def signed_in_user_id(client: Client) -> str | None:
    return client.session.get("_auth_user_id")


def sign_in(client: Client, email: str, password: str = DEMO_PASSWORD) -> HttpResponse:
    """Submit the real sign-in form."""
    return client.post(LOGIN_URL, {"login": email, "password": password})


def sign_in_staff(client: Client, email: str, secret: str) -> HttpResponse:
    """Password step, then the allauth two-factor stage with the current code."""
    first = sign_in(client, email)
    assert first.status_code == 302 and first["Location"] == MFA_URL, first
    return client.post(MFA_URL, {"code": totp_code_now(secret)})


def wrong_code(secret: str) -> str:
    """A well-formed code that is not valid now, nor in the neighbouring periods."""
    near = {totp_code_now(secret, offset_periods=k) for k in (-1, 0, 1)}
    return next(
        code
        for code in (totp_code_now(secret, offset_periods=k) for k in range(10, 20))
        if code not in near
    )


def audit_rows(action: str, **filters: Any) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action, **filters))


def set_session(client: Client, **values: Any) -> None:
    session = client.session
    for key, value in values.items():
        session[key] = value
    session.save()


def age_session(
    client: Client, *, idle_minutes: float = 0, signed_in_hours_ago: float | None = None
) -> None:
    """Pretend the last request was ``idle_minutes`` ago (and sign-in that long ago)."""
    now = time.time()
    values: dict[str, float] = {SEEN_AT_KEY: now - idle_minutes * 60}
    if signed_in_hours_ago is not None:
        values[AUTH_AT_KEY] = now - signed_in_hours_ago * 3600
    else:
        values[AUTH_AT_KEY] = now - idle_minutes * 60
    set_session(client, **values)


def outbox_links(message: mail.EmailMessage) -> list[str]:
    return re.findall(r"https?://\S+", str(message.body))


def path_of(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url)


@pytest.fixture
def make_member(cast: Cast) -> Callable[..., User]:
    """A new user with a verified email and one membership (no TOTP unless asked)."""
    counter = iter(range(1, 1000))

    def make(
        role: Role = Role.THERAPIST,
        org: str = "riverside",
        *,
        email: str | None = None,
        full_name: str = "Nia Newcomer",
    ) -> User:
        email = email or f"new{next(counter)}@example.org"
        user = User.objects.create_user(email, DEMO_PASSWORD, full_name=full_name)
        EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
        Membership.objects.create(
            user=user, organisation=Organisation.objects.get(slug=org), role=role
        )
        return user

    return make


@pytest.fixture
def urls() -> dict[str, str]:
    return {
        "activate_totp": reverse("mfa_activate_totp"),
        "deactivate_totp": reverse("mfa_deactivate_totp"),
        "reauthenticate": reverse("account_reauthenticate"),
        "sessions": reverse("usersessions_list"),
        "choose": reverse("organisation_choose"),
        "staff": reverse("staff_list"),
    }
