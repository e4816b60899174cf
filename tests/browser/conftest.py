"""Headless Chromium (Debian's, driven by Playwright) for page and end-to-end tests."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

# Playwright's sync API runs an event loop in this thread; the ORM calls made by tests
# (creating personas) are still plain synchronous code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

AXE = Path(__file__).resolve().parent.parent / "vendor" / "axe-core-4.11.4.min.js"
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


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

    from tests.conftest import OPEN_CONTEXTS

    context = browser.new_context(**options)
    OPEN_CONTEXTS.append(context)
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
