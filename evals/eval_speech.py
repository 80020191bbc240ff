"""Speech to text: CER (Mandarin) and WER (English) and real-time factor of our decoder against plain
openai-whisper greedy and `transcribe()` with its command-line defaults, on the same base model.

Real recordings (the development set's speech/) and synthetic ones (espeak-ng clips of tests/data/audio
and a long note spoken from tests/data/audio/zh_sentences.txt) are scored and printed apart, and notes
of 10 s and more get columns of their own. `python -m evals speech` runs it; CHATCRM_EVAL_SPEECH_ABLATION=1
(or `python -m evals.eval_speech --ablation`) adds the decoder options one at a time (prompt, int8 decoder,
beam search, beam rescue, temperature fallback, collapse checks, VAD, previous-text conditioning), and
CHATCRM_EVAL_SPEECH_ENGINES="name;name" runs only the engines named. Figures: bench/data/README.md.
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
from speech.audio import probe_duration

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
    return Clip(
        "zh_joined_short_clips", out, "zh", probe_duration(out) or 0.0, reference, real=True, joined=True
    )


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
            probe_duration(p) or 0.0,
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
        clips.append(Clip(name, path, "zh", probe_duration(path) or 0.0, "".join(chosen), real=False))
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
        Engine(
            "ours",
            "chatcrm's decoder as configured by default (speech.WhisperTranscriber): Whisper's sequential "
            "loop with timestamps and the previous text as prompt, float32, greedy; a window that loops, "
            "holds too little text or is a guess decoded again with beam 5, then at temperatures 0.2 … 1.0; "
            "VAD on silences of 3 s and more",
            _ours(),
        ),
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
            Engine("+ CRM prompt", "ours, with a CRM prompt of names the note does not say",
                   _ours(prompted=True, use_prompt=True)),
            Engine("int8 decoder", "ours, decoder Linear layers and logits in int8", _ours(quantize=True)),
            Engine("beam 5", "ours, beam search of 5 on every window", _ours(beam_size=5)),
            Engine("no beam rescue", "ours, a failed window goes straight to the temperatures, as in "
                   "transcribe()", _ours(rescue_beam=None)),
            Engine("no fallback", "ours, greedy only", _ours(rescue_beam=None, fallback=())),
            Engine("Whisper's checks", "ours, windows decoded again only on Whisper's gzip-ratio and "
                   "log-probability checks (no loop or too-little-text check)", _ours(detect_collapse=False)),
            Engine("no VAD", "ours without the VAD (Whisper's no-speech probability only)", _ours(vad=False)),
            Engine("VAD ≥ 1.5 s", "ours, the VAD removing silences of 1.5 s and more",
                   _ours(vad_silence=1.5)),
            Engine("unconditioned", "ours, each window without the text before it as prompt",
                   _ours(condition=False)),
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


def _long(clip: Clip) -> bool:
    return clip.seconds >= LONG_SECONDS


def summary(engines_: Sequence[Engine], clips: Sequence[Clip]) -> str:
    """Totals per engine: normalised error rates first (the headline), raw ones beside, then speed."""
    files = [c for c in clips if not c.joined]
    long_clips = [c for c in clips if _long(c)]
    rows = []
    for engine in engines_:
        scores = {key: Score() for key in ("zh", "zh long", "en", "en long", "zh raw", "en raw")}
        for clip in clips:
            hyp = engine.results[clip.name].text
            normalised = errors(clip, hyp, normalised=True)
            if _long(clip):
                scores[f"{clip.language} long"].add(*normalised)
            if not clip.joined:
                scores[clip.language].add(*normalised)
                scores[f"{clip.language} raw"].add(*errors(clip, hyp, normalised=False))
        rows.append(
            [
                engine.name,
                *(_rate(scores[key].rate) for key in ("zh", "zh long", "en", "en long", "zh raw", "en raw")),
                _per_audio_second(engine, long_clips, wall=True),
                _per_audio_second(engine, long_clips, wall=False),
                _per_audio_second(engine, files, wall=True),
                _per_audio_second(engine, files, wall=False),
            ]
        )
    long = f"≥{LONG_SECONDS:.0f} s"
    header = [
        "engine", "zh CER", f"zh CER {long}", "en WER", f"en WER {long}", "zh CER raw", "en WER raw",
        f"RTF {long}", f"CPU s / audio s {long}", "RTF all", "CPU s / audio s",
    ]  # fmt: skip
    return table(header, rows)


def _per_audio_second(engine: Engine, clips: Sequence[Clip], *, wall: bool) -> str:
    audio = sum(c.seconds for c in clips)
    spent = sum(engine.results[c.name].wall if wall else engine.results[c.name].cpu for c in clips)
    return f"{spent / audio:.3f}" if audio else "-"


def per_clip(engines_: Sequence[Engine], clips: Sequence[Clip]) -> str:
    rows = []
    for clip in clips:
        row: list[object] = [clip.name, f"{clip.seconds:.1f}", "CER" if clip.language == "zh" else "WER"]
        for engine in engines_:
            errs, length = errors(clip, engine.results[clip.name].text, normalised=True)
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
        f"{THREADS} threads. Error rates are normalised (the headline): CER over characters after OpenCC "
        "t2s with punctuation and width normalised and Arabic numerals written in Chinese on both sides "
        "(cn2an), so that 6月 and 六月 count the same; WER after Whisper's EnglishTextNormalizer with "
        "digits one token each (the references spell digits as words). The raw columns skip the numeral "
        "step (CER) or compare case-folded words (WER). Totals are errors over reference length across "
        f"clips; the joined note counts only in the ≥{LONG_SECONDS:.0f} s columns. RTF = wall seconds / "
        "audio seconds (one run per clip, on a shared 2-core machine: compare within a run); CPU s / "
        "audio s counts both threads.\n"
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
