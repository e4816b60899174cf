"""A newcomer's path: migrate, load the demo, serve, and sign in as every role.

This drives the real ``hearth`` command (uvicorn, in-process task worker, the
database CI provides or the SQLite default) and a real Chromium. Staff sign in with
the TOTP secret that ``hearth demo`` printed, exactly as the README tells a newcomer.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hearth.accounts.personas import DEMO_PASSWORD, PERSONAS, Role, totp_code_now
from tests.browser.server import HearthServer

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def hearth_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[HearthServer, str]]:
    server = HearthServer(var_dir=Path(tmp_path_factory.mktemp("hearth-var")))
    server.prepare()
    try:
        server.run("keys", "init")
        server.run("migrate", "--no-input")
        demo_output = server.run("demo")
        assert server.run("demo") == demo_output, "hearth demo must be idempotent"
        server.start()
        yield server, demo_output
    finally:
        server.stop()


def test_server_reports_every_part_healthy(hearth_server: tuple[HearthServer, str]) -> None:
    server, _ = hearth_server
    health = server.wait_healthy()
    assert health["status"] == "ok", health
    assert set(health["checks"]) == {"database", "channel_layer", "task_worker"}  # type: ignore[arg-type]


def _secret(demo_output: str, email: str) -> str:
    match = re.search(rf"{re.escape(email)}\s.*TOTP secret ([A-Z2-7]+)", demo_output)
    assert match, f"hearth demo did not print a TOTP secret for {email}"
    return match.group(1)


@pytest.mark.parametrize("persona", PERSONAS, ids=[p.key for p in PERSONAS])
def test_every_demo_role_signs_in(
    hearth_server: tuple[HearthServer, str], browser: Any, persona: Any
) -> None:
    server, demo_output = hearth_server
    server.wait_healthy()
    assert persona.email in demo_output
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    page.goto(f"{server.url}/")
    page.fill("input[name=login]", persona.email)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("form button[type=submit]")
    if persona.role != Role.CLIENT:
        page.wait_for_selector("input[name=code]")
        page.fill("input[name=code]", totp_code_now(_secret(demo_output, persona.email)))
        page.click("form button[type=submit]")
    page.wait_for_selector("h1")
    first_name = persona.full_name.split(" ")[0]
    assert page.locator("h1").inner_text() == f"Welcome, {first_name}"
    assert page.url.rstrip("/") == server.url
    context.close()
