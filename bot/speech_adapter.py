"""speech/ as the domain's ports: crm.ports.SpeechToText and crm.ports.AudioProbe.

speech.errors.AudioError becomes crm.errors.AudioRejected with the message key of its reason (crm
never imports speech). The Whisper engine (torch and the model) is imported and loaded lazily, once
per process and configuration, so text features start without waiting for it.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from crm.errors import AudioRejected
from crm.ports import Transcript
from crm.voice import MAX_MINUTES, MAX_SECONDS
from speech.audio import probe_duration
from speech.errors import AudioError

if TYPE_CHECKING:
    from bot.settings import Settings
    from speech.whisper_stt import Decoding, WhisperTranscriber

logger = logging.getLogger(__name__)

_ENGINES: dict[tuple[str, int | None, int, bool, bool, int], WhisperTranscriber] = {}
_ENGINES_LOCK = threading.Lock()


def checkpoint_exists(model: str | Path) -> bool:
    """Whether `model` names a checkpoint on disk (a path, or a name in Whisper's download cache)."""
    path = Path(model).expanduser()
    if path.is_file():
        return True
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "whisper" / f"{model}.pt"
    return "/" not in str(model) and cache.is_file()


def rejected(exc: AudioError, max_bytes: int) -> AudioRejected:
    """The domain's refusal for a recording speech/ refused."""
    key = f"voice.rejected.{exc.reason}"
    if exc.reason == "too_long":
        return AudioRejected(key, limit=MAX_MINUTES)
    if exc.reason == "too_large":
        return AudioRejected(key, limit=max_bytes // (1024 * 1024))
    return AudioRejected(key)


class WhisperSpeech:
    """crm.ports.SpeechToText and crm.ports.AudioProbe over speech.whisper_stt.WhisperTranscriber."""

    def __init__(
        self,
        model: str | Path,
        *,
        threads: int | None = None,
        max_bytes: int,
        prompt: bool = False,
        vad: bool = True,
        beam_size: int = 1,
    ) -> None:
        self._model = str(model)
        self._threads = threads
        self._max_bytes = max_bytes
        # Settings CHATCRM_WHISPER_PROMPT, CHATCRM_WHISPER_VAD and CHATCRM_WHISPER_BEAM_SIZE (README).
        self._prompt = prompt
        self._vad = vad
        self._beam_size = beam_size

    @classmethod
    def from_settings(cls, settings: Settings) -> WhisperSpeech:
        """The engine as CHATCRM_WHISPER_* and CHATCRM_MAX_FILE_MB configure it."""
        return cls(
            settings.whisper_model,
            threads=settings.whisper_threads,
            max_bytes=settings.max_file_mb * 1024 * 1024,
            prompt=settings.whisper_prompt,
            vad=settings.whisper_vad,
            beam_size=settings.whisper_beam_size,
        )

    def _decoding(self) -> Decoding:
        from speech.whisper_stt import Decoding

        return Decoding(
            use_prompt=self._prompt, vad=self._vad, beam_size=self._beam_size if self._beam_size > 1 else None
        )

    def engine(self) -> WhisperTranscriber:
        """The process's transcriber for this model and configuration (created on first use)."""
        key = (self._model, self._threads, self._max_bytes, self._prompt, self._vad, self._beam_size)
        with _ENGINES_LOCK:
            engine = _ENGINES.get(key)
            if engine is None:
                from speech.whisper_stt import WhisperTranscriber

                engine = WhisperTranscriber(
                    self._model,
                    threads=self._threads,
                    decoding=self._decoding(),
                    max_bytes=self._max_bytes,
                    max_seconds=MAX_SECONDS,
                )
                _ENGINES[key] = engine
        return engine

    def load(self) -> None:
        """Loads the model now (blocking): at start, in the background, rather than on the first note."""
        self.engine().load()

    def transcribe(
        self,
        audio: Path,
        *,
        language: str | None = None,
        prompt: str | None = None,
        progress: Callable[[float], None] | None = None,
    ) -> Transcript:
        try:
            return self.engine().transcribe(audio, language=language, prompt=prompt, progress=progress)
        except AudioError as exc:
            logger.info("voice note refused: %s", exc.reason)
            raise rejected(exc, self._max_bytes) from exc

    def duration(self, audio: Path) -> float | None:
        try:
            size = audio.stat().st_size
            if size == 0:
                raise AudioError("empty", "the file has no bytes")
            if size > self._max_bytes:
                raise AudioError("too_large", f"{size} bytes")
            return probe_duration(audio)
        except AudioError as exc:
            logger.info("voice note refused before queueing: %s", exc.reason)
            raise rejected(exc, self._max_bytes) from exc
