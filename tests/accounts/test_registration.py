"""Clients register themselves on their organisation's page, where it is open."""

from __future__ import annotations

from allauth.account.models import EmailAddress
from django.core import mail
from django.test import Client

from hearth.accounts.models import Membership, Role, User
from hearth.accounts.personas import DEMO_PASSWORD, Cast
from hearth.clients.models import ClientRecord
from tests.accounts.conftest import (
    audit_rows,
    form_with_button,
    forms_in,
    outbox_links,
    path_of,
    sign_in,
    signed_in_user_id,
    text_of,
)

EMAIL = "robin.reed@example.org"
PASSWORD = "meadow-copper-violin-7"


def _register(client: Client, slug: str, **changes: str):  # type: ignore[no-untyped-def]
    data = {
        "full_name": "Robin Reed",
        "email": EMAIL,
        "password1": PASSWORD,
        "password2": PASSWORD,
        **changes,
    }
    return client.post(f"/join/{slug}/", data)


def test_registration_creates_an_unverified_client(cast: Cast) -> None:
    visitor = Client()
    page = visitor.get("/join/riverside/")
    assert page.status_code == 200
    assert "Register with Riverside Talking Therapies" in text_of(page)
    form = form_with_button(page, "Create account")
    assert {"full_name", "email", "password1", "password2"} <= set(form.fields)

    response = _register(visitor, "riverside")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/confirm-email/"
    assert signed_in_user_id(visitor) is None

    user = User.objects.get(email=EMAIL)
    assert user.full_name == "Robin Reed"
    membership = Membership.objects.get(user=user)
    assert (membership.organisation, membership.role) == (
        cast.organisations["riverside"],
        Role.CLIENT,
    )
    record = ClientRecord.objects.get(user=user)
    assert (record.organisation, record.given_name, record.family_name, record.email) == (
        cast.organisations["riverside"],
        "Robin",
        "Reed",
        EMAIL,
    )
    assert record.therapist is None
    address = EmailAddress.objects.get(user=user)
    assert (address.email, address.verified, address.primary) == (EMAIL, False, True)
    assert len(audit_rows("client.self_register")) == 1

    (message,) = mail.outbox
    assert message.to == [EMAIL]
    (link,) = [link for link in outbox_links(message) if "/accounts/confirm-email/" in link]

    # Not before verifying: the sign-in sends them back to check their email.
    attempt = Client()
    blocked = sign_in(attempt, EMAIL, PASSWORD)
    assert blocked.status_code == 302
    assert blocked["Location"] == "/accounts/confirm-email/"
    assert signed_in_user_id(attempt) is None
    assert attempt.get("/")["Location"].startswith("/accounts/login/")

    # Following the emailed link verifies the address; then signing in works.
    confirm = Client()
    assert confirm.get(path_of(link)).status_code == 200
    assert confirm.post(path_of(link)).status_code == 302
    address.refresh_from_db()
    assert address.verified

    signed_in = sign_in(attempt, EMAIL, PASSWORD)
    assert signed_in.status_code == 302
    assert signed_in_user_id(attempt) == str(user.pk)
    home = attempt.get("/")
    assert home.status_code == 200
    assert "Client · Riverside Talking Therapies" in text_of(home)


def test_registration_email_carries_no_clinical_content(cast: Cast) -> None:
    _register(Client(), "riverside")
    (message,) = mail.outbox
    for key in ["alice", "charlie"]:
        assert cast.users[key].full_name not in message.body
        assert cast.records[key].presenting_summary not in message.body


def test_registering_an_existing_email_reveals_nothing_and_changes_nothing(
    cast: Cast,
) -> None:
    """Whether someone has an account with a therapy service is itself private: the page
    answers as for a new address, and the address's owner is told by email."""
    alice = cast.users["alice"]
    new_address = _register(Client(), "riverside")
    users, memberships, records = (
        User.objects.count(),
        Membership.objects.count(),
        ClientRecord.objects.count(),
    )
    mail.outbox.clear()

    response = _register(Client(), "riverside", email="Alice@demo.hearth.test")

    assert response.status_code == new_address.status_code == 302
    assert response["Location"] == new_address["Location"]
    assert (User.objects.count(), Membership.objects.count(), ClientRecord.objects.count()) == (
        users,
        memberships,
        records,
    )
    alice.refresh_from_db()
    assert alice.full_name == "Alice Ashworth"
    assert alice.check_password(DEMO_PASSWORD)
    (message,) = mail.outbox
    assert message.to == ["Alice@demo.hearth.test"]
    assert "already exists" in message.body
    assert cast.records["alice"].presenting_summary not in message.body


def test_registration_is_rate_limited(cast: Cast) -> None:
    visitor = Client()
    for _ in range(20):
        assert _register(visitor, "riverside", password2="mismatch").status_code == 200
    assert _register(visitor, "riverside").status_code == 429
    assert not User.objects.filter(email=EMAIL).exists()


def test_registration_refuses_weak_passwords(cast: Cast) -> None:
    for password, error in [
        ("short-pass", "This password is too short. It must contain at least 12 characters."),
        ("password1234", "This password is too common."),
        (EMAIL, "The password is too similar to the email."),
    ]:
        response = _register(Client(), "riverside", password1=password, password2=password)
        assert response.status_code == 200
        assert error in response.context["form"].errors["password1"]
    assert not User.objects.filter(email=EMAIL).exists()
    assert not ClientRecord.objects.filter(email=EMAIL).exists()


def test_closed_registration_says_so_and_creates_nothing(cast: Cast) -> None:
    visitor = Client()
    page = visitor.get("/join/northgate/")
    assert page.status_code == 200
    assert "This service does not take online registrations." in text_of(page)
    assert "Northgate Counselling" in text_of(page)
    assert not [f for f in forms_in(page) if "password1" in f.fields]

    users, records = User.objects.count(), ClientRecord.objects.count()
    response = _register(visitor, "northgate")
    assert response.status_code == 200
    assert "This service does not take online registrations." in text_of(response)
    assert (User.objects.count(), ClientRecord.objects.count()) == (users, records)
    assert not User.objects.filter(email=EMAIL).exists()
    assert mail.outbox == []


def test_unknown_organisation_is_404(cast: Cast) -> None:
    assert Client().get("/join/nowhere/").status_code == 404
    assert _register(Client(), "nowhere").status_code == 404
    assert not User.objects.filter(email=EMAIL).exists()


def test_allauths_own_sign_up_is_closed(cast: Cast) -> None:
    response = Client().post(
        "/accounts/signup/", {"email": EMAIL, "password1": PASSWORD, "password2": PASSWORD}
    )
    assert not User.objects.filter(email=EMAIL).exists()
    assert "Sign Up Closed" in text_of(response)
