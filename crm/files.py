"""Files members send (evidence, voice notes, card photos), stored once per content hash and team.

`prepare` hashes and types the bytes (in a worker thread for large files), `put` writes them to the
blob store outside any transaction (idempotent: same hash, same path), and `record` finds or adds the
`files` row inside the caller's unit of work. Typing looks at the content, not only the name: a file
named .pdf that is not a PDF is refused.
"""

from __future__ import annotations

import asyncio
import hashlib
import zipfile
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from io import BytesIO
from pathlib import PurePosixPath
from typing import Protocol

from crm.errors import InputRejected
from crm.model import StoredFile
from crm.ports import BlobStore, UnitOfWork

_HASH_IN_THREAD = 256 * 1024


class FileType(StrEnum):
    PDF = "application/pdf"
    DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    JPEG = "image/jpeg"
    PNG = "image/png"
    WEBP = "image/webp"
    EMAIL = "message/rfc822"
    TEXT = "text/plain"
    TOML = "application/toml"

    @property
    def suffix(self) -> str:
        return _SUFFIX[self]

    @property
    def is_image(self) -> bool:
        return self in (FileType.JPEG, FileType.PNG, FileType.WEBP)

    @property
    def label(self) -> str:
        return _LABEL[self]


_SUFFIX = {
    FileType.PDF: ".pdf",
    FileType.DOCX: ".docx",
    FileType.XLSX: ".xlsx",
    FileType.JPEG: ".jpg",
    FileType.PNG: ".png",
    FileType.WEBP: ".webp",
    FileType.EMAIL: ".eml",
    FileType.TEXT: ".txt",
    FileType.TOML: ".toml",
}
_LABEL = {
    FileType.PDF: "PDF",
    FileType.DOCX: "Word",
    FileType.XLSX: "Excel",
    FileType.JPEG: "JPEG",
    FileType.PNG: "PNG",
    FileType.WEBP: "WebP",
    FileType.EMAIL: "E-mail",
    FileType.TEXT: "Text",
    FileType.TOML: "TOML",
}
_EMAIL_HEADERS = (b"from:", b"to:", b"subject:", b"date:", b"received:", b"message-id:", b"mime-version:")


def sniff(data: bytes, name: str | None) -> FileType | None:
    """The type of a file from its first bytes (and, for text, its name); None when unsupported."""
    head = data[:16]
    if head.startswith(b"%PDF-"):
        return FileType.PDF
    if head.startswith(b"\xff\xd8\xff"):
        return FileType.JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return FileType.PNG
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return FileType.WEBP
    if head.startswith(b"PK\x03\x04"):
        return _office(data)
    suffix = PurePosixPath(name or "").suffix.lower()
    if _is_text(data):
        if suffix == ".eml" or _looks_like_email(data):
            return FileType.EMAIL
        if suffix == ".toml":
            return FileType.TOML
        if suffix in (".txt", ".text", ".log", ".md", ""):
            return FileType.TEXT
    return None


def _office(data: bytes) -> FileType | None:
    """DOCX and XLSX are ZIP packages; their [Content_Types].xml says which."""
    try:
        with zipfile.ZipFile(BytesIO(data)) as package:
            names = set(package.namelist())
    except (zipfile.BadZipFile, ValueError, OSError):
        return None
    if "word/document.xml" in names:
        return FileType.DOCX
    if "xl/workbook.xml" in names:
        return FileType.XLSX
    return None


def _is_text(data: bytes) -> bool:
    sample = data[:4096]
    if b"\x00" in sample:
        return False
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut at the end of the sample is still text.
        return exc.start >= len(sample) - 3
    return True


def _looks_like_email(data: bytes) -> bool:
    lines = data[:2048].lower().splitlines()[:20]
    return sum(1 for line in lines if line.startswith(_EMAIL_HEADERS)) >= 2


@dataclass(frozen=True, slots=True)
class Blob:
    data: bytes
    sha256: str
    type: FileType
    name: str | None

    @property
    def size(self) -> int:
        return len(self.data)

    @property
    def mime(self) -> str:
        return self.type.value


class FileContent(Protocol):
    """What `record` needs to know of a file: a Blob, or a voice note kept before it is typed."""

    @property
    def sha256(self) -> str: ...
    @property
    def size(self) -> int: ...
    @property
    def mime(self) -> str: ...
    @property
    def name(self) -> str | None: ...


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


async def prepare(data: bytes, name: str | None, allowed: frozenset[FileType]) -> Blob:
    """Hashes and types `data`; raises InputRejected for an empty or unsupported file."""
    if not data:
        raise InputRejected("input.empty")
    kind = sniff(data, name)
    if kind is None or kind not in allowed:
        raise InputRejected("file.unsupported", name=name or "?", allowed=_allowed_list(allowed))
    digest = await asyncio.to_thread(_digest, data) if len(data) > _HASH_IN_THREAD else _digest(data)
    return Blob(data=data, sha256=digest, type=kind, name=_safe_name(name))


def _allowed_list(allowed: frozenset[FileType]) -> str:
    return ", ".join(dict.fromkeys(kind.label for kind in FileType if kind in allowed))


def _safe_name(name: str | None) -> str | None:
    if not name:
        return None
    base = PurePosixPath(name.replace("\\", "/")).name.strip()
    return base[:300] or None


async def put(blobs: BlobStore, blob: Blob) -> str:
    """Writes the bytes to the blob store (a no-op when that hash is there already); returns the path."""
    return await asyncio.to_thread(blobs.put, blob.data, blob.sha256, blob.type.suffix)


async def record(
    uow: UnitOfWork, team_id: int, content: FileContent, path: str, now: datetime
) -> tuple[StoredFile, bool]:
    """The team's `files` row for this content: the existing one, or a new one. (row, created).
    Every file a member sends is recorded here: evidence, card photos, voice notes."""
    existing = await uow.files.by_hash(team_id, content.sha256)
    if existing is not None:
        return existing, False
    stored = await uow.files.add(
        StoredFile(
            id=0,
            team_id=team_id,
            sha256=content.sha256,
            size=content.size,
            mime=content.mime,
            path=path,
            original_name=content.name,
            created_at=now,
        )
    )
    return stored, True
