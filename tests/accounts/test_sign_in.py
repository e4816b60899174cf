"""Signing in through the real allauth pages: password, the two-factor stage, lockout."""

from __future__ import annotations

from html import escape

from django.conf import settings
from django.core import mail
from django.test import Client

from hearth.accounts.adapters import AccountAdapter
from hearth.accounts.personas import DEMO_PASSWORD, Cast, totp_code_now
from tests.accounts.conftest import (
    LOGIN_URL,
    MFA_URL,
    audit_rows,
    outbox_links,
    path_of,
    sign_in,
    signed_in_user_id,
    text_of,
    wrong_code,
)

LOCKOUT_MESSAGE = AccountAdapter.error_messages["too_many_login_attempts"]


def test_client_signs_in_with_email_and_password_and_lands_home(cast: Cast) -> None:
    client = Client()
    response = sign_in(client, "alice@demo.hearth.test")

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert signed_in_user_id(client) == str(cast.users["alice"].pk)
    home = client.get("/")
    assert home.status_code == 200
    assert "Alice" in text_of(home)
    assert [e.actor_id for e in audit_rows("auth.login")] == [cast.users["alice"].pk]


def test_sign_in_is_case_insensitive_for_the_email(cast: Cast) -> None:
    client = Client()
    response = sign_in(client, "Alice@Demo.Hearth.Test")
    assert response.status_code == 302
    assert signed_in_user_id(client) == str(cast.users["alice"].pk)


def test_wrong_password_is_refused_and_audited(cast: Cast) -> None:
    client = Client()
    response = sign_in(client, "alice@demo.hearth.test", "not-the-password")

    assert response.status_code == 200
    assert "The email address and/or password you specified are not correct." in text_of(response)
    assert signed_in_user_id(client) is None
    failed = audit_rows("auth.login_failed")
    assert len(failed) == 1
    assert failed[0].changes == {"email": "alice@demo.hearth.test"}
    assert failed[0].actor_id is None
    assert audit_rows("auth.login") == []


def test_staff_sign_in_needs_the_second_factor(cast: Cast) -> None:
    tom = cast.users["tom"]
    client = Client()

    response = sign_in(client, tom.email)
    # The password alone does not sign a member of staff in.
    assert response.status_code == 302
    assert response["Location"] == MFA_URL
    assert signed_in_user_id(client) is None
    assert client.get("/")["Location"].startswith(LOGIN_URL)
    assert client.get("/api/v1/me/").status_code in {401, 403}

    stage = client.get(MFA_URL)
    assert stage.status_code == 200
    assert "Please enter an authenticator code" in text_of(stage)

    refused = client.post(MFA_URL, {"code": wrong_code(cast.totp_secrets["tom"])})
    assert refused.status_code == 200
    assert "Incorrect code." in text_of(refused)
    assert signed_in_user_id(client) is None
    rejected = audit_rows("mfa.code_rejected")
    assert [e.actor_id for e in rejected] == [tom.pk]
    assert rejected[0].object_type == "authenticator"
    assert audit_rows("auth.login") == []

    accepted = client.post(MFA_URL, {"code": totp_code_now(cast.totp_secrets["tom"])})
    assert accepted.status_code == 302
    assert accepted["Location"] == "/"
    assert signed_in_user_id(client) == str(tom.pk)
    home = client.get("/")
    assert home.status_code == 200
    assert "Therapist · Riverside Talking Therapies" in text_of(home)
    assert [e.actor_id for e in audit_rows("auth.login")] == [tom.pk]


def test_a_used_code_cannot_be_replayed_in_another_sign_in(cast: Cast) -> None:
    tom = cast.users["tom"]
    code = totp_code_now(cast.totp_secrets["tom"])
    first = Client()
    sign_in(first, tom.email)
    assert first.post(MFA_URL, {"code": code})["Location"] == "/"

    second = Client()
    sign_in(second, tom.email)
    replay = second.post(MFA_URL, {"code": code})
    assert replay.status_code == 200
    assert "Incorrect code." in text_of(replay)
    assert signed_in_user_id(second) is None


def test_security_events_record_where_they_came_from(cast: Cast) -> None:
    """Failed sign-ins and rejected codes are anonymous or pre-login: the audit entry
    still says from which address and browser they came, and the chain holds."""
    from hearth.governance.audit import audit_verify

    browser = Client(HTTP_USER_AGENT="Curious browser 9", REMOTE_ADDR="203.0.113.7")
    sign_in(browser, "alice@demo.hearth.test", "wrong-password-here")
    sign_in(browser, cast.users["tom"].email)
    browser.post(MFA_URL, {"code": wrong_code(cast.totp_secrets["tom"])})
    browser.post(MFA_URL, {"code": totp_code_now(cast.totp_secrets["tom"])})

    for action in ["auth.login_failed", "mfa.code_rejected", "auth.login"]:
        (event,) = audit_rows(action)
        assert event.user_agent == "Curious browser 9", action
        assert event.ip == "203.0.113.7", action
    assert audit_verify().ok


# --- Lockout -------------------------------------------------------------------------


def _fail(client: Client, email: str, times: int) -> None:
    for _ in range(times):
        response = sign_in(client, email, "definitely-wrong")
        assert response.status_code == 200
        assert signed_in_user_id(client) is None


def test_failures_below_the_limit_do_not_lock(cast: Cast) -> None:
    client = Client()
    _fail(client, "alice@demo.hearth.test", settings.HEARTH_LOGIN_FAILURES_BEFORE_LOCKOUT - 1)
    response = sign_in(client, "alice@demo.hearth.test")
    assert response.status_code == 302
    assert signed_in_user_id(client) == str(cast.users["alice"].pk)
    assert audit_rows("auth.locked_out") == []


def test_lockout_refuses_even_the_right_password_with_a_clear_message(cast: Cast) -> None:
    assert settings.HEARTH_LOGIN_FAILURES_BEFORE_LOCKOUT == 5
    client = Client()
    _fail(client, "alice@demo.hearth.test", 5)

    response = sign_in(client, "alice@demo.hearth.test", DEMO_PASSWORD)
    assert response.status_code == 200
    assert signed_in_user_id(client) is None
    assert escape(LOCKOUT_MESSAGE) in response.content.decode()
    assert "locked for 15 minutes" in text_of(response)
    locked = audit_rows("auth.locked_out")
    assert len(locked) == 1
    assert locked[0].changes == {"email": "alice@demo.hearth.test"}

    # Another browser does not get round it: the lock is on the account.
    other_browser = Client()
    assert sign_in(other_browser, "ALICE@demo.hearth.test").status_code == 200
    assert signed_in_user_id(other_browser) is None

    # Another account is unaffected, even from the same address.
    charlie = sign_in(client, "charlie@demo.hearth.test")
    assert charlie.status_code == 302
    assert signed_in_user_id(client) == str(cast.users["charlie"].pk)


def test_lockout_also_applies_to_staff_before_the_second_factor(cast: Cast) -> None:
    client = Client()
    _fail(client, cast.users["tom"].email, 5)
    response = sign_in(client, cast.users["tom"].email)
    assert response.status_code == 200
    assert escape(LOCKOUT_MESSAGE) in response.content.decode()


def test_repeated_wrong_codes_lock_the_two_factor_stage(cast: Cast) -> None:
    client = Client()
    sign_in(client, cast.users["tom"].email)
    for _ in range(5):
        refused = client.post(MFA_URL, {"code": wrong_code(cast.totp_secrets["tom"])})
        assert "Incorrect code." in text_of(refused)
    response = client.post(MFA_URL, {"code": totp_code_now(cast.totp_secrets["tom"])})
    assert response.status_code == 200
    assert signed_in_user_id(client) is None
    assert escape(LOCKOUT_MESSAGE) in response.content.decode()


# --- Django admin ----------------------------------------------------------------------


def test_django_admin_sign_in_cannot_skip_the_second_factor(cast: Cast) -> None:
    """An admin-enabled member of staff must not get a full session from a password alone."""
    tom = cast.users["tom"]
    tom.is_staff = tom.is_superuser = True
    tom.save()
    client = Client()

    login_page = client.get("/admin/login/?next=/admin/")
    assert login_page.status_code == 302
    assert login_page["Location"].startswith(LOGIN_URL)

    client.post(
        "/admin/login/?next=/admin/",
        {"username": tom.email, "password": DEMO_PASSWORD, "next": "/admin/"},
    )
    assert signed_in_user_id(client) is None
    assert client.get("/")["Location"].startswith(LOGIN_URL)

    # Through the real sign-in, with the code, the admin opens.
    assert sign_in(client, tom.email)["Location"] == MFA_URL
    client.post(MFA_URL, {"code": totp_code_now(cast.totp_secrets["tom"])})
    assert client.get("/admin/").status_code == 200


def test_django_admin_sign_in_is_covered_by_the_lockout(cast: Cast) -> None:
    ada = cast.users["ada"]
    ada.is_staff = ada.is_superuser = True
    ada.save()
    client = Client()
    for _ in range(6):
        client.post("/admin/login/", {"username": ada.email, "password": "wrong-password!"})
    assert signed_in_user_id(client) is None
    client.post("/admin/login/", {"username": ada.email, "password": DEMO_PASSWORD})
    assert signed_in_user_id(client) is None


def test_signed_in_members_without_admin_rights_are_refused_the_admin(as_persona) -> None:  # type: ignore[no-untyped-def]
    response = as_persona("alice").get("/admin/login/")
    assert response.status_code in {302, 403}
    assert as_persona("alice").get("/admin/").status_code == 302


def test_resetting_the_password_unlocks_the_account_as_the_message_promises(
    cast: Cast,
) -> None:
    client = Client()
    _fail(client, "alice@demo.hearth.test", 5)
    assert signed_in_user_id(client) is None

    assert client.post("/accounts/password/reset/", {"email": "alice@demo.hearth.test"})[
        "Location"
    ].startswith("/accounts/password/reset/done/")
    (link,) = [
        link for link in outbox_links(mail.outbox[-1]) if "/accounts/password/reset/key/" in link
    ]
    set_password_page = client.get(path_of(link))
    assert set_password_page.status_code == 302
    new = "fresh-start-garden-2024"
    done = client.post(set_password_page["Location"], {"password1": new, "password2": new})
    assert done.status_code == 302
    assert len(audit_rows("auth.password_reset")) == 1

    response = sign_in(client, "alice@demo.hearth.test", new)
    assert response.status_code == 302
    assert signed_in_user_id(client) == str(cast.users["alice"].pk)
