"""The transcription worker: one note at a time, in a thread.

The engine holds the model once and uses every core it was given, so two notes at once would only
thrash; notes queue, and each caller awaits its own job's future. Progress the engine reports from its
thread is brought back to the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from pathlib import Path

from crm.ports import SpeechToText, Transcript


@dataclass(slots=True)
class Job:
    """One note waiting for, or in, the worker."""

    path: Path
    language: str | None
    prompt: str | None
    future: asyncio.Future[Transcript]
    started: asyncio.Event
    fraction: list[float]  # [engine progress 0..1], written on the event loop


class TranscriptionQueue:
    """One worker, one note at a time: the engine holds the model once and uses every core it was
    given, so two notes at once would only thrash. Blocking calls run in a thread."""

    def __init__(self, speech: SpeechToText) -> None:
        self._speech = speech
        self._loop: asyncio.AbstractEventLoop | None = None
        self._queue: asyncio.Queue[Job] | None = None
        self._worker: asyncio.Task[None] | None = None
        self._busy = False

    def ahead(self) -> int:
        """How many notes a note queued now would wait for."""
        waiting = self._queue.qsize() if self._queue is not None else 0
        return waiting + (1 if self._busy else 0)

    def submit(self, path: Path, language: str | None, prompt: str | None) -> Job:
        loop = asyncio.get_running_loop()
        if self._loop is not loop or self._worker is None or self._worker.done():
            # A new event loop (a test, a restarted runtime) gets its own queue and worker.
            self._loop = loop
            self._queue = asyncio.Queue()
            self._busy = False
            self._worker = loop.create_task(self._work(self._queue, loop), name="voice-transcription")
        job = Job(path, language, prompt, loop.create_future(), asyncio.Event(), [0.0])
        assert self._queue is not None
        self._queue.put_nowait(job)
        return job

    async def close(self) -> None:
        if self._worker is not None and not self._worker.done():
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker
        self._worker = None

    async def _work(self, queue: asyncio.Queue[Job], loop: asyncio.AbstractEventLoop) -> None:
        while True:
            job = await queue.get()
            if job.future.done():  # the caller went away while it waited
                continue
            self._busy = True
            job.started.set()

            def progress(fraction: float, job: Job = job) -> None:
                # Called from the worker thread; the loop may be gone at shutdown.
                with contextlib.suppress(RuntimeError):
                    loop.call_soon_threadsafe(_set_fraction, job, fraction)

            try:
                result = await asyncio.to_thread(
                    self._speech.transcribe,
                    job.path,
                    language=job.language,
                    prompt=job.prompt,
                    progress=progress,
                )
            except Exception as exc:  # handed to the caller, who decides
                if not job.future.done():
                    job.future.set_exception(exc)
            else:
                if not job.future.done():
                    job.future.set_result(result)
            finally:
                self._busy = False


def _set_fraction(job: Job, fraction: float) -> None:
    job.fraction[0] = max(job.fraction[0], min(1.0, fraction))
