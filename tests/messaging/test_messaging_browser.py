"""A client and a therapist message each other in real time in Chromium, with a file;
the client goes offline, two messages arrive meanwhile, and she sees both, in order."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from hearth.accounts.personas import Cast
from hearth.messaging.models import Attachment, Message
from hearth.messaging.services import thread_for_client
from tests.browser.conftest import PHONE, signed_in_context
from tests.calls.conftest import OPEN_CONTEXTS
from tests.calls.test_call_browser import wait_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def bodies(page: Any) -> list[str]:
    return list(page.locator("#thread li .body").all_inner_texts())


def test_real_time_messages_with_attachment_and_catch_up(
    browser: Any, asgi_server: Any, cast: Cast, tmp_path: Path
) -> None:
    thread = thread_for_client(cast.records["alice"])
    url = f"{asgi_server.url}/messages/{thread.pk}/"
    alice_context = signed_in_context(browser, asgi_server, cast.users["alice"], **PHONE)
    tom_context = signed_in_context(browser, asgi_server, cast.users["tom"])
    OPEN_CONTEXTS.extend([alice_context, tom_context])
    alice, tom = alice_context.new_page(), tom_context.new_page()
    for page in (alice, tom):
        page.goto(url)
        wait_for(
            lambda page=page: page.evaluate("() => window.hearthThread.ws.readyState") == 1,
            what="the socket",
        )

    alice.fill("#body", "I tried the breathing exercise.")
    alice.click("#composer button[type=submit]")
    tom.wait_for_selector("text=I tried the breathing exercise.")
    alice.wait_for_selector("#thread li.mine .state:has-text('Read')")

    worksheet = tmp_path / "thought-record.pdf"
    worksheet.write_bytes(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    tom.fill("#body", "Here is the thought record for this week.")
    tom.set_input_files("#files", str(worksheet))
    tom.click("#composer button[type=submit]")
    alice.wait_for_selector("#thread a:has-text('thought-record.pdf')")
    with alice.expect_download() as download:
        alice.click("#thread a:has-text('thought-record.pdf')")
    assert Path(download.value.path()).read_bytes() == worksheet.read_bytes()
    assert Attachment.objects.get().content_type == "application/pdf"

    # Alice loses her connection; Tom sends two messages meanwhile.
    alice_context.set_offline(True)
    alice.evaluate("() => window.hearthThread.ws.close()")
    for text in ("Second message while you were away.", "And a third."):
        tom.fill("#body", text)
        tom.click("#composer button[type=submit]")
        tom.wait_for_selector(f"#thread li.mine[data-seq] .body:has-text('{text}')")
    assert "away" not in " ".join(bodies(alice))
    alice_context.set_offline(False)
    alice.wait_for_selector("text=And a third.", timeout=20000)
    assert bodies(alice)[-2:] == ["Second message while you were away.", "And a third."]
    assert Message.objects.count() == 4
    # Nothing duplicated on either side.
    for page in (alice, tom):
        assert len(bodies(page)) == 4
