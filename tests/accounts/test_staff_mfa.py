"""Staff must set up two-factor sign-in before any other page or the API."""

from __future__ import annotations

from collections.abc import Callable

from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import SECRET_SESSION_KEY
from django.test import Client

from hearth.accounts.models import Role, User
from hearth.accounts.personas import DEMO_PASSWORD, Cast, totp_code_now
from tests.accounts.conftest import audit_rows, sign_in, text_of

MFA_NEEDED = "Staff accounts need two-factor authentication."
API_MFA_NEEDED = {"detail": "Set up two-factor authentication before using the API."}


def _activate_totp(client: Client, urls: dict[str, str]) -> None:
    """Go through allauth's own activation page, reauthenticating if it asks."""
    response = client.get(urls["activate_totp"])
    if response.status_code == 302 and response["Location"].startswith(urls["reauthenticate"]):
        reauth = client.post(response["Location"], {"password": DEMO_PASSWORD})
        assert reauth.status_code == 302, text_of(reauth)
        response = client.get(urls["activate_totp"])
    assert response.status_code == 200
    assert "Authenticator code" in text_of(response)
    secret = client.session[SECRET_SESSION_KEY]
    done = client.post(urls["activate_totp"], {"code": totp_code_now(secret)})
    assert done.status_code == 302, text_of(done)


def test_staff_without_totp_are_sent_to_set_it_up(
    make_member: Callable[..., User],
    urls: dict[str, str],
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    therapist = make_member(Role.THERAPIST)
    client = Client()
    client.force_login(therapist)

    for path in ["/", "/clients/", "/staff/", "/api-tokens/"]:
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"] == urls["activate_totp"], path

    shown = client.get("/clients/", follow=True)
    assert MFA_NEEDED in text_of(shown)

    api = client.get("/api/v1/me/")
    assert api.status_code == 403
    assert api.json() == API_MFA_NEEDED

    # allauth announces the new authenticator once the transaction commits.
    with django_capture_on_commit_callbacks(execute=True):
        _activate_totp(client, urls)
    assert Authenticator.objects.filter(user=therapist, type=Authenticator.Type.TOTP).exists()
    assert therapist.pk in {e.actor_id for e in audit_rows("mfa.added")}

    home = client.get("/")
    assert home.status_code == 200
    assert "Therapist · Riverside Talking Therapies" in text_of(home)
    assert client.get("/clients/").status_code == 200
    me = client.get("/api/v1/me/")
    assert me.status_code == 200
    assert me.json()["email"] == therapist.email


def test_every_staff_role_is_forced(make_member: Callable[..., User], urls: dict[str, str]) -> None:
    for role in [Role.SUPERVISOR, Role.SERVICE_ADMIN, Role.COMMISSIONER]:
        client = Client()
        client.force_login(make_member(role))
        response = client.get("/")
        assert response.status_code == 302, role
        assert response["Location"] == urls["activate_totp"], role


def test_account_pages_stay_reachable_while_setting_up(
    make_member: Callable[..., User], urls: dict[str, str]
) -> None:
    client = Client()
    client.force_login(make_member(Role.THERAPIST))
    assert client.get("/accounts/settings/").status_code == 200
    assert client.get(urls["sessions"]).status_code == 200
    assert client.get("/healthz").status_code in {200, 503}


def test_a_new_staff_member_signing_in_is_forced_too(
    make_member: Callable[..., User], urls: dict[str, str]
) -> None:
    therapist = make_member(Role.THERAPIST)
    client = Client()
    signed_in = sign_in(client, therapist.email)
    # No authenticator yet, so no second step: straight in, then made to set one up.
    assert signed_in.status_code == 302
    assert client.get(signed_in["Location"])["Location"] == urls["activate_totp"]


def test_client_without_totp_is_not_forced(cast: Cast) -> None:
    assert not Authenticator.objects.filter(user=cast.users["alice"]).exists()
    client = Client()
    client.force_login(cast.users["alice"])
    assert client.get("/").status_code == 200
    assert client.get("/me/record/").status_code == 200
    assert client.get("/api/v1/me/").status_code == 200


def test_staff_with_totp_are_not_redirected(cast: Cast, as_persona) -> None:  # type: ignore[no-untyped-def]
    for key in ["tom", "sam", "ada", "cora", "olive"]:
        assert as_persona(key).get("/").status_code == 200, key
