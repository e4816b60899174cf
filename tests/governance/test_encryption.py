"""Clinical free text encrypted at rest: what the database holds, and what it refuses."""

from __future__ import annotations

import base64
import json
import stat
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction

from hearth.accounts.models import Organisation
from hearth.clients.models import ClientRecord
from hearth.governance.crypto import (
    DecryptionError,
    Keyring,
    get_keyring,
    keyring_file_add_key,
    keyring_file_init,
    parse_keyring,
    reset_keyring_cache,
)
from hearth.governance.fields import EncryptedTextField
from tests.governance.tamper import sql

SUMMARY = "Panic attacks on the 07:40 train since the bereavement; avoids the platform."
FIELD_CONTEXT = "clients.clientrecord.presenting_summary"


@pytest.fixture
def organisation(db: None) -> Organisation:
    return Organisation.objects.create(name="Encryption Services", slug="encryption")


def new_record(organisation: Organisation, summary: str = SUMMARY) -> ClientRecord:
    return ClientRecord.objects.create(
        organisation=organisation, given_name="Pat", family_name="Doe", presenting_summary=summary
    )


def raw_summary(record: ClientRecord) -> str:
    rows = sql("SELECT presenting_summary FROM clients_clientrecord WHERE id = %s", [record.pk])
    return str(rows[0][0])


def set_raw_summary(record: ClientRecord, value: str) -> None:
    sql("UPDATE clients_clientrecord SET presenting_summary = %s WHERE id = %s", [value, record.pk])


def test_field_context_names_the_column() -> None:
    field = ClientRecord._meta.get_field("presenting_summary")
    assert isinstance(field, EncryptedTextField)
    assert field.encryption_context == FIELD_CONTEXT


@pytest.mark.parametrize(
    "text",
    [SUMMARY, "Größe, naïveté, 汉字 and 🙂 — unicode survives", "x" * 20_000, " leading space"],
)
def test_summary_round_trips_and_is_ciphertext_at_rest(
    organisation: Organisation, text: str
) -> None:
    record = new_record(organisation, text)
    assert ClientRecord.objects.get(pk=record.pk).presenting_summary == text
    assert (
        ClientRecord.objects.filter(pk=record.pk).values_list("presenting_summary", flat=True).get()
        == text
    )
    stored = raw_summary(record)
    assert stored.startswith("hearth:v1:t1:")
    assert text not in stored
    assert text.strip()[:12] not in stored
    assert get_keyring().decrypt(stored, context=FIELD_CONTEXT) == text


def test_same_text_encrypts_differently_each_time(organisation: Organisation) -> None:
    first, second = new_record(organisation), new_record(organisation)
    assert raw_summary(first) != raw_summary(second)  # a fresh nonce per value


def test_empty_summary_is_stored_empty(organisation: Organisation) -> None:
    record = new_record(organisation, "")
    assert raw_summary(record) == ""
    assert ClientRecord.objects.get(pk=record.pk).presenting_summary == ""


def _flip_one_character(stored: str) -> str:
    head, blob = stored.rsplit(":", 1)
    raw = bytearray(base64.b64decode(blob))
    raw[len(raw) // 2] ^= 0x01
    return f"{head}:{base64.b64encode(bytes(raw)).decode()}"


TAMPERINGS = {
    "one bit of ciphertext": _flip_one_character,
    "cut short": lambda s: s[: len("hearth:v1:t1:") + 16],
    "not base64": lambda s: s[:-8] + "!!!!!!!!",
    "unknown key id": lambda s: s.replace("hearth:v1:t1:", "hearth:v1:t9:"),
    "not Hearth's format": lambda s: SUMMARY,
}


@pytest.mark.parametrize("how", list(TAMPERINGS))
def test_tampered_value_fails_without_revealing_text(organisation: Organisation, how: str) -> None:
    record = new_record(organisation)
    set_raw_summary(record, TAMPERINGS[how](raw_summary(record)))
    with pytest.raises(DecryptionError) as failure:
        ClientRecord.objects.get(pk=record.pk)
    message = str(failure.value)
    assert message
    for fragment in ("Panic", "07:40", "bereavement", "platform"):
        assert fragment not in message
    assert SUMMARY not in repr(failure.value)


def test_ciphertext_is_bound_to_its_column() -> None:
    ring = get_keyring()
    stored = ring.encrypt(SUMMARY, context=FIELD_CONTEXT)
    assert ring.decrypt(stored, context=FIELD_CONTEXT) == SUMMARY
    for elsewhere in ("messaging.message.body", "clients.clientrecord.notes", ""):
        with pytest.raises(DecryptionError) as failure:
            ring.decrypt(stored, context=elsewhere)
        assert SUMMARY not in str(failure.value)
        assert "t1" in str(failure.value)


def test_ciphertext_under_a_different_key_with_the_same_id_fails() -> None:
    stored = get_keyring().encrypt(SUMMARY, context=FIELD_CONTEXT)
    impostor = Keyring(active="t1", keys={"t1": b"z" * 32})
    with pytest.raises(DecryptionError):
        impostor.decrypt(stored, context=FIELD_CONTEXT)


# --- keyring configuration -------------------------------------------------------------

GOOD_KEY = base64.b64encode(b"g" * 32).decode()
SHORT_KEY = base64.b64encode(b"s" * 16).decode()
BAD_RINGS = {
    "not JSON": ("{active: k1", "must be JSON like"),
    "no active key": (json.dumps({"keys": {"k1": GOOD_KEY}}), "must be JSON like"),
    "no keys": (json.dumps({"active": "k1"}), "must be JSON like"),
    "keys is a list": (json.dumps({"active": "k1", "keys": [GOOD_KEY]}), "must be JSON like"),
    "key not base64": (json.dumps({"active": "k1", "keys": {"k1": "%%%"}}), "must be JSON like"),
    "active key absent": (
        json.dumps({"active": "k2", "keys": {"k1": GOOD_KEY}}),
        "has no key for active id 'k2'",
    ),
    "key too short": (
        json.dumps({"active": "k1", "keys": {"k1": SHORT_KEY}}),
        "Key 'k1' in HEARTH_KEYRING is not 32 bytes (AES-256)",
    ),
    # A colon would end the key id early in every stored value: nothing would decrypt.
    "colon in key id": (
        json.dumps({"active": "2026:01", "keys": {"2026:01": GOOD_KEY}}),
        "Key id '2026:01' in HEARTH_KEYRING must be",
    ),
    "empty key id": (json.dumps({"active": "", "keys": {"": GOOD_KEY}}), "Key id '' in"),
}


@pytest.mark.parametrize("case", list(BAD_RINGS))
def test_bad_keyring_is_refused_with_a_clear_message(settings, case: str) -> None:  # type: ignore[no-untyped-def]
    text, expected = BAD_RINGS[case]
    settings.HEARTH_KEYRING = text
    reset_keyring_cache()
    with pytest.raises(ImproperlyConfigured) as failure:
        get_keyring()
    message = str(failure.value)
    assert expected in message
    for secret in (GOOD_KEY, SHORT_KEY):
        assert secret not in message  # never echo key material


def test_bad_keyring_stops_writes_of_clinical_text(settings, organisation: Organisation) -> None:  # type: ignore[no-untyped-def]
    settings.HEARTH_KEYRING = json.dumps({"active": "k1", "keys": {"k1": SHORT_KEY}})
    reset_keyring_cache()
    with pytest.raises(ImproperlyConfigured), transaction.atomic():
        new_record(organisation)
    assert ClientRecord.objects.count() == 0  # nothing stored in the clear instead


def test_key_ids_written_by_hearth_are_accepted() -> None:
    ring = parse_keyring(
        json.dumps({"active": "k2", "keys": {"k1": GOOD_KEY, "k2": GOOD_KEY}}), source="test"
    )
    assert ring.active == "k2" and set(ring.keys) == {"k1", "k2"}


def test_missing_keyring_file_says_how_to_create_one(settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    settings.HEARTH_KEYRING = ""
    settings.HEARTH_KEYRING_PATH = tmp_path / "keyring.json"
    reset_keyring_cache()
    with pytest.raises(ImproperlyConfigured, match="hearth keys init"):
        get_keyring()


def test_keyring_file_is_private_to_its_owner(settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "keys" / "keyring.json"
    assert keyring_file_init(path) is True
    assert keyring_file_init(path) is False  # never overwrites an existing ring
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert keyring_file_add_key(path) == "k2"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    ring = json.loads(path.read_text())
    assert ring["active"] == "k2" and set(ring["keys"]) == {"k1", "k2"}
    assert not (tmp_path / "keys" / "keyring.tmp").exists()


def test_a_key_added_by_another_process_is_used_without_restart(
    settings, tmp_path: Path, organisation: Organisation
) -> None:  # type: ignore[no-untyped-def]
    """``hearth keys rotate --new-key`` runs in its own process: web workers must follow."""
    path = tmp_path / "keyring.json"
    settings.HEARTH_KEYRING = ""
    settings.HEARTH_KEYRING_PATH = path
    reset_keyring_cache()
    keyring_file_init(path)
    before = new_record(organisation, "written under k1")
    assert raw_summary(before).startswith("hearth:v1:k1:")

    keyring_file_add_key(path)  # the other process; this one's cache is not reset
    the_other_process = parse_keyring(path.read_text(), source=str(path))
    set_raw_summary(before, the_other_process.encrypt("rotated elsewhere", context=FIELD_CONTEXT))

    assert ClientRecord.objects.get(pk=before.pk).presenting_summary == "rotated elsewhere"
    after = new_record(organisation, "written after the new key")
    assert raw_summary(after).startswith("hearth:v1:k2:")
