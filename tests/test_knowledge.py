"""Help-center loading and the Qdrant index: sync, tenancy, citations, bad files."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge.chunking import chunk_document
from knowledge.index import KnowledgeIndex
from knowledge.loaders import load_folder

ARTICLE = """---
title: {title}
category: Test
updated: 2026-01-01
---
{intro}

## {heading}

{body}
"""


def write(folder: Path, slug: str, title: str, heading: str, body: str, intro: str = "Intro text.") -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{slug}.md").write_text(ARTICLE.format(title=title, heading=heading, body=body, intro=intro))


@pytest.fixture
async def index(tmp_path, embedder):
    opened = await KnowledgeIndex.open(embedder, path=tmp_path / "qdrant")
    yield opened
    await opened.close()


async def sync(index: KnowledgeIndex, tenant: str, folder: Path, *, rebuild: bool = False):
    documents, skipped = load_folder(folder)
    return await index.sync(tenant, documents, {d.doc_id: f"/kb/{tenant}/{d.doc_id}" for d in documents},
                            skipped, origin=str(folder), rebuild=rebuild)


async def test_sync_embeds_only_what_changed_and_removes_what_disappeared(index, tmp_path):
    folder = tmp_path / "hc"
    write(folder, "reset-password", "Reset your password", "Steps", "Click Forgot password on the sign-in page.")
    write(folder, "shipping", "Shipping times", "Costs", "Standard shipping takes 3 to 5 business days.")
    first = await sync(index, "acme", folder)
    assert sorted(first.added) == ["reset-password", "shipping"] and first.sections_embedded == 4

    again = await sync(index, "acme", folder)
    assert sorted(again.unchanged) == ["reset-password", "shipping"] and again.sections_embedded == 0

    write(folder, "shipping", "Shipping times", "Costs", "Express shipping takes 2 business days.")
    (folder / "reset-password.md").unlink()
    changed = await sync(index, "acme", folder)
    assert changed.updated == ["shipping"] and changed.removed == ["reset-password"]
    assert await index.count("acme") == 2
    hits = await index.search("acme", "how long does shipping take", limit=5)
    assert {h.doc_id for h in hits} == {"shipping"}
    assert any("Express" in h.text for h in hits) and not any("3 to 5" in h.text for h in hits)


async def test_a_tenant_never_retrieves_another_tenants_text(index, tmp_path):
    write(tmp_path / "a", "secret-plan", "Acme internal refund rule", "Rule",
          "Acme refunds anything within 400 days, no questions asked.")
    write(tmp_path / "b", "returns", "Globex returns", "Window", "Globex accepts returns within 14 days.")
    await sync(index, "acme", tmp_path / "a")
    await sync(index, "globex", tmp_path / "b")
    for query in ("Acme internal refund rule 400 days", "refund", "secret-plan", "*", "acme"):
        for mode in ("hybrid", "dense", "sparse"):
            hits = await index.search("globex", query, limit=10, mode=mode)
            assert all(h.doc_id == "returns" for h in hits), (query, mode)
        assert await index.search("globex", query, limit=10), query
    assert await index.search("initech", "refund", limit=10) == []
    assert await index.search("globex", "   ", limit=10) == []


async def test_search_hit_carries_its_citation(index, tmp_path):
    write(tmp_path / "hc", "reset-password", "Reset your password", "How to reset",
          "Open the sign-in page, choose Forgot password and follow the emailed link within 60 minutes.",
          intro="Acme has sold garden tools since 1990.")
    await sync(index, "acme", tmp_path / "hc")
    best = (await index.search("acme", "I forgot my password", limit=1))[0]
    assert best.title == "Reset your password" and best.heading == "How to reset"
    assert best.url == "/kb/acme/reset-password#how-to-reset" and best.similarity > 0.4


async def test_bad_files_are_skipped_with_a_reason_and_the_rest_is_indexed(index, tmp_path):
    folder = tmp_path / "hc"
    write(folder, "good", "Good article", "Section", "Useful text about invoices.")
    (folder / "binary.md").write_bytes(b"\x00\x01\x02PNG\x00")
    (folder / "latin1.md").write_bytes("Caf\xe9 cr\xe8me".encode("latin-1"))
    (folder / "empty.md").write_text("---\ntitle: Empty\n---\n\n")
    (folder / "huge.md").write_text("x" * 2_000_001)
    (folder / "bad-front-matter.md").write_text("---\ntitle: [unclosed\n---\nText\n")
    report = await sync(index, "acme", folder)
    reasons = {Path(path).name: reason for path, reason in report.skipped}
    assert reasons == {
        "bad-front-matter.md": "the front matter is not valid YAML",
        "binary.md": "the file is binary, not text",
        "empty.md": "the article has no text",
        "huge.md": "the file is 2,000,001 bytes; the limit is 2,000,000",
        "latin1.md": "the file is not valid UTF-8 text",
    }
    assert report.added == ["good"] and await index.count("acme") == 2


async def test_demo_help_center_loads_completely():
    from tests.support.server import PROJECT_ROOT

    documents, skipped = load_folder(PROJECT_ROOT / "demo" / "helpcenter")
    assert skipped == [] and len(documents) >= 25
    assert all(d.title and d.category and chunk_document(d) for d in documents)


class BrokenEmbedder:
    """A model that fails part-way through a build (as a crashed or killed embed would)."""

    def __init__(self, real, fail_on: str) -> None:
        self.name, self.dim, self._real, self._fail_on = real.name, real.dim, real, fail_on
        self.languages, self.relevance_floor = real.languages, real.relevance_floor

    def embed(self, texts):
        if any(self._fail_on in text for text in texts):
            raise RuntimeError("embedding failed")
        return self._real.embed(texts)


async def test_rebuild_happens_aside_and_keeps_other_origins(index, tmp_path, embedder):
    write(tmp_path / "hc", "reset-password", "Reset your password", "Steps", "Use Forgot password.")
    write(tmp_path / "faq", "plans", "Compare plans", "Pro", "Pro costs 20 dollars a month.")
    await sync(index, "acme", tmp_path / "hc")
    await sync(index, "acme", tmp_path / "faq")
    before = await index._collection("acme")

    rebuilt = await sync(index, "acme", tmp_path / "hc", rebuild=True)
    assert rebuilt.rebuilt and rebuilt.updated == ["reset-password"]
    after = await index._collection("acme")
    assert after != before
    assert before not in [c.name for c in (await index._client.get_collections()).collections]
    assert {row["doc_id"] for row in await index.documents("acme")} == {"reset-password", "plans"}
    assert (await index.search("acme", "how much is the pro plan", limit=1))[0].doc_id == "plans"

    # a build that fails half-way is dropped; the live index is untouched
    write(tmp_path / "hc", "shipping", "Shipping", "Times", "Poison pill: shipping takes 3 days.")
    broken = KnowledgeIndex(index._client, BrokenEmbedder(embedder, "Poison pill"))
    with pytest.raises(RuntimeError):
        await sync(broken, "acme", tmp_path / "hc", rebuild=True)
    assert await index._collection("acme") == after
    names = [c.name for c in (await index._client.get_collections()).collections]
    assert names == [after]
    assert await index.count("acme") == 4


async def test_a_changed_model_or_chunker_rebuilds_aside_automatically(index, tmp_path):
    write(tmp_path / "hc", "reset-password", "Reset your password", "Steps", "Use Forgot password.")
    await sync(index, "acme", tmp_path / "hc")
    index.fingerprint = "0123456789"  # as if the embedding model had changed
    report = await sync(index, "acme", tmp_path / "hc")
    assert report.rebuilt and report.updated == ["reset-password"] and report.sections_embedded == 2
    assert "_0123456789_" in str(await index._collection("acme"))


async def test_same_id_from_another_origin_is_skipped_and_delete_by_source(index, tmp_path):
    write(tmp_path / "one", "faq", "FAQ one", "Q", "First answer about invoices.")
    write(tmp_path / "two", "faq", "FAQ two", "Q", "Second answer about invoices.")
    await sync(index, "acme", tmp_path / "one")
    report = await sync(index, "acme", tmp_path / "two")
    assert report.added == [] and len(report.skipped) == 1
    assert "already ingested from" in report.skipped[0][1] and str(tmp_path / "one") in report.skipped[0][1]
    assert await index.delete_document("acme", str(tmp_path / "one" / "faq.md")) == 2
    assert await index.count("acme") == 0


async def test_questions_in_other_languages_find_english_articles(tmp_path, embedder, multilingual_embedder):
    index = await KnowledgeIndex.open(embedder, path=tmp_path / "q", multilingual=multilingual_embedder)
    try:
        write(tmp_path / "hc", "reset-password", "Reset your password", "How to reset",
              "Open the sign-in page, choose Forgot password and follow the emailed link.")
        write(tmp_path / "hc", "shipping", "Shipping times and costs", "Europe",
              "Orders to Germany, France and Spain arrive in four to seven business days.")
        write(tmp_path / "hc", "refunds", "Request a refund", "Annual plans",
              "Annual plans can be refunded within fourteen days of the charge.")
        await sync(index, "acme", tmp_path / "hc")
        for language, question, expected in (
                ("es", "Olvidé mi contraseña, ¿cómo la cambio?", "reset-password"),
                ("de", "Wie lange dauert der Versand nach Deutschland?", "shipping"),
                ("fr", "Puis-je être remboursé de mon abonnement annuel ?", "refunds")):
            best = (await index.search("acme", question, limit=1, language=language))[0]
            assert best.doc_id == expected, (question, best)
            assert best.floor == multilingual_embedder.relevance_floor  # scored by the multilingual model
        english = (await index.search("acme", "How long does shipping to Germany take?", 1, language="en"))[0]
        assert english.doc_id == "shipping" and english.floor == embedder.relevance_floor
    finally:
        await index.close()


async def test_an_unreachable_qdrant_server_is_a_clear_error(embedder):
    from app.core.errors import KnowledgeError

    with pytest.raises(KnowledgeError, match=r"Cannot open the knowledge index \(http://127.0.0.1:9\)"):
        await KnowledgeIndex.open(embedder, url="http://127.0.0.1:9")


def test_a_process_loads_each_embedding_model_once(embedder):
    from app.config.settings import Settings
    from knowledge.embedder import open_embedder, open_embedders

    settings = Settings()
    primary, multilingual = open_embedders(settings.model_dir, settings.embedding_model, settings.multilingual_model)
    assert primary is embedder is open_embedder(settings.model_dir, settings.embedding_model)
    assert multilingual is open_embedder(settings.model_dir, settings.multilingual_model) is not primary
