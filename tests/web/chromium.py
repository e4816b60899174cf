"""Run Playwright (sync API) against Chromium in a thread of its own.

A thread of its own, because the sync API refuses to start in a thread where another
Playwright instance (tests/browser's session-wide browser) already runs its event loop.
The function passed in must make no ORM call: it only drives the browser.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from tests.conftest import CHROMIUM_ARGS  # the one flag set: no traffic beyond loopback

T = TypeVar("T")


def with_chromium(chromium_path: str, drive: Callable[[Any], T]) -> T:
    def run() -> T:
        from playwright.sync_api import sync_playwright

        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS
            )
            try:
                return drive(browser)
            finally:
                browser.close()

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="chromium") as pool:
        return pool.submit(run).result(timeout=120)
