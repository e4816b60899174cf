"""API tokens: scoped to one membership, revocable, stored only as a hash."""

from __future__ import annotations

import hashlib
import secrets

from django.db import models

from hearth.accounts.models import Membership

TOKEN_PREFIX = "hth_"  # noqa: S105  (a label, not a secret)
TOKEN_NAME_MAX_LENGTH = 100


class Scope(models.TextChoices):
    CLINICAL_READ = "clinical:read", "Read clinical records"
    CLINICAL_WRITE = "clinical:write", "Create and change clinical records"
    AUDIT_READ = "audit:read", "Read the audit log (service admins)"


class ApiToken(models.Model):
    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="tokens")
    name = models.CharField(max_length=TOKEN_NAME_MAX_LENGTH)
    prefix = models.CharField(max_length=12, help_text="First characters, to recognise it.")
    key_hash = models.CharField(max_length=64, unique=True)
    scopes = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def new_key() -> tuple[str, str]:
        key = TOKEN_PREFIX + secrets.token_urlsafe(32)
        return key, ApiToken.hash_key(key)

    @staticmethod
    def hash_key(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()
