"""A newcomer's path: migrate, load the demo, serve, and sign in as every role.

This drives the real ``hearth`` command (uvicorn, in-process task worker, the
database CI provides or the SQLite default) and a real Chromium. Staff sign in with
the TOTP secret that ``hearth demo`` printed, exactly as the README tells a newcomer.
"""

from __future__ import annotations

import re
import time
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


def _sign_in(page: Any, server: HearthServer, email: str, secret: str | None) -> None:
    page.goto(f"{server.url}/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("form button[type=submit]")
    if secret is None:
        page.wait_for_selector("h1:has-text('Welcome')")
        return
    for attempt in range(2):
        page.wait_for_selector("input[name=code]")
        # A code already used in this 30-second period is refused (replay protection):
        # the second attempt waits for the next one, as a person would.
        page.fill("input[name=code]", totp_code_now(secret, offset_periods=attempt))
        if attempt:
            time.sleep(30 - time.time() % 30 + 1)
        page.click("form button[type=submit]")
        try:
            page.wait_for_selector("h1:has-text('Welcome')", timeout=5000)
            return
        except Exception:  # noqa: S112 - refused code: try the next period
            continue
    raise AssertionError(f"{email} could not sign in")


def test_readme_video_call_on_the_demo(
    hearth_server: tuple[HearthServer, str], browser: Any
) -> None:
    """The README's walkthrough: `hearth demo --call-now video`, Alice waits, Tom admits."""
    from tests.calls.conftest import frames_decoded

    server, demo_output = hearth_server
    server.wait_healthy()
    output = server.run("demo", "--call-now", "video")
    match = re.search(r"http://127\.0\.0\.1:8000(/calls/\d+/)", output)
    assert match, output
    url = server.url + match.group(1)
    alice = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    tom = browser.new_context()
    try:
        client, therapist = alice.new_page(), tom.new_page()
        _sign_in(client, server, "alice@demo.hearth.test", None)
        _sign_in(
            therapist, server, "tom@demo.hearth.test", _secret(demo_output, "tom@demo.hearth.test")
        )
        client.goto(url)
        # The session-start check: Alice is at home (the address on file).
        client.check("#session-check input[name=location][value=home]")
        client.check("#session-check input[name=is_private][value=yes]")
        client.check("#session-check input[name=emergency_contact_correct][value=yes]")
        client.click("#session-check button[type=submit]")
        client.wait_for_selector("#session-check .message.success")
        client.click("#join")
        client.wait_for_selector("#waiting:not([hidden])")
        therapist.goto(url)
        therapist.click("text=Open the room")
        therapist.wait_for_selector("text=Alice Ashworth is waiting")
        therapist.click("#session-check-review button:has-text('confirm')")
        therapist.wait_for_selector("#session-check-review[data-may-start='true']")
        therapist.click("text=Let Alice Ashworth in")
        for page in (client, therapist):
            deadline = time.monotonic() + 45
            while frames_decoded(page) < 10:
                assert time.monotonic() < deadline, "no video decoded"
                time.sleep(0.3)
        therapist.click("text=End session")
        for page in (client, therapist):
            page.wait_for_selector("#ended:not([hidden])")
    finally:
        alice.close()
        tom.close()
