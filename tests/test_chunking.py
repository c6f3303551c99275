"""Chunking follows headings, overlaps long sections, and keeps citation metadata."""

from __future__ import annotations

from knowledge.chunking import MAX_WORDS, OVERLAP_WORDS, anchor_for, chunk_document
from knowledge.documents import Document


def doc(body: str, **extra: str) -> Document:
    return Document(doc_id="billing/refunds", title="Refunds", body=body, source="/hc/billing/refunds.md",
                    **extra)


def test_sections_follow_the_heading_tree():
    chunks = chunk_document(doc(
        "Intro paragraph.\n\n## Eligibility\n\nAnnual plans: 14 days.\n\n### Hardware\n\n30 days.\n\n"
        "## How to ask\n\nWrite to support.\n", url="https://help.example.com/refunds", language="en",
        updated="2026-09-01"))
    assert [c.heading_path for c in chunks] == [(), ("Eligibility",), ("Eligibility", "Hardware"),
                                                ("How to ask",)]
    assert [c.text for c in chunks] == ["Intro paragraph.", "Annual plans: 14 days.", "30 days.",
                                        "Write to support."]
    hardware = chunks[2]
    assert hardware.anchor == "hardware" and hardware.heading == "Hardware"
    assert (hardware.source, hardware.url, hardware.language, hardware.updated) == (
        "/hc/billing/refunds.md", "https://help.example.com/refunds", "en", "2026-09-01")
    assert hardware.embedding_text.startswith("Refunds — Eligibility › Hardware\n")
    assert [c.position for c in chunks] == [0, 1, 2, 3]


def test_long_sections_are_split_with_overlap_and_nothing_is_lost():
    sentences = [f"Fact number {i} is stated here." for i in range(200)]
    chunks = chunk_document(doc("## Policy\n\n" + " ".join(sentences)))
    assert len(chunks) > 1
    assert all(len(c.text.split()) <= MAX_WORDS + OVERLAP_WORDS for c in chunks)
    assert all(c.heading_path == ("Policy",) for c in chunks)
    for sentence in sentences:  # every sentence is in some chunk
        assert any(sentence in c.text for c in chunks), sentence
    for before, after in zip(chunks, chunks[1:], strict=False):  # each chunk repeats the end of the last
        last_sentence = before.text.rsplit(". ", 1)[-1]
        assert last_sentence.rstrip(".") in after.text


def test_text_without_sentence_breaks_is_still_bounded():
    chunks = chunk_document(doc("## Data\n\n" + " ".join(f"token{i}" for i in range(1000))))
    assert all(len(c.text.split()) <= MAX_WORDS for c in chunks)
    assert "token999" in chunks[-1].text and "token0" in chunks[0].text


def test_anchors_are_stable_and_readable():
    assert anchor_for("How to reset your Brightwave password") == "how-to-reset-your-brightwave-password"
    assert anchor_for("¿Cómo pedir un reembolso?") == "cómo-pedir-un-reembolso"
    assert chunk_document(doc("")) == []
