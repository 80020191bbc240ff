"""Voice-note test helpers: a scripted stand-in for the Whisper engine, recordings made with ffmpeg and
espeak-ng, and the application wired with file storage and speech."""

from __future__ import annotations

import os
import subprocess
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.speech_adapter import WhisperSpeech
from chat.app import App, Ports
from crm.ports import SpeechToText
from nlu.extractor import Extractor
from nlu.normalize import Normalizer
from storage.files import FileSpool, LocalBlobStore
from storage.uow import SqlUnitOfWorkFactory
from tests.conftest import FakeClock

ROOT = Path(__file__).resolve().parents[2]
AUDIO = ROOT / "tests" / "data" / "audio"
ZH_CLIP = AUDIO / "zh_visit.ogg"
MODEL = Path(os.environ.get("CHATCRM_WHISPER_MODEL", ROOT / "models" / "whisper-base.pt"))
MAX_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class FakeTranscript:
    text: str
    language: str
    audio_seconds: float
    stt_seconds: float = 0.1


@dataclass(frozen=True)
class SpeechCall:
    audio: Path
    existed: bool  # the stored file was on disk when the engine was called
    language: str | None
    prompt: str | None


@dataclass
class ScriptedSpeech:
    """Stands in for the model in service tests: answers each call with the next scripted transcript
    (the last one repeats), or raises `error`; records every call. `gate`, when set, holds each call
    until it is opened, and `running`/`most_at_once` show how many ran together."""

    texts: list[str] = field(default_factory=lambda: [""])
    language: str = "zh"
    audio_seconds: float = 8.0
    error: Exception | None = None
    gate: threading.Event | None = None
    calls: list[SpeechCall] = field(default_factory=list)
    running: int = 0
    most_at_once: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def say(self, *texts: str) -> None:
        self.texts = list(texts)

    def transcribe(
        self,
        audio: Path,
        *,
        language: str | None = None,
        prompt: str | None = None,
        progress: Callable[[float], None] | None = None,
    ) -> FakeTranscript:
        with self._lock:
            self.calls.append(SpeechCall(audio, audio.is_file(), language, prompt))
            text = self.texts[min(len(self.calls), len(self.texts)) - 1]
            self.running += 1
            self.most_at_once = max(self.most_at_once, self.running)
        try:
            if self.gate is not None:
                self.gate.wait(timeout=30)
            if self.error is not None:
                raise self.error
            if progress is not None:
                progress(0.5)
                progress(1.0)
            return FakeTranscript(text, language or self.language, self.audio_seconds)
        finally:
            with self._lock:
                self.running -= 1


def make_voice_app(
    engine: AsyncEngine,
    clock: FakeClock,
    extractor: Extractor,
    tmp_path: Path,
    speech: SpeechToText | None,
    *,
    max_file_mb: int = 20,
) -> App:
    """The application with file storage, the real ffprobe checks and `speech` as the engine."""
    return App(
        Ports(
            uow=SqlUnitOfWorkFactory(engine),
            clock=clock,
            extractor=extractor,
            normalizer=Normalizer(),
            spool=FileSpool(tmp_path / "spool"),
            blobs=LocalBlobStore(tmp_path / "files"),
            speech=speech,
            audio=WhisperSpeech(MODEL, max_bytes=max_file_mb * 1024 * 1024),
        ),
        max_file_mb=max_file_mb,
    )


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", *args], check=True)


def silence(path: Path, seconds: float) -> Path:
    """Digital silence (ffmpeg's anullsrc), encoded by the file's suffix: .ogg as Opus, .mp3 as MP3."""
    codec = (
        ["-c:a", "libopus", "-b:a", "16k"] if path.suffix == ".ogg" else ["-c:a", "libmp3lame", "-b:a", "8k"]
    )
    ffmpeg("-f", "lavfi", "-i", "anullsrc=r=8000:cl=mono", "-t", str(seconds), *codec, str(path))
    return path


def spoken(path: Path, text: str, voice: str = "en-us", speed: int = 150) -> Path:
    """`text` spoken by espeak-ng, as a 16 kHz mono OGG/Opus voice note (what Telegram sends)."""
    wav = path.with_suffix(".wav")
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(wav), text], check=True)
    ffmpeg("-i", str(wav), "-ar", "16000", "-ac", "1", "-c:a", "libopus", "-b:a", "24k", str(path))
    return path
