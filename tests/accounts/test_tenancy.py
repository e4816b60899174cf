"""Every page acts within one organisation, and nothing crosses organisations."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.test import Client

from hearth.accounts.middleware import ACTIVE_ORG_KEY
from hearth.accounts.models import Membership, Organisation, Role, User
from hearth.accounts.personas import Cast
from hearth.clients.models import ClientRecord
from tests.accounts.conftest import audit_rows, form_with_button, text_of

RIVERSIDE_NAMES = ["Alice Ashworth", "Charlie Chen", "Rita Rivers"]


@pytest.fixture
def two_org_therapist(cast: Cast, make_member: Callable[..., User]) -> User:
    user = make_member(Role.THERAPIST, "riverside", full_name="Bea Both")
    Membership.objects.create(
        user=user, organisation=cast.organisations["northgate"], role=Role.THERAPIST
    )
    TOTP.activate(user, generate_totp_secret())
    return user


def _record(org: Organisation, therapist: User, given: str, family: str) -> ClientRecord:
    return ClientRecord.objects.create(
        organisation=org, therapist=therapist, given_name=given, family_name=family
    )


def test_someone_in_two_organisations_chooses_first(
    cast: Cast, two_org_therapist: User, urls: dict[str, str]
) -> None:
    northgate = cast.organisations["northgate"]
    _record(northgate, two_org_therapist, "Nadia", "North")
    _record(cast.organisations["riverside"], two_org_therapist, "Rita", "Rivers")
    client = Client()
    client.force_login(two_org_therapist)

    for path in ["/", "/clients/", "/staff/", "/me/record/"]:
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"] == urls["choose"], path
    assert client.get("/api/v1/me/").status_code == 403

    page = client.get(urls["choose"])
    assert page.status_code == 200
    text = text_of(page)
    assert "Northgate Counselling (Therapist)" in text
    assert "Riverside Talking Therapies (Therapist)" in text

    form = form_with_button(page, "Continue")
    form.fields["organisation"] = str(northgate.pk)
    chosen = client.post(form.action or urls["choose"], form.fields)
    assert chosen.status_code == 302
    assert chosen["Location"] == "/"
    assert client.session[ACTIVE_ORG_KEY] == northgate.pk
    assert [e.organisation_id for e in audit_rows("organisation.switch")] == [northgate.pk]

    home = client.get("/")
    assert home.status_code == 200
    assert "Therapist · Northgate Counselling" in text_of(home)
    listing = text_of(client.get("/clients/"))
    assert "Nadia North" in listing
    assert "Rita Rivers" not in listing

    # Switching changes what every page acts on.
    client.post(urls["choose"], {"organisation": cast.organisations["riverside"].pk})
    listing = text_of(client.get("/clients/"))
    assert "Rita Rivers" in listing
    assert "Nadia North" not in listing


def test_choosing_an_organisation_you_do_not_belong_to_is_refused(
    cast: Cast, two_org_therapist: User, urls: dict[str, str]
) -> None:
    elsewhere = Organisation.objects.create(name="Elsewhere Clinic", slug="elsewhere")
    client = Client()
    client.force_login(two_org_therapist)
    for value in [str(elsewhere.pk), "not-a-number", ""]:
        response = client.post(urls["choose"], {"organisation": value})
        assert response.status_code == 200
        assert "Choose one of your organisations." in text_of(response)
        assert ACTIVE_ORG_KEY not in client.session
    assert client.get("/")["Location"] == urls["choose"]
    assert audit_rows("organisation.switch") == []


def test_a_deactivated_membership_cannot_be_chosen(
    cast: Cast, two_org_therapist: User, urls: dict[str, str]
) -> None:
    northgate = cast.organisations["northgate"]
    Membership.objects.filter(user=two_org_therapist, organisation=northgate).update(
        is_active=False
    )
    client = Client()
    client.force_login(two_org_therapist)
    response = client.post(urls["choose"], {"organisation": northgate.pk})
    assert "Choose one of your organisations." in text_of(response)
    # With one active membership left, that one is used.
    assert "Therapist · Riverside Talking Therapies" in text_of(client.get("/"))


def test_a_chosen_organisation_stops_applying_when_the_membership_ends(
    cast: Cast, two_org_therapist: User, urls: dict[str, str]
) -> None:
    northgate = cast.organisations["northgate"]
    client = Client()
    client.force_login(two_org_therapist)
    client.post(urls["choose"], {"organisation": northgate.pk})
    assert "Northgate Counselling" in text_of(client.get("/"))
    Membership.objects.filter(user=two_org_therapist, organisation=northgate).update(
        is_active=False
    )
    home = text_of(client.get("/"))
    assert "Northgate Counselling" not in home
    assert "Therapist · Riverside Talking Therapies" in home


def test_one_membership_needs_no_choice(as_persona) -> None:  # type: ignore[no-untyped-def]
    assert as_persona("olive").get("/").status_code == 200


def test_olive_sees_nothing_of_riverside(cast: Cast, as_persona) -> None:  # type: ignore[no-untyped-def]
    olive = cast.users["olive"]
    _record(cast.organisations["northgate"], olive, "Nadia", "North")
    # A Riverside record wrongly allocated to Olive: the organisation still fences it off.
    rita = _record(cast.organisations["riverside"], olive, "Rita", "Rivers")

    # The names are visible to a Riverside therapist, so their absence below means something.
    assert "Alice Ashworth" in text_of(as_persona("tom").get("/clients/"))

    client = as_persona("olive")
    listing = client.get("/clients/")
    assert listing.status_code == 200
    text = text_of(listing)
    assert "Nadia North" in text
    for name in RIVERSIDE_NAMES:
        assert name not in text

    for record in [cast.records["alice"], cast.records["charlie"], rita]:
        assert client.get(f"/clients/{record.pk}/").status_code == 404
        assert client.get(f"/clients/{record.pk}/edit/").status_code == 404
        assert client.post(f"/clients/{record.pk}/edit/", {"given_name": "X"}).status_code == 404
        assert client.get(f"/api/v1/clients/{record.pk}/").status_code == 404
    api_names = {r["given_name"] for r in client.get("/api/v1/clients/").json()["results"]}
    assert api_names == {"Nadia"}
    denied = audit_rows("access.denied", actor_id=olive.pk)
    assert str(cast.records["alice"].pk) in {e.object_id for e in denied}
    rita.refresh_from_db()
    assert rita.given_name == "Rita"


def test_riverside_staff_page_lists_only_riverside_staff(cast: Cast, as_persona) -> None:  # type: ignore[no-untyped-def]
    text = text_of(as_persona("ada").get("/staff/"))
    assert "Tom Turner" in text
    assert "Olive Ng" not in text
