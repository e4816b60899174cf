"""The main navigation shows each role the places it may go, and only those."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from hearth.accounts.personas import Cast

ALL = {"Home", "My record", "Clients", "Staff", "Audit log", "API tokens"}
EXPECTED = {
    "alice": {"Home", "My record"},
    "charlie": {"Home", "My record"},
    "tom": {"Home", "Clients", "API tokens"},
    "sam": {"Home", "Clients", "API tokens"},
    "ada": {"Home", "Clients", "Staff", "Audit log", "API tokens"},
    "cora": {"Home"},
    "olive": {"Home", "Clients", "API tokens"},
}
NAV = re.compile(r'<nav aria-label="Main">(.*?)</nav>', re.S)
LINK = re.compile(r'<a href="([^"]+)"[^>]*>([^<]+)</a>')


def nav_links(client: Client, path: str = "/") -> dict[str, str]:
    """label → URL, read from the rendered page (what the person actually sees)."""
    response = client.get(path)
    assert response.status_code == 200
    (nav,) = NAV.findall(response.content.decode())
    return {label: url for url, label in LINK.findall(nav)}


@pytest.mark.parametrize("persona", sorted(EXPECTED))
def test_each_role_sees_its_own_navigation(persona: str, cast: Cast, as_persona) -> None:
    client = as_persona(persona)
    links = nav_links(client)
    shown = set(links) & ALL
    assert shown == EXPECTED[persona]
    assert "Account" in links  # every signed-in person reaches their account settings
    # Every place the navigation offers is one this person may open.
    for label in shown:
        assert client.get(links[label]).status_code == 200, (persona, label)


def test_alice_sees_her_record_but_no_staff_pages(cast: Cast, as_persona) -> None:
    links = nav_links(as_persona("alice"))
    assert links["My record"] == "/me/record/"
    for label in ["Clients", "Staff", "Audit log", "API tokens"]:
        assert label not in links


def test_ada_sees_staff_and_audit_log(cast: Cast, as_persona) -> None:
    links = nav_links(as_persona("ada"))
    assert links["Staff"] == "/staff/"
    assert links["Audit log"] == "/governance/audit/"
    assert "My record" not in links


def test_cora_sees_neither_clients_nor_audit_log(cast: Cast, as_persona) -> None:
    links = nav_links(as_persona("cora"))
    assert "Clients" not in links
    assert "Audit log" not in links
    assert "Staff" not in links


def test_the_current_page_is_marked(cast: Cast, as_persona) -> None:
    html = as_persona("tom").get("/clients/").content.decode()
    (nav,) = NAV.findall(html)
    assert '<a href="/clients/" aria-current="page">Clients</a>' in nav
    assert nav.count('aria-current="page"') == 1


def test_anonymous_visitors_get_no_navigation(client: Client) -> None:
    html = client.get("/accounts/login/").content.decode()
    assert not NAV.findall(html)
