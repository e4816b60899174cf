"""axe-core finds no serious or critical violation on the safety pages, on a desktop
and on a phone."""

from __future__ import annotations

from typing import Any

import pytest

from hearth.accounts.personas import Cast
from tests.browser.conftest import axe_violations
from tests.browser.test_accessibility import VIEWPORTS, _context

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAGES = [
    ("alice", "/safety/help/"),
    ("alice", "/me/safety/"),
    ("alice", "/safety/checks/{appointment}/"),
    ("tom", "/safety/checks/{appointment}/review/"),
    ("tom", "/safety/checks/{appointment}/risk/"),
    ("tom", "/clients/{alice}/risk/"),
    ("tom", "/clients/{alice}/safety/"),
    ("tom", "/safety/incidents/"),
    ("tom", "/clients/{alice}/suitability/"),
    ("tom", "/safety/suitability/"),
    ("sam", "/safety/incidents/{incident}/"),
    ("ada", "/safety/rota/"),
    ("ada", "/safety/crisis-directory/"),
]


@pytest.mark.parametrize("size", sorted(VIEWPORTS))
@pytest.mark.parametrize(("persona", "path"), PAGES)
def test_safety_pages_have_no_serious_violations(
    browser: Any,
    live_server: Any,
    route_samples: dict[str, Any],
    cast: Cast,
    persona: str,
    path: str,
    size: str,
) -> None:
    context = _context(browser, live_server, cast, persona, size)
    page = context.new_page()
    url = path.format(
        appointment=route_samples["appointment"].pk,
        incident=route_samples["incident"].pk,
        alice=cast.records["alice"].pk,
    )
    response = page.goto(f"{live_server.url}{url}")
    assert response is not None and response.status == 200
    assert axe_violations(page) == []
    context.close()
