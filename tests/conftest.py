"""Shared test fixtures: personas, signed-in clients, and the rule that CI skips nothing.

Outside CI a test needing PostgreSQL, Redis or Chromium skips when it is missing; with
``CI=true`` the same test fails, so a green CI run really used every component.
"""

from __future__ import annotations

import base64
import email
import importlib
import json
import os
import shutil
import threading
from collections.abc import Generator, Iterator
from datetime import UTC, datetime
from email.message import Message as EmailMessage
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.test import Client
from django.utils import timezone
from pytest_django import DjangoDbBlocker

from hearth.accounts.personas import Cast, personas_ensure
from hearth.governance.crypto import reset_keyring_cache

IN_CI = os.environ.get("CI", "").lower() == "true"

# This run's channel groups and cache keys apart from any other run's on the same Redis
# (a second suite, a benchmark, a server left from an earlier run whose appointment ids
# repeat in a fresh database). Servers the tests start inherit it from the environment.
RUN_PREFIX = f"hearth-test-{os.getpid()}"
for _name in ("HEARTH_CHANNEL_PREFIX", "HEARTH_CACHE_PREFIX"):
    os.environ[_name] = RUN_PREFIX
if "CONFIG" in django_settings.CHANNEL_LAYERS["default"]:
    django_settings.CHANNEL_LAYERS["default"]["CONFIG"]["prefix"] = RUN_PREFIX
if "KEY_PREFIX" in django_settings.CACHES["default"]:
    django_settings.CACHES["default"]["KEY_PREFIX"] = RUN_PREFIX
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
    second_pass = os.environ.get("HEARTH_TEST_DB") == "sqlite"  # see `make test`
    if IN_CI and not second_pass and not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        raise pytest.UsageError("CI=true needs DATABASE_URL pointing at PostgreSQL")
    if IN_CI and not os.environ.get("REDIS_URL"):
        raise pytest.UsageError("CI=true needs REDIS_URL")


# Browser contexts a test opened (tests/browser/conftest.py's signed_in_context and the
# call tests' pages): closed after it, so that pages of one test never keep polling or
# reconnecting (to a server that is gone) during the next.
OPEN_CONTEXTS: list[Any] = []


@pytest.fixture(autouse=True)
def _contexts_closed() -> Iterator[None]:
    yield
    while OPEN_CONTEXTS:
        OPEN_CONTEXTS.pop().close()


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
def _fast_password_hashing(settings: object) -> None:
    """Argon2 is deliberately slow; tests hash with a fast hasher, and
    tests/accounts checks that the production setting really uses Argon2."""
    settings.PASSWORD_HASHERS = [  # type: ignore[attr-defined]
        "django.contrib.auth.hashers.MD5PasswordHasher",
        *django_settings.PASSWORD_HASHERS,
    ]


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    """Rate limits and used TOTP codes live in the cache: start every test clean."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


_APPEND_ONLY = importlib.import_module("hearth.governance.migrations.0002_append_only")


def audit_triggers_set(*, on: bool) -> None:
    """Install (on) or drop (off) the database triggers that make the audit log
    append-only, using the SQL of the migration that creates them."""
    vendor = connection.vendor
    with connection.cursor() as cursor:
        if vendor == "postgresql":
            cursor.execute(_APPEND_ONLY.POSTGRES_DOWN)
            if on:
                cursor.execute(_APPEND_ONLY.POSTGRES_UP, None)
        elif vendor == "sqlite":
            for statement in _APPEND_ONLY.SQLITE_DOWN + (_APPEND_ONLY.SQLITE_UP if on else []):
                cursor.execute(statement)


_FLUSHED_BY = pytest.StashKey[DjangoDbBlocker]()


@pytest.fixture(autouse=True)
def _transactional_flush_allowed(
    request: pytest.FixtureRequest, django_db_blocker: DjangoDbBlocker
) -> None:
    """Note the tests that pytest-django will end with a flush (see the hook below)."""
    names = set(request.fixturenames)
    if request.node.get_closest_marker("django_db") or names & {"db", "transactional_db"}:
        request.getfixturevalue("_django_db_helper")
        if not connection.in_atomic_block:  # ordinary tests roll back instead of flushing
            request.node.stash[_FLUSHED_BY] = django_db_blocker


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Generator[None]:
    """Let the flush that ends a transactional test empty the audit log, then re-arm it.

    pytest-django ends a ``transaction=True`` test by flushing every table, which the
    append-only triggers rightly refuse. Before the fixtures are torn down (so before that
    flush) the triggers are dropped; after, they are put back, so the next test meets the
    database as migrated. (The chain head the flush removes comes back through the
    governance app's ``post_migrate`` handler, which ``flush`` triggers.)
    """
    blocker = item.stash.get(_FLUSHED_BY, None)
    if blocker is not None:
        with blocker.unblock():
            audit_triggers_set(on=False)
    test_database = connection.settings_dict["NAME"]
    try:
        return (yield)
    finally:
        # After the last test the test database is gone (or kept, with --reuse-db): only
        # touch the one this test used, never the database the settings name otherwise.
        if blocker is not None and connection.settings_dict["NAME"] == test_database:
            with blocker.unblock():
                audit_triggers_set(on=True)
                connection.close()


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


@pytest.fixture
def route_samples(cast: Cast) -> dict[str, Any]:
    """One real object for every URL parameter, for the walks over all routes.

    Alice's appointment with Tom exists, an invitation is pending, Tom has a token.
    """
    from hearth.accounts.models import Role
    from hearth.accounts.services import invitation_create
    from hearth.api.services import api_token_create
    from hearth.platform.models import WorkerHeartbeat
    from hearth.scheduling.demo import schedules_ensure
    from hearth.scheduling.services import BookingRequest, appointment_book

    invitation, invitation_token = invitation_create(
        organisation=cast.organisations["riverside"],
        email="new.person@example.org",
        role=Role.THERAPIST,
        invited_by=cast.users["ada"],
    )
    api_token, _ = api_token_create(
        membership=cast.memberships["tom"], name="walk", scopes=["clinical:read"]
    )
    WorkerHeartbeat.objects.create(
        worker_id="walk", hostname="test", pid=1, started_at=timezone.now(), seen_at=timezone.now()
    )
    services = schedules_ensure(cast.organisations["riverside"])
    schedules_ensure(cast.organisations["northgate"])
    appointment = appointment_book(
        membership=cast.memberships["tom"],
        request=BookingRequest(
            client=cast.records["alice"],
            therapist=cast.users["tom"],
            service_type=services["Treatment"],
            modality="video",
            starts_at=datetime(2027, 1, 11, 10, tzinfo=UTC),
        ),
    )
    from hearth.scheduling.feed import calendar_feed_create

    feed_token = calendar_feed_create(membership=cast.memberships["tom"])
    from hearth.messaging.attachments import Upload
    from hearth.messaging.services import message_send, thread_for_client

    thread = thread_for_client(cast.records["alice"])
    sent = message_send(
        membership=cast.memberships["alice"],
        thread=thread,
        client_id="00000000-0000-4000-8000-000000000001",
        body="Here is my worksheet.",
        uploads=[Upload("worksheet.txt", b"Thoughts record, week 1\n")],
    )
    from hearth.measures.models import MeasureResponse
    from hearth.records.demo import clinical_demo_ensure

    clinical = clinical_demo_ensure(cast)  # Alice's episode, measures and a signed note
    response = MeasureResponse.objects.filter(episode=clinical.episode).first()
    assert response is not None
    from hearth.records.models import ClinicalReview

    review = ClinicalReview.objects.create(  # Sam's review of Tom's session, not yet recorded
        organisation=cast.organisations["riverside"],
        supervisor=cast.users["sam"],
        therapist=cast.users["tom"],
        month=appointment.starts_at.date().replace(day=1),
        appointment=appointment,
    )
    from hearth.safety.escalation import help_request_raise

    incident = help_request_raise(membership=cast.memberships["alice"]).incident
    from hearth.safety.escalation import duty_shift_add
    from hearth.safety.risk import risk_flag_raise

    risk_flag = risk_flag_raise(  # Tom's flag on Alice, raised after her help request
        organisation=cast.organisations["riverside"],
        client=cast.records["alice"],
        type="self_harm",
        level="low",
        source="clinician",
        raised_by=cast.memberships["tom"],
    )
    duty_shift = duty_shift_add(  # Theo on duty from the first sample appointment
        membership=cast.memberships["ada"],
        clinician=cast.memberships["theo"],
        starts_at=appointment.starts_at,
        ends_at=appointment.ends_at,
    )
    return {
        "thread": thread,
        "attachment": sent.message.attachments.get(),
        "feed_token": feed_token,
        "invitation": invitation,
        "invitation_token": invitation_token,
        "token": api_token,
        "service": services["Treatment"],
        "appointment": appointment,
        "episode": clinical.episode,
        "note": clinical.note,
        "measure_response": response,
        "review": review,
        "incident": incident,
        "risk_flag": risk_flag,
        "duty_shift": duty_shift,
        "kwargs": {
            "record_id": cast.records["alice"].pk,
            "invitation_id": invitation.pk,
            "token": invitation_token,
            "token_id": api_token.pk,
            "appointment_id": appointment.pk,
            "thread_id": thread.pk,
            "attachment_id": sent.message.attachments.get().pk,
            "incident_id": incident.pk,
            "slug": "riverside",
            "key": "not-a-real-key",
            "uidb36": "1",
            "episode_id": clinical.episode.pk,
            "note_id": clinical.note.pk,
            "response_id": response.pk,
            "code": "phq-9",
            "feedback_id": 1,
            "review_id": review.pk,
            "flag_id": risk_flag.pk,
            "shift_id": duty_shift.pk,
        },
    }


# --- Headless Chromium, one per test session (Playwright's sync API allows one) --------
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    # Host candidates as plain loopback addresses, not mDNS ".local" names: the test
    # machine has no multicast to resolve them. (Real calls use STUN/TURN candidates.)
    "--disable-features=WebRtcHideLocalIpsWithMdns",
]


@pytest.fixture(scope="session")
def browser(request: pytest.FixtureRequest) -> Iterator[Any]:
    chromium_path = request.getfixturevalue("chromium_path_session")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def chromium_path_session() -> str:
    import shutil

    need("Chromium", shutil.which(CHROMIUM) is not None, f"{CHROMIUM} not found")
    return CHROMIUM


# --- Email: a real SMTP server (aiosmtpd) on loopback ------------------------------------
class Inbox:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.messages.append(email.message_from_bytes(envelope.content))
        return "250 Message accepted"


@pytest.fixture
def smtp(settings: Any) -> Iterator[Inbox]:
    """Django's SMTP backend pointed at a real SMTP server on loopback."""
    from aiosmtpd.controller import Controller

    from tests.browser.server import free_port

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    try:
        yield inbox
    finally:
        controller.stop()
