"""Speech to text with openai-whisper on the CPU: the only module that imports `whisper`.

Whisper's own seek loop (as `transcribe()`): one 30 s window after another, decoded greedily with
timestamps and the text before it as the prompt, the next window starting where the last complete
segment ended. A window that loops, skips speech or is a guess is decoded again, with beam search and
then with Whisper's temperature fallback. Silero VAD first removes long silences.
"""

from __future__ import annotations

import contextlib
import ctypes
import enum
import logging
import os
import re
import threading
import time
import warnings
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import opencc
import torch
import whisper
from torch import nn
from whisper.decoding import DecodingOptions, DecodingResult
from whisper.model import Whisper
from whisper.tokenizer import Tokenizer, get_tokenizer

from speech.audio import (
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_SECONDS,
    DEFAULT_SILENCE_DB,
    SAMPLE_RATE,
    FloatArray,
    load_audio,
)
from speech.errors import AudioError, ModelNotFoundError
from speech.text import Segment, cut_repetitions, fit_prompt, has_loop
from speech.vad import SpeechFinder, Timeline, cut_to_speech

logger = logging.getLogger(__name__)

__all__ = ["Decoding", "Segment", "Transcription", "WhisperTranscriber"]

# Whisper's own fallback thresholds (transcribe.py): a high gzip ratio means a repetition loop,
# a low mean log-probability a guess; with no_speech above its threshold it is silence, not speech.
COMPRESSION_RATIO_THRESHOLD = 2.4
LOGPROB_THRESHOLD = -1.0
NO_SPEECH_THRESHOLD = 0.6
FALLBACK_TEMPERATURES = (0.2, 0.4, 0.6, 0.8, 1.0)
FALLBACK_SEED = 0
RESCUE_BEAM = 5
# As transcribe(): a window decoded above this temperature is not the next window's prompt.
CONDITION_MAX_TEMPERATURE = 0.5
# Silences and noise at least this long are removed before decoding (speech/vad.py says why not less).
VAD_MIN_SILENCE = 3.0
HOP_LENGTH = whisper.audio.HOP_LENGTH
# A window with far less text than its speech holds skipped or collapsed a passage. Read Mandarin runs
# at 4-5 characters a second and dictation at 3-4 once the VAD has removed the pauses; English at 2-3
# words. These floors are a quarter of that, so only a real collapse trips them.
SPARSE_MIN_SECONDS = 6.0
MIN_CHARS_PER_SECOND = 1.0
MIN_WORDS_PER_SECOND = 0.5
# Fast Mandarin is about 7 characters a second, some of them two tokens; English about 4 tokens.
MAX_TOKENS_PER_SECOND = 12.0
# Mel frames per timestamp step: Whisper's timestamps count 0.02 s, two 10 ms frames.
FRAMES_PER_STEP = 2
PROMPT_LIMIT = 223  # Whisper keeps n_text_ctx // 2 - 1 tokens after <|startofprev|>
_WORDLESS = re.compile(r"[\W_]+", re.UNICODE)
# Languages written without spaces between words: chunk texts are joined without a separator.
_UNSPACED = frozenset({"zh", "ja", "th", "lo", "my", "yue", "bo"})


@dataclass(frozen=True)
class Transcription:
    """What the recording says; satisfies crm.ports.Transcript."""

    text: str
    language: str
    audio_seconds: float
    stt_seconds: float
    segments: tuple[Segment, ...]
    # Seconds of the recording the VAD kept as speech (all of it without the VAD).
    speech_seconds: float = 0.0
    # Windows decoded again because the first decoding looped, skipped speech or was a guess.
    redecoded: int = 0


@dataclass
class _Run:
    speech_seconds: float
    language: str = "zh"
    segments: list[Segment] = field(default_factory=list)
    redecoded: int = 0


@dataclass(frozen=True)
class _Loaded:
    model: Whisper
    tokenizer: Tokenizer


class _QuantizedLogitsDecoder(nn.Module):
    """Whisper's TextDecoder with the output projection as an int8 Linear.

    Whisper computes logits as x @ token_embedding.T, which quantize_dynamic cannot see; over the
    51,865-token vocabulary it is about half of each decoding step's multiply-adds.
    """

    def __init__(self, decoder: nn.Module, projection: nn.Module) -> None:
        super().__init__()
        self.inner = decoder
        self.projection = projection

    def forward(
        self, x: torch.Tensor, xa: torch.Tensor, kv_cache: dict[Any, Any] | None = None
    ) -> torch.Tensor:
        inner: Any = self.inner
        offset = next(iter(kv_cache.values())).shape[1] if kv_cache else 0
        h = inner.token_embedding(x).float() + inner.positional_embedding[offset : offset + x.shape[-1]]
        h = h.to(xa.dtype)
        for block in inner.blocks:
            h = block(h, xa, mask=inner.mask, kv_cache=kv_cache)
        h = inner.ln(h)
        logits: torch.Tensor = self.projection(h).float()
        return logits

    def __getattr__(self, name: str) -> Any:
        # DecodingTask and install_kv_cache_hooks read decoder.blocks, decoder.token_embedding, …
        try:
            return super().__getattr__(name)
        except AttributeError:
            return getattr(super().__getattr__("inner"), name)


@contextlib.contextmanager
def _quiet_quantization_warnings() -> Iterator[None]:
    # torch 2.13 flags torch.ao.quantization as deprecated in favour of torchao (not a dependency of
    # ours); dynamic int8 Linear still works and is what makes the decoder fast on the CPU.
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message=r"torch\.ao\.quantization is deprecated", category=DeprecationWarning
        )
        warnings.filterwarnings("ignore", message=r"torch\.quantize_per_tensor", category=UserWarning)
        yield


def _plain_linears(module: nn.Module) -> None:
    """Swap whisper.model.Linear (an nn.Linear that casts weights to the input dtype) for nn.Linear.

    quantize_dynamic converts only exact nn.Linear instances; the cast is a no-op in float32.
    """
    for name, child in module.named_children():
        if isinstance(child, whisper.model.Linear):
            plain = nn.Linear(child.in_features, child.out_features, bias=child.bias is not None)
            plain.weight = child.weight
            plain.bias = child.bias
            setattr(module, name, plain)
        else:
            _plain_linears(child)


def quantize_decoder(model: Whisper) -> Whisper:
    """Dynamic int8 weights (one scale per output channel) for the decoder's Linear layers and logits.

    Decoding runs one token at a time, so it is bound by reading weights from memory: int8 reads a
    quarter of the bytes. The encoder stays float32, where MKL's sgemm over 1,500 frames is faster
    than quantized kernels and int8 costs accuracy (both measured: see bench/data/README.md).
    """
    from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic

    decoder: Any = model.decoder
    embedding = decoder.token_embedding.weight
    projection = nn.Linear(embedding.shape[1], embedding.shape[0], bias=False)
    projection.weight = embedding  # shared until quantized: no float32 copy of 100 MB
    model.decoder = _QuantizedLogitsDecoder(decoder, projection)
    _plain_linears(model.decoder)
    with _quiet_quantization_warnings():
        quantize_dynamic(  # type: ignore[no-untyped-call]
            model.decoder, {nn.Linear: per_channel_dynamic_qconfig}, dtype=torch.qint8, inplace=True
        )
    # The embedding now only looks up one row per token: float16 halves its 100 MB, exactly
    # (the converted weights are float16 to begin with).
    decoder.token_embedding.weight = nn.Parameter(embedding.detach().half(), requires_grad=False)
    return model


def _return_freed_memory() -> None:
    """Give the load's freed buffers (checkpoint, float32 decoder weights) back to the OS.

    glibc keeps freed heap pages for reuse; without this the ~150 MB stay resident and add to the
    peak RSS of every transcription after the load.
    """
    with contextlib.suppress(OSError, AttributeError):  # not glibc: nothing to do
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def _resolve_checkpoint(model: str | Path) -> Path:
    path = Path(model).expanduser()
    if path.is_file():
        return path
    name = str(model)
    if name in whisper.available_models():
        # A name only resolves to a checkpoint already on disk: nothing is downloaded at run time.
        cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "whisper" / f"{name}.pt"
        if cache.is_file():
            return cache
    raise ModelNotFoundError(
        f"no Whisper checkpoint at {model!s}; build it with `python -m speech.convert --output <path>`"
    )


def load_model(checkpoint: Path) -> Whisper:
    """whisper.load_model on a local file, plus the alignment heads the converter saved beside it."""
    model: Whisper = whisper.load_model(str(checkpoint), device="cpu")
    # load_model only knows alignment heads for its own named downloads; mmap makes re-reading cheap.
    extra = torch.load(checkpoint, map_location="cpu", weights_only=True, mmap=True)
    if "alignment_heads" in extra:
        model.set_alignment_heads(extra["alignment_heads"])
    _tokenizer(model)  # reads the vocabulary once, under the ResourceWarning filter
    return model.eval()


def greedy_window(model: Whisper, samples: FloatArray, language: str) -> list[int]:
    """Plain greedy decoding of the first 30 s, no timestamps, no fallback: the converter's check."""
    mel = whisper.log_mel_spectrogram(whisper.pad_or_trim(torch.from_numpy(samples)))
    options = DecodingOptions(language=language, temperature=0.0, without_timestamps=True, fp16=False)
    with torch.inference_mode():
        result: DecodingResult = model.decode(mel, options)
    return list(result.tokens)


# The references our decoder is measured against (bench/bench_speech.py, evals/eval_speech.py), both on
# the float32 model: plain greedy decoding, and transcribe() as Whisper's command line runs it by default.
REFERENCES: dict[str, dict[str, Any]] = {
    "greedy": {"temperature": 0.0},
    "defaults": {"beam_size": 5, "best_of": 5},
}


def transcribe_reference(model: Whisper, audio: Path, *, language: str | None, kind: str) -> str:
    """openai-whisper's own model.transcribe() with the settings of REFERENCES[kind]."""
    with torch.inference_mode():
        result: dict[str, Any] = model.transcribe(
            str(audio), language=language, fp16=False, **REFERENCES[kind]
        )
    return str(result["text"])


def _tokenizer(model: Whisper) -> Tokenizer:
    with warnings.catch_warnings():
        # whisper.tokenizer.get_encoding() opens its vocabulary file without closing it.
        warnings.filterwarnings("ignore", message=r"unclosed file .*\.tiktoken", category=ResourceWarning)
        return get_tokenizer(model.is_multilingual, num_languages=model.num_languages, task="transcribe")


def compression_ratio(text: str) -> float:
    raw = text.encode("utf-8")
    return len(raw) / len(zlib.compress(raw)) if raw else 0.0


def _units(text: str, language: str) -> int:
    """Characters (languages written without spaces) or words: what a window's text amounts to."""
    if language in _UNSPACED:
        return len(_WORDLESS.sub("", text))
    return len(_WORDLESS.split(text.strip())) if text.strip() else 0


class Problem(enum.IntFlag):
    """What is wrong with one window's decoding; LOOP is the worst."""

    NONE = 0
    UNSURE = 1  # mean log-probability under Whisper's threshold: a guess
    SPARSE = 2  # far less text than that much speech holds: a passage skipped or collapsed
    LOOP = 4  # a phrase repeated, or text that compresses like a loop


def problems(result: DecodingResult, seconds: float, language: str, *, collapse: bool = True) -> Problem:
    """Whisper's own checks (gzip ratio, mean log-probability) and, with `collapse`, a phrase said three
    times over (which compresses too little to trip the gzip ratio) and a window with far too little text."""
    found = Problem.NONE
    if compression_ratio(result.text) > COMPRESSION_RATIO_THRESHOLD or (collapse and has_loop(result.text)):
        found |= Problem.LOOP
    if collapse and seconds >= SPARSE_MIN_SECONDS:
        rate = MIN_CHARS_PER_SECOND if language in _UNSPACED else MIN_WORDS_PER_SECOND
        if _units(result.text, language) < rate * seconds:
            found |= Problem.SPARSE
    if result.avg_logprob < LOGPROB_THRESHOLD:
        found |= Problem.UNSURE
    return found


@dataclass(frozen=True)
class Span:
    """One timestamped segment of a window's decoding: mel frames from the window's start, and tokens
    (its timestamps included, as transcribe() keeps them for the next window's prompt)."""

    start: int
    end: int
    tokens: tuple[int, ...]


def read_timestamps(tokens: Sequence[int], timestamp_begin: int, frames: int) -> tuple[list[Span], int]:
    """Whisper's own reading of a timestamped decoding (transcribe.py): the segments between pairs of
    timestamps, and how many of the window's `frames` they used up. A decoding that ends in a lone
    timestamp heard nothing after it and uses the whole window; otherwise the unfinished last segment
    is dropped and the next window starts where the last complete one ended."""
    stride = FRAMES_PER_STEP
    marks = [t >= timestamp_begin for t in tokens]
    single_ending = marks[-2:] == [False, True]
    cuts = [i + 1 for i in range(len(tokens) - 1) if marks[i] and marks[i + 1]]
    if not cuts:
        duration = frames
        stamps = [t for t in tokens if t >= timestamp_begin]
        if stamps and stamps[-1] != timestamp_begin:
            duration = (stamps[-1] - timestamp_begin) * stride
        return [Span(0, duration, tuple(tokens))], frames
    if single_ending:
        cuts.append(len(tokens))
    pieces, last = [], 0
    for cut in cuts:
        part = tokens[last:cut]
        pieces.append(
            Span((part[0] - timestamp_begin) * stride, (part[-1] - timestamp_begin) * stride, tuple(part))
        )
        last = cut
    if single_ending:
        return pieces, frames
    used = (tokens[last - 1] - timestamp_begin) * stride
    # A decoding whose only complete segment ends at 0.00 would never move on.
    return pieces, used if used > 0 else frames


def _is_no_speech(result: DecodingResult) -> bool:
    """Whisper's silence rule: the no-speech token is likely and the text is a guess."""
    return bool(result.no_speech_prob > NO_SPEECH_THRESHOLD and result.avg_logprob < LOGPROB_THRESHOLD)


def rank(result: DecodingResult, found: Problem) -> tuple[bool, int, float]:
    """Sort key of two decodings of one window (lower is better): no loop, fewer problems, likelier."""
    return (Problem.LOOP in found, bin(found).count("1"), -result.avg_logprob)


@dataclass(frozen=True)
class Decoding:
    """How a note is decoded. The defaults were chosen on the development set's real recordings
    (evals/eval_speech.py --ablation, figures in bench/data/README.md): Whisper's sequential loop with
    timestamps and the previous text as prompt, float32, greedy; beam search and then the temperature
    schedule only for a window that loops, skips speech or is a guess; no CRM prompt; VAD on silences of
    3 s and more."""

    # Beam search width at temperature 0 for every window (None: greedy).
    beam_size: int | None = None
    # Beam width for a window whose greedy decoding failed, tried before any temperature (None: skip).
    # Beam search finds the likelier text where greedy decoding took a wrong turn, and unlike sampling
    # invents nothing; it costs several greedy decodings, so only failed windows get it.
    rescue_beam: int | None = RESCUE_BEAM
    # Temperatures tried in turn on a window whose decoding still has a Problem (Whisper's own schedule).
    fallback: tuple[float, ...] = FALLBACK_TEMPERATURES
    # Samples drawn at each fallback temperature, the likeliest kept. Whisper draws 5; on a looping
    # window that made one 4 s clip take 30 s, and a single sample per temperature fixed the loops seen.
    best_of: int = 1
    # Whether the caller's prompt (the CRM's names and terms) is given to Whisper at all.
    use_prompt: bool = False
    # Remove silences and noise of `vad_silence` seconds and more (Silero VAD) before decoding.
    vad: bool = True
    vad_silence: float = VAD_MIN_SILENCE
    # Decoder Linear layers and logits in int8: faster, but it cost accuracy on the real recordings.
    quantize: bool = False
    # Each window prompted with the text of the windows before it (transcribe()'s
    # condition_on_previous_text).
    condition: bool = True
    # Also re-decode a phrase repeated three times and a window with far too little text, not only
    # what Whisper's gzip-ratio and log-probability checks catch.
    detect_collapse: bool = True


@dataclass(frozen=True)
class _Window:
    """One window's decoding as kept: the result, its segments and the frames it used."""

    result: DecodingResult
    spans: list[Span]
    used: int
    found: Problem = Problem.NONE
    redecoded: bool = False


class WhisperTranscriber:
    """Blocking speech recognition with openai-whisper; satisfies crm.ports.SpeechToText.

    The model loads on first use, once per instance, under a lock; calls are serialised, so a
    worker thread may call `transcribe` while another waits.
    """

    def __init__(
        self,
        model: str | Path,
        *,
        threads: int | None = None,
        decoding: Decoding | None = None,
        languages: Sequence[str] | None = ("zh", "en"),
        max_bytes: int = DEFAULT_MAX_BYTES,
        max_seconds: float = DEFAULT_MAX_SECONDS,
        silence_db: float = DEFAULT_SILENCE_DB,
    ) -> None:
        self._model_ref = model
        self._threads = threads or os.cpu_count() or 1
        self.decoding = decoding or Decoding()
        # Detection is restricted to the languages reps dictate in: Whisper base takes accented or
        # noisy Mandarin for Japanese, Cantonese or Thai now and then.
        self._languages = tuple(languages) if languages else None
        self._max_bytes = max_bytes
        self._max_seconds = max_seconds
        self._silence_db = silence_db
        self._loaded: _Loaded | None = None
        self._load_lock = threading.Lock()
        self._run_lock = threading.Lock()
        self._vad = (
            SpeechFinder(min_silence_ms=round(self.decoding.vad_silence * 1000))
            if self.decoding.vad
            else None
        )
        self._t2s = opencc.OpenCC("t2s")

    def load(self) -> None:
        """Load the model now rather than on the first transcription (e.g. at service start)."""
        self._ensure_loaded()

    def _ensure_loaded(self) -> _Loaded:
        with self._load_lock:
            if self._loaded is None:
                started = time.perf_counter()
                checkpoint = _resolve_checkpoint(self._model_ref)
                torch.set_num_threads(self._threads)
                model = load_model(checkpoint)
                if self.decoding.quantize:
                    model = quantize_decoder(model)
                if self._vad is not None:
                    self._vad.load()
                self._loaded = _Loaded(model, _tokenizer(model))
                _return_freed_memory()
                logger.info(
                    "loaded Whisper %s (%s) in %.1f s",
                    checkpoint.name,
                    self.decoding,
                    time.perf_counter() - started,
                )
            return self._loaded

    def transcribe(
        self,
        audio: Path,
        *,
        language: str | None = None,
        prompt: str | None = None,
        progress: Callable[[float], None] | None = None,
    ) -> Transcription:
        """Transcribe a voice note; raises speech.errors.AudioError for unusable recordings."""
        started = time.perf_counter()
        samples = load_audio(
            audio, max_bytes=self._max_bytes, max_seconds=self._max_seconds, silence_db=self._silence_db
        )
        loaded = self._ensure_loaded()
        with self._run_lock, torch.inference_mode():
            # The thread count is per calling thread in OpenMP, and callers use worker threads.
            torch.set_num_threads(self._threads)
            run = self._run(loaded, samples, language, prompt, progress)
        language = run.language
        segments = cut_repetitions(run.segments)
        if language == "zh":
            # Whisper base writes Mandarin in traditional characters about half the time.
            segments = [Segment(s.start, s.end, self._t2s.convert(s.text)) for s in segments]
        separator = "" if language in _UNSPACED else " "
        text = separator.join(s.text for s in segments).strip()
        result = Transcription(
            text=text,
            language=language,
            audio_seconds=len(samples) / SAMPLE_RATE,
            stt_seconds=time.perf_counter() - started,
            segments=tuple(segments),
            speech_seconds=run.speech_seconds,
            redecoded=run.redecoded,
        )
        logger.info(
            "transcribed %.1f s of %s in %.1f s (%d chars)",
            result.audio_seconds,
            language,
            result.stt_seconds,
            len(text),
        )
        return result

    def prompt_tokens(self, prompt: str | None) -> list[int]:
        """The prompt as tokens, cut from the front to Whisper's limit (half the text context, less one)."""
        if not prompt or not prompt.strip():
            return []
        loaded = self._ensure_loaded()
        limit = loaded.model.dims.n_text_ctx // 2 - 1
        return fit_prompt(prompt, loaded.tokenizer.encode, limit)

    def _detect_language(self, loaded: _Loaded, features: torch.Tensor) -> str:
        _, probs = whisper.decoding.detect_language(loaded.model, features, loaded.tokenizer)
        scores: dict[str, float] = probs[0]
        if self._languages:
            scores = {lang: scores.get(lang, 0.0) for lang in self._languages}
        return max(scores, key=lambda lang: scores[lang])

    def _speech(self, samples: FloatArray) -> tuple[FloatArray, Timeline | None]:
        """The note without its long silences (VAD on), or whole."""
        if self._vad is None:
            return samples, None
        regions = self._vad.regions(samples)
        if not regions:
            raise AudioError("silent", "the VAD found no speech")
        speech, timeline = cut_to_speech(samples, regions)
        logger.debug("VAD kept %.1f of %.1f s", len(speech) / SAMPLE_RATE, len(samples) / SAMPLE_RATE)
        return speech, timeline

    def _run(
        self,
        loaded: _Loaded,
        samples: FloatArray,
        language: str | None,
        prompt: str | None,
        progress: Callable[[float], None] | None,
    ) -> _Run:
        """transcribe()'s seek loop over one log-mel of the whole note: each window's frames (zero-padded
        to 30 s) decoded with the text before it as prompt; the next window starts where the last
        complete segment ended, or after the window when its decoding ended in a lone timestamp."""
        model, tokenizer = loaded.model, loaded.tokenizer
        speech, timeline = self._speech(samples)
        run = _Run(speech_seconds=len(speech) / SAMPLE_RATE)
        mel = whisper.log_mel_spectrogram(
            torch.from_numpy(speech), model.dims.n_mels, padding=whisper.audio.N_SAMPLES
        )
        content = mel.shape[-1] - whisper.audio.N_FRAMES
        context = self.prompt_tokens(prompt) if self.decoding.use_prompt else []
        seek = 0
        while seek < content:
            size = min(whisper.audio.N_FRAMES, content - seek)
            frames = whisper.pad_or_trim(mel[:, seek : seek + size], whisper.audio.N_FRAMES)
            features = model.embed_audio(frames[None])
            if language is None:
                language = self._detect_language(loaded, features)
            window = self._decode_window(loaded, features, size, language, context[-PROMPT_LIMIT:])
            run.redecoded += window.redecoded
            for span in window.spans:
                text = tokenizer.decode([t for t in span.tokens if t < tokenizer.eot]).strip()
                if span.end <= span.start or not text:
                    continue
                start, end = (seek + span.start) * HOP_LENGTH, (seek + min(span.end, size)) * HOP_LENGTH
                if timeline is not None:
                    start, end = timeline.span(start, end)
                run.segments.append(Segment(start / SAMPLE_RATE, end / SAMPLE_RATE, text))
                context += span.tokens
            if (
                not self.decoding.condition
                or window.result.temperature > CONDITION_MAX_TEMPERATURE
                or Problem.LOOP in window.found
            ):
                # As transcribe(): text only a high temperature could produce is no context for the next
                # window; nor is a loop no decoding could avoid, which the prompt would carry on.
                context = []
            seek += window.used
            if progress is not None:
                progress(min(1.0, seek / content))
        run.language = language or "zh"
        return run

    def _decode_window(
        self, loaded: _Loaded, features: torch.Tensor, frames: int, language: str, prompt: list[int]
    ) -> _Window:
        """Decode one window greedily; if that loops, skips speech or is a guess, decode it again with
        beam search, then at each fallback temperature in turn until it does not. The best decoding seen
        is kept; a window Whisper takes for silence is kept as no segments."""
        decoding = self.decoding
        seconds = frames * HOP_LENGTH / SAMPLE_RATE
        # A window cannot hold more text than this; a loop stops here instead of running to Whisper's
        # 224-token limit, which on a short window is most of the decoding time.
        sample_len = min(loaded.model.dims.n_text_ctx // 2, round(MAX_TOKENS_PER_SECOND * seconds) + 16)

        def attempt(temperature: float, beam: int | None) -> _Window:
            options = DecodingOptions(
                task="transcribe",
                language=language,
                temperature=temperature,
                beam_size=beam if temperature == 0 else None,
                best_of=decoding.best_of if temperature > 0 else None,
                prompt=prompt or None,
                sample_len=sample_len,
                fp16=False,
            )
            with torch.random.fork_rng(devices=[]):
                # Seeded so that the same recording gives the same transcript; fork_rng leaves the
                # process's global generator as it was.
                torch.manual_seed(FALLBACK_SEED)
                result: DecodingResult = loaded.model.decode(features, options)[0]
            if _is_no_speech(result):
                return _Window(result, [], frames)
            spans, used = read_timestamps(result.tokens, loaded.tokenizer.timestamp_begin, frames)
            # Without the VAD a window may hold long silence: too little text proves nothing then.
            covered = used * HOP_LENGTH / SAMPLE_RATE if self._vad is not None else 0.0
            return _Window(
                result, spans, used, problems(result, covered, language, collapse=decoding.detect_collapse)
            )

        best = attempt(0.0, decoding.beam_size)
        logger.debug(
            "window of %.1f s: log-prob %.2f, no-speech %.2f, %r",
            seconds,
            best.result.avg_logprob,
            best.result.no_speech_prob,
            best.found,
        )
        if not best.found:
            return best
        schedule: list[tuple[float, int | None]] = []
        if decoding.rescue_beam and not decoding.beam_size:
            schedule.append((0.0, decoding.rescue_beam))
        schedule += [(t, None) for t in decoding.fallback if t > 0]
        for temperature, beam in schedule:
            again = attempt(temperature, beam)
            logger.debug("window: %r, at %.1f (beam %s) %r", best.found, temperature, beam, again.found)
            if rank(again.result, again.found) < rank(best.result, best.found):
                best = again
            if not best.found:
                break
        return replace(best, redecoded=bool(schedule))
