"""Dense text embeddings, loaded from local, hash-verified files when offline.

Two bundled models: all-MiniLM-L6-v2 run directly on onnxruntime (English), and the Universal
Sentence Encoder Multilingual v3 through onnxruntime (16 languages in one vector space, so
a Spanish question finds an English article). Any other fastembed model name is fetched by
fastembed itself where a model hub is reachable.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from app.core.errors import KnowledgeError
from knowledge.model_files import BUNDLES, DEFAULT_MODEL, MULTILINGUAL_MODEL, verified_folder

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


def vectors_key(embedder: Embedder) -> str:
    """What names an embedder's vectors in caches and index fingerprints: the model, and the
    `revision` of how it runs when that gives other vectors for the same model."""
    revision = getattr(embedder, "revision", "")
    return f"{embedder.name}@{revision}" if revision else embedder.name


def _normalize(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


TOKEN_BUDGET = 256  # what MiniLM was trained on; its tokenizer file allows 512, at twice the cost
MAX_TOKENS = TOKEN_BUDGET


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


class MiniLMEmbedder:
    """The bundled all-MiniLM-L6-v2, run directly on onnxruntime with its own tokenizer.

    Each text is its own call on one thread, never padded to a batchmate's length, and the
    texts of a batch (passages being indexed) are spread over one worker per core: on two
    cores that embeds passages about twice as fast as padded batches on two threads, and a
    short question as fast as two threads did, on one (bench/embedding_speed.py). It also keeps a
    text's vector independent of what it was embedded with: the products run in int8
    (knowledge/int8_matmul.py), and a call's activations share one quantization scale. Idle
    threads sleep, so the CPU a search or another request needs is not burned between calls.
    The vectors are fastembed's pooling: the mean under the attention mask, then unit length.
    """

    # knowledge/int8_matmul.py gives other vectors than the published file's float products:
    # named by the file that makes them, so that no cache mixes the two
    revision = "onnx-" + BUNDLES[DEFAULT_MODEL].files["model.onnx"][:12]

    def __init__(self, model_dir: Path, threads: int | None = None) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        folder = verified_folder(model_dir)
        self._tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self._tokenizer.enable_truncation(max_length=TOKEN_BUDGET)
        self._tokenizer.no_padding()
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._session = ort.InferenceSession(str(folder / "model.onnx"), options,
                                             providers=["CPUExecutionProvider"])
        self._workers = ThreadPoolExecutor(threads or min(os.cpu_count() or 1, 4), thread_name_prefix="minilm")
        self.name = DEFAULT_MODEL
        self.languages: frozenset[str] | None = frozenset({"en"})
        self.relevance_floor = 0.36
        self.dim = int(self.embed(["dimension probe"]).shape[1])
        log.info("embedding model %s loaded on onnxruntime (dim %d)", self.name, self.dim)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, getattr(self, "dim", 0)), dtype=np.float32)
        encodings = self._tokenizer.encode_batch(list(texts))
        if len(encodings) == 1:
            return _normalize(self._run(encodings[0])[None, :])
        return _normalize(np.stack(list(self._workers.map(self._run, encodings))))

    def _run(self, encoding: Any) -> np.ndarray:
        """One text's pooled vector (onnxruntime lets go of the interpreter lock meanwhile)."""
        ids = np.array([encoding.ids], dtype=np.int64)
        hidden = self._session.run(None, {"input_ids": ids, "attention_mask": np.ones_like(ids),
                                          "token_type_ids": np.array([encoding.type_ids], dtype=np.int64)})[0]
        return hidden[0].mean(axis=0)


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
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")  # as MiniLMEmbedder
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


QUERY_MEMORY = 512  # recent questions whose vectors are kept


class RememberingEmbedder:
    """A model that remembers the vectors of its most recent single-text calls (questions),
    so a question asked twice in a turn (triage, then retrieval), a retry or a follow-up
    repeating it is embedded once. Batches (passages being indexed) pass straight through:
    knowledge/vector_cache.py keeps those, by content, across processes."""

    def __init__(self, inner: Embedder, size: int = QUERY_MEMORY) -> None:
        self.inner = inner
        self.name, self.dim, self.revision = inner.name, inner.dim, getattr(inner, "revision", "")
        self.languages, self.relevance_floor = inner.languages, inner.relevance_floor
        self._size = size
        self._recent: OrderedDict[str, np.ndarray] = OrderedDict()
        self._embedding: dict[str, Future[np.ndarray]] = {}  # texts being embedded right now
        self._lock = threading.Lock()  # embeds run on worker threads

    def __len__(self) -> int:
        return len(self._recent)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if len(texts) != 1:
            return self.inner.embed(texts)
        text = texts[0]
        with self._lock:
            vector = self._recent.get(text)
            if vector is not None:
                self._recent.move_to_end(text)
                return vector[None, :].copy()
            running = self._embedding.get(text)
            if running is None:
                self._embedding[text] = mine = Future()
        if running is not None:  # a warm-up started it: wait for that one instead of a second run
            return running.result()[None, :].copy()
        try:
            vector = self.inner.embed([text])[0]
        except BaseException as exc:
            with self._lock:
                del self._embedding[text]
            mine.set_exception(exc)
            raise
        with self._lock:
            self._recent[text] = vector
            while len(self._recent) > self._size:
                self._recent.popitem(last=False)
            del self._embedding[text]
        mine.set_result(vector)
        return vector[None, :].copy()

    def forget(self) -> None:
        """Drop every remembered question (a benchmark timing fresh questions, a test)."""
        with self._lock:
            self._recent.clear()


_OPENED: dict[tuple[Path, str], RememberingEmbedder] = {}
_OPENING = threading.Lock()


def open_embedder(model_dir: Path, model_name: str = DEFAULT_MODEL) -> RememberingEmbedder:
    """The model, loaded once per process: loading takes seconds and a loaded model is
    read-only, so every index and classifier the process builds shares one instance (and
    its memory of recent questions)."""
    key = (Path(model_dir).resolve(), model_name)
    with _OPENING:
        if key not in _OPENED:
            if model_name == MULTILINGUAL_MODEL:
                model: Embedder = MultilingualEmbedder(model_dir)
            elif model_name == DEFAULT_MODEL:
                model = MiniLMEmbedder(model_dir)
            else:
                model = FastEmbedder(model_dir, model_name)
            _OPENED[key] = RememberingEmbedder(model)
        return _OPENED[key]


def open_embedders(model_dir: Path, primary: str, multilingual: str | None) -> tuple[Embedder, Embedder | None]:
    """The primary model, and the multilingual one unless it is off or the primary covers it."""
    first = open_embedder(model_dir, primary)
    if not multilingual or multilingual.lower() == "none" or first.languages is None:
        return first, None
    return first, open_embedder(model_dir, multilingual)
