"""The OpenAPI schema and the Swagger UI page, under the site's strict CSP.

Decision: the schema and the docs are for members only (session or API token). The
schema holds no data, but which endpoints a deployment offers is no business of
anonymous visitors to a clinical service; a browser without credentials is sent to the
sign-in page like on any other page, and a bad token gets a 401.
"""

from __future__ import annotations

import json
from html.parser import HTMLParser

import pytest
import yaml
from django.test import Client
from django.urls import reverse
from drf_spectacular.validation import validate_schema

from hearth.accounts.personas import Cast
from tests.api.conftest import BearerFactory

REQUIRED_PATHS = [
    "/api/v1/me/",
    "/api/v1/clients/",
    "/api/v1/clients/{record_id}/",
    "/api/v1/audit/events/",
]


class Tags(HTMLParser):
    """Collects <script> and <style> elements and stylesheet links of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[dict[str, str | None]] = []
        self.stylesheets: list[str] = []
        self.styles = 0
        self._in_script: dict[str, str | None] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "script":
            self._in_script = {**attributes, "body": ""}
            self.scripts.append(self._in_script)
        elif tag == "style":
            self.styles += 1
        elif tag == "link" and attributes.get("rel") == "stylesheet":
            self.stylesheets.append(attributes["href"] or "")

    def handle_data(self, data: str) -> None:
        if self._in_script is not None:
            self._in_script["body"] = (self._in_script["body"] or "") + data

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = None


def parse(html: str) -> Tags:
    tags = Tags()
    tags.feed(html)
    return tags


def test_docs_page_has_no_inline_script_and_its_init_script_is_served(
    cast: Cast, as_persona
) -> None:
    client = as_persona("tom")
    response = client.get(reverse("api_docs"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    # The site's CSP applies to this page too: scripts and styles from files only.
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp

    tags = parse(response.content.decode())
    assert len(tags.scripts) == 3, tags.scripts  # bundle, preset, and the init script
    for script in tags.scripts:
        assert script.get("src"), f"inline <script> on the docs page: {script}"
        assert not (script["body"] or "").strip(), f"<script src> with a body: {script}"
    assert tags.styles == 0, "inline <style> on the docs page (blocked by style-src 'self')"

    init = [s["src"] for s in tags.scripts if "script" in (s["src"] or "").split("?", 1)[-1]]
    assert init == ["/api/docs/?script="]
    js = client.get(init[0])
    assert js.status_code == 200
    assert js["Content-Type"].startswith("application/javascript")
    body = js.content.decode()
    assert "SwaggerUIBundle(" in body
    assert '"/api/schema/"' in body  # it loads our schema
    assert "<script" not in body  # the script itself, not a page

    # Everything else the page loads is a static file that really exists.
    for url in [s["src"] for s in tags.scripts if s["src"] not in init] + tags.stylesheets:
        assert url, tags.stylesheets
        static = client.get(url)
        assert static.status_code == 200, url
        b"".join(static.streaming_content)  # type: ignore[attr-defined]
        static.close()


def test_docs_and_schema_are_for_every_member(cast: Cast, as_persona) -> None:
    for persona in ["alice", "cora", "ada", "olive"]:
        client = as_persona(persona)
        assert client.get(reverse("api_docs")).status_code == 200, persona
        assert client.get(reverse("api_schema")).status_code == 200, persona


def test_anonymous_visitors_are_sent_to_sign_in(client: Client) -> None:
    for name in ["api_docs", "api_schema"]:
        url = reverse(name)
        response = client.get(url)
        assert response.status_code == 302, name
        assert response["Location"] == f"/accounts/login/?next={url}"
    script = client.get("/api/docs/?script=")
    assert script.status_code == 302


def test_schema_with_a_token_and_with_a_bad_one(cast: Cast, bearer: BearerFactory) -> None:
    ok = bearer("tom", ["clinical:read"]).get(reverse("api_schema"), {"format": "json"})
    assert ok.status_code == 200
    assert json.loads(ok.content)["openapi"].startswith("3.")
    bad = Client(HTTP_AUTHORIZATION="Bearer hth_not-a-real-token").get(reverse("api_schema"))
    assert bad.status_code == 401  # credentials were sent and are wrong: no redirect


def _check_document(document: dict) -> None:
    assert document["openapi"].startswith("3.")
    validate_schema(document)  # against the OpenAPI 3 JSON schema; raises if invalid
    for path in REQUIRED_PATHS:
        assert path in document["paths"], f"{path} missing from {sorted(document['paths'])}"
    assert "post" in document["paths"]["/api/v1/clients/"]
    assert "patch" in document["paths"]["/api/v1/clients/{record_id}/"]
    schemes = document["components"]["securitySchemes"]
    assert schemes["bearerToken"]["type"] == "http"
    assert schemes["bearerToken"]["scheme"] == "bearer"
    operation = document["paths"]["/api/v1/clients/"]["get"]
    assert {"bearerToken": []} in operation["security"]
    # The docs endpoints themselves are not part of the API.
    assert not any(p.startswith(("/api/docs", "/api/schema")) for p in document["paths"])


def test_schema_is_a_valid_openapi_3_document_in_yaml_and_json(cast: Cast, as_persona) -> None:
    client = as_persona("tom")
    as_yaml = client.get(reverse("api_schema"))
    assert as_yaml.status_code == 200
    assert as_yaml["Content-Type"].startswith("application/vnd.oai.openapi")
    document = yaml.safe_load(as_yaml.content)
    _check_document(document)

    as_json = client.get(reverse("api_schema"), {"format": "json"})
    assert as_json.status_code == 200
    assert json.loads(as_json.content) == document


@pytest.mark.parametrize("path", REQUIRED_PATHS)
def test_every_documented_path_exists(path: str, cast: Cast, as_persona) -> None:
    """What the schema lists is really served (not a 404 route), as the right kind of user."""
    url = path.replace("{record_id}", str(cast.records["alice"].pk))
    persona = "ada" if "audit" in path else "tom"
    assert as_persona(persona).get(url).status_code == 200
