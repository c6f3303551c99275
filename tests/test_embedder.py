"""The bundled MiniLM, its products run in int8, keeps the published model's vectors, in the
caller's order, and the query-vector memory embeds a repeated question once."""

from __future__ import annotations

import asyncio
import threading

import numpy as np
import pytest

from app.config.settings import Settings
from knowledge.embedder import (
    TOKEN_BUDGET,
    MiniLMEmbedder,
    RememberingEmbedder,
    open_embedder,
)
from knowledge.model_files import BUNDLES, DEFAULT_MODEL

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


def float_products(model_dir, texts):
    """The published file's own vectors: its int8 weights turned back into float32 before each
    product, mean-pooled under the mask (sentence-transformers' pooling), unit length."""
    import onnxruntime as ort

    folder = model_dir / BUNDLES[DEFAULT_MODEL].folder
    session = ort.InferenceSession(str(folder / "weights.onnx"), providers=["CPUExecutionProvider"])
    tokenizer = MiniLMEmbedder(model_dir)._tokenizer
    vectors = []
    for text in texts:
        ids = np.array([tokenizer.encode(text).ids], dtype=np.int64)
        hidden = session.run(None, {"input_ids": ids, "attention_mask": np.ones_like(ids),
                                    "token_type_ids": np.zeros_like(ids)})[0][0].mean(axis=0)
        vectors.append(hidden / np.linalg.norm(hidden))
    return np.stack(vectors)


def test_int8_products_keep_the_float_products_vectors_for_short_long_and_non_english_text(model_dir) -> None:
    ours = MiniLMEmbedder(model_dir).embed(TEXTS)
    reference = float_products(model_dir, TEXTS)
    assert ours.shape == reference.shape == (len(TEXTS), 384)
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    cosine = (ours * reference).sum(axis=1)
    # measured: 0.987 for the empty text, 0.993-0.999 for the others
    assert cosine.min() >= 0.98 and cosine.mean() >= 0.99, dict(zip(TEXTS, cosine.round(4), strict=True))


def test_int8_products_rank_passages_as_the_float_products_do(model_dir) -> None:
    passages = [text for text in TEXTS if len(text) > 20]
    questions = ["where is my parcel?", "my refund for a damaged parcel", "I can't sign in to my account",
                 "how are invoices taxed?"]
    model = MiniLMEmbedder(model_dir)
    ours = model.embed(questions) @ model.embed(passages).T
    reference = float_products(model_dir, questions) @ float_products(model_dir, passages).T
    assert (ours.argmax(axis=1) == reference.argmax(axis=1)).all()
    assert np.abs(ours - reference).max() < 0.03


def test_a_batch_of_mixed_lengths_keeps_the_callers_order(model_dir) -> None:
    model = MiniLMEmbedder(model_dir)
    together = model.embed(TEXTS)
    alone = np.stack([model.embed([text])[0] for text in TEXTS])
    # each text is its own call: its vector does not depend on what it was embedded with
    assert np.array_equal(together, alone)
    assert not np.allclose(together[2], together[5])  # different texts, different vectors


def test_long_texts_are_cut_at_the_token_budget(model_dir) -> None:
    model = MiniLMEmbedder(model_dir)
    assert len(model._tokenizer.encode(LONG).ids) == TOKEN_BUDGET
    # what lies beyond the budget does not change the vector
    assert np.allclose(model.embed([LONG])[0], model.embed([LONG + " Completely different tail."])[0])


class CountingModel:
    """Counts the texts a model is asked to embed (it wraps the real model)."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.name, self.dim, self.revision = inner.name, inner.dim, inner.revision
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


class HeldModel(CountingModel):
    """Counts, and holds each call until the test lets it finish."""

    def __init__(self, inner) -> None:
        super().__init__(inner)
        self.started, self.go = threading.Event(), threading.Event()

    def embed(self, texts):
        self.started.set()
        self.go.wait(timeout=30)
        return super().embed(texts)


async def test_a_question_asked_while_it_is_being_embedded_waits_for_that_run(model_dir) -> None:
    held = HeldModel(MiniLMEmbedder(model_dir))
    remembering = RememberingEmbedder(held)
    first = asyncio.create_task(asyncio.to_thread(remembering.embed, ["and what about the fee?"]))
    assert await asyncio.to_thread(held.started.wait, 10)
    second = asyncio.create_task(asyncio.to_thread(remembering.embed, ["and what about the fee?"]))
    await asyncio.sleep(0.05)
    held.go.set()
    one, two = await first, await second
    assert np.array_equal(one, two) and held.texts == ["and what about the fee?"]


def test_a_failed_run_fails_its_waiters_and_the_next_call_tries_again(model_dir) -> None:
    class Failing(CountingModel):
        def embed(self, texts):
            self.texts.extend(texts)
            if len(self.texts) == 1:
                raise RuntimeError("the model ran out of memory")
            return self.inner.embed(texts)

    remembering = RememberingEmbedder(Failing(MiniLMEmbedder(model_dir)))
    with pytest.raises(RuntimeError):
        remembering.embed(["where is my parcel?"])
    assert remembering.embed(["where is my parcel?"]).shape == (1, 384)


class ContextFirst(CountingModel):
    """Counts, and holds the latest question's own embedding until the context query has been
    asked for: only a context query started beside triage lets the turn go on at once."""

    def __init__(self, inner, latest: str, context: str) -> None:
        super().__init__(inner)
        self.latest, self.context, self.context_asked = latest, context, threading.Event()
        self.waited_for_context: bool | None = None

    def embed(self, texts):
        if list(texts) == [self.context]:
            self.context_asked.set()
        if list(texts) == [self.latest] and self.waited_for_context is None:
            self.waited_for_context = self.context_asked.wait(timeout=10)
        return super().embed(texts)


async def test_a_follow_up_embeds_its_context_query_once_and_beside_triage(tmp_path, monkeypatch) -> None:
    """The context query (earlier turns + the latest) starts embedding as the turn begins, beside
    triage's embedding of the question; the search then finds it instead of embedding it again."""
    from app.services import build_services
    from knowledge.context import context_query
    from tests.support.engine import Chat, fixed_clock
    from tests.support.server import demo_tenant_file

    monkeypatch.setenv("FRONTLINE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("FRONTLINE_TENANTS", str(demo_tenant_file(tmp_path, ("reset-your-password",))))
    settings = Settings()
    remembering = open_embedder(settings.model_dir, settings.embedding_model)
    first, latest = "How do I reset my password?", "and if I no longer have that email address?"
    context = context_query(latest, [first])
    async with build_services(settings, fixed_clock(), recover=False) as services:
        model = ContextFirst(remembering.inner, latest, context)
        remembering.inner = model
        try:
            remembering.forget()
            chat = Chat(services)
            await chat.say(first)
            model.texts.clear()
            reply, trace = await chat.say(latest)
        finally:
            remembering.inner = model.inner
    assert reply and trace["intent"], trace
    assert model.waited_for_context is True, "the context query was not started before triage embedded the question"
    assert model.texts.count(context) == 1 and model.texts.count(latest) == 1, model.texts
