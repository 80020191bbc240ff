"""Tesseract gets OMP_THREAD_LIMIT=1; the rest of the process (torch for Whisper) keeps its threads."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytesseract
import pytest

from ocr import tesseract


def test_only_the_tesseract_subprocess_is_limited(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OMP_THREAD_LIMIT", raising=False)
    seen = tmp_path / "env.txt"
    fake = tmp_path / "tesseract"
    fake.write_text(f'#!/bin/sh\necho "$OMP_THREAD_LIMIT" > {seen}\necho "tesseract 5.3.0"\n')
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setattr(pytesseract.pytesseract, "tesseract_cmd", str(fake))

    pytesseract.get_tesseract_version()  # runs the command unless asked for a cached answer

    assert seen.read_text().strip() == "1"
    assert "OMP_THREAD_LIMIT" not in os.environ
    assert isinstance(pytesseract.pytesseract.environ, tesseract.TesseractEnvironment)


def test_an_explicit_limit_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OMP_THREAD_LIMIT", "2")
    assert tesseract.TesseractEnvironment()["OMP_THREAD_LIMIT"] == "2"
    assert list(tesseract.TesseractEnvironment()).count("OMP_THREAD_LIMIT") == 1
