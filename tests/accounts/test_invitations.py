"""Staff join by invitation: sent by a service admin, accepted once, before it expires."""

from __future__ import annotations

from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.test import Client
from django.utils import timezone

from hearth.accounts.models import Invitation, Membership, Role, User
from hearth.accounts.personas import CASELOAD, DEMO_PASSWORD, Cast
from hearth.accounts.services import invitation_create
from tests.accounts.conftest import (
    audit_rows,
    form_with_button,
    outbox_links,
    path_of,
    sign_in,
    signed_in_user_id,
    text_of,
)

NEW_EMAIL = "priya.patel@example.org"
GOOD_PASSWORD = "kettle-harbour-lantern-42"


def _invite(ada: Client, email: str = NEW_EMAIL, role: str = Role.THERAPIST) -> str:
    """Invite through the staff page; return the accept link's path from the email."""
    page = ada.get("/staff/")
    form = form_with_button(page, "Send invitation")
    form.fields.update(email=email, role=role)
    response = ada.post("/staff/", form.fields)
    assert response.status_code == 302, text_of(response)
    (link,) = outbox_links(mail.outbox[-1])
    return path_of(link)


def _accept(client: Client, path: str, password: str = GOOD_PASSWORD, **extra: str):  # type: ignore[no-untyped-def]
    data = {"full_name": "Priya Patel", "password1": password, "password2": password}
    data.update(extra)
    return client.post(path, data)


def _invitation_for(email: str, cast: Cast, **changes: object) -> tuple[Invitation, str]:
    invitation, token = invitation_create(
        organisation=cast.organisations["riverside"],
        email=email,
        role=Role.THERAPIST,
        invited_by=cast.users["ada"],
    )
    if changes:
        Invitation.objects.filter(pk=invitation.pk).update(**changes)
    return invitation, f"/invitations/{token}/"


def test_invitation_is_emailed_and_accepted(cast: Cast, as_persona) -> None:  # type: ignore[no-untyped-def]
    ada = as_persona("ada")
    path = _invite(ada)

    (message,) = mail.outbox
    assert message.to == [NEW_EMAIL]
    assert "Riverside Talking Therapies" in message.subject
    assert "http://testserver" + path in message.body
    assert "Ada Adeyemi" in message.body
    assert "therapist" in message.body
    for client_key, (_, summary) in CASELOAD.items():
        assert summary not in message.body
        assert cast.users[client_key].full_name not in message.body
    invitation = Invitation.objects.get(email=NEW_EMAIL)
    # Only the hash of the token is kept.
    assert path.strip("/").split("/")[-1] not in invitation.token_hash
    assert [e.object_id for e in audit_rows("invitation.create")] == [str(invitation.pk)]
    assert f"Invitations waiting {NEW_EMAIL} — Therapist" in text_of(ada.get("/staff/"))

    visitor = Client()
    page = visitor.get(path)
    assert page.status_code == 200
    assert "Join Riverside Talking Therapies" in text_of(page)
    response = _accept(visitor, path)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"

    user = User.objects.get(email=NEW_EMAIL)
    assert user.full_name == "Priya Patel"
    assert user.check_password(GOOD_PASSWORD)
    address = EmailAddress.objects.get(user=user)
    assert (address.email, address.verified, address.primary) == (NEW_EMAIL, True, True)
    membership = Membership.objects.get(user=user)
    assert (membership.organisation, membership.role) == (
        cast.organisations["riverside"],
        Role.THERAPIST,
    )
    invitation.refresh_from_db()
    assert invitation.accepted_at is not None
    accepted = audit_rows("invitation.accept")
    assert [(e.actor_id, e.object_id) for e in accepted] == [(user.pk, str(membership.pk))]

    # The new therapist signs in and is made to set up two-factor authentication.
    newcomer = Client()
    signed_in = sign_in(newcomer, NEW_EMAIL, GOOD_PASSWORD)
    assert signed_in.status_code == 302
    assert signed_in_user_id(newcomer) == str(user.pk)
    assert newcomer.get("/")["Location"] == "/accounts/2fa/totp/activate/"


def test_email_for_an_invitation_is_case_insensitive(cast: Cast, as_persona) -> None:  # type: ignore[no-untyped-def]
    path = _invite(as_persona("ada"), email="Priya.Patel@Example.ORG")
    assert mail.outbox[0].to == [NEW_EMAIL]
    assert _accept(Client(), path).status_code == 302
    assert User.objects.get(email=NEW_EMAIL)


def _assert_unusable(path: str, message: str) -> None:
    """GET and POST both answer 410 with ``message``, and nothing changes."""

    def state() -> tuple[int, int, int, int]:
        return (
            User.objects.count(),
            Membership.objects.count(),
            Invitation.objects.filter(accepted_at__isnull=False).count(),
            len(audit_rows("invitation.accept")),
        )

    before = state()
    visitor = Client()
    page = visitor.get(path)
    assert page.status_code == 410
    assert message in text_of(page)
    response = _accept(visitor, path)
    assert response.status_code == 410
    assert message in text_of(response)
    assert state() == before


def test_expired_invitation_gives_a_plain_message(cast: Cast) -> None:
    _, path = _invitation_for(NEW_EMAIL, cast, expires_at=timezone.now() - timedelta(minutes=1))
    _assert_unusable(path, "This invitation has expired. Ask your service admin to send a new one.")
    assert not User.objects.filter(email=NEW_EMAIL).exists()


def test_withdrawn_invitation_gives_a_plain_message(cast: Cast, as_persona) -> None:  # type: ignore[no-untyped-def]
    ada = as_persona("ada")
    path = _invite(ada)
    invitation = Invitation.objects.get(email=NEW_EMAIL)
    withdraw = form_with_button(ada.get("/staff/"), "Withdraw")
    assert withdraw.action == f"/staff/invitations/{invitation.pk}/revoke/"
    assert ada.post(withdraw.action, withdraw.fields).status_code == 302
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None
    assert len(audit_rows("invitation.revoke")) == 1
    assert "Invitations waiting" not in text_of(ada.get("/staff/"))

    _assert_unusable(path, "This invitation link is not valid. Ask your service admin again.")
    assert not User.objects.filter(email=NEW_EMAIL).exists()


def test_used_invitation_gives_a_plain_message(cast: Cast) -> None:
    _, path = _invitation_for(NEW_EMAIL, cast)
    assert _accept(Client(), path).status_code == 302
    user = User.objects.get(email=NEW_EMAIL)

    _assert_unusable(path, "This invitation has already been used. Sign in instead.")
    user.refresh_from_db()
    assert user.check_password(GOOD_PASSWORD)
    assert Membership.objects.filter(user=user).count() == 1
    assert len(audit_rows("invitation.accept")) == 1


def test_unknown_token_gives_a_plain_message(cast: Cast) -> None:
    _assert_unusable("/invitations/not-a-real-token/", "This invitation link is not valid.")


def test_an_accepted_invitation_cannot_be_withdrawn(cast: Cast, as_persona) -> None:  # type: ignore[no-untyped-def]
    invitation, path = _invitation_for(NEW_EMAIL, cast)
    _accept(Client(), path)
    response = as_persona("ada").post(f"/staff/invitations/{invitation.pk}/revoke/", follow=True)
    assert "This invitation has already been accepted." in text_of(response)
    invitation.refresh_from_db()
    assert invitation.revoked_at is None


def test_admins_cannot_withdraw_another_organisations_invitation(
    cast: Cast, as_persona, make_member
) -> None:  # type: ignore[no-untyped-def]
    invitation, _ = invitation_create(
        organisation=cast.organisations["northgate"],
        email=NEW_EMAIL,
        role=Role.THERAPIST,
        invited_by=cast.users["olive"],
    )
    response = as_persona("ada").post(f"/staff/invitations/{invitation.pk}/revoke/")
    assert response.status_code == 404
    invitation.refresh_from_db()
    assert invitation.revoked_at is None


@pytest.mark.parametrize("key", ["tom", "sam", "cora", "alice", "olive"])
def test_only_service_admins_may_invite(cast: Cast, as_persona, key: str) -> None:  # type: ignore[no-untyped-def]
    client = as_persona(key)
    assert client.get("/staff/").status_code == 403
    response = client.post("/staff/", {"email": NEW_EMAIL, "role": Role.THERAPIST})
    assert response.status_code == 403
    assert not Invitation.objects.exists()
    assert mail.outbox == []


@pytest.mark.parametrize("email", ["tom@demo.hearth.test", "TOM@Demo.Hearth.Test"])
def test_inviting_an_existing_member_is_a_field_error(cast: Cast, as_persona, email: str) -> None:  # type: ignore[no-untyped-def]
    response = as_persona("ada").post("/staff/", {"email": email, "role": Role.SUPERVISOR})
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "email": ["This person is already a member of the organisation."]
    }
    assert not Invitation.objects.exists()
    assert mail.outbox == []
    assert audit_rows("invitation.create") == []


def test_invitations_are_for_staff_roles_only(cast: Cast, as_persona) -> None:  # type: ignore[no-untyped-def]
    response = as_persona("ada").post("/staff/", {"email": NEW_EMAIL, "role": Role.CLIENT})
    assert response.status_code == 200
    assert "role" in response.context["form"].errors
    assert not Invitation.objects.exists()


@pytest.mark.parametrize(
    ("password", "error"),
    [
        ("kettle-boat", "This password is too short. It must contain at least 12 characters."),
        ("password1234", "This password is too common."),
        ("123456789012345", "This password is entirely numeric."),
        (NEW_EMAIL, "The password is too similar to the email."),
        ("Priya Patel 1", "The password is too similar to the full name."),
    ],
)
def test_weak_passwords_are_refused_with_a_specific_error(
    cast: Cast, password: str, error: str
) -> None:
    invitation, path = _invitation_for(NEW_EMAIL, cast)
    response = _accept(Client(), path, password)
    assert response.status_code == 200
    assert error in response.context["form"].errors["password1"]
    assert not User.objects.filter(email=NEW_EMAIL).exists()
    invitation.refresh_from_db()
    assert invitation.accepted_at is None


def test_mismatched_passwords_are_refused(cast: Cast) -> None:
    _, path = _invitation_for(NEW_EMAIL, cast)
    response = _accept(Client(), path, password2="something-else-entirely")
    assert response.status_code == 200
    assert response.context["form"].errors["password2"] == ["The two passwords do not match."]
    assert not User.objects.filter(email=NEW_EMAIL).exists()


def test_someone_with_an_account_accepts_after_signing_in(cast: Cast) -> None:
    """Olive (Northgate) is invited to Riverside too: she signs in, then accepts."""
    olive = cast.users["olive"]
    _, path = _invitation_for(olive.email, cast)

    anonymous = _accept(Client(), path)
    assert anonymous.status_code == 200
    assert "An account with this email exists: sign in, then accept." in text_of(anonymous)
    assert not Membership.objects.filter(user=olive, organisation__slug="riverside").exists()

    client = Client()
    client.force_login(olive)
    response = client.post(path)
    assert response.status_code == 302
    membership = Membership.objects.get(user=olive, organisation__slug="riverside")
    assert membership.role == Role.THERAPIST
    olive.refresh_from_db()
    assert olive.check_password(DEMO_PASSWORD)


def test_signed_in_as_someone_else_cannot_take_the_invitation(cast: Cast) -> None:
    invitation, path = _invitation_for(NEW_EMAIL, cast)
    client = Client()
    client.force_login(cast.users["charlie"])
    response = client.post(path, follow=True)
    assert "This invitation was sent to a different email address." in text_of(response)
    invitation.refresh_from_db()
    assert invitation.accepted_at is None
    assert Membership.objects.filter(user=cast.users["charlie"]).count() == 1


def test_accepting_when_already_a_member_is_a_plain_error(cast: Cast, make_member) -> None:  # type: ignore[no-untyped-def]
    """Invited as staff, then registered as a client of the same service before accepting:
    one role per organisation, so accepting is refused plainly (not a server error)."""
    invitation, path = _invitation_for(NEW_EMAIL, cast)
    person = make_member(Role.CLIENT, "riverside", email=NEW_EMAIL)
    client = Client()
    client.force_login(person)
    response = client.post(path, follow=True)
    assert response.status_code == 200
    assert "already a member" in text_of(response)
    invitation.refresh_from_db()
    assert invitation.accepted_at is None
    assert Membership.objects.get(user=person).role == Role.CLIENT
