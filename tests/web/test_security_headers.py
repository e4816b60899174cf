"""Security headers on every page, HSTS over HTTPS, and error pages that leak nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest
from django.test import Client, RequestFactory
from django.views.defaults import server_error

from hearth.accounts.personas import Cast


def directives(csp: str) -> dict[str, list[str]]:
    parsed = {}
    for part in csp.split(";"):
        words = part.split()
        if words:
            parsed[words[0]] = words[1:]
    return parsed


def check_headers(response: Any) -> None:
    policy = directives(response["Content-Security-Policy"])
    assert policy["default-src"] == ["'self'"]
    assert "'self'" in policy["script-src"]
    assert not {"'unsafe-inline'", "'unsafe-eval'"} & set(policy["script-src"])
    assert "'unsafe-inline'" not in policy["style-src"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["object-src"] == ["'none'"]
    assert response["X-Frame-Options"] == "DENY"
    # No URL (which could name a record) may leave the site in a Referer header. The
    # settings use "same-origin" rather than "no-referrer": under "no-referrer" Chromium
    # sends `Origin: null` on same-origin form posts and Django's CSRF check refuses them.
    assert response["Referrer-Policy"] in {"same-origin", "no-referrer"}
    assert response["X-Content-Type-Options"] == "nosniff"
    permissions = response["Permissions-Policy"]
    assert "camera=()" in permissions
    assert "microphone=()" in permissions
    assert "display-capture=()" in permissions


def test_signed_in_home_page_headers(cast: Cast, as_persona) -> None:
    response = as_persona("tom").get("/")
    assert response.status_code == 200
    check_headers(response)


def test_sign_in_page_headers(client: Client) -> None:
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    check_headers(response)


def test_error_and_api_responses_carry_the_headers_too(cast: Cast, as_persona) -> None:
    tom = as_persona("tom")
    check_headers(tom.get("/no-such-page/"))
    check_headers(as_persona("alice").get("/staff/"))  # 403
    check_headers(tom.get("/api/v1/me/"))


def test_no_hsts_over_plain_http_by_default(client: Client) -> None:
    assert "Strict-Transport-Security" not in client.get("/accounts/login/", secure=True)


def test_hsts_and_secure_cookies_over_https(settings: Any, cast: Cast) -> None:
    # Production turns these on with HEARTH_HTTPS=true (see the settings module and the
    # test below); here the same values are set directly and the request comes over TLS.
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SESSION_COOKIE_SECURE = True
    settings.CSRF_COOKIE_SECURE = True
    client = Client()
    page = client.get("/accounts/login/", secure=True)
    assert page.status_code == 200
    assert page["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert page.cookies["csrftoken"]["secure"] is True

    client.force_login(cast.users["alice"])
    home = client.get("/", secure=True)
    assert home.status_code == 200
    assert "Strict-Transport-Security" in home
    assert client.cookies["sessionid"]["secure"] is True
    # HSTS is only ever sent over HTTPS (a browser ignores it over HTTP anyway).
    assert "Strict-Transport-Security" not in client.get("/")


def test_hearth_https_switches_on_the_https_settings(tmp_path: Any) -> None:
    """What production gets from HEARTH_HTTPS=true, read from a fresh settings import."""
    code = (
        "import json; from hearth.config import settings as s; print(json.dumps({k: "
        "getattr(s, k) for k in ['SECURE_HSTS_SECONDS', 'SESSION_COOKIE_SECURE', "
        "'CSRF_COOKIE_SECURE', 'SECURE_SSL_REDIRECT', 'SECURE_PROXY_SSL_HEADER']}))"
    )
    env = {**os.environ, "HEARTH_HTTPS": "true", "HEARTH_VAR_DIR": str(tmp_path)}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    values = json.loads(out.stdout)
    assert values["SECURE_HSTS_SECONDS"] >= 31536000
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["CSRF_COOKIE_SECURE"] is True
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]


LEAKS = ["Traceback", "DEBUG", "Django", "settings.py", "urlpatterns", "Request Method"]


@pytest.mark.parametrize("persona", [None, "tom", "alice"])
def test_unknown_route_is_the_hearth_404_page(persona: str | None, cast: Cast, as_persona) -> None:
    response = as_persona(persona).get("/no/such/page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "<title>Not found · Hearth</title>" in html
    assert "<h1>Not found</h1>" in html
    for leak in LEAKS:
        assert leak not in html, leak
    assert [t.name for t in response.templates][:2] == ["404.html", "base.html"]


def test_forbidden_page_is_the_hearth_403_page(cast: Cast, as_persona) -> None:
    response = as_persona("alice").get("/staff/")
    assert response.status_code == 403
    html = response.content.decode()
    assert "<h1>Not allowed</h1>" in html
    for leak in LEAKS:
        assert leak not in html, leak


def test_missing_record_page_is_the_hearth_404_page(cast: Cast, as_persona) -> None:
    response = as_persona("theo").get(f"/clients/{cast.records['alice'].pk}/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "<h1>Not found</h1>" in html
    assert "Alice" not in html


def test_refused_form_post_is_the_hearth_csrf_page(cast: Cast) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(cast.users["tom"])
    response = client.post("/api-tokens/", {"name": "x", "scopes": ["clinical:read"]})
    assert response.status_code == 403
    html = response.content.decode()
    assert "<h1>This form could not be sent</h1>" in html
    assert "<style" not in html  # Django's built-in page has inline CSS
    for leak in LEAKS:
        assert leak not in html, leak
    check_headers(response)


def test_bad_host_is_the_hearth_400_page(client: Client) -> None:
    response = client.get("/accounts/login/", HTTP_HOST="attacker.example")
    assert response.status_code == 400
    html = response.content.decode()
    assert "<h1>Bad request</h1>" in html
    assert "attacker.example" not in html
    for leak in LEAKS:
        assert leak not in html, leak


def test_the_500_page_renders_without_a_request_context() -> None:
    """Django renders 500.html with an empty context (the error may be in a context
    processor): the page must not depend on one."""
    response = server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    html = response.content.decode()
    assert "<h1>Something went wrong</h1>" in html
    assert "<title>Something went wrong · Hearth</title>" in html
    for leak in LEAKS:
        assert leak not in html, leak
