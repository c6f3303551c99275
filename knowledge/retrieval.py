"""The retrieval pipeline every answer path uses: split → candidates → rerank → merge.

`Retriever.search` has the signature of `KnowledgeIndex.search`, so the engine, the LLM
assistant and the agent's suggested replies get it without knowing: a multi-part message is
split into its questions (knowledge/questions.py), each question's first candidates from the
hybrid index are reranked (knowledge/rerank.py), and the parts' results are merged so that
every part's best passage is among the first hits. Given the customer's earlier turns, a
question is also searched with them and the two rankings fused (knowledge/context.py), so a
follow-up ("and if I'm abroad?") finds the article the conversation is about. Inside an
article, a section about the opposite action ("turning off" for "turn on") is not chosen
first, nor the introduction of an article whose steps a "how" question asks for
(knowledge/sections.py). Every other
index method (sync, count, documents, close ...) is the index's own.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from knowledge.context import ContextFusion
from knowledge.index import Hit, KnowledgeIndex, Mode
from knowledge.questions import split_question
from knowledge.rerank import Reranker
from knowledge.sections import choose_sections

CANDIDATES = 20  # hybrid candidates of each question the reranker rescores (chosen on DEV: bench/fit_rerank.py)


@dataclass(frozen=True)
class PartHit(Hit):
    """A hit found for one part of a multi-part question."""

    part: int = 0  # which part (0-based) of the question it answers
    question: str = ""  # that part's text


def merge_parts(rankings: list[list[Hit]], limit: int) -> list[Hit]:
    """Round robin over the parts' rankings (the first part first), each passage once: every
    part's best passage is in the first len(rankings) hits."""
    merged: list[Hit] = []
    seen: set[str] = set()
    for depth in range(max((len(r) for r in rankings), default=0)):
        for ranking in rankings:
            if depth < len(ranking) and ranking[depth].point_id not in seen:
                seen.add(ranking[depth].point_id)
                merged.append(ranking[depth])
    return merged[:limit]


class Retriever:
    """`KnowledgeIndex` with question splitting and reranking in front of its search."""

    def __init__(self, index: KnowledgeIndex, reranker: Reranker | None = None, *,
                 split: bool = True, candidates: int = CANDIDATES, context: ContextFusion | None = None) -> None:
        self.index = index
        self.reranker = reranker
        self.context = context
        self.split = split
        self.candidates = candidates

    def __getattr__(self, name: str) -> Any:  # sync, count, documents, close, fingerprint ...
        return getattr(self.index, name)

    async def search(self, tenant: str, query: str, limit: int = 5, *, mode: Mode = "hybrid",
                     language: str | None = None, earlier: Sequence[str] = ()) -> list[Hit]:
        """Hits for `query`, best first; for a multi-part question, each hit a PartHit.

        `earlier`: what the customer said before in this conversation, oldest first."""
        if not query.strip():
            return []
        parts = split_question(query, language) if self.split else [query]
        if len(parts) == 1:
            return (await self._in_context(tenant, query, earlier, mode, language))[:limit]
        rankings = []
        for number, part in enumerate(parts):
            hits = await self._in_context(tenant, part, earlier, mode, language)
            rankings.append([PartHit(**{f: getattr(h, f) for f in Hit.__dataclass_fields__},
                                     part=number, question=part) for h in hits])
        return merge_parts(rankings, limit)

    def warm(self, query: str, language: str | None, earlier: Sequence[str] = ()) -> None:
        """Start embedding what a turn will ask the model for: the question (triage's intent
        model shares its vector), a multi-part question's parts and a follow-up's context
        queries. Called as the turn begins, in the conversation's language so far, so the
        model works on them while triage reads the language, and on two cores side by side."""
        if not query.strip():
            return
        parts = split_question(query, language) if self.split else [query]
        texts = [query, *(parts if len(parts) > 1 else [])]
        if self.context is not None and any(turn.strip() for turn in earlier):
            texts += [self.context.query(part, earlier) for part in parts]
        self.index.warm(texts, language)

    async def _in_context(self, tenant: str, query: str, earlier: Sequence[str], mode: Mode,
                          language: str | None) -> list[Hit]:
        if self.context is None or not any(turn.strip() for turn in earlier):
            latest = await self._ranked(tenant, query, mode, language)
        else:  # both searches at once: their embeddings run in threads, side by side
            latest, context = await asyncio.gather(
                self._ranked(tenant, query, mode, language),
                self._ranked(tenant, self.context.query(query, earlier), mode, language))
            latest = self.context.fuse(query, latest, context, language)
        return choose_sections(query, latest, language)

    async def _ranked(self, tenant: str, query: str, mode: Mode, language: str | None) -> list[Hit]:
        hits = await self.index.search(tenant, query, self.candidates, mode=mode, language=language)
        if self.reranker is None or len(hits) < 2:
            return hits
        return self.reranker.rerank(query, hits, language)


def hit_part(hit: Hit) -> int:
    """The part of the question a hit answers (0 for a one-part question)."""
    return hit.part if isinstance(hit, PartHit) else 0



