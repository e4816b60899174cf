"""Idle timeout, absolute session lifetime, and the list of active sessions."""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.test import Client

from hearth.accounts.middleware import SEEN_AT_KEY
from hearth.accounts.models import Organisation, Role, User
from hearth.accounts.personas import Cast
from tests.accounts.conftest import (
    LOGIN_URL,
    age_session,
    audit_rows,
    form_with_button,
    sign_in,
    signed_in_user_id,
    text_of,
)


def _next_after_login(location: str) -> str:
    url = urlsplit(location)
    assert url.path == LOGIN_URL
    (target,) = parse_qs(url.query)["next"]
    return target


def _assert_signed_out(client: Client, response, path: str, message: str) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == 302
    assert _next_after_login(response["Location"]) == path
    assert signed_in_user_id(client) is None
    login_page = client.get(response["Location"])
    assert message in text_of(login_page)
    # And it stays that way: the next request is anonymous.
    assert client.get("/")["Location"].startswith(LOGIN_URL)


def test_defaults_are_what_the_policy_says() -> None:
    assert settings.HEARTH_STAFF_IDLE_MINUTES == 30
    assert settings.HEARTH_CLIENT_IDLE_MINUTES == 60
    assert settings.HEARTH_SESSION_MAX_HOURS == 12


def test_staff_idle_for_31_minutes_are_signed_out(cast: Cast, as_persona) -> None:  # type: ignore[no-untyped-def]
    client = as_persona("tom")
    age_session(client, idle_minutes=31)

    response = client.get("/clients/")

    _assert_signed_out(
        client, response, "/clients/", "You were signed out after 30 minutes without activity"
    )
    expired = audit_rows("auth.session_expired")
    assert [e.actor_id for e in expired] == [cast.users["tom"].pk]
    assert "30 minutes" in expired[0].reason


def test_staff_idle_for_29_minutes_carry_on_and_the_clock_restarts(as_persona) -> None:  # type: ignore[no-untyped-def]
    client = as_persona("tom")
    age_session(client, idle_minutes=29)
    before = time.time()

    assert client.get("/clients/").status_code == 200
    assert client.session[SEEN_AT_KEY] >= before
    assert audit_rows("auth.session_expired") == []


def test_the_sign_in_page_keeps_the_full_path_to_return_to(as_persona) -> None:  # type: ignore[no-untyped-def]
    client = as_persona("tom")
    age_session(client, idle_minutes=31)
    response = client.get("/clients/?q=a&page=2")
    assert response.status_code == 302
    assert _next_after_login(response["Location"]) == "/clients/?q=a&page=2"


def test_api_request_after_idle_timeout_gets_401_json(as_persona) -> None:  # type: ignore[no-untyped-def]
    client = as_persona("tom")
    age_session(client, idle_minutes=31)
    response = client.get("/api/v1/me/")
    assert response.status_code == 401
    assert "30 minutes without activity" in response.json()["detail"]
    assert signed_in_user_id(client) is None


def test_client_idle_limit_is_an_hour(as_persona) -> None:  # type: ignore[no-untyped-def]
    client = as_persona("alice")
    age_session(client, idle_minutes=31)
    assert client.get("/").status_code == 200
    assert signed_in_user_id(client) is not None

    age_session(client, idle_minutes=61)
    response = client.get("/")
    _assert_signed_out(
        client, response, "/", "You were signed out after 60 minutes without activity"
    )
    assert len(audit_rows("auth.session_expired")) == 1


@pytest.mark.parametrize("key", ["alice", "tom"])
def test_absolute_lifetime_applies_despite_recent_activity(as_persona, key: str) -> None:  # type: ignore[no-untyped-def]
    client = as_persona(key)
    age_session(client, idle_minutes=1, signed_in_hours_ago=11.9)
    assert client.get("/").status_code == 200

    age_session(client, idle_minutes=1, signed_in_hours_ago=12.1)
    response = client.get("/")
    _assert_signed_out(client, response, "/", "sessions last at most 12 hours")
    assert len(audit_rows("auth.session_expired")) == 1


def test_absolute_lifetime_follows_the_setting(as_persona, settings) -> None:  # type: ignore[no-untyped-def]
    settings.HEARTH_SESSION_MAX_HOURS = 2
    client = as_persona("alice")
    age_session(client, idle_minutes=1, signed_in_hours_ago=2.5)
    _assert_signed_out(client, client.get("/"), "/", "sessions last at most 2 hours")


def test_an_organisations_staff_idle_minutes_overrides_the_default(cast: Cast, as_persona) -> None:  # type: ignore[no-untyped-def]
    riverside = cast.organisations["riverside"]
    riverside.staff_idle_minutes = 45
    riverside.save()

    client = as_persona("tom")
    age_session(client, idle_minutes=40)
    assert client.get("/").status_code == 200

    age_session(client, idle_minutes=46)
    _assert_signed_out(
        client, client.get("/"), "/", "You were signed out after 45 minutes without activity"
    )

    riverside.staff_idle_minutes = 10
    riverside.save()
    client = as_persona("tom")
    age_session(client, idle_minutes=11)
    _assert_signed_out(
        client, client.get("/"), "/", "You were signed out after 10 minutes without activity"
    )
    # Clients of the organisation keep their own, longer limit.
    alice = as_persona("alice")
    age_session(alice, idle_minutes=11)
    assert alice.get("/").status_code == 200


def test_staff_in_two_organisations_get_the_strictest_limit(
    cast: Cast, make_member: Callable[..., User]
) -> None:
    """Northgate keeps the 30-minute default; Riverside allows 60. Northgate's data is
    reachable from this session, so Northgate's limit must hold."""
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    from hearth.accounts.models import Membership

    riverside = cast.organisations["riverside"]
    riverside.staff_idle_minutes = 60
    riverside.save()
    user = make_member(Role.THERAPIST, "riverside")
    Membership.objects.create(
        user=user, organisation=Organisation.objects.get(slug="northgate"), role=Role.THERAPIST
    )
    TOTP.activate(user, generate_totp_secret())
    client = Client()
    client.force_login(user)
    age_session(client, idle_minutes=31)
    response = client.get("/organisations/choose/")
    assert response.status_code == 302
    assert signed_in_user_id(client) is None


def test_a_fresh_sign_in_resets_both_clocks(cast: Cast) -> None:
    client = Client()
    sign_in(client, "alice@demo.hearth.test")
    age_session(client, idle_minutes=61, signed_in_hours_ago=13)
    assert client.get("/")["Location"].startswith(LOGIN_URL)
    sign_in(client, "alice@demo.hearth.test")
    assert client.get("/").status_code == 200


# --- Where you are signed in ---------------------------------------------------------


def test_sessions_page_lists_both_sessions_and_signs_out_the_other(
    cast: Cast, urls: dict[str, str]
) -> None:
    laptop = Client(enforce_csrf_checks=True, HTTP_USER_AGENT="Laptop browser 1.0")
    phone = Client(enforce_csrf_checks=True, HTTP_USER_AGENT="Phone browser 2.0")
    for browser in (laptop, phone):
        form = form_with_button(browser.get(LOGIN_URL), "Sign in")
        form.fields.update(login="alice@demo.hearth.test", password="hearth-demo-password")
        assert browser.post(form.action, form.fields).status_code == 302
        assert browser.get("/").status_code == 200

    page = laptop.get(urls["sessions"])
    assert page.status_code == 200
    assert len(page.context["sessions"]) == 2
    text = text_of(page)
    assert "Laptop browser 1.0" in text
    assert "Phone browser 2.0" in text
    assert text.count("Current") == 1

    form = form_with_button(page, "Sign Out Other Sessions")
    assert form.action == urls["sessions"]
    done = laptop.post(form.action, form.fields)
    assert done.status_code == 302

    # The phone's next request is anonymous; the laptop carries on.
    assert phone.get("/")["Location"].startswith(LOGIN_URL)
    assert signed_in_user_id(phone) is None
    assert laptop.get("/").status_code == 200
    remaining = laptop.get(urls["sessions"])
    assert len(remaining.context["sessions"]) == 1


def test_sessions_page_shows_only_your_own_sessions(cast: Cast, urls: dict[str, str]) -> None:
    alice, charlie = Client(), Client()
    sign_in(alice, "alice@demo.hearth.test")
    sign_in(charlie, "charlie@demo.hearth.test")
    page = alice.get(urls["sessions"])
    assert len(page.context["sessions"]) == 1
    assert {s.user_id for s in page.context["sessions"]} == {cast.users["alice"].pk}
