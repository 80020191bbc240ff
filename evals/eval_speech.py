"""Speech to text: CER (Mandarin) and WER (English) and real-time factor of our decoder against plain
openai-whisper greedy and `transcribe()` with its command-line defaults, on the same base model.

Real recordings (the development set's speech/) and synthetic ones (espeak-ng clips of tests/data/audio
and a long note spoken from tests/data/audio/zh_sentences.txt) are scored and printed apart, and notes
of 10 s and more get a table of their own. `python -m evals speech` runs it; `--ablation` (or
CHATCRM_EVAL_SPEECH_ABLATION=1) adds the decoder options one at a time (prompt, float32 decoder, beam
search, temperature fallback, VAD).
"""

from __future__ import annotations

import contextlib
import functools
import gc
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evals.common import ROOT, devset, edit_distance, normalise, table, words

CHECKPOINT = Path(os.environ.get("CHATCRM_WHISPER_MODEL", ROOT / "models" / "whisper-base.pt"))
AUDIO = ROOT / "tests" / "data" / "audio"
THREADS = 2
LONG_SECONDS = 10.0
# A rep's CRM prompt as crm/voice.py builds it (the team's terms, then recent contacts and customers),
# with names the recordings do not say: what a prompt costs when it does not help.
CRM_PROMPT = {
    "zh": "苏州精工机械有限公司，王经理，上海恒通物流有限公司，李总，北京华信科技有限公司，陈先生，"
    "杭州云帆贸易有限公司，张小姐。",
    "en": "Acme Robotics Ltd., John Smith, Globex Corporation, Jane Doe, Initech, Peter Gibbons.",
}
DIGITS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
DIGIT_WORDS = {word: str(i) for i, word in enumerate(DIGITS)}


@dataclass(frozen=True)
class Clip:
    name: str
    path: Path
    language: str
    seconds: float
    reference: str
    real: bool
    # Made here from other clips: scored in the long-note columns only, so nothing counts twice.
    joined: bool = False


@dataclass
class Outcome:
    text: str
    wall: float
    cpu: float


@dataclass
class Engine:
    name: str
    what: str
    make: Callable[[], Callable[[Clip], str]]
    results: dict[str, Outcome] = field(default_factory=dict)


# --- clips -------------------------------------------------------------------------------------------


def real_clips() -> list[Clip]:
    root = devset()
    entries: list[dict[str, Any]] = json.loads((root / "speech" / "transcripts.json").read_text("utf-8"))
    return [
        Clip(
            Path(e["file"]).stem,
            root / e["file"],
            str(e["language"]),
            float(e["duration_s"]),
            str(e["transcript"]),
            real=True,
        )
        for e in entries
    ]


def joined_clip(clips: Sequence[Clip], workdir: Path) -> Clip:
    """The development set's short Mandarin recordings one after another, 1 s apart: a real note of
    more than 10 s with pauses and changes of speaker, for the long-note figures (reported as real)."""
    short = [c for c in clips if c.language == "zh" and c.seconds < LONG_SECONDS]
    out = workdir / "zh_joined_short_clips.wav"
    inputs = [arg for c in short for arg in ("-i", str(c.path))]
    graph = "".join(
        f"[{i}:a]aresample=16000,aformat=channel_layouts=mono,apad=pad_dur=1[a{i}];"
        for i in range(len(short))
    )
    graph += "".join(f"[a{i}]" for i in range(len(short))) + f"concat=n={len(short)}:v=0:a=1"
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-y", *inputs, "-filter_complex", graph, "-c:a", "pcm_s16le",
         str(out)],
        check=True,
    )  # fmt: skip
    reference = "。".join(c.reference for c in short)
    return Clip("zh_joined_short_clips", out, "zh", _seconds(out), reference, real=True, joined=True)


def _seconds(path: Path) -> float:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", str(path)],
        check=True,
        capture_output=True,
        text=True,
    )
    return float(out.stdout)


def _espeak(sentences: Sequence[str], out: Path) -> None:
    """Sentences spoken by espeak-ng (Mandarin pinyin voice) 0.5 s apart, as OGG/Opus."""
    parts = []
    for i, sentence in enumerate(sentences):
        wav = out.with_name(f"{out.stem}-{i}.wav")
        subprocess.run(
            ["espeak-ng", "-v", "cmn-latn-pinyin+f3", "-s", "130", "-w", str(wav), sentence],
            check=True,
            capture_output=True,
        )
        parts.append(wav)
    inputs = [arg for wav in parts for arg in ("-i", str(wav))]
    graph = "".join(f"[{i}:a]apad=pad_dur=0.5[a{i}];" for i in range(len(parts)))
    graph += "".join(f"[a{i}]" for i in range(len(parts))) + f"concat=n={len(parts)}:v=0:a=1"
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-y", *inputs, "-filter_complex", graph, "-ar", "16000",
         "-c:a", "libopus", str(out)],
        check=True,
    )  # fmt: skip


def synthetic_clips(workdir: Path) -> list[Clip]:
    clips = [
        Clip(
            p.stem,
            p,
            p.stem[:2],
            _seconds(p),
            p.with_suffix(".txt").read_text("utf-8").strip(),
            real=False,
        )
        for p in sorted(AUDIO.glob("*.ogg"))
        if p.with_suffix(".txt").is_file()
    ]
    sentences = (AUDIO / "zh_sentences.txt").read_text("utf-8").split()
    for name, chosen in (("zh_espeak_note_a", sentences[:8]), ("zh_espeak_note_b", sentences[8:20])):
        path = workdir / f"{name}.ogg"
        _espeak(chosen, path)
        clips.append(Clip(name, path, "zh", _seconds(path), "".join(chosen), real=False))
    return clips


# --- scoring ------------------------------------------------------------------------------------------


@functools.cache
def _t2s() -> Any:
    import opencc

    return opencc.OpenCC("t2s")


def simplified(text: str) -> str:
    return str(_t2s().convert(text))


def zh_chars(text: str, *, numbers: bool) -> str:
    """Simplified, punctuation and width normalised; with `numbers`, Arabic numerals written in Chinese
    (cn2an), so that "6月" and "六月" count the same."""
    text = simplified(text)
    if numbers:
        import cn2an

        with contextlib.suppress(ValueError, KeyError):
            text = str(cn2an.transform(text, "an2cn"))
    return normalise(text)


def en_words(text: str, *, normalised: bool) -> list[str]:
    """Raw: case-folded words without punctuation. Normalised: Whisper's EnglishTextNormalizer, then
    digits one token each, so that "one two three" and "1, 2, 3" count the same."""
    if not normalised:
        return words(text)
    from whisper.normalizers import EnglishTextNormalizer

    tokens = EnglishTextNormalizer()(text).split()
    out: list[str] = []
    for token in tokens:
        digits = DIGIT_WORDS.get(token, token)
        out += list(digits) if digits.isdigit() else [digits]
    return out


@dataclass
class Score:
    errors: int = 0
    length: int = 0

    def add(self, errors: int, length: int) -> None:
        self.errors += errors
        self.length += length

    @property
    def rate(self) -> float:
        return self.errors / self.length if self.length else float("nan")


def errors(clip: Clip, hypothesis: str, *, normalised: bool) -> tuple[int, int]:
    if clip.language == "zh":
        ref, hyp = zh_chars(clip.reference, numbers=normalised), zh_chars(hypothesis, numbers=normalised)
        return edit_distance(ref, hyp), len(ref)
    wref, whyp = en_words(clip.reference, normalised=normalised), en_words(hypothesis, normalised=normalised)
    return edit_distance(wref, whyp), len(wref)


# --- engines -------------------------------------------------------------------------------------------


def _ours(*, prompted: bool = False, **options: Any) -> Callable[[], Callable[[Clip], str]]:
    def make() -> Callable[[Clip], str]:
        from speech.whisper_stt import Decoding, WhisperTranscriber

        stt = WhisperTranscriber(CHECKPOINT, threads=THREADS, decoding=Decoding(**options))
        stt.load()

        def run(clip: Clip) -> str:
            prompt = CRM_PROMPT[clip.language] if prompted else None
            return stt.transcribe(clip.path, language=clip.language, prompt=prompt).text

        return run

    return make


def _openai(kind: str) -> Callable[[], Callable[[Clip], str]]:
    def make() -> Callable[[Clip], str]:
        import torch

        from speech.whisper_stt import load_model, transcribe_reference

        torch.set_num_threads(THREADS)
        model = load_model(CHECKPOINT)

        def run(clip: Clip) -> str:
            return transcribe_reference(model, clip.path, language=clip.language, kind=kind)

        return run

    return make


def engines(ablation: bool) -> list[Engine]:
    listed = [
        Engine("ours", "chatcrm's decoder as configured by default (speech.WhisperTranscriber)", _ours()),
        Engine(
            "whisper greedy",
            "openai-whisper transcribe(temperature=0): greedy, no fallback, float32",
            _openai("greedy"),
        ),
        Engine(
            "whisper defaults",
            "openai-whisper transcribe() with the CLI defaults: beam 5, best of 5, temperature fallback",
            _openai("defaults"),
        ),
    ]
    if ablation:
        listed += [
            Engine("previous", "the earlier settings (CRM prompt, no VAD, one retry at 0.4 for gzip-ratio "
                   "or log-probability failures) on today's log-mel front end",
                   _ours(prompted=True, use_prompt=True, vad=False, fallback=(0.4,), best_of=1,
                         detect_collapse=False)),
            Engine("+ CRM prompt", "ours, with a CRM prompt of names the note does not say",
                   _ours(prompted=True, use_prompt=True)),
            Engine("float32 decoder", "ours, decoder not quantized", _ours(quantize=False)),
            Engine("beam 5", "ours, beam search of 5 at temperature 0", _ours(beam_size=5)),
            Engine("no fallback", "ours, greedy only", _ours(fallback=())),
            Engine("no VAD", "ours without the VAD (Whisper's no-speech probability only)", _ours(vad=False)),
            Engine("conditioned", "ours, windows one by one, each prompted with the text before it",
                   _ours(condition=True)),
        ]  # fmt: skip
    return listed


def run_engine(engine: Engine, clips: Sequence[Clip]) -> None:
    transcribe = engine.make()
    transcribe(clips[0])  # warm-up: first-call allocations and kernels
    for clip in clips:
        wall, cpu = time.perf_counter(), time.process_time()
        text = transcribe(clip)
        engine.results[clip.name] = Outcome(text, time.perf_counter() - wall, time.process_time() - cpu)
    del transcribe
    gc.collect()


# --- report -------------------------------------------------------------------------------------------


def _rate(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:.3f}"


def summary(engines_: Sequence[Engine], clips: Sequence[Clip]) -> str:
    files = [c for c in clips if not c.joined]
    long_clips = [c for c in clips if c.seconds >= LONG_SECONDS and c.language == "zh"]
    rows = []
    for engine in engines_:
        zh, zh_num, en_raw, en_norm, zh_long = Score(), Score(), Score(), Score(), Score()
        for clip in files:
            hyp = engine.results[clip.name].text
            if clip.language == "zh":
                zh.add(*errors(clip, hyp, normalised=False))
                zh_num.add(*errors(clip, hyp, normalised=True))
            else:
                en_raw.add(*errors(clip, hyp, normalised=False))
                en_norm.add(*errors(clip, hyp, normalised=True))
        for clip in long_clips:
            zh_long.add(*errors(clip, engine.results[clip.name].text, normalised=False))
        audio = sum(c.seconds for c in files)
        wall = sum(engine.results[c.name].wall for c in files)
        cpu = sum(engine.results[c.name].cpu for c in files)
        long_audio = sum(c.seconds for c in long_clips)
        long_wall = sum(engine.results[c.name].wall for c in long_clips)
        rows.append(
            [
                engine.name,
                _rate(zh.rate),
                _rate(zh_num.rate),
                _rate(en_raw.rate),
                _rate(en_norm.rate),
                _rate(zh_long.rate),
                f"{long_wall / long_audio:.3f}" if long_audio else "-",
                f"{wall / audio:.3f}",
                f"{cpu / audio:.3f}",
            ]
        )
    header = [
        "engine", "zh CER", "zh CER (cn2an)", "en WER raw", "en WER norm",
        f"zh CER ≥{LONG_SECONDS:.0f} s", f"RTF ≥{LONG_SECONDS:.0f} s", "RTF all", "CPU s / audio s",
    ]  # fmt: skip
    return table(header, rows)


def per_clip(engines_: Sequence[Engine], clips: Sequence[Clip]) -> str:
    rows = []
    for clip in clips:
        row: list[object] = [clip.name, f"{clip.seconds:.1f}", "CER" if clip.language == "zh" else "WER"]
        for engine in engines_:
            errs, length = errors(clip, engine.results[clip.name].text, normalised=clip.language == "en")
            row.append(f"{errs / max(1, length):.2f}")
        rows.append(row)
    return table(["clip", "s", "", *(e.name for e in engines_)], rows)


def worst_texts(engine: Engine, clips: Iterable[Clip]) -> list[str]:
    lines = []
    for clip in clips:
        text = engine.results[clip.name].text
        lines.append(f"- `{clip.name}`: {text[:160]}{'…' if len(text) > 160 else ''}")
    return lines


def main() -> None:
    ablation = "--ablation" in sys.argv or os.environ.get("CHATCRM_EVAL_SPEECH_ABLATION") == "1"
    # The Makefile's OMP_THREAD_LIMIT=1 (for tesseract) would hold Whisper to one core.
    os.environ.pop("OMP_THREAD_LIMIT", None)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="eval-speech-") as tmp:
        real = real_clips()
        real.append(joined_clip(real, Path(tmp)))
        synthetic = synthetic_clips(Path(tmp))
        listed = engines(ablation)
        only = os.environ.get("CHATCRM_EVAL_SPEECH_ENGINES")
        if only:
            listed = [e for e in listed if e.name in only.split(";")]
        for engine in listed:
            run_engine(engine, [*real, *synthetic])
            print(f"<!-- {engine.name}: done -->", file=sys.stderr, flush=True)
    print("## Speech to text\n")
    print(
        "Whisper base (multilingual), CPU, "
        f"{THREADS} threads. CER over characters after OpenCC t2s, punctuation and width normalised "
        "(cn2an: Arabic numerals written in Chinese on both sides). WER raw: case-folded words; norm: "
        "Whisper's EnglishTextNormalizer with digits one token each (the references spell digits as "
        "words). Totals are errors over reference length across clips. RTF = wall seconds / audio "
        "seconds on a shared 2-core machine; CPU s / audio s counts both threads.\n"
    )
    for engine in listed:
        print(f"- **{engine.name}**: {engine.what}")
    print("\n### Real recordings (development set)\n")
    print(summary(listed, real))
    print()
    print(per_clip(listed, real))
    print("\n### Synthetic recordings (espeak-ng)\n")
    print(summary(listed, synthetic))
    print()
    print(per_clip(listed, synthetic))
    print("\n### What ours wrote on the real recordings\n")
    print("\n".join(worst_texts(listed[0], real)))
    print(f"\n_eval_speech took {time.perf_counter() - started:.0f} s_")


if __name__ == "__main__":
    main()
