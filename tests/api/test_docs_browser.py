"""The API docs page really works in a browser that enforces the site's CSP."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from hearth.accounts.personas import Cast
from tests.web.chromium import with_chromium


@pytest.mark.browser
def test_swagger_ui_renders_the_schema_under_the_csp(
    cast: Cast, live_server: Any, chromium_path: str
) -> None:
    client = Client()
    client.force_login(cast.users["alice"])
    session = client.cookies["sessionid"].value
    console: list[str] = []

    def drive(browser: Any) -> tuple[int, str, list[str]]:
        context = browser.new_context()
        context.add_cookies([{"name": "sessionid", "value": session, "url": live_server.url}])
        page = context.new_page()
        page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
        page.on("pageerror", lambda e: console.append(f"pageerror: {e}"))
        response = page.goto(f"{live_server.url}/api/docs/")
        page.wait_for_selector(".opblock", timeout=15000)
        paths = page.locator(".opblock-summary-path").all_inner_texts()
        return response.status, response.headers["content-security-policy"], paths

    status, csp, paths = with_chromium(chromium_path, drive)
    assert status == 200
    assert "script-src 'self'" in csp
    assert any("/api/v1/clients/" in p for p in paths), paths
    assert any("/api/v1/me/" in p for p in paths), paths
    blocked = [line for line in console if "Content Security Policy" in line]
    assert not blocked, blocked
    assert not [line for line in console if line.startswith(("error", "pageerror"))], console
