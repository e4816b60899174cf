"""Attachment checks: by content, not by name. A file must be what its name says."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import PurePath

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError

# Sniffed type → the file name endings that honestly carry it.
ALLOWED = {
    "application/pdf": {".pdf"},
    "image/png": {".png"},
    "image/jpeg": {".jpg", ".jpeg"},
    "image/gif": {".gif"},
    "image/webp": {".webp"},
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": {".docx"},
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {".xlsx"},
    "application/vnd.oasis.opendocument.text": {".odt"},
    "text/plain": {".txt"},
}
MAX_FILES = 5


@dataclass(frozen=True)
class Upload:
    filename: str
    data: bytes


@dataclass(frozen=True)
class CheckedUpload:
    filename: str
    content_type: str
    data: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def _sniff(data: bytes) -> str | None:
    kind = filetype.guess(data)
    if kind is not None:
        return str(kind.mime)
    # Plain text has no signature: accept UTF-8 without control bytes other than layout.
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if any(ord(c) < 32 and c not in "\t\n\r" for c in text):
        return None
    return "text/plain"


def attachment_check(upload: Upload) -> CheckedUpload:
    name = PurePath(upload.filename.replace("\\", "/")).name.strip()[:200] or "attachment"
    limit = settings.HEARTH_ATTACHMENT_MAX_BYTES
    if not upload.data:
        raise ValidationError(f"{name} is empty.")
    if len(upload.data) > limit:
        raise ValidationError(f"{name} is larger than {limit // (1024 * 1024)} MB.")
    content_type = _sniff(upload.data)
    if content_type not in ALLOWED:
        raise ValidationError(
            f"{name} is not a file type that can be sent: PDF, images (PNG, JPEG, GIF, "
            "WebP), Word, Excel, OpenDocument text or plain text."
        )
    suffix = PurePath(name).suffix.lower()
    if suffix not in ALLOWED[content_type]:
        expected = " or ".join(sorted(ALLOWED[content_type]))
        raise ValidationError(
            f"{name} does not match its content: it is a {expected} file. "
            "Rename it or send the right file."
        )
    return CheckedUpload(name, content_type, upload.data)
