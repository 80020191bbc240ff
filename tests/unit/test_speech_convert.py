"""CTranslate2 model.bin parsing on hand-written files: dtypes, int8 scales, aliases."""

from __future__ import annotations

import base64
import gzip
import struct

import numpy as np
import pytest

from speech.convert import ConversionError, alignment_heads_dump, parse_model_bin

TYPE_IDS = {"float32": 0, "int8": 1, "int16": 2, "int32": 3, "float16": 4, "bfloat16": 5}


def _string(text: str) -> bytes:
    raw = text.encode("utf-8")
    return struct.pack("<H", len(raw) + 1) + raw + b"\0"


def _model_bin(
    variables: dict[str, tuple[str, np.ndarray]], aliases: dict[str, str], version: int = 6
) -> bytes:
    """The layout of ctranslate2.specs.model_spec.ModelSpec._serialize."""
    out = struct.pack("<I", version) + _string("WhisperSpec") + struct.pack("<I", 3)
    out += struct.pack("<I", len(variables))
    for name, (dtype, array) in sorted(variables.items()):
        out += _string(name) + struct.pack("<B", array.ndim)
        out += b"".join(struct.pack("<I", d) for d in array.shape)
        out += struct.pack("<BI", TYPE_IDS[dtype], array.nbytes) + array.tobytes()
    out += struct.pack("<I", len(aliases))
    for alias, target in aliases.items():
        out += _string(alias) + _string(target)
    return out


def test_parses_float16_float32_scalars_and_aliases() -> None:
    weight = np.arange(6, dtype=np.float16).reshape(2, 3)
    data = _model_bin(
        {
            "decoder/embeddings/weight": ("float16", weight),
            "decoder/num_heads": ("int16", np.array(8, dtype=np.int16)),
            "encoder/layer_norm/gamma": ("float32", np.ones(3, dtype=np.float32)),
        },
        {"decoder/projection/weight": "decoder/embeddings/weight"},
    )
    model = parse_model_bin(data)
    assert (model.spec, model.revision) == ("WhisperSpec", 3)
    assert model.variables["decoder/embeddings/weight"].dtype == np.float16
    np.testing.assert_array_equal(model.variables["decoder/projection/weight"], weight)
    assert int(model.variables["decoder/num_heads"]) == 8


def test_dequantizes_int8_rows_with_their_scales() -> None:
    original = np.array([[0.5, -1.0, 0.25], [2.0, 1.0, -4.0]], dtype=np.float32)
    scale = (127.0 / np.abs(original).max(axis=1)).astype(np.float32)
    quantized = np.rint(original * scale[:, None]).astype(np.int8)
    data = _model_bin(
        {"x/linear_0/weight": ("int8", quantized), "x/linear_0/weight_scale": ("float32", scale)}, {}
    )
    variables = parse_model_bin(data).variables
    assert "x/linear_0/weight_scale" not in variables
    np.testing.assert_allclose(variables["x/linear_0/weight"], original, atol=0.02)


def test_bfloat16_is_widened_to_float32() -> None:
    values = np.array([1.0, -2.5, 0.15625], dtype=np.float32)
    bf16 = (values.view(np.uint32) >> 16).astype(np.uint16)
    variables = parse_model_bin(_model_bin({"v": ("bfloat16", bf16)}, {})).variables
    np.testing.assert_array_equal(variables["v"], values)


def test_rejects_truncated_and_unknown_versions() -> None:
    data = _model_bin({"v": ("float32", np.ones(4, dtype=np.float32))}, {})
    with pytest.raises(ConversionError, match="truncated"):
        parse_model_bin(data[:-10])
    with pytest.raises(ConversionError, match="version"):
        parse_model_bin(struct.pack("<I", 99) + data[4:])


def test_alignment_heads_dump_matches_openai_format() -> None:
    # whisper._ALIGNMENT_HEADS["base"] decodes to these (layer, head) pairs.
    pairs = [[3, 1], [4, 2], [4, 3], [4, 7], [5, 1], [5, 2], [5, 4], [5, 6]]
    dump = alignment_heads_dump({"alignment_heads": pairs}, {"n_text_layer": 6, "n_text_head": 8})
    assert dump is not None
    mask = np.frombuffer(gzip.decompress(base64.b85decode(dump)), dtype=bool).reshape(6, 8)
    assert sorted(map(list, np.argwhere(mask).tolist())) == pairs
    assert alignment_heads_dump({}, {"n_text_layer": 6, "n_text_head": 8}) is None
