"""Encryption at rest for clinical free text: AES-256-GCM with a rotatable keyring.

Stored form: ``hearth:v1:<key id>:<base64(nonce ‖ ciphertext ‖ tag)>``. The key id
says which key decrypts a value, so old and new keys work side by side while
``hearth keys rotate`` re-encrypts to the active key.
"""

from __future__ import annotations

import base64
import json
import os
import re
import secrets
import threading
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

PREFIX = "hearth:v1:"
NONCE_BYTES = 12
# A key id is written into every stored value between colons, so it cannot hold one.
KEY_ID = re.compile(r"[A-Za-z0-9_.-]{1,32}")


class DecryptionError(Exception):
    """A stored value could not be decrypted. The message never contains the value."""


@dataclass(frozen=True)
class Keyring:
    active: str
    keys: dict[str, bytes]

    def encrypt(self, plaintext: str, *, context: str) -> str:
        nonce = secrets.token_bytes(NONCE_BYTES)
        sealed = AESGCM(self.keys[self.active]).encrypt(
            nonce, plaintext.encode("utf-8"), context.encode()
        )
        return f"{PREFIX}{self.active}:{base64.b64encode(nonce + sealed).decode('ascii')}"

    def decrypt(self, stored: str, *, context: str) -> str:
        key_id, blob = split_stored(stored)
        key = self.keys.get(key_id)
        if key is None:
            raise DecryptionError(f"no key {key_id!r} in the keyring")
        try:
            raw = base64.b64decode(blob, validate=True)
            plain = AESGCM(key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], context.encode())
        except Exception as exc:  # InvalidTag, binascii errors: say what, not the value
            raise DecryptionError(f"value under key {key_id!r} failed to decrypt") from exc
        return plain.decode("utf-8")


def split_stored(stored: str) -> tuple[str, str]:
    if not stored.startswith(PREFIX):
        raise DecryptionError("value is not in Hearth's encrypted format")
    key_id, _, blob = stored[len(PREFIX) :].partition(":")
    if not key_id or not blob:
        raise DecryptionError("value is not in Hearth's encrypted format")
    return key_id, blob


def key_id_of(stored: str) -> str:
    return split_stored(stored)[0]


def parse_keyring(text: str, *, source: str) -> Keyring:
    try:
        data = json.loads(text)
        keys = {str(k): base64.b64decode(v, validate=True) for k, v in data["keys"].items()}
        active = str(data["active"])
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ImproperlyConfigured(
            f"The keyring in {source} must be JSON like "
            '{"active": "k1", "keys": {"k1": "<base64 of 32 bytes>"}}'
        ) from exc
    for key_id in keys:
        if not KEY_ID.fullmatch(key_id):
            raise ImproperlyConfigured(
                f"Key id {key_id!r} in {source} must be 1-32 letters, digits, '.', '_' or '-'"
            )
    if active not in keys:
        raise ImproperlyConfigured(f"The keyring in {source} has no key for active id {active!r}")
    for key_id, key in keys.items():
        if len(key) != 32:
            raise ImproperlyConfigured(f"Key {key_id!r} in {source} is not 32 bytes (AES-256)")
    return Keyring(active=active, keys=keys)


def keyring_path() -> Path:
    return Path(settings.HEARTH_KEYRING_PATH)


_cached: tuple[tuple[object, ...], Keyring] | None = None
_cache_lock = threading.Lock()


def _keyring_source() -> tuple[tuple[object, ...], str, Path | None]:
    """What identifies the keyring's current version, where it comes from, and its file."""
    if settings.HEARTH_KEYRING:
        return ("env", settings.HEARTH_KEYRING), "HEARTH_KEYRING", None
    path = keyring_path()
    try:
        stat = path.stat()
    except FileNotFoundError:
        raise ImproperlyConfigured(
            f"No encryption keyring: set HEARTH_KEYRING or create {path} with `hearth keys init`."
        ) from None
    # A rewrite replaces the file (new inode), so this changes whenever the ring does.
    return ("file", str(path), stat.st_ino, stat.st_mtime_ns, stat.st_size), str(path), path


def get_keyring() -> Keyring:
    """The keyring in use, re-read when its source changes.

    A keyring file is checked (one ``stat``) on every call, so when ``hearth keys rotate
    --new-key`` adds a key in another process, this one encrypts to the new key and reads
    values already re-encrypted to it, without a restart.
    """
    global _cached
    signature, source, path = _keyring_source()
    cached = _cached
    if cached is not None and cached[0] == signature:
        return cached[1]
    with _cache_lock:
        try:
            text = settings.HEARTH_KEYRING if path is None else path.read_text(encoding="utf-8")
        except FileNotFoundError:  # removed since the stat
            raise ImproperlyConfigured(f"The keyring file {path} disappeared") from None
        ring = parse_keyring(text, source=source)
        _cached = (signature, ring)
    return ring


def reset_keyring_cache() -> None:
    global _cached
    with _cache_lock:
        _cached = None


def new_key() -> str:
    return base64.b64encode(AESGCM.generate_key(bit_length=256)).decode("ascii")


def _write_keyring(path: Path, ring: dict[str, object]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(ring, handle, indent=2)
        # On disk before the rename: a crash must not leave an empty keyring behind.
        handle.flush()
        os.fsync(handle.fileno())
    tmp.replace(path)  # atomic: a reader sees the old ring or the new one, never half


def keyring_file_init(path: Path) -> bool:
    """Create a keyring file with one key if none exists. Returns True if created."""
    if path.exists():
        return False
    _write_keyring(path, {"active": "k1", "keys": {"k1": new_key()}})
    return True


def keyring_file_add_key(path: Path) -> str:
    """Add a new key to the file's keyring and make it active; return its id."""
    ring = json.loads(path.read_text(encoding="utf-8"))
    numbers = [int(k[1:]) for k in ring["keys"] if k.startswith("k") and k[1:].isdigit()]
    key_id = f"k{max(numbers, default=0) + 1}"
    ring["keys"][key_id] = new_key()
    ring["active"] = key_id
    _write_keyring(path, ring)
    return key_id
