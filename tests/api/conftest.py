"""Helpers for the API tests: tokens made through the real service, used as Bearer keys."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from hearth.accounts.personas import Cast
from hearth.api.services import api_token_create

BearerFactory = Callable[..., Client]


@pytest.fixture
def bearer(cast: Cast) -> BearerFactory:
    """``bearer("tom", ["clinical:read"])`` → a client that sends a fresh token of Tom's."""

    def make(persona: str, scopes: list[str]) -> Client:
        _, key = api_token_create(
            membership=cast.memberships[persona], name=f"{persona} test", scopes=scopes
        )
        return Client(HTTP_AUTHORIZATION=f"Bearer {key}")

    return make
