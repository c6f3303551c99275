"""Which of an article's sections answers: the retrieval pipeline's last step.

Reranking orders articles (doc2dial, on which it was fitted, labels articles, not sections);
inside an article the hybrid order stands, with two corrections a customer would notice:

- **Opposite actions** (knowledge/opposites.py): a section whose heading names the action asked
  comes before one naming only its opposite ("turn on 2FA" is not answered with "Turning off
  two-factor authentication").
- **Steps for a "how" question**: when an article's untitled introduction ("You can return any
  device within 30 days...") would lead and the question asks how to do something
  (knowledge/questions.py), the article's best section holding a list of steps leads instead.
  The introduction is often the closest text to a short question, yet it is not the answer to
  "how do I ...".

Articles keep their places; only the order of each article's own sections changes.
"""

from __future__ import annotations

from collections.abc import Sequence

from knowledge.hits import Hit
from knowledge.opposites import agreement, asked_sides
from knowledge.questions import asks_for_steps
from knowledge.rerank import holds_steps


def _is_introduction(hit: Hit) -> bool:
    return not hit.heading_path


def choose_sections(query: str, hits: Sequence[Hit], language: str | None = None) -> list[Hit]:
    """`hits` with each article's sections reordered in the places that article already held."""
    asked = asked_sides(query, language)
    procedural = asks_for_steps(query, language)
    if not asked and not procedural:
        return list(hits)
    places: dict[str, list[int]] = {}
    for place, hit in enumerate(hits):
        places.setdefault(hit.doc_id, []).append(place)
    ordered = list(hits)
    for doc_places in places.values():
        own = sorted((hits[p] for p in doc_places), key=lambda h: agreement(asked, h))  # stable
        if procedural:
            own = _steps_before_introduction(own)
        for place, hit in zip(doc_places, own, strict=True):
            ordered[place] = hit
    return ordered


def _steps_before_introduction(sections: list[Hit]) -> list[Hit]:
    """An article's sections with its best section holding steps first, when the introduction
    would have come first; otherwise as they are."""
    if not sections or not _is_introduction(sections[0]):
        return sections
    steps = next((h for h in sections if not _is_introduction(h) and holds_steps(h.text)), None)
    if steps is None:
        return sections
    return [steps, *(h for h in sections if h is not steps)]
