"""axe-core finds no serious or critical violation on the sign-in and home pages."""

from __future__ import annotations

from typing import Any

import pytest

from hearth.accounts.personas import Cast
from tests.browser.conftest import PHONE, axe_violations, signed_in_context

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VIEWPORTS = {"desktop": {"viewport": {"width": 1280, "height": 900}}, "phone": PHONE}


def _context(browser: Any, live_server: Any, cast: Cast | None, persona: str | None, size: str):
    # bypass_csp lets the test inject axe-core; the site's CSP forbids inline script.
    user = cast.users[persona] if cast is not None and persona is not None else None
    return signed_in_context(browser, live_server, user, bypass_csp=True, **VIEWPORTS[size])


@pytest.mark.parametrize("size", sorted(VIEWPORTS))
def test_sign_in_page_has_no_serious_violations(browser, live_server, size: str) -> None:
    context = _context(browser, live_server, None, None, size)
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    assert page.locator("input[name=login]").is_visible()
    assert axe_violations(page) == []
    context.close()


@pytest.mark.parametrize("size", sorted(VIEWPORTS))
@pytest.mark.parametrize("persona", ["alice", "tom", "ada", "cora"])
def test_home_page_has_no_serious_violations(
    browser, live_server, cast: Cast, persona: str, size: str
) -> None:
    context = _context(browser, live_server, cast, persona, size)
    page = context.new_page()
    page.goto(f"{live_server.url}/")
    assert page.locator("h1").inner_text().startswith("Welcome")
    assert axe_violations(page) == []
    context.close()


SCHEDULING_PAGES = [
    ("alice", "/appointments/"),
    ("alice", "/appointments/book/?service_type={treatment}&modality=video"),
    ("tom", "/calendar/?view=week&date=2027-01-11"),
    ("tom", "/appointments/book/?client={alice_record}&service_type={treatment}&modality=video"),
    ("ada", "/waitlist/"),
    ("tom", "/calendar/link/"),
    ("tom", "/calendar/availability/"),
    ("ada", "/settings/scheduling/"),
    ("ada", "/settings/organisation/"),
    ("ada", "/staff/"),
    ("ada", "/governance/audit/"),
    ("tom", "/clients/"),
    ("alice", "/messages/{thread}/"),
    ("tom", "/messages/"),
    ("tom", "/messages/{thread}/"),
    ("tom", "/messages/{thread}/arrangement/"),
    ("alice", "/messages/notifications/"),
]


@pytest.mark.parametrize("size", sorted(VIEWPORTS))
@pytest.mark.parametrize(("persona", "path"), SCHEDULING_PAGES)
def test_scheduling_pages_have_no_serious_violations(
    browser, live_server, route_samples, cast: Cast, persona: str, path: str, size: str
) -> None:
    context = _context(browser, live_server, cast, persona, size)
    page = context.new_page()
    url = path.format(
        treatment=route_samples["service"].pk,
        alice_record=cast.records["alice"].pk,
        thread=route_samples["thread"].pk,
    )
    response = page.goto(f"{live_server.url}{url}")
    assert response is not None and response.status == 200
    assert axe_violations(page) == []
    context.close()
