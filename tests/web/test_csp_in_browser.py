"""Ordinary pages raise no CSP violation in a real browser (Chromium enforces the policy).

The HTML-level walk (test_no_inline_code) cannot see what scripts do once loaded: htmx,
for one, injects an inline <style> for its indicators unless configured not to.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from hearth.accounts.personas import Cast
from tests.web.chromium import with_chromium

PAGES = [(False, "/accounts/login/"), (True, "/"), (True, "/me/record/")]


@pytest.mark.browser
def test_pages_load_without_csp_violations(
    cast: Cast, live_server: Any, chromium_path: str
) -> None:
    client = Client()
    client.force_login(cast.users["alice"])
    session = client.cookies["sessionid"].value
    console: list[str] = []

    def drive(browser: Any) -> list[tuple[str, int, str]]:
        anonymous = browser.new_context().new_page()
        signed_in_context = browser.new_context()
        signed_in_context.add_cookies(
            [{"name": "sessionid", "value": session, "url": live_server.url}]
        )
        signed_in = signed_in_context.new_page()
        seen = []
        for as_alice, path in PAGES:
            page = signed_in if as_alice else anonymous
            page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
            response = page.goto(live_server.url + path)
            page.wait_for_load_state("load")
            # htmx is really loaded (it is what would have injected the style).
            seen.append((path, response.status, page.evaluate("typeof htmx")))
        return seen

    seen = with_chromium(chromium_path, drive)
    assert seen == [(path, 200, "object") for _, path in PAGES]
    blocked = [line for line in console if "Content Security Policy" in line]
    assert not blocked, blocked
