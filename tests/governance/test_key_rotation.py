"""Key rotation: re-encrypting clinical text to a new key in resumable, audited batches."""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from hearth.accounts.models import Organisation
from hearth.clients.models import ClientRecord
from hearth.governance.audit import audit_verify
from hearth.governance.crypto import DecryptionError, reset_keyring_cache
from hearth.governance.keys import keys_count_stale, keys_rotate
from hearth.governance.models import AuditEvent
from tests.conftest import TEST_KEYRING
from tests.governance.tamper import sql

pytestmark = pytest.mark.django_db

COLUMN = "clients.ClientRecord.presenting_summary"


def stale_counts() -> dict[str, int]:
    """The encrypted columns with values under older keys (other columns, empty here, are
    left out so that the tests hold however many encrypted columns the apps define)."""
    return {column: count for column, count in keys_count_stale().items() if count}


def status_of(output: str) -> tuple[str, int]:
    """(the active-key line, the count for COLUMN) from `hearth keys status`; every other
    encrypted column must report 0."""
    first, *columns = output.splitlines()
    counts = {}
    for line in columns:
        name, rest = line.split(": ", 1)
        counts[name] = int(rest.split(" ", 1)[0])
    assert all(count == 0 for name, count in counts.items() if name != COLUMN), counts
    return first, counts[COLUMN]


T1 = TEST_KEYRING["keys"]["t1"]
T2 = base64.b64encode(b"2" * 32).decode()
RECORDS = 25


class Interrupted(Exception):
    """Stands in for the operator's Ctrl-C or a lost connection between batches."""


def use_ring(settings, keys: dict[str, str], active: str) -> None:  # type: ignore[no-untyped-def]
    settings.HEARTH_KEYRING = json.dumps({"active": active, "keys": keys})
    reset_keyring_cache()


def raw_summaries() -> dict[int, str]:
    return dict(sql("SELECT id, presenting_summary FROM clients_clientrecord"))  # type: ignore[arg-type]


def key_ids() -> list[str]:
    return sorted(v.split(":")[2] for v in raw_summaries().values() if v)


@pytest.fixture
def summaries() -> dict[int, str]:
    """25 records written under t1 (plus two with no clinical text); pk → plaintext."""
    organisation = Organisation.objects.create(name="Rotation Therapies", slug="rotation")
    expected = {}
    for i in range(RECORDS):
        text = f"Summary {i}: sleeping poorly, worry about work ({'x' * i})"
        record = ClientRecord.objects.create(
            organisation=organisation,
            given_name=f"Client{i}",
            family_name="Rotation",
            presenting_summary=text,
        )
        expected[record.pk] = text
    for i in range(2):
        ClientRecord.objects.create(
            organisation=organisation, given_name=f"Blank{i}", family_name="Rotation"
        )
    assert key_ids() == ["t1"] * RECORDS
    return expected


def decrypted() -> dict[int, str]:
    return {
        r.pk: r.presenting_summary
        for r in ClientRecord.objects.exclude(given_name__startswith="Blank")
    }


def rotation_batches() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action="keys.rotate_batch").order_by("seq"))


def test_rotation_interrupted_then_resumed_then_old_key_retired(
    settings, summaries: dict[int, str]
) -> None:  # type: ignore[no-untyped-def]
    updated_at = dict(ClientRecord.objects.values_list("pk", "updated_at"))
    use_ring(settings, {"t1": T1, "t2": T2}, active="t2")
    assert stale_counts() == {COLUMN: RECORDS}

    first = keys_rotate(batch_size=10, max_batches=1)
    assert (first.reencrypted, first.batches, first.remaining) == (10, 1, 15)
    assert not first.complete
    assert key_ids() == ["t1"] * 15 + ["t2"] * 10
    assert stale_counts() == {COLUMN: 15}
    assert decrypted() == summaries  # a half-rotated table reads normally

    rest = keys_rotate(batch_size=10)
    assert (rest.reencrypted, rest.batches, rest.remaining) == (15, 2, 0)
    assert rest.complete
    assert keys_rotate(batch_size=10).reencrypted == 0  # nothing left: a no-op

    use_ring(settings, {"t2": T2}, active="t2")  # t1 retired
    assert decrypted() == summaries
    values = [v for v in raw_summaries().values() if v]
    assert len(values) == RECORDS
    assert all(v.startswith("hearth:v1:t2:") for v in values)
    assert sorted(v for v in raw_summaries().values() if not v) == ["", ""]
    # Re-encryption is not an edit: the records' own timestamps stay as they were.
    assert dict(ClientRecord.objects.values_list("pk", "updated_at")) == updated_at

    batches = rotation_batches()
    assert [b.changes["rows"] for b in batches] == [10, 10, 5]
    assert all(b.changes["from"] == ["t1"] and b.changes["to"] == "t2" for b in batches)
    assert all(b.object_type == COLUMN and b.actor_id is None for b in batches)
    assert audit_verify().ok


def test_a_crash_between_batches_keeps_the_committed_batches(
    settings, summaries: dict[int, str]
) -> None:  # type: ignore[no-untyped-def]
    use_ring(settings, {"t1": T1, "t2": T2}, active="t2")
    progress: list[str] = []

    def crash_after_two(message: str) -> None:
        progress.append(message)
        if len(progress) == 2:
            raise Interrupted

    with pytest.raises(Interrupted):
        keys_rotate(batch_size=7, progress=crash_after_two)
    assert progress == [f"{COLUMN}: re-encrypted 7 values"] * 2
    assert key_ids().count("t2") == 14
    assert len(rotation_batches()) == 2
    assert decrypted() == summaries

    resumed = keys_rotate(batch_size=7)
    assert (resumed.reencrypted, resumed.remaining) == (RECORDS - 14, 0)
    use_ring(settings, {"t2": T2}, active="t2")
    assert decrypted() == summaries
    assert audit_verify().ok


def test_a_batch_that_fails_changes_nothing(settings, summaries: dict[int, str]) -> None:  # type: ignore[no-untyped-def]
    """A value that cannot be decrypted stops the run; its batch is not half-applied."""
    broken_pk = sorted(summaries)[3]
    sql(
        "UPDATE clients_clientrecord SET presenting_summary = %s WHERE id = %s",
        ["hearth:v1:t1:" + base64.b64encode(b"n" * 40).decode(), broken_pk],
    )
    before = raw_summaries()
    use_ring(settings, {"t1": T1, "t2": T2}, active="t2")
    with pytest.raises(DecryptionError):
        keys_rotate(batch_size=10)
    assert raw_summaries() == before
    assert rotation_batches() == []
    assert audit_verify().ok


# --- the command, with a keyring file --------------------------------------------------


@pytest.fixture
def keyring_file(settings, tmp_path: Path) -> Path:  # type: ignore[no-untyped-def]
    path = tmp_path / "keyring.json"
    settings.HEARTH_KEYRING = ""
    settings.HEARTH_KEYRING_PATH = path
    reset_keyring_cache()
    return path


def keys(*args: str) -> str:
    out = io.StringIO()
    call_command("keys", *args, stdout=out)
    return out.getvalue()


def test_keys_command_rotates_a_keyring_file(keyring_file: Path) -> None:
    assert keys("init") == f"Created keyring {keyring_file}\n"
    assert keys("init") == f"Kept existing keyring {keyring_file}\n"
    organisation = Organisation.objects.create(name="File Keys", slug="file-keys")
    texts = {
        ClientRecord.objects.create(
            organisation=organisation,
            given_name=f"C{i}",
            family_name="Keys",
            presenting_summary=f"file ring text {i}",
        ).pk: f"file ring text {i}"
        for i in range(12)
    }
    assert status_of(keys("status")) == ("Active key: k1 (keys: k1)", 0)

    out = keys("rotate", "--new-key", "--batch-size", "5", "--max-batches", "1")
    assert out.splitlines() == [
        "Added key k2; it is now the active key.",
        f"{COLUMN}: re-encrypted 5 values",
        "Re-encrypted 5 values in 1 batches; 7 remain under older keys.",
        "Run `hearth keys rotate` again to continue.",
    ]
    assert json.loads(keyring_file.read_text())["active"] == "k2"
    assert status_of(keys("status")) == ("Active key: k2 (keys: k1, k2)", 7)
    assert {r.pk: r.presenting_summary for r in ClientRecord.objects.all()} == texts

    out = keys("rotate")
    assert out.splitlines() == [
        f"{COLUMN}: re-encrypted 7 values",
        "Re-encrypted 7 values in 1 batches; 0 remain under older keys.",
    ]
    assert status_of(keys("status"))[1] == 0

    ring = json.loads(keyring_file.read_text())
    del ring["keys"]["k1"]
    keyring_file.write_text(json.dumps(ring))
    reset_keyring_cache()
    assert {r.pk: r.presenting_summary for r in ClientRecord.objects.all()} == texts
    assert all(v.startswith("hearth:v1:k2:") for v in raw_summaries().values())

    assert [b.changes["rows"] for b in rotation_batches()] == [5, 7]
    verify = io.StringIO()
    call_command("audit", "verify", stdout=verify)
    # The two batches, and anything else audited meanwhile (a new organisation's crisis
    # directory being seeded): the whole chain verifies.
    assert verify.getvalue().startswith(
        f"Audit chain intact: {AuditEvent.objects.count()} entries verified."
    )


def test_keys_command_refuses_what_it_cannot_do(settings, keyring_file: Path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(CommandError, match="run `hearth keys init` first"):
        keys("add")
    keys("init")
    with pytest.raises(CommandError, match="--batch-size must be at least 1"):
        keys("rotate", "--batch-size", "0")
    # With the keyring in the environment, a key added to a file would never be used.
    use_ring(settings, {"t1": T1}, active="t1")
    before = keyring_file.read_text()
    with pytest.raises(CommandError, match="HEARTH_KEYRING"):
        keys("add")
    with pytest.raises(CommandError, match="HEARTH_KEYRING"):
        keys("rotate", "--new-key")
    assert keyring_file.read_text() == before
