"""Knowledge gaps grouped by what they ask: a cheap keyword clustering, no model needed.

A question's keywords are its lower-cased words without stop words (every language's list in
app/languages/<code>/search.yaml), digits or one-letter words, with a plural "s" taken off.
Questions with the same keywords form a group; then, largest group first, each group joins
the first cluster whose keywords it shares at least half of (Jaccard similarity over the two
keyword sets), found through an index of clusters by keyword. Good enough to show a support
lead "eight people asked about pausing a subscription"; not a topic model.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from functools import cache

from app.analytics.model import GapCluster
from app.core.language_data import languages
from knowledge.sparse import stopwords

JOIN_SIMILARITY = 0.5
EXAMPLE_CHARS = 160
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


@cache
def _stop_words() -> frozenset[str]:
    return frozenset(word for code in languages() for word in stopwords(code))


def keywords(text: str) -> frozenset[str]:
    stop = _stop_words()
    words = set()
    for word in _WORD.findall(text.lower()):
        if len(word) < 2 or word in stop:
            continue
        if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
            word = word[:-1]
        words.add(word)
    return frozenset(words)


def cluster(questions: Iterable[str], top: int = 10) -> list[GapCluster]:
    """The `top` largest clusters of the questions, each with its count and one example."""
    groups: Counter[frozenset[str]] = Counter()
    examples: dict[frozenset[str], str] = {}
    for question in questions:
        key = keywords(question)
        groups[key] += 1
        examples.setdefault(key, question)
    clusters: list[tuple[frozenset[str], list[frozenset[str]]]] = []  # (the first group's keywords, members)
    by_word: dict[str, list[int]] = {}
    for key, _count in sorted(groups.items(), key=lambda item: (-item[1], sorted(item[0]))):
        home = None
        for index in sorted({i for word in key for i in by_word.get(word, ())}):
            lead = clusters[index][0]
            if len(key & lead) / len(key | lead) >= JOIN_SIMILARITY:
                home = index
                break
        if home is None:
            home = len(clusters)
            clusters.append((key, []))
            for word in key:
                by_word.setdefault(word, []).append(home)
        clusters[home][1].append(key)
    found = [GapCluster(keywords=sorted(lead), count=sum(groups[k] for k in members),
                        example=_short(examples[members[0]]))
             for lead, members in clusters]
    found.sort(key=lambda c: (-c.count, c.keywords))
    return found[:top]


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= EXAMPLE_CHARS else text[:EXAMPLE_CHARS - 1] + "…"
