"""Chunking follows headings, keeps lists and tables whole with their introduction, overlaps long
prose, and keeps citation metadata."""

from __future__ import annotations

from knowledge.chunking import MAX_WORDS, OVERLAP_WORDS, UNIT_MAX_WORDS, anchor_for, chunk_document
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


def prose(label: str, sentences: int) -> str:
    return " ".join(f"The {label} note number {i} explains a detail here." for i in range(sentences))


STEPS = "These steps fix most cases:\n\n" + "\n".join(
    f"{i}. Open the step {i} screen and select the option labelled step {i}." for i in range(1, 9))


def test_a_list_stays_with_the_sentence_that_introduces_it():
    chunks = chunk_document(doc("## Fix it\n\n" + prose("opening", 12) + "\n\n" + STEPS + "\n\n"
                                + prose("closing", 12)))
    assert len(chunks) > 1  # the section is long, so it was split...
    with_steps = [c for c in chunks if "1. Open the step 1" in c.text]
    assert len(with_steps) == 1  # ...but not inside the list
    steps = with_steps[0].text
    assert steps.startswith("These steps fix most cases:") or "\n\nThese steps fix most cases:\n\n1." in steps
    assert all(f"{i}. Open the step {i} screen" in steps for i in range(1, 9))
    assert steps.index("These steps fix most cases:") < steps.index("1. Open")
    assert not any(c.text.rstrip().endswith("These steps fix most cases:") for c in chunks)
    assert "\n2. Open" in steps  # line structure survives, so a quote shows a list


def test_a_long_section_splits_between_lists_not_inside_them():
    second = "To finish, do this:\n\n" + "\n".join(
        f"- Check the finishing item {i} carefully today." for i in range(12))
    chunks = chunk_document(doc("## Setup\n\n" + STEPS + "\n\n" + prose("middle", 6) + "\n\n" + second))
    lists = [[c for c in chunks if marker in c.text] for marker in ("1. Open", "- Check the finishing item 0")]
    assert [len(found) for found in lists] == [1, 1]
    assert all(f"item {i} carefully" in lists[1][0].text for i in range(12))
    assert "To finish, do this:\n\n- Check the finishing item 0" in lists[1][0].text
    assert not any(c.text.rstrip().endswith("To finish, do this:") for c in chunks)


def test_a_table_is_kept_whole_with_its_header_and_introduction():
    table = "Prices by region:\n\n| Region | Standard | Express |\n|---|---|---|\n" + "\n".join(
        f"| Region {i} | {i} EUR | {i + 5} EUR |" for i in range(15))
    chunks = chunk_document(doc("## Shipping\n\n" + prose("intro", 15) + "\n\n" + table))
    holding = [c for c in chunks if "| Region |" in c.text]
    assert len(holding) == 1 and "Prices by region:" in holding[0].text
    assert all(f"\n| Region {i} |" in holding[0].text for i in range(15))  # still a table, row by row
    assert not any(c.text.rstrip().endswith("Prices by region:") for c in chunks)


def test_a_list_too_long_for_any_chunk_splits_between_items_repeating_its_introduction():
    items = [f"{i}. Step {i} asks you to press the button marked {i} and then wait a moment for it."
             for i in range(1, 41)]
    body = "## Long procedure\n\nFollow every step below:\n\n" + "\n".join(items)
    assert len(body.split()) > UNIT_MAX_WORDS
    chunks = chunk_document(doc(body))
    assert len(chunks) > 1
    assert all(c.text.startswith("Follow every step below:") for c in chunks)
    assert all(len(c.text.split()) <= MAX_WORDS for c in chunks)
    for item in items:  # every item whole, in exactly one chunk
        assert sum(item in c.text.splitlines() for c in chunks) == 1, item
