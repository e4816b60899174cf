from typing import Any

from django.apps import AppConfig
from django.apps import apps as global_apps
from django.db import DEFAULT_DB_ALIAS, router
from django.db.models.signals import post_migrate


def chain_head_ensure(
    *, using: str = DEFAULT_DB_ALIAS, apps: Any = global_apps, **kwargs: Any
) -> None:
    """Put back the audit chain head if it is missing.

    Migration 0002 creates it, but ``flush`` (which every transactional test ends with)
    empties every table and then sends ``post_migrate``: without this, every audited
    action afterwards would fail because there is no head to lock.
    """
    try:
        head_model = apps.get_model("governance", "AuditChainHead")
    except LookupError:  # governance not migrated (yet) in this state
        return
    if not router.allow_migrate_model(using, head_model):
        return
    head_model.objects.using(using).get_or_create(pk=1)


class GovernanceConfig(AppConfig):
    name = "hearth.governance"
    label = "governance"
    verbose_name = "Information governance"

    def ready(self) -> None:
        post_migrate.connect(chain_head_ensure, sender=self)
