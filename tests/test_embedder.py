"""The bundled MiniLM on onnxruntime gives fastembed's vectors, in the caller's order, and
the query-vector memory embeds a repeated question once."""

from __future__ import annotations

import numpy as np
import pytest

from app.config.settings import Settings
from knowledge.embedder import (
    TOKEN_BUDGET,
    FastEmbedder,
    MiniLMEmbedder,
    RememberingEmbedder,
    open_embedder,
    token_batches,
)
from knowledge.model_files import DEFAULT_MODEL

LONG = " ".join(f"Section {n}: refunds for damaged parcels are paid within {n} days." for n in range(60))
TEXTS = [
    "hi",
    "",
    "Where is my order #A-1234? It was due on Monday.",
    "¿Dónde está mi pedido? Llegó roto y quiero un reembolso.",
    "Straße, café, naïve — 東京の配送 🚚",
    "How do I reset my password if I no longer have access to the email address on my account?",
    LONG,  # far beyond the token budget: both sides truncate at the same place
    "Billing › Invoices\nDownload any invoice from Settings > Billing. Invoices list VAT separately. " * 6,
]


@pytest.fixture(scope="module")
def model_dir():
    return Settings().model_dir


def test_the_bundled_model_runs_on_onnxruntime_directly(model_dir) -> None:
    assert isinstance(open_embedder(model_dir, DEFAULT_MODEL).inner, MiniLMEmbedder)


def test_vectors_match_fastembeds_for_short_long_and_non_english_text(model_dir) -> None:
    ours = MiniLMEmbedder(model_dir).embed(TEXTS)
    reference = FastEmbedder(model_dir).embed(TEXTS)
    assert ours.shape == reference.shape == (len(TEXTS), 384)
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    cosine = (ours * reference).sum(axis=1)
    assert cosine.min() >= 0.999, dict(zip(TEXTS, cosine.round(5), strict=True))


def test_a_batch_of_mixed_lengths_keeps_the_callers_order(model_dir) -> None:
    model = MiniLMEmbedder(model_dir)
    together = model.embed(TEXTS)
    alone = np.stack([model.embed([text])[0] for text in TEXTS])
    assert ((together * alone).sum(axis=1) >= 0.9999).all()
    assert not np.allclose(together[2], together[5])  # different texts, different vectors


def test_long_texts_are_cut_at_the_token_budget(model_dir) -> None:
    model = MiniLMEmbedder(model_dir)
    assert len(model._tokenizer.encode(LONG).ids) == TOKEN_BUDGET
    # what lies beyond the budget does not change the vector
    assert np.allclose(model.embed([LONG])[0], model.embed([LONG + " Completely different tail."])[0])


def test_batches_pad_short_texts_together_and_long_ones_apart() -> None:
    lengths = [200, 5, 7, 250, 6, 180]
    batches = token_batches(lengths, budget=512, most=64)
    assert sorted(p for batch in batches for p in batch) == list(range(len(lengths)))
    assert batches[0] == [1, 4, 2]  # the short ones, shortest first, in one call
    for batch in batches:  # padded to the batch's longest, within the budget (a lone text may exceed it)
        assert len(batch) == 1 or len(batch) * max(lengths[p] for p in batch) <= 512


class CountingModel:
    """Counts the texts a model is asked to embed (it wraps the real model)."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.name, self.dim = inner.name, inner.dim
        self.languages, self.relevance_floor = inner.languages, inner.relevance_floor
        self.texts: list[str] = []

    def embed(self, texts):
        self.texts.extend(texts)
        return self.inner.embed(texts)


def test_a_repeated_question_is_embedded_once_until_forgotten(model_dir) -> None:
    counting = CountingModel(MiniLMEmbedder(model_dir))
    remembering = RememberingEmbedder(counting, size=2)
    first = remembering.embed(["Where is my order?"])
    again = remembering.embed(["Where is my order?"])
    assert np.array_equal(first, again) and counting.texts == ["Where is my order?"]
    remembering.embed(["How do I get a refund?"])
    remembering.embed(["Can I change my address?"])  # the memory holds two: the first is pushed out
    remembering.embed(["Where is my order?"])
    assert counting.texts.count("Where is my order?") == 2
    remembering.forget()
    remembering.embed(["Can I change my address?"])
    assert counting.texts.count("Can I change my address?") == 2


def test_batches_of_passages_are_not_remembered(model_dir) -> None:
    counting = CountingModel(MiniLMEmbedder(model_dir))
    remembering = RememberingEmbedder(counting)
    remembering.embed(["first passage", "second passage"])
    remembering.embed(["first passage", "second passage"])
    assert len(counting.texts) == 4 and len(remembering) == 0


async def test_one_customer_turn_embeds_the_question_once(tmp_path, monkeypatch) -> None:
    """Triage and retrieval both need the question's vector: the shared model remembers it."""
    from app.services import build_services
    from tests.support.engine import Chat, fixed_clock
    from tests.support.server import demo_tenant_file

    monkeypatch.setenv("FRONTLINE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("FRONTLINE_TENANTS", str(demo_tenant_file(tmp_path, ("reset-your-password",))))
    settings = Settings()
    remembering = open_embedder(settings.model_dir, settings.embedding_model)
    async with build_services(settings, fixed_clock(), recover=False) as services:
        counting = CountingModel(remembering.inner)
        remembering.inner = counting
        try:
            question = "The Brightwave app stopped showing new readings from my meter since yesterday, why?"
            remembering.forget()  # a question this process may have seen before
            reply, trace = await Chat(services).say(question)
        finally:
            remembering.inner = counting.inner
    assert reply and trace["intent"], trace  # triage ran, and retrieval: both embed the question
    assert counting.texts.count(question) == 1, counting.texts
