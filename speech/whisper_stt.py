"""Speech to text with openai-whisper on the CPU: the only module that imports `whisper`.

The note cut down to its speech (Silero VAD), windows of <= 30 s cut in pauses, encoded and greedily
decoded in batches with int8 decoder Linear layers; a window that loops, skips speech or is a guess is
decoded again with Whisper's temperature fallback.
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
from dataclasses import dataclass, field
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
    is_silent,
    load_audio,
    plan_chunks,
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
# A window with far less text than its speech holds skipped or collapsed a passage. Read Mandarin runs
# at 4-5 characters a second and dictation at 3-4 once the VAD has removed the pauses; English at 2-3
# words. These floors are a quarter of that, so only a real collapse trips them.
SPARSE_MIN_SECONDS = 6.0
MIN_CHARS_PER_SECOND = 1.0
MIN_WORDS_PER_SECOND = 0.5
# Fast Mandarin is about 7 characters a second, some of them two tokens; English about 4 tokens.
MAX_TOKENS_PER_SECOND = 12.0
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
    language: str = "zh"
    segments: list[Segment] = field(default_factory=list)
    speech_seconds: float = 0.0
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


def _window(spectrogram: torch.Tensor, start: int, end: int) -> torch.Tensor:
    """Samples start..end of the note as Whisper's 30 s input: their log-mel frames, zero-padded."""
    hop = whisper.audio.HOP_LENGTH
    frames = spectrogram[:, start // hop : max(start // hop + 1, end // hop)]
    window: torch.Tensor = whisper.pad_or_trim(frames, whisper.audio.N_FRAMES)
    return window


def _is_no_speech(result: DecodingResult) -> bool:
    return bool(result.no_speech_prob > NO_SPEECH_THRESHOLD and result.avg_logprob < LOGPROB_THRESHOLD)


def rank(result: DecodingResult, found: Problem) -> tuple[bool, int, float]:
    """Sort key of two decodings of one window (lower is better): no loop, fewer problems, likelier."""
    return (Problem.LOOP in found, bin(found).count("1"), -result.avg_logprob)


@dataclass(frozen=True)
class Decoding:
    """How windows are decoded. The defaults were chosen on the development set's real recordings
    (evals/eval_speech.py --ablation, figures in bench/data/README.md): greedy at greedy speed, decoded
    again with the temperature schedule only where a window loops, skips speech or is a guess; no
    prompt; VAD on long silences only; int8 decoder."""

    # Beam search width at temperature 0 (None: greedy).
    beam_size: int | None = None
    # Temperatures tried in turn on a window whose decoding has a Problem (Whisper's own schedule).
    fallback: tuple[float, ...] = FALLBACK_TEMPERATURES
    # Samples drawn at each fallback temperature, the likeliest kept. Whisper draws 5; on a looping
    # window that made one 4 s clip take 30 s, and a single sample per temperature fixed the loops seen.
    best_of: int = 1
    # Whether the caller's prompt (the CRM's names and terms) is given to Whisper at all.
    use_prompt: bool = False
    # Cut the note down to its speech (Silero VAD) before planning windows.
    vad: bool = True
    # Decoder Linear layers and logits in int8.
    quantize: bool = True
    # Decode windows one after another, each with the previous window's text as its prompt (what
    # transcribe() calls condition_on_previous_text), instead of in batches without context.
    condition: bool = False
    # Also re-decode a phrase repeated three times and a window with far too little text, not only
    # what Whisper's gzip-ratio and log-probability checks catch.
    detect_collapse: bool = True


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
        batch_size: int = 3,
        languages: Sequence[str] | None = ("zh", "en"),
        max_bytes: int = DEFAULT_MAX_BYTES,
        max_seconds: float = DEFAULT_MAX_SECONDS,
        silence_db: float = DEFAULT_SILENCE_DB,
    ) -> None:
        self._model_ref = model
        self._threads = threads or os.cpu_count() or 1
        self.decoding = decoding or Decoding()
        # 3 chunks (up to 90 s of audio) per batch: batched decoding beats one chunk at a time, and
        # each chunk adds ~40 MB of decoder cache; on a 5-minute note the peak RSS was 921 MB with 4,
        # 861 MB with 3 (limit 1 GB). Progress is reported after each batch.
        self._batch_size = max(1, batch_size)
        # Detection is restricted to the languages reps dictate in: Whisper base takes accented or
        # noisy Mandarin for Japanese, Cantonese or Thai now and then.
        self._languages = tuple(languages) if languages else None
        self._max_bytes = max_bytes
        self._max_seconds = max_seconds
        self._silence_db = silence_db
        self._loaded: _Loaded | None = None
        self._load_lock = threading.Lock()
        self._run_lock = threading.Lock()
        self._vad = SpeechFinder() if self.decoding.vad else None
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
        _, probs = whisper.decoding.detect_language(loaded.model, features[:1], loaded.tokenizer)
        scores: dict[str, float] = probs[0]
        if self._languages:
            scores = {lang: scores.get(lang, 0.0) for lang in self._languages}
        return max(scores, key=lambda lang: scores[lang])

    def _speech(self, samples: FloatArray) -> tuple[FloatArray, Timeline | None]:
        """The note cut down to its speech (VAD on), or whole."""
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
        model = loaded.model
        run = _Run()
        prompt_tokens = (self.prompt_tokens(prompt) if self.decoding.use_prompt else []) or None
        speech, timeline = self._speech(samples)
        chunks = [(a, b) for a, b in plan_chunks(speech) if not is_silent(speech[a:b], self._silence_db)]
        total = len(speech)
        run.speech_seconds = total / SAMPLE_RATE
        done = 0
        # One log-mel of the whole note, each window's frames padded with zeros, as transcribe() does.
        # Padding the audio with silence before the log-mel instead (the padding then sits at the
        # spectrogram's floor, not at 0) cost 5 points of CER on the real Mandarin recordings.
        spectrogram = whisper.log_mel_spectrogram(
            torch.from_numpy(speech), model.dims.n_mels, padding=whisper.audio.N_SAMPLES
        )
        size = 1 if self.decoding.condition else self._batch_size
        for first in range(0, len(chunks), size):
            batch = chunks[first : first + size]
            mel = torch.stack([_window(spectrogram, a, b) for a, b in batch])
            features = model.embed_audio(mel)
            if language is None:
                language = self._detect_language(loaded, features)
            seconds = [(b - a) / SAMPLE_RATE for a, b in batch]
            results, redecoded = self._decode(model, features, seconds, language, prompt_tokens)
            run.redecoded += redecoded
            if self.decoding.condition:
                # As transcribe(): no context after a window only a high temperature could decode.
                last = results[-1]
                prompt_tokens = list(last.tokens)[-PROMPT_LIMIT:] if last.temperature <= 0.5 else None
            for (a, b), result in zip(batch, results, strict=True):
                if not _is_no_speech(result):
                    start, end = timeline.span(a, b) if timeline is not None else (a, b)
                    run.segments.append(Segment(start / SAMPLE_RATE, end / SAMPLE_RATE, result.text))
            done = batch[-1][1]
            if progress is not None:
                progress(min(1.0, done / total))
        if progress is not None and done < total:
            progress(1.0)
        run.language = language or "zh"
        return run

    def _decode(
        self,
        model: Whisper,
        features: torch.Tensor,
        seconds: Sequence[float],
        language: str,
        prompt: list[int] | None,
    ) -> tuple[list[DecodingResult], int]:
        """Decode every window at temperature 0; a window that loops, skips speech or is a guess is
        decoded again at each fallback temperature in turn until it has none of those problems, and
        the best decoding seen is kept."""
        decoding = self.decoding
        # A window cannot hold more text than this; a loop stops here instead of running to Whisper's
        # 224-token limit, which on a short window is most of the decoding time.
        sample_len = min(model.dims.n_text_ctx // 2, round(MAX_TOKENS_PER_SECOND * max(seconds)) + 16)

        def run(temperature: float, batch: torch.Tensor) -> list[DecodingResult]:
            options = DecodingOptions(
                task="transcribe",
                language=language,
                temperature=temperature,
                beam_size=decoding.beam_size if temperature == 0 else None,
                best_of=decoding.best_of if temperature > 0 else None,
                prompt=prompt,
                without_timestamps=True,
                sample_len=sample_len,
                fp16=False,
            )
            if (options.beam_size or options.best_of or 1) > 1 and len(batch) > 1:
                # openai-whisper 20250625 repeats the tokens, not the audio features, for beams and
                # best-of samples: that only broadcasts with one window per call.
                return [r for one in batch for r in model.decode(one[None], options)]
            decoded: list[DecodingResult] = model.decode(batch, options)
            return decoded

        def check(result: DecodingResult, i: int) -> Problem:
            return problems(result, seconds[i], language, collapse=decoding.detect_collapse)

        temperatures = [t for t in decoding.fallback if t > 0]
        results = run(0.0, features)
        found = [check(r, i) for i, r in enumerate(results)]
        retry = [i for i, r in enumerate(results) if found[i] and not _is_no_speech(r)]
        redecoded = len(retry) if temperatures else 0
        for temperature in temperatures:
            if not retry:
                break
            # Seeded so that the same recording gives the same transcript; fork_rng leaves the
            # process's global generator as it was.
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(FALLBACK_SEED)
                again = run(temperature, features[retry])
            for i, second in zip(retry, again, strict=True):
                second_found = check(second, i)
                logger.debug("window %d: %r, at %.1f %r", i, found[i], temperature, second_found)
                if rank(second, second_found) < rank(results[i], found[i]):
                    results[i], found[i] = second, second_found
            retry = [i for i in retry if found[i]]
        return results, redecoded
