"""Grounded quotes show the whole answering unit: every step of a list, a link to the rest when a
unit is too long for the chat widget (never a cut inside a step), and one quote per part of a
multi-part question."""

from __future__ import annotations

from app.conversation.grounded import MAX_QUOTE_CHARS, fit_for_widget, kb_answer, quote
from knowledge.index import Hit
from knowledge.retrieval import PartHit

STEPS = "To fix sync problems, follow these steps:\n\n" + "\n".join(
    f"{i}. Open **Settings > Devices > Hub {i}**, check the status light and write down what it shows."
    for i in range(1, 13))


def hit(text: str, *, doc: str = "app-not-syncing", heading: str = "How to fix sync problems") -> Hit:
    return Hit(doc_id=doc, title=doc.replace("-", " ").capitalize(), heading=heading, text=text,
               url=f"/kb/{doc}#{heading.lower().replace(' ', '-')}", score=0.1, point_id=f"{doc}/{heading}",
               similarity=0.7, heading_path=(heading,))


def test_a_list_of_steps_longer_than_the_old_cut_is_quoted_whole():
    assert 900 < len(STEPS) <= MAX_QUOTE_CHARS
    reply, citations = kb_answer([hit(STEPS)], "en")
    for line in STEPS.splitlines():
        assert (f"> {line}" if line else ">") in reply.splitlines()
    assert "Continued in the article" not in reply and "…" not in reply
    assert citations[0].section == "How to fix sync problems"


def test_a_unit_too_long_for_the_widget_is_cut_between_steps_and_links_to_the_article():
    long_steps = STEPS + "\n" + "\n".join(
        f"{i}. Restart the Hub {i} by holding its button for ten seconds, then wait for a steady green light."
        for i in range(13, 30))
    shown, cut = fit_for_widget(long_steps)
    assert cut and len(shown) <= MAX_QUOTE_CHARS
    last = shown.splitlines()[-1]
    assert last in long_steps.splitlines()  # the last line shown is a whole step
    reply, _ = kb_answer([hit(long_steps)], "en")
    assert "> … [Continued in the article](/kb/app-not-syncing#how-to-fix-sync-problems)" in reply
    assert reply.count("> 1. Open") == 1


def test_prose_without_lists_is_still_cut_at_a_sentence_end():
    text = " ".join(f"Sentence number {i} says something useful about refunds." for i in range(60))
    shown, cut = fit_for_widget(text, 400)
    assert cut and shown.endswith("refunds.") and len(shown) <= 400
    assert quote(text, 400).endswith("refunds. …")


def test_a_two_part_question_gets_a_quote_and_a_source_per_part():
    email = PartHit(**vars(hit("To change it:\n\n1. Go to Settings.\n2. Select Email.", doc="change-your-email",
                               heading="How to change your email")), part=0, question="how do I change my email")
    invoice = PartHit(**vars(hit("To download one:\n\n1. Go to Billing.\n2. Select Download PDF.",
                                 doc="download-your-invoices", heading="How to download an invoice")),
                      part=1, question="download last month's invoice?")
    extra = PartHit(**vars(hit("Other text.", doc="change-your-email", heading="Security notice")), part=0,
                    question="how do I change my email")
    reply, citations = kb_answer([email, invoice, extra], "en")
    assert [c.section for c in citations] == ["How to change your email", "How to download an invoice"]
    assert reply.index("> 2. Select Email.") < reply.index('And about "download last month\'s invoice?":') \
        < reply.index("> 2. Select Download PDF.")
    assert "Other text." not in reply
    spanish, _ = kb_answer([email, invoice], "es")
    assert "Y sobre «download last month's invoice?»:" in spanish
