"""/healthz: 200 when the database, the channel layer and a task worker are all up."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from channels.layers import channel_layers, get_channel_layer
from django.test import Client
from django.utils import timezone

from hearth.platform.models import WorkerHeartbeat

# Nothing listens on port 1 of the loopback address: connections are refused at once.
UNREACHABLE_REDIS = "redis://127.0.0.1:1/0"


def beat(seconds_ago: float = 0) -> WorkerHeartbeat:
    seen = timezone.now() - timedelta(seconds=seconds_ago)
    return WorkerHeartbeat.objects.create(
        worker_id=uuid.uuid4().hex, hostname="test", pid=1, started_at=seen, seen_at=seen
    )


def health(client: Client) -> tuple[int, dict[str, Any]]:
    response = client.get("/healthz")
    assert response["Content-Type"] == "application/json"
    assert "no-cache" in response["Cache-Control"]
    return response.status_code, json.loads(response.content)


@pytest.fixture
def channel_layer_settings(settings: Any) -> Iterator[Any]:
    """Lets a test swap CHANNEL_LAYERS. Channels caches layer instances; the setting
    change resets its cache, and the reset is repeated here on the way out so later
    tests get the configured layer again."""
    yield settings
    channel_layers.backends = {}


@pytest.mark.django_db
def test_healthy_with_a_live_worker(client: Client) -> None:
    beat()
    status, body = health(client)
    assert status == 200
    assert body == {
        "status": "ok",
        "failing": [],
        "checks": {
            "database": {"status": "ok"},
            "channel_layer": {"status": "ok"},
            "task_worker": {"status": "ok"},
        },
    }


@pytest.mark.django_db
def test_no_worker_is_a_503_naming_the_task_worker(client: Client) -> None:
    status, body = health(client)
    assert status == 503
    assert body["status"] == "fail"
    assert body["failing"] == ["task_worker"]
    assert "no task worker" in body["checks"]["task_worker"]["error"]


@pytest.mark.django_db
def test_a_stale_heartbeat_does_not_count(client: Client, settings: Any) -> None:
    beat(seconds_ago=settings.HEARTH_WORKER_STALE_SECONDS + 5)
    status, body = health(client)
    assert status == 503
    assert body["failing"] == ["task_worker"]
    beat(seconds_ago=settings.HEARTH_WORKER_STALE_SECONDS - 5)
    assert health(client)[0] == 200


@pytest.mark.django_db
def test_unreachable_redis_is_a_503_naming_the_channel_layer(
    client: Client, channel_layer_settings: Any
) -> None:
    beat()
    channel_layer_settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [UNREACHABLE_REDIS]},
        }
    }
    assert type(get_channel_layer()).__name__ == "RedisChannelLayer"
    status, body = health(client)
    assert status == 503
    assert body["failing"] == ["channel_layer"]
    error = body["checks"]["channel_layer"]["error"]
    assert "Connect" in error or "refused" in error, error
    assert body["checks"]["database"] == {"status": "ok"}


@pytest.mark.django_db
def test_channel_layer_settings_are_restored_after_the_override(client: Client) -> None:
    """Runs after the test above (file order): the configured layer is back."""
    from django.conf import settings

    expected = settings.CHANNEL_LAYERS["default"]["BACKEND"].rsplit(".", 1)[-1]
    assert type(get_channel_layer()).__name__ == expected


@pytest.mark.django_db
def test_no_channel_layer_configured_is_a_503(client: Client, channel_layer_settings: Any) -> None:
    beat()
    channel_layer_settings.CHANNEL_LAYERS = {}
    status, body = health(client)
    assert status == 503
    assert body["failing"] == ["channel_layer"]
    assert "no channel layer configured" in body["checks"]["channel_layer"]["error"]


@pytest.mark.django_db
def test_a_real_redis_channel_layer_passes(
    client: Client, channel_layer_settings: Any, redis_url: str
) -> None:
    beat()
    channel_layer_settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            # A prefix of its own, so concurrent test runs on one Redis do not meet.
            "CONFIG": {"hosts": [redis_url], "prefix": f"hearth-test-{uuid.uuid4().hex[:8]}"},
        }
    }
    assert type(get_channel_layer()).__name__ == "RedisChannelLayer"
    status, body = health(client)
    assert status == 200, body
    assert body["checks"]["channel_layer"] == {"status": "ok"}
    # Twice: the layer's connections survive from one request to the next.
    assert health(client)[0] == 200


def test_healthz_is_public_and_holds_no_data(cast: Any, client: Client) -> None:
    beat()
    response = client.get("/healthz")
    assert response.status_code == 200
    text = response.content.decode()
    for user in cast.users.values():
        assert user.email not in text
