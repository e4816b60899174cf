"""Tampering with the audit log the way someone with direct database rights could.

The append-only triggers stop the application and any ordinary session from changing the
log; an attacker who owns the database can switch them off. These helpers do exactly that,
with raw SQL, so the tests can show that ``hearth audit verify`` still finds the change.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.db import connection

from tests.conftest import audit_triggers_set

# The migration's own SQL, so the triggers put back are the ones production has.
APPEND_ONLY = importlib.import_module("hearth.governance.migrations.0002_append_only")
SQLITE_TRIGGERS = ("governance_auditevent_no_update", "governance_auditevent_no_delete")


def sql(statement: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    """Run one raw statement on the default connection; return its rows, if any."""
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return list(cursor.fetchall()) if cursor.description else []


def triggers_drop() -> None:
    """Remove the append-only triggers (and PostgreSQL's function) if they exist."""
    audit_triggers_set(on=False)


def triggers_install() -> None:
    """Put the append-only triggers back exactly as migration 0002 creates them."""
    audit_triggers_set(on=True)


@contextmanager
def append_only_bypassed() -> Iterator[None]:
    """Switch the triggers off as an attacker with DDL rights would, then back on."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE governance_auditevent DISABLE TRIGGER USER")
        else:
            for name in SQLITE_TRIGGERS:
                cursor.execute(f"DROP TRIGGER {name}")  # no IF EXISTS: they must be there
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("ALTER TABLE governance_auditevent ENABLE TRIGGER USER")
            else:
                for statement in APPEND_ONLY.SQLITE_UP:
                    cursor.execute(statement)
