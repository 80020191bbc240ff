"""The converter: its checkpoint loads in openai-whisper and decodes what CTranslate2 decodes."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from speech.audio import load_audio
from speech.convert import convert, ensure_checkpoint
from speech.whisper_stt import greedy_window, load_model

ROOT = Path(__file__).resolve().parents[2]
AUDIO = ROOT / "tests" / "data" / "audio"
REFERENCE = json.loads((AUDIO / "reference.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def checkpoint() -> Path:
    return ensure_checkpoint(
        Path(os.environ.get("CHATCRM_WHISPER_MODEL", ROOT / "models" / "whisper-base.pt"))
    )


def test_conversion_is_reproducible(tmp_path: Path) -> None:
    first = convert(tmp_path / "a.pt").read_bytes()
    second = convert(tmp_path / "a.pt").read_bytes()
    assert first == second
    assert [p.name for p in tmp_path.iterdir()] == ["a.pt"]  # no temporary file left behind


@pytest.fixture(scope="module")
def model(checkpoint: Path) -> Any:
    return load_model(checkpoint)


@pytest.mark.slow
@pytest.mark.parametrize("clip", sorted(REFERENCE["clips"]))
def test_greedy_tokens_equal_ctranslate2(model: Any, clip: str) -> None:
    """Same log-mel in, same greedy tokens out as faster-whisper's CTranslate2 engine (reference.json).

    The comparison is on token ids, so no normalisation is needed. faster-whisper's own pipeline
    (its numpy mel front end) gives a different text on these synthetic clips; see README.md here.
    """
    assert model.dims.n_audio_layer == 6
    assert model.dims.n_vocab == 51865
    assert model.alignment_heads.to_dense().nonzero().tolist() == [
        [3, 1], [4, 2], [4, 3], [4, 7], [5, 1], [5, 2], [5, 4], [5, 6],
    ]  # fmt: skip
    expected = REFERENCE["clips"][clip]
    tokens = greedy_window(model, load_audio(AUDIO / clip), expected["language"])
    assert tokens == expected["ct2"]["tokens"]
