"""A model field for clinical free text, encrypted at rest."""

from __future__ import annotations

from typing import Any

from django.db import models

from hearth.governance.crypto import get_keyring


class EncryptedTextField(models.TextField):
    """Stores AES-256-GCM ciphertext tagged with its key id; Python code sees plain text.

    The ciphertext is bound to ``app_label.model.field`` (authenticated data), so a value
    copied into another column will not decrypt. Lookups on the plaintext are impossible
    by design; keep searchable data elsewhere.
    """

    def contribute_to_class(
        self, cls: type[models.Model], name: str, private_only: bool = False
    ) -> None:
        super().contribute_to_class(cls, name, private_only=private_only)
        self.encryption_context = f"{cls._meta.label_lower}.{name}"

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return get_keyring().encrypt(str(value), context=self.encryption_context)

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is None or value == "":
            return value
        return get_keyring().decrypt(value, context=self.encryption_context)
