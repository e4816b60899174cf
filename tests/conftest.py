"""Shared test fixtures: personas, signed-in clients, and the rule that CI skips nothing.

Outside CI a test needing PostgreSQL, Redis or Chromium skips when it is missing; with
``CI=true`` the same test fails, so a green CI run really used every component.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client

from hearth.accounts.personas import Cast, personas_ensure
from hearth.governance.crypto import reset_keyring_cache

IN_CI = os.environ.get("CI", "").lower() == "true"
CHROMIUM = os.environ.get("HEARTH_CHROMIUM", "/usr/bin/chromium")
ROOT = Path(__file__).resolve().parent.parent


def need(component: str, available: bool, why: str = "") -> None:
    """Skip (locally) or fail (in CI) when a real component the test needs is missing."""
    if available:
        return
    message = f"{component} is not available{': ' + why if why else ''}"
    if IN_CI:
        pytest.fail(f"{message} — CI must provide it", pytrace=False)
    pytest.skip(message)


def pytest_sessionstart(session: pytest.Session) -> None:
    if IN_CI and not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        raise pytest.UsageError("CI=true needs DATABASE_URL pointing at PostgreSQL")
    if IN_CI and not os.environ.get("REDIS_URL"):
        raise pytest.UsageError("CI=true needs REDIS_URL")


TEST_KEYRING = {
    "active": "t1",
    "keys": {"t1": base64.b64encode(b"k" * 32).decode()},
}


@pytest.fixture(autouse=True)
def _test_keyring(settings: object) -> Iterator[None]:
    """Every test encrypts with a known test keyring, never the developer's var/ one."""
    settings.HEARTH_KEYRING = json.dumps(TEST_KEYRING)  # type: ignore[attr-defined]
    reset_keyring_cache()
    yield
    reset_keyring_cache()


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    """Rate limits and used TOTP codes live in the cache: start every test clean."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def postgres() -> None:
    need("PostgreSQL", connection.vendor == "postgresql", "set DATABASE_URL=postgres://…")


@pytest.fixture
def redis_url() -> str:
    url = os.environ.get("REDIS_URL", "")
    need("Redis", bool(url), "set REDIS_URL=redis://127.0.0.1:6379/0")
    return url


@pytest.fixture
def chromium_path() -> str:
    need("Chromium", shutil.which(CHROMIUM) is not None, f"{CHROMIUM} not found")
    return CHROMIUM


@pytest.fixture
def cast(db: None) -> Cast:
    """The shared personas (see hearth.accounts.personas), staff with TOTP set up."""
    return personas_ensure()


@pytest.fixture
def as_persona(cast: Cast):  # type: ignore[no-untyped-def]
    """``as_persona("tom")`` → a Django test client signed in as that persona."""

    def make(key: str | None) -> Client:
        client = Client()
        if key is not None:
            client.force_login(cast.users[key])
        return client

    return make
