from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.server import HearthServer, asgi_server_on_test_database
from tests.conftest import TEST_KEYRING


@pytest.fixture
def asgi_server(tmp_path: Path) -> Iterator[HearthServer]:
    server = asgi_server_on_test_database(tmp_path, keyring=json.dumps(TEST_KEYRING))
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()
        if server.process is not None and server.process.stdout is not None:
            # Shown by pytest only when the test failed.
            print(server.process.stdout.read().decode()[-6000:])  # noqa: T201


def frames_decoded(page: Any) -> int:
    return int(
        page.evaluate(
            """async () => {
                const pc = window.hearthCall && window.hearthCall.pc;
                if (!pc) return 0;
                let frames = 0;
                (await pc.getStats()).forEach((r) => {
                    if (r.type === "inbound-rtp" && r.kind === "video") {
                        frames += r.framesDecoded || 0;
                    }
                });
                return frames;
            }"""
        )
    )


def connection_state(page: Any) -> str | None:
    return page.evaluate(  # type: ignore[no-any-return]
        "() => window.hearthCall && window.hearthCall.pc"
        " ? window.hearthCall.pc.connectionState : null"
    )
