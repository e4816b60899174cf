"""axe-core finds no serious or critical violation on the sign-in and home pages."""

from __future__ import annotations

from typing import Any

import pytest

from hearth.accounts.personas import Cast
from tests.browser.conftest import PHONE, axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VIEWPORTS = {"desktop": {"viewport": {"width": 1280, "height": 900}}, "phone": PHONE}


def _context(browser: Any, live_server: Any, cast: Cast | None, persona: str | None, size: str):
    # bypass_csp lets the test inject axe-core; the site's CSP forbids inline script.
    context = browser.new_context(bypass_csp=True, **VIEWPORTS[size])
    if persona is not None and cast is not None:
        from importlib import import_module

        from django.conf import settings
        from django.contrib.auth import login
        from django.http import HttpRequest

        engine = import_module(settings.SESSION_ENGINE)
        request = HttpRequest()
        request.session = engine.SessionStore()
        login(request, cast.users[persona], backend=settings.AUTHENTICATION_BACKENDS[0])
        request.session.save()
        context.add_cookies(
            [
                {
                    "name": settings.SESSION_COOKIE_NAME,
                    "value": request.session.session_key,
                    "url": live_server.url,
                }
            ]
        )
    return context


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
