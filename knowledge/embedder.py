"""Dense text embeddings, loaded from local, hash-verified files when offline.

Two bundled models: all-MiniLM-L6-v2 through fastembed (English), and the Universal
Sentence Encoder Multilingual v3 through onnxruntime (16 languages in one vector space, so
a Spanish question finds an English article). Any other fastembed model name is fetched by
fastembed itself where a model hub is reachable.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from app.core.errors import KnowledgeError
from knowledge.model_files import DEFAULT_MODEL, MULTILINGUAL_MODEL, verified_folder

log = logging.getLogger(__name__)


class Embedder(Protocol):
    """Turns texts into unit-length vectors; cosine similarity is then a dot product.

    `languages` is the set of languages it embeds well (None: many, across languages), and
    `relevance_floor` the similarity below which a passage is not worth quoting, measured
    for that model (docs/knowledge.md).
    """

    name: str
    dim: int
    languages: frozenset[str] | None
    relevance_floor: float

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...


def _normalize(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


MAX_TOKENS = 256  # what MiniLM was trained on; its tokenizer file allows 512, at twice the cost


def _cap_tokens(model: object, limit: int) -> None:
    """Truncate inputs at `limit` tokens when the fastembed model exposes its tokenizer."""
    tokenizer = getattr(getattr(model, "model", None), "tokenizer", None)
    truncation = getattr(tokenizer, "truncation", None)
    if tokenizer is not None and truncation and truncation.get("max_length", 0) > limit:
        tokenizer.enable_truncation(max_length=limit)


class FastEmbedder:
    """fastembed's ONNX runtime: the bundled MiniLM, or any fastembed model by name."""

    def __init__(self, model_dir: Path, model_name: str = DEFAULT_MODEL, threads: int | None = None) -> None:
        from fastembed import TextEmbedding

        if model_name == DEFAULT_MODEL:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            self._model = TextEmbedding(
                model_name, specific_model_path=str(verified_folder(model_dir)), threads=threads)
            self.languages: frozenset[str] | None = frozenset({"en"})
        else:
            described = {m["model"]: m for m in TextEmbedding.list_supported_models()}
            if model_name not in described:
                raise KnowledgeError(f"{model_name!r} is not an embedding model fastembed knows.")
            try:
                self._model = TextEmbedding(model_name, cache_dir=str(model_dir), threads=threads)
            except Exception as exc:  # fastembed raises whatever its download step hit
                raise KnowledgeError(
                    f"Could not load the embedding model {model_name!r}: {exc}. Models other than "
                    "the bundled ones are downloaded by fastembed and need a reachable model hub."
                ) from exc
            multilingual = "multilingual" in str(described[model_name].get("description", "")).lower()
            self.languages = None if multilingual else frozenset({"en"})
        _cap_tokens(self._model, MAX_TOKENS)
        self.name = model_name
        self.relevance_floor = 0.36
        self.dim = int(self.embed(["dimension probe"]).shape[1])
        log.info("embedding model %s loaded (dim %d)", model_name, self.dim)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, getattr(self, "dim", 0)), dtype=np.float32)
        # texts sorted by length, so each small batch pads to a length close to its own texts
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        vectors = np.asarray(list(self._model.embed([texts[i] for i in order], batch_size=8)),
                             dtype=np.float32)
        restored = np.empty_like(vectors)
        restored[order] = vectors
        return _normalize(restored)


class MultilingualEmbedder:
    """Universal Sentence Encoder Multilingual v3 (quantized ONNX); the graph tokenizes
    raw strings itself with a SentencePiece op from onnxruntime-extensions."""

    def __init__(self, model_dir: Path, threads: int | None = None) -> None:
        import onnxruntime as ort
        from onnxruntime_extensions import get_library_path

        options = ort.SessionOptions()
        options.register_custom_ops_library(get_library_path())
        if threads:
            options.intra_op_num_threads = threads
        path = verified_folder(model_dir, MULTILINGUAL_MODEL) / "model.onnx"
        self._session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.name = MULTILINGUAL_MODEL
        self.languages = None
        self.relevance_floor = 0.27
        self.dim = int(self.embed(["dimension probe"]).shape[1])
        log.info("embedding model %s loaded (dim %d)", self.name, self.dim)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, getattr(self, "dim", 0)), dtype=np.float32)
        batches = [list(texts[i:i + 32]) for i in range(0, len(texts), 32)]
        outputs = [self._session.run(["outputs"], {"inputs": np.array(batch, dtype=object)})[0]
                   for batch in batches]
        return _normalize(np.concatenate(outputs).astype(np.float32))


_OPENED: dict[tuple[Path, str], Embedder] = {}
_OPENING = threading.Lock()


def open_embedder(model_dir: Path, model_name: str = DEFAULT_MODEL) -> Embedder:
    """The model, loaded once per process: loading takes seconds and a loaded model is
    read-only, so every index and classifier the process builds shares one instance."""
    key = (Path(model_dir).resolve(), model_name)
    with _OPENING:
        if key not in _OPENED:
            _OPENED[key] = (MultilingualEmbedder(model_dir) if model_name == MULTILINGUAL_MODEL
                            else FastEmbedder(model_dir, model_name))
        return _OPENED[key]


def open_embedders(model_dir: Path, primary: str, multilingual: str | None) -> tuple[Embedder, Embedder | None]:
    """The primary model, and the multilingual one unless it is off or the primary covers it."""
    first = open_embedder(model_dir, primary)
    if not multilingual or multilingual.lower() == "none" or first.languages is None:
        return first, None
    return first, open_embedder(model_dir, multilingual)
