"""A voice note to its minutes card, end to end in one process: ffprobe, decode, Whisper, nlu, customer
matching, the unit of work on SQLite, the card.

The note is the development set's real 52.7 s Mandarin recording when ../shared/devset is there
(bench_speech.real_clips), else a 60 s note spoken by espeak-ng (bench_speech.make_clips, from
tests/data/audio/zh_sentences.txt). The flow runs in a child process, so the peak RSS printed is the
flow's own (model included). Engine-level comparisons (openai-whisper greedy and defaults,
faster-whisper) are bench_speech's.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.bench_speech import peak_rss_mb

ROOT = Path(__file__).resolve().parents[1]
CHECKPOINT = Path(os.environ.get("CHATCRM_WHISPER_MODEL", ROOT / "models" / "whisper-base.pt"))
THREADS = 2
RUNS = 3
TARGET_RTF = 0.2
CUSTOMERS = [
    ("王经理", "我是苏州精工机械有限公司的王经理，电话 13812345678"),
    ("李总", "我是上海恒通物流有限公司的李总，电话 13912345678"),
    ("陈先生", "我是北京华信科技有限公司的陈先生，电话 13712345678"),
    ("张小姐", "我是杭州云帆贸易有限公司的张小姐，电话 13612345678"),
]


class _Timed:
    """Wraps a port and times one of its methods (in whatever thread it runs)."""

    def __init__(self, inner: Any, method: str) -> None:
        self._inner = inner
        self._method = method
        self.seconds: list[float] = []

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._inner, name)
        if name != self._method:
            return attr

        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return attr(*args, **kwargs)
            finally:
                self.seconds.append(time.perf_counter() - started)

        return timed


async def _flow(clip: Path, warmup: Path, runs: int, workdir: Path) -> dict[str, Any]:
    from bot.speech_adapter import WhisperSpeech
    from chat.app import App, Ports
    from crm.clock import SystemClock
    from crm.inputs import ChatMessage, Newcomer, VoiceNote
    from crm.model import Channel
    from nlu.extractor import Extractor
    from nlu.normalize import Normalizer
    from storage.db import create_engine, sqlite_url
    from storage.files import FileSpool, LocalBlobStore
    from storage.tables import metadata
    from storage.uow import SqlUnitOfWorkFactory

    engine = create_engine(sqlite_url(workdir / "bench.db"))
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    whisper = WhisperSpeech(CHECKPOINT, threads=THREADS, max_bytes=20 * 1024 * 1024)
    speech = _Timed(whisper, "transcribe")
    extractor = Extractor()
    extractor.warm_up()
    nlu = _Timed(extractor, "minutes")
    app = App(
        Ports(
            uow=SqlUnitOfWorkFactory(engine),
            clock=SystemClock(),
            extractor=nlu,
            normalizer=Normalizer(),
            spool=FileSpool(workdir / "spool"),
            blobs=LocalBlobStore(workdir / "files"),
            speech=speech,
            audio=whisper,
        )
    )
    founded = await app.members.start(Newcomer(Channel.CONSOLE, "bench", "bench", "bench", "zh_CN"), None)
    rep = founded.member
    assert rep is not None
    for sender, text in CUSTOMERS:
        await app.capture.chat(rep, [ChatMessage(text, sender=sender)])

    started = time.perf_counter()
    whisper.load()
    load_seconds = time.perf_counter() - started
    loaded_mb = peak_rss_mb()
    await app.voice_note(rep, VoiceNote.from_path(warmup, key="warm-up"))
    speech.seconds.clear()
    nlu.seconds.clear()

    totals: list[float] = []
    card = ""
    for run in range(runs):
        started = time.perf_counter()
        reply = await app.voice_note(rep, VoiceNote.from_path(clip, key=f"run-{run}"))
        totals.append(time.perf_counter() - started)
        card = reply.text
    await app.voice.aclose()
    await engine.dispose()
    minutes = card_audio_seconds(card)
    return {
        "total": totals,
        "stt": speech.seconds,
        "nlu": nlu.seconds,
        "load_seconds": load_seconds,
        "loaded_mb": loaded_mb,
        "peak_mb": peak_rss_mb(),
        "card": card,
        "audio_seconds": minutes,
    }


def card_audio_seconds(card: str) -> float | None:
    """The audio length the card shows ("🎧 1 分 0 秒 · 中文"), as a check that the flow saw it whole."""
    for line in card.splitlines():
        if line.startswith("🎧"):
            words = line.split()
            if "分" in words:
                return float(words[1]) * 60 + float(words[3])
            return float(words[1])
    return None


def _child(clip: Path, warmup: Path, runs: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-voice-db-") as tmp:
        return asyncio.run(_flow(clip, warmup, runs, Path(tmp)))


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("OMP_THREAD_LIMIT", None)  # the Makefile's tesseract limit would hold Whisper to one core
    env["OMP_WAIT_POLICY"] = "PASSIVE"
    env["PYTHONPATH"] = str(ROOT)
    env["CHATCRM_LOG_LEVEL"] = "WARNING"
    return env


def main() -> None:
    from bench.bench_speech import make_clips, real_clips
    from speech.convert import ensure_checkpoint

    ensure_checkpoint(CHECKPOINT)
    with tempfile.TemporaryDirectory(prefix="bench-voice-") as tmp:
        clips = {clip.name: clip for clip in make_clips(Path(tmp))}
        real = [c for c in real_clips(Path(tmp)) if "joined" not in c.name]
        clip, warmup = (real[0] if real else clips["60 s"]), clips["10 s"]
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "bench.bench_voice",
                "--child",
                str(clip.path),
                str(warmup.path),
                str(RUNS),
            ],
            capture_output=True,
            text=True,
            env=_child_env(),
            cwd=ROOT,
            check=False,
        )
    if done.returncode != 0:
        print(f"bench_voice failed: {done.stderr.strip()[-2000:]}")
        return
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    total = statistics.median(result["total"])
    stt = statistics.median(result["stt"])
    nlu = statistics.median(result["nlu"])
    seconds = clip.seconds
    kind = "real (development set)" if clip.real else "espeak-ng"
    print(
        f"{seconds:.0f} s Mandarin note, {kind} -> minutes card, {len(result['total'])} runs, "
        f"{THREADS} threads, {os.cpu_count()} cores"
    )
    print(f"  model load (once per process)   {result['load_seconds']:6.2f} s")
    print(f"  decode + Whisper (median)       {stt:6.2f} s   RTF {stt / seconds:.3f}")
    print(f"  nlu minutes (median)            {nlu:6.3f} s")
    print(f"  probe, prompt, match, store, card, queue (median) {total - stt - nlu:6.2f} s")
    rtf = total / seconds
    print(f"  end to end (median)             {total:6.2f} s   RTF {rtf:.3f}  (target <= {TARGET_RTF})")
    print(f"  runs: {', '.join(f'{t:.2f}' for t in result['total'])} s")
    print(f"  peak RSS {result['peak_mb']:.0f} MB (after model load {result['loaded_mb']:.0f} MB)")
    print(f"  audio length on the card: {result['audio_seconds']} s")
    print("  card:")
    for line in result["card"].splitlines()[:14]:
        print(f"    {line}")


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--child":
        print(json.dumps(_child(Path(sys.argv[2]), Path(sys.argv[3]), int(sys.argv[4])), ensure_ascii=False))
    else:
        main()
