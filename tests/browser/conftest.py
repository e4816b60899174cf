"""Headless Chromium (Debian's, driven by Playwright) for page and end-to-end tests."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# Playwright's sync API runs an event loop in this thread; the ORM calls made by tests
# (creating personas) are still plain synchronous code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

AXE = Path(__file__).resolve().parent.parent / "vendor" / "axe-core-4.11.4.min.js"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
]
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


@pytest.fixture(scope="session")
def browser(request: pytest.FixtureRequest) -> Iterator[Any]:
    chromium_path = request.getfixturevalue("chromium_path_session")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def chromium_path_session() -> str:
    import shutil

    from tests.conftest import CHROMIUM, need

    need("Chromium", shutil.which(CHROMIUM) is not None, f"{CHROMIUM} not found")
    return CHROMIUM


def axe_violations(page: Any, *, impacts: tuple[str, ...] = ("serious", "critical")) -> list[Any]:
    """Run axe-core (WCAG 2.0–2.2 A/AA rules) on the page; return serious/critical findings."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        """async () => await axe.run(document, {
            runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']}
        })"""
    )
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
        if v["impact"] in impacts
    ]


def signed_in_context(browser: Any, live_server: Any, user: Any | None, **options: Any) -> Any:
    """A browser context (own cookies) already signed in as ``user`` (None: signed out).

    The session is made server-side, as after a completed sign-in with two factors;
    tests of the sign-in itself live in tests/browser/test_demo_signin.py.
    """
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import login
    from django.http import HttpRequest

    context = browser.new_context(**options)
    if user is not None:
        request = HttpRequest()
        request.session = import_module(settings.SESSION_ENGINE).SessionStore()
        login(request, user, backend=settings.AUTHENTICATION_BACKENDS[0])
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
