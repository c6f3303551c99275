"""Embedding vectors kept by content, so a text embedded once is not embedded again.

One file per model (`<model>-<dim>.npz`) maps the SHA-256 of each text to its vector.
Processes that share the folder share the work: a help center or an intent list embedded
by one server is read back by the next one, even with a fresh data folder. Only content an
operator supplies goes in (help-center sections, intent examples), never a customer's words.

The files only grow; delete one to prune it. An unreadable file is ignored and rewritten,
and a folder that cannot be written is reported in the log: the cache only ever saves time.
Writers merge with what is on disk and replace the file in one rename, so a reader never
sees half a file and two writers at once lose at most each other's newest vectors.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import re
import threading
import zipfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from knowledge.embedder import Embedder, vectors_key

log = logging.getLogger(__name__)


def _key(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8")).digest()


class VectorCache:
    """The vectors in `folder`, read on first use of each model and written back (then let
    go of) by `save`."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._known: dict[str, dict[bytes, np.ndarray]] = {}
        self._dirty: set[str] = set()
        self._lock = threading.Lock()  # the index embeds from worker threads

    def _path(self, embedder: Embedder) -> Path:
        return self.folder / f"{re.sub(r'[^A-Za-z0-9_.-]+', '_', vectors_key(embedder))}-{embedder.dim}.npz"

    def embed(self, embedder: Embedder, texts: Sequence[str]) -> np.ndarray:
        """`embedder`'s vectors for `texts`, embedding only the texts not seen before."""
        if not texts:
            return embedder.embed(texts)
        path = self._path(embedder)
        with self._lock:
            known = self._known.get(str(path))
            if known is None:
                known = self._known[str(path)] = _read(path)
        keys = [_key(text) for text in texts]
        missing = {key: text for key, text in zip(keys, texts, strict=True) if key not in known}
        if missing:
            vectors = embedder.embed(list(missing.values()))
            with self._lock:
                known.update(zip(missing, vectors, strict=True))
                self._dirty.add(str(path))
        return np.stack([known[key] for key in keys]).astype(np.float32)

    def known(self, embedder: Embedder, texts: Sequence[str]) -> np.ndarray | None:
        """`embedder`'s vectors for `texts` if every one was embedded before, else None
        (nothing is embedded: the caller decides whether that can wait)."""
        path = self._path(embedder)
        with self._lock:
            known = self._known.get(str(path))
            if known is None:
                known = self._known[str(path)] = _read(path)
            keys = [_key(text) for text in texts]
            if not texts or any(key not in known for key in keys):
                return None
            return np.stack([known[key] for key in keys]).astype(np.float32)

    def save(self) -> None:
        """Write the models' files that gained vectors, merged with what other processes wrote."""
        with self._lock:
            for name in sorted(self._dirty):
                path = Path(name)
                merged = _read(path) | self._known.get(name, {})
                scratch = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
                try:
                    self.folder.mkdir(parents=True, exist_ok=True)
                    with scratch.open("wb") as handle:
                        np.savez(handle, keys=np.array(list(merged), dtype="S32"),
                                 vectors=np.stack(list(merged.values())))
                    os.replace(scratch, path)
                except OSError as exc:
                    log.warning("cannot keep embedding vectors in %s: %s", self.folder, exc)
                    with contextlib.suppress(OSError):
                        scratch.unlink()
            self._dirty.clear()
            self._known.clear()  # read again at the next sync rather than held for the process's life


def _read(path: Path) -> dict[bytes, np.ndarray]:
    try:
        with np.load(path) as data:
            return dict(zip(data["keys"].tolist(), data["vectors"], strict=True))
    except (OSError, ValueError, KeyError, zipfile.BadZipFile):
        return {}


def embed_cached(embedder: Embedder, texts: Sequence[str], folder: Path | None) -> np.ndarray:
    """`embedder.embed(texts)` through the cache in `folder` (None: no cache), saved at once."""
    if folder is None or not texts:
        return embedder.embed(texts) if texts else np.zeros((0, embedder.dim), dtype=np.float32)
    cache = VectorCache(folder)
    vectors = cache.embed(embedder, texts)
    cache.save()
    return vectors
