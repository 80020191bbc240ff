"""Files on local disk: member uploads stored by content hash, and the spool of unsaved inputs."""

from __future__ import annotations

import json
import os
import secrets
import tempfile
from pathlib import Path
from typing import Any


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class LocalBlobStore:
    """crm.ports.BlobStore in a directory: `ab/cdef….ext`, one file per content hash."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def put(self, data: bytes, sha256: str, suffix: str) -> str:
        safe_suffix = "".join(ch for ch in suffix.lower() if ch.isalnum() or ch == ".")[:10]
        relative = f"{sha256[:2]}/{sha256}{safe_suffix}"
        path = self.root / relative
        if not path.exists():
            _write_atomically(path, data)
        return relative

    def open_path(self, path: str) -> Path:
        resolved = (self.root / path).resolve()
        if not resolved.is_relative_to(self.root.resolve()):
            raise ValueError("path outside the file store")
        return resolved


class FileSpool:
    """crm.ports.InputSpool: one JSON file per input kept while the database was unavailable."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def put(self, payload: dict[str, Any]) -> str:
        token = secrets.token_urlsafe(12)
        _write_atomically(self._path(token), json.dumps(payload, ensure_ascii=False).encode())
        return token

    def get(self, token: str) -> dict[str, Any] | None:
        try:
            data: dict[str, Any] = json.loads(self._path(token).read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError):
            return None
        return data

    def delete(self, token: str) -> None:
        self._path(token).unlink(missing_ok=True)

    def pending(self) -> list[str]:
        return sorted(p.stem for p in self.root.glob("*.json"))

    def _path(self, token: str) -> Path:
        if not token or not all(ch.isalnum() or ch in "-_" for ch in token):
            raise ValueError("bad spool token")
        return self.root / f"{token}.json"
