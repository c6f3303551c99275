"""Dense text embeddings through fastembed, loaded from local files when offline."""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from knowledge.model_files import DEFAULT_MODEL, verified_folder

log = logging.getLogger(__name__)


class Embedder(Protocol):
    """Turns texts into unit-length vectors; cosine similarity is then a dot product."""

    name: str
    dim: int

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...


class FastEmbedder:
    """fastembed's ONNX runtime. The default model comes from the verified local folder;
    any other fastembed model name is fetched by fastembed itself where a hub is reachable."""

    def __init__(self, model_dir: Path, model_name: str = DEFAULT_MODEL, threads: int | None = None) -> None:
        from fastembed import TextEmbedding

        os.environ.setdefault("HF_HUB_OFFLINE", "1" if model_name == DEFAULT_MODEL else "0")
        if model_name == DEFAULT_MODEL:
            self._model = TextEmbedding(
                model_name, specific_model_path=str(verified_folder(model_dir)), threads=threads)
        else:
            self._model = TextEmbedding(model_name, cache_dir=str(model_dir), threads=threads)
        self.name = model_name
        self.dim = int(self.embed(["dimension probe"]).shape[1])
        log.info("embedding model %s loaded (dim %d)", model_name, self.dim)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, getattr(self, "dim", 0)), dtype=np.float32)
        # small batches: padding to the longest text in a batch costs more than batching saves
        vectors = np.asarray(list(self._model.embed(list(texts), batch_size=8)), dtype=np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.maximum(norms, 1e-12)
