"""Sensitive account changes ask for the password again when the last proof is old."""

from __future__ import annotations

import time

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.test import Client

from hearth.accounts.personas import DEMO_PASSWORD, Cast
from tests.accounts.conftest import (
    audit_rows,
    set_session,
    sign_in,
    sign_in_staff,
    text_of,
)

RECORDS_KEY = "account_authentication_methods"


def _reauthenticate(client: Client, urls: dict[str, str]) -> None:
    response = client.post(urls["reauthenticate"], {"password": DEMO_PASSWORD})
    assert response.status_code == 302, text_of(response)


def _make_proofs_older_than_the_timeout(client: Client) -> None:
    """Every sign-in and re-authentication in this session happened long enough ago."""
    stale = time.time() - settings.ACCOUNT_REAUTHENTICATION_TIMEOUT - 5
    records = [{**r, "at": stale} for r in client.session[RECORDS_KEY]]
    set_session(client, **{RECORDS_KEY: records})


def _add_email(client: Client, email: str):  # type: ignore[no-untyped-def]
    return client.post("/accounts/email/", {"email": email, "action_add": ""})


def _goes_to_reauthentication(response, urls: dict[str, str]) -> bool:  # type: ignore[no-untyped-def]
    return response.status_code == 302 and response["Location"].startswith(urls["reauthenticate"])


def test_timeout_is_five_minutes_by_default() -> None:
    assert settings.ACCOUNT_REAUTHENTICATION_REQUIRED is True
    assert settings.ACCOUNT_REAUTHENTICATION_TIMEOUT == 300


def test_adding_an_email_needs_a_recent_password(cast: Cast, urls: dict[str, str]) -> None:
    client = Client()
    sign_in(client, "alice@demo.hearth.test")
    _reauthenticate(client, urls)

    # Just proved: allowed.
    assert _add_email(client, "alice.fresh@example.org").status_code == 302
    assert EmailAddress.objects.filter(email="alice.fresh@example.org").exists()

    _make_proofs_older_than_the_timeout(client)
    stale = _add_email(client, "alice.stale@example.org")
    assert _goes_to_reauthentication(stale, urls)
    assert not EmailAddress.objects.filter(email="alice.stale@example.org").exists()

    # Entering the password again lets the suspended change go through.
    page = client.get(stale["Location"])
    assert page.status_code == 200
    assert "Please reauthenticate to safeguard your account." in text_of(page)
    resumed = client.post(stale["Location"], {"password": DEMO_PASSWORD}, follow=True)
    assert resumed.status_code == 200
    assert EmailAddress.objects.filter(email="alice.stale@example.org").exists()


def test_wrong_password_on_reauthentication_changes_nothing(
    cast: Cast, urls: dict[str, str]
) -> None:
    client = Client()
    sign_in(client, "alice@demo.hearth.test")
    _make_proofs_older_than_the_timeout(client)
    stale = _add_email(client, "alice.nope@example.org")
    assert _goes_to_reauthentication(stale, urls)
    refused = client.post(stale["Location"], {"password": "not-my-password"})
    assert refused.status_code == 200
    assert not EmailAddress.objects.filter(email="alice.nope@example.org").exists()


def test_totp_deactivation_needs_a_recent_proof(cast: Cast, urls: dict[str, str]) -> None:
    tom = cast.users["tom"]
    client = Client()
    assert sign_in_staff(client, tom.email, cast.totp_secrets["tom"]).status_code == 302
    _reauthenticate(client, urls)
    assert client.get(urls["deactivate_totp"]).status_code == 200

    _make_proofs_older_than_the_timeout(client)
    response = client.get(urls["deactivate_totp"])
    assert _goes_to_reauthentication(response, urls)
    response = client.post(urls["deactivate_totp"], {})
    assert _goes_to_reauthentication(response, urls)
    assert Authenticator.objects.filter(user=tom, type=Authenticator.Type.TOTP).exists()


def test_reauthentication_can_be_made_shorter(cast: Cast, urls: dict[str, str], settings) -> None:  # type: ignore[no-untyped-def]
    settings.ACCOUNT_REAUTHENTICATION_TIMEOUT = 60
    client = Client()
    sign_in(client, "alice@demo.hearth.test")
    _reauthenticate(client, urls)
    records = [{**r, "at": time.time() - 90} for r in client.session[RECORDS_KEY]]
    set_session(client, **{RECORDS_KEY: records})
    assert _goes_to_reauthentication(_add_email(client, "alice.90s@example.org"), urls)


# --- Password change ------------------------------------------------------------------


def test_password_change_needs_the_old_password(cast: Cast) -> None:
    alice = cast.users["alice"]
    client = Client()
    sign_in(client, alice.email)
    new = "a-much-longer-new-passphrase"

    refused = client.post(
        "/accounts/password/change/",
        {"oldpassword": "not-the-old-one", "password1": new, "password2": new},
    )
    assert refused.status_code == 200
    assert "Please type your current password." in text_of(refused)
    alice.refresh_from_db()
    assert alice.check_password(DEMO_PASSWORD)
    assert not alice.check_password(new)
    assert audit_rows("auth.password_changed") == []

    done = client.post(
        "/accounts/password/change/",
        {"oldpassword": DEMO_PASSWORD, "password1": new, "password2": new},
    )
    assert done.status_code == 302
    alice.refresh_from_db()
    assert alice.check_password(new)
    assert [e.actor_id for e in audit_rows("auth.password_changed")] == [alice.pk]
    # Still signed in on this device after changing it.
    assert client.get("/").status_code == 200


def test_new_password_must_meet_the_rules(cast: Cast) -> None:
    alice = cast.users["alice"]
    client = Client()
    sign_in(client, alice.email)
    for bad, error in [
        ("short-pw", "This password is too short. It must contain at least 12 characters."),
        ("password1234", "This password is too common."),
    ]:
        response = client.post(
            "/accounts/password/change/",
            {"oldpassword": DEMO_PASSWORD, "password1": bad, "password2": bad},
        )
        assert response.status_code == 200
        assert error in text_of(response)
    alice.refresh_from_db()
    assert alice.check_password(DEMO_PASSWORD)


def test_changing_the_password_ends_the_other_sessions(cast: Cast) -> None:
    alice = cast.users["alice"]
    laptop, phone = Client(), Client()
    sign_in(laptop, alice.email)
    sign_in(phone, alice.email)
    new = "a-much-longer-new-passphrase"
    laptop.post(
        "/accounts/password/change/",
        {"oldpassword": DEMO_PASSWORD, "password1": new, "password2": new},
    )
    assert laptop.get("/").status_code == 200
    assert phone.get("/")["Location"].startswith("/accounts/login/")
