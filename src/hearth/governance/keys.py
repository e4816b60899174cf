"""Re-encrypting clinical free text to the active key, in resumable batches."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.apps import apps
from django.db import models, transaction
from django.db.models.functions import Cast

from hearth.governance.audit import audit_record
from hearth.governance.crypto import PREFIX, get_keyring, key_id_of
from hearth.governance.fields import EncryptedTextField


def encrypted_columns() -> Iterator[tuple[type[models.Model], EncryptedTextField]]:
    for model in apps.get_models():
        for field in model._meta.get_fields():
            if isinstance(field, EncryptedTextField):
                yield model, field


def _stale(model: type[models.Model], field: EncryptedTextField, active: str) -> models.QuerySet:
    # Cast to a plain text column so the filter sees the stored ciphertext, not plaintext.
    # The base manager: a default manager that hides rows (archived, soft-deleted) would
    # leave them under the old key, unreadable once that key is retired.
    return (
        model._base_manager.annotate(_raw=Cast(field.name, output_field=models.TextField()))
        .exclude(_raw__isnull=True)
        .exclude(_raw="")
        .exclude(_raw__startswith=f"{PREFIX}{active}:")
    )


@dataclass
class RotationResult:
    reencrypted: int = 0
    batches: int = 0
    remaining: int = 0

    @property
    def complete(self) -> bool:
        return self.remaining == 0


def keys_count_stale() -> dict[str, int]:
    active = get_keyring().active
    return {
        f"{model._meta.label}.{field.name}": _stale(model, field, active).count()
        for model, field in encrypted_columns()
    }


def keys_rotate(
    *,
    batch_size: int = 500,
    max_batches: int | None = None,
    progress: Callable[[str], None] = lambda _: None,
) -> RotationResult:
    """Re-encrypt every value not under the active key.

    Each batch commits on its own, so an interrupted run keeps its progress and the next
    run carries on from the rows still under an old key. Rows are locked while a batch
    re-encrypts them so a concurrent edit cannot be overwritten with older text.
    """
    result = RotationResult()
    for model, field in encrypted_columns():
        label = f"{model._meta.label}.{field.name}"
        while max_batches is None or result.batches < max_batches:
            # Per batch: if a key is added while this runs, carry on to the newest one.
            ring = get_keyring()
            with transaction.atomic():
                rows = list(
                    _stale(model, field, ring.active)
                    .select_for_update()
                    .order_by("pk")
                    .values_list("pk", "_raw")[:batch_size]
                )
                if not rows:
                    break
                old_keys: set[str] = set()
                for pk, raw in rows:
                    old_keys.add(key_id_of(raw))
                    plain = ring.decrypt(raw, context=field.encryption_context)
                    # update() runs get_prep_value, which encrypts under the active key.
                    model._base_manager.filter(pk=pk).update(**{field.name: plain})
                audit_record(
                    actor=None,
                    action="keys.rotate_batch",
                    object_type=label,
                    changes={"rows": len(rows), "from": sorted(old_keys), "to": ring.active},
                )
            result.reencrypted += len(rows)
            result.batches += 1
            progress(f"{label}: re-encrypted {len(rows)} values")
    result.remaining = sum(keys_count_stale().values())
    return result
