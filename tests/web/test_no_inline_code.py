"""Every page a persona can reach works under the CSP: no inline script, no inline style.

The CSP allows scripts and styles from the site's own files only ('self', no
'unsafe-inline'), so anything inline on a page would silently not run (or not apply).
This walks every route of the site (Hearth's, allauth's, the admin's sign-in) as every
persona and as an anonymous visitor and reads each HTML page that comes back.
"""

from __future__ import annotations

from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from hearth.accounts.personas import Cast

# One persona of each role that sees different pages (Sam and Olive see what Tom sees).
PERSONAS = [None, "alice", "tom", "ada", "cora"]


class InlineCode(HTMLParser):
    """Finds what a strict CSP blocks: inline scripts, <style>, style="", on*= handlers."""

    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []
        self.scripts = 0
        self._script_without_src = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "script":
            self.scripts += 1
            data_only = attributes.get("type") in {"application/json", "application/ld+json"}
            self._script_without_src = not attributes.get("src") and not data_only
            if self._script_without_src:
                self.problems.append(f"<script> without src: {attrs}")
        if tag == "style":
            self.problems.append("<style> element")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"inline handler {name}= on <{tag}>")
            if name == "style":
                self.problems.append(f'style="{value}" on <{tag}>')
            if name in {"href", "src", "action"} and (value or "").strip().startswith(
                "javascript:"
            ):
                self.problems.append(f"javascript: URL on <{tag}>")

    def handle_data(self, data: str) -> None:
        if self._script_without_src and data.strip():
            self.problems.append(f"inline script body: {data.strip()[:60]!r}")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._script_without_src = False


def inline_code(html: str) -> InlineCode:
    parser = InlineCode()
    parser.feed(html)
    return parser


def _patterns(entries: list[Any], prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    for entry in entries:
        if isinstance(entry, URLResolver):
            yield from _patterns(entry.url_patterns, prefix + str(entry.pattern))
        else:
            yield prefix + str(entry.pattern), entry


def page_urls(kwargs_for: dict[str, Any]) -> list[str]:
    """Every route of the site as a URL, with sample arguments for those that take some.
    The admin's own pages are only for superusers: its sign-in page stands for it."""
    urls = ["/admin/login/", "/no/such/page/"]
    for route, pattern in _patterns(get_resolver().url_patterns):
        if route.startswith(("admin/", "api/v1/", "api/schema/", "healthz")):
            continue  # the admin (see above) and the JSON/YAML endpoints, which are no pages
        params = list(pattern.pattern.regex.groupindex)
        if not params:
            urls.append(reverse(pattern.name) if pattern.name else "/" + route)
            continue
        missing = [p for p in params if p not in kwargs_for]
        assert not missing, f"add sample values for {missing} (route {route})"
        urls.append(reverse(pattern.name, kwargs={p: kwargs_for[p] for p in params}))
    return urls


@pytest.fixture
def sample_kwargs(route_samples: dict[str, Any]) -> dict[str, Any]:
    return dict(route_samples["kwargs"])


def test_no_page_has_inline_script_or_style(
    cast: Cast, as_persona, sample_kwargs: dict[str, Any]
) -> None:
    urls = page_urls(sample_kwargs)
    problems: dict[str, list[str]] = {}
    pages_read = 0
    scripts_seen = 0
    statuses: set[int] = set()
    for persona in PERSONAS:
        client: Client = as_persona(persona)
        for url in urls:
            if url.endswith("/logout/"):
                continue  # a GET shows a confirmation page; keep the session for the rest
            response = client.get(url)
            if 300 <= response.status_code < 400:
                continue  # redirects: their target is walked too
            if response.status_code == 405:
                continue  # POST-only endpoints: an empty answer to GET, no page
            if not response.get("Content-Type", "").startswith("text/html"):
                continue
            statuses.add(response.status_code)
            pages_read += 1
            found = inline_code(response.content.decode())
            scripts_seen += found.scripts
            if found.problems:
                problems[f"{url} as {persona or 'anonymous'}"] = found.problems
    assert not problems, problems
    # The walk really read pages, including error pages, and saw the site's own scripts.
    assert pages_read > 80, pages_read
    assert {200, 403, 404} <= statuses, statuses
    assert scripts_seen >= pages_read, "every page loads htmx from a file"


def test_the_checker_finds_inline_code() -> None:
    """The parser above is what makes the walk meaningful: show that it catches each case."""
    assert inline_code('<script src="/static/a.js"></script>').problems == []
    assert inline_code('<script type="application/json">{"a": 1}</script>').problems == []
    for html in [
        "<script>alert(1)</script>",
        "<style>p { color: red }</style>",
        '<p style="color: red">x</p>',
        '<button onclick="go()">x</button>',
        '<a href="javascript:go()">x</a>',
    ]:
        assert inline_code(html).problems, html
