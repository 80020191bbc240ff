"""Speech-to-text speed, memory and CER: ours vs plain openai-whisper greedy vs `transcribe()` with the
command line's defaults (beam 5, temperature fallback) vs faster-whisper int8.

Real recordings first: the development set's 52.7 s Mandarin passage and its short Mandarin clips joined
into one note (../shared/devset, or CHATCRM_DEVSET; skipped when absent; made and scored as
evals/eval_speech.py does). Then synthetic Mandarin clips of 10 s, 60 s and 5 min spoken by espeak-ng from
tests/data/audio/zh_sentences.txt at run time (see bench/data/README.md), and a 10-minute one, the longest
note accepted, for ours alone. Each engine runs in its own subprocess, so its peak RSS is its own.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from speech.audio import probe_duration

ROOT = Path(__file__).resolve().parents[1]
SENTENCES = ROOT / "tests" / "data" / "audio" / "zh_sentences.txt"
CHECKPOINT = Path(os.environ.get("CHATCRM_WHISPER_MODEL", ROOT / "models" / "whisper-base.pt"))
CT2_DIR = ROOT / "models" / "whisper-base-ct2"
VOICE = ["espeak-ng", "-v", "cmn-latn-pinyin+f3", "-s", "130"]
PAUSE = 0.5
# (name, seconds, timed runs, every engine): medians over a few runs for the short clips, one run for 5
# minutes; the longest note a rep may send (a second under speech.audio's 600 s limit, so that Opus
# framing cannot push it over) with ours only, for its memory.
CLIPS = [
    ("10 s", 10.0, 5, True),
    ("60 s", 60.0, 3, True),
    ("5 min", 300.0, 1, True),
    ("10 min", 599.0, 1, False),
]
ENGINES = {
    "ours": "speech.WhisperTranscriber as configured by default: Whisper's sequential loop with timestamps "
    "and the previous text as prompt, float32, greedy; beam 5 then temperatures for failed windows; VAD on "
    "silences of 3 s and more",
    "ours-int8": "the same, decoder Linear layers and logits in int8",
    "openai-greedy": "openai-whisper model.transcribe(temperature=0): greedy, no fallback",
    "openai-default": "openai-whisper model.transcribe() with the CLI defaults: beam 5, best of 5, fallback",
    "fw-int8-greedy": "faster-whisper int8, beam_size=1, other settings default",
    "fw-int8-default": "faster-whisper int8, all defaults (beam_size=5)",
}
THREADS = 2


@dataclass(frozen=True)
class Clip:
    name: str
    path: Path
    seconds: float
    text: str
    runs: int
    real: bool = False
    # Every engine, or ours alone.
    peers: bool = True


# --- clips ---------------------------------------------------------------------------------------


def _run(cmd: list[str]) -> None:
    subprocess.run(cmd, check=True, capture_output=True)


def real_clips(workdir: Path) -> list[Clip]:
    """The development set's Mandarin recordings of 10 s and more, and its short ones joined 1 s apart into
    a note, as evals/eval_speech.py makes them; none when the development set is absent."""
    from evals.eval_speech import joined_clip
    from evals.eval_speech import real_clips as devset_clips

    try:
        clips = devset_clips()
    except SystemExit:  # evals.common.devset(): no development set here
        return []
    long = [c for c in clips if c.language == "zh" and c.seconds >= 10]
    clips_out = [Clip(f"real {c.seconds:.0f} s", c.path, c.seconds, c.reference, 3, True) for c in long]
    joined = joined_clip(clips, workdir)
    clips_out.append(
        Clip(f"real joined {joined.seconds:.0f} s", joined.path, joined.seconds, joined.reference, 3, True)
    )
    return clips_out


def make_clips(workdir: Path) -> list[Clip]:
    """Sentences spoken in turn (the list repeating), 0.5 s apart, padded to the exact length."""
    sentences = SENTENCES.read_text(encoding="utf-8").split()
    spoken: list[tuple[Path, float, str]] = []
    for i, sentence in enumerate(sentences):
        wav = workdir / f"s{i:02d}.wav"
        _run([*VOICE, "-w", str(wav), sentence])
        padded = workdir / f"p{i:02d}.wav"
        _run(
            [
                "ffmpeg",
                "-nostdin",
                "-y",
                "-i",
                str(wav),
                "-af",
                f"apad=pad_dur={PAUSE}",
                "-ar",
                "16000",
                str(padded),
            ]
        )
        spoken.append((padded, probe_duration(padded) or 0.0, sentence))
    clips = []
    for name, seconds, runs, peers in CLIPS:
        parts: list[tuple[Path, float, str]] = []
        total, i = 0.0, 0
        while total + spoken[i % len(spoken)][1] <= seconds:
            parts.append(spoken[i % len(spoken)])
            total += spoken[i % len(spoken)][1]
            i += 1
        listing = workdir / f"{seconds:.0f}.txt"
        listing.write_text("".join(f"file '{p}'\n" for p, _, _ in parts), encoding="utf-8")
        out = workdir / f"zh_{seconds:.0f}s.ogg"
        _run(
            ["ffmpeg", "-nostdin", "-y", "-f", "concat", "-safe", "0", "-i", str(listing),
             "-af", f"apad=whole_dur={seconds}", "-ac", "1", "-ar", "16000", "-c:a", "libopus", "-b:a", "24k",
             str(out)]
        )  # fmt: skip
        clips.append(Clip(name, out, seconds, "".join(s for _, _, s in parts), runs, peers=peers))
    return clips


# --- one engine on one clip, in a child process ------------------------------------------------------


def _child(engine: str, clip: Path, warmup: Path, runs: int) -> dict[str, Any]:
    """Load the engine, warm it up on a short clip, then time `runs` transcriptions of `clip`."""
    transcribe: Any
    if engine in ("ours", "ours-int8"):
        from speech.whisper_stt import Decoding, WhisperTranscriber

        stt = WhisperTranscriber(
            CHECKPOINT, threads=THREADS, decoding=Decoding(quantize=engine == "ours-int8")
        )
        stt.load()

        def transcribe(path: Path) -> str:
            return stt.transcribe(path, language="zh").text

    elif engine.startswith("openai-"):
        import torch

        from speech.whisper_stt import load_model, transcribe_reference

        torch.set_num_threads(THREADS)
        model = load_model(CHECKPOINT)
        kind = engine.removeprefix("openai-").replace("default", "defaults")

        def transcribe(path: Path) -> str:
            return transcribe_reference(model, path, language="zh", kind=kind)

    else:
        from faster_whisper import WhisperModel

        fw = WhisperModel(str(CT2_DIR), device="cpu", compute_type="int8", cpu_threads=THREADS)
        beam = 1 if engine == "fw-int8-greedy" else 5

        def transcribe(path: Path) -> str:
            segments, _ = fw.transcribe(str(path), language="zh", beam_size=beam)
            return "".join(s.text for s in segments)

    transcribe(warmup)
    times, cpu, text = [], [], ""
    for _ in range(runs):
        started, cpu_started = time.perf_counter(), time.process_time()
        text = transcribe(clip)
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - cpu_started)
    return {"times": times, "cpu": cpu, "text": text, "peak_mb": peak_rss_mb()}


def peak_rss_mb() -> float:
    """This process's peak resident memory. VmHWM, not ru_maxrss: Linux carries a parent's ru_maxrss
    into a child across fork and exec, so a child of a large process would report the parent's."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    # The Makefile exports OMP_THREAD_LIMIT=1 for tesseract; it would hold both engines to one core.
    env.pop("OMP_THREAD_LIMIT", None)
    # Same OpenMP waiting policy for every engine (speech/__init__.py sets it for ours anyway).
    env["OMP_WAIT_POLICY"] = "PASSIVE"
    env["PYTHONPATH"] = str(ROOT)
    return env


def run_engine(engine: str, clip: Clip, warmup: Clip) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "bench.bench_speech", "--child", engine, str(clip.path), str(warmup.path)]
    done = subprocess.run(
        [*cmd, str(clip.runs)], capture_output=True, text=True, env=_child_env(), cwd=ROOT, check=False
    )
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "failed"}
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


# --- report ------------------------------------------------------------------------------------------


def cer(reference: str, hypothesis: str) -> float:
    """evals/eval_speech.py's normalised Mandarin CER (OpenCC t2s, punctuation, numerals as cn2an)."""
    from evals.common import edit_distance
    from evals.eval_speech import zh_chars

    ref, hyp = zh_chars(reference, numbers=True), zh_chars(hypothesis, numbers=True)
    return edit_distance(ref, hyp) / max(1, len(ref))


def _machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import torch

    versions = [f"torch {torch.__version__}"]
    try:
        import ctranslate2
        import faster_whisper

        versions.append(
            f"faster-whisper {faster_whisper.__version__} / ctranslate2 {ctranslate2.__version__}"
        )
    except ImportError:
        versions.append("faster-whisper not installed (pip install -e '.[bench]')")
    return (
        f"{cpu}, {os.cpu_count()} cores, {THREADS} threads per engine; "
        f"{', '.join(versions)}; Python {platform.python_version()}"
    )


def _table(rows: list[list[str]], header: list[str]) -> str:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    line = "  ".join("-" * w for w in widths)
    fmt = "  ".join(f"{{:{'<' if i < 2 else '>'}{w}}}" for i, w in enumerate(widths))
    return "\n".join([fmt.format(*header), line, *(fmt.format(*r) for r in rows)])


def main() -> None:
    from speech.convert import assemble_ct2_dir, ensure_checkpoint

    ensure_checkpoint(CHECKPOINT)
    assemble_ct2_dir(CT2_DIR)
    try:
        import faster_whisper  # noqa: F401

        engines = list(ENGINES)
    except ImportError:
        engines = [e for e in ENGINES if not e.startswith("fw-")]
    print(f"machine: {_machine()}")
    for engine in engines:
        print(f"  {engine:16} {ENGINES[engine]}")
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-speech-") as tmp:
        synthetic = make_clips(Path(tmp))
        warmup = synthetic[0]
        clips = [*real_clips(Path(tmp)), *synthetic]
        rows = []
        for clip in clips:
            engaged = engines if clip.peers else ["ours"]
            results = {engine: run_engine(engine, clip, warmup) for engine in engaged}
            ours = statistics.median(results["ours"]["times"]) if "times" in results["ours"] else None
            for engine in engaged:
                r = results[engine]
                if "times" not in r:
                    rows.append([clip.name, engine, "-", "-", "-", "-", "-", "-", r["error"][:60]])
                    continue
                median = statistics.median(r["times"])
                rows.append(
                    [
                        clip.name,
                        engine,
                        str(len(r["times"])),
                        f"{median:.2f}",
                        f"{median / clip.seconds:.3f}",
                        f"{statistics.median(r['cpu']) / clip.seconds:.3f}",
                        f"{ours / median:.2f}" if ours else "-",
                        f"{r['peak_mb']:.0f}",
                        f"{cer(clip.text, r['text']):.3f}",
                    ]
                )
    header = ["clip", "engine", "runs", "median s", "RTF", "CPU s/audio s", "ours/this", "peak RSS MB", "CER"]
    print()
    print(_table(rows, header))
    print(
        "\nRTF = median wall time / audio length (target <= 0.2); CPU s/audio s counts both threads (the "
        "steadier figure on a shared machine). ours/this < 1 means ours is faster. CER normalised as in "
        "evals/eval_speech.py. Clips named real are recordings of people from the development set; the "
        "others are espeak-ng speech (bench/data/README.md)."
    )
    print(f"bench_speech took {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    if len(sys.argv) == 6 and sys.argv[1] == "--child":
        _engine, _clip, _warmup, _runs = sys.argv[2], Path(sys.argv[3]), Path(sys.argv[4]), int(sys.argv[5])
        print(json.dumps(_child(_engine, _clip, _warmup, _runs), ensure_ascii=False))
    else:
        main()
