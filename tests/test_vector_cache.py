"""The shared vector cache: text embedded once, by any process sharing the folder, is read
back instead of embedded again, and the index built from it searches the same."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from knowledge.index import KnowledgeIndex
from knowledge.loaders import load_folder
from knowledge.vector_cache import VectorCache, embed_cached
from tests.test_knowledge import write


class Counting:
    """The real embedder, counting the texts it is asked to embed."""

    def __init__(self, embedder) -> None:
        self._embedder = embedder
        self.name, self.dim, self.revision = embedder.name, embedder.dim, embedder.revision
        self.languages, self.relevance_floor = embedder.languages, embedder.relevance_floor
        self.texts: list[str] = []

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.texts.extend(texts)
        return self._embedder.embed(texts)


def test_a_second_cache_on_the_folder_embeds_only_new_texts(embedder, tmp_path):
    counting = Counting(embedder)
    first = VectorCache(tmp_path)
    vectors = first.embed(counting, ["reset your password", "shipping times"])
    first.save()
    assert counting.texts == ["reset your password", "shipping times"]

    again = VectorCache(tmp_path).embed(counting, ["shipping times", "refund policy", "reset your password"])
    assert counting.texts[2:] == ["refund policy"]
    assert np.allclose(again[[0, 2]], vectors[[1, 0]])
    assert np.allclose(again[1], embedder.embed(["refund policy"])[0], atol=1e-5)


def test_writers_merge_and_an_unreadable_file_is_rebuilt(embedder, tmp_path):
    one, two = VectorCache(tmp_path), VectorCache(tmp_path)
    one.embed(embedder, ["alpha"])
    two.embed(embedder, ["beta"])
    one.save()
    two.save()  # merges with what `one` wrote instead of replacing it
    counting = Counting(embedder)
    embed_cached(counting, ["alpha", "beta"], tmp_path)
    assert counting.texts == []

    (path,) = tmp_path.glob("*.npz")
    path.write_bytes(b"not a numpy archive")
    embed_cached(counting, ["alpha"], tmp_path)
    assert counting.texts == ["alpha"]
    embed_cached(counting, ["alpha"], tmp_path)
    assert counting.texts == ["alpha"]
    assert not list(tmp_path.glob("*.tmp"))


@pytest.mark.parametrize("cached", [True, False])
async def test_a_fresh_index_reuses_the_vectors_another_index_embedded(embedder, tmp_path, cached):
    folder = tmp_path / "hc"
    write(folder, "reset-password", "Reset your password", "Steps", "Click Forgot password on the sign-in page.")
    write(folder, "shipping", "Shipping times", "Costs", "Standard shipping takes 3 to 5 business days.")
    documents, skipped = load_folder(folder)
    cache: Path | None = tmp_path / "vectors" if cached else None
    hits = []
    counts = []
    for name in ("first", "second"):  # two data folders, as two servers have
        counting = Counting(embedder)
        index = await KnowledgeIndex.open(counting, path=tmp_path / name / "qdrant", vector_cache=cache)
        try:
            report = await index.sync("acme", documents, {}, skipped, origin=str(folder))
            assert sorted(report.added) == ["reset-password", "shipping"] and report.sections_embedded == 4
            hits.append(await index.search("acme", "how long does shipping take", limit=5))
        finally:
            await index.close()
        counts.append(len(counting.texts) - 1)  # less the search's question
    assert counts[0] == 6  # each article's title and two sections
    assert counts[1] == (0 if cached else 6)
    assert [(h.doc_id, h.text, round(h.similarity, 5)) for h in hits[0]] == \
           [(h.doc_id, h.text, round(h.similarity, 5)) for h in hits[1]]


def test_a_folder_that_cannot_be_written_only_costs_the_saving(embedder, tmp_path, caplog):
    blocked = tmp_path / "file"
    blocked.write_text("a file where the cache folder should be")
    vectors = embed_cached(embedder, ["alpha", "beta"], blocked / "vectors")
    assert np.allclose(vectors, embedder.embed(["alpha", "beta"]), atol=1e-5)
    assert "cannot keep embedding vectors" in caplog.text
