"""The folds that signals, entities, sentiment and the injection check apply to every message
now work through `CharFold` (app/core/char_fold.py), a character at a time at C speed: each
must give exactly what it gave when it walked the text in Python."""

from __future__ import annotations

import random
import unicodedata

import pytest

from app.core.char_fold import MAX_KNOWN, CharFold
from app.understanding import entities, sentiment, signals
from guardrails import injection


def signals_fold_as_written(text: str) -> str:
    out = []
    for ch in text:
        if ch in "\u2019\u2018\u02bc\u00b4`":
            out.append("'")
            continue
        base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c)).lower()
        out.append(base if len(base) == 1 else ch.lower() if len(ch.lower()) == 1 else ch)
    return "".join(out)


def entities_fold_as_written(text: str) -> str:
    out = []
    for ch in text:
        if ch.isascii():
            out.append(ch.lower())
            continue
        base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c)).lower()
        out.append(base if len(base) == 1 else ch.lower() if len(ch.lower()) == 1 else ch)
    return "".join(out).replace("\u2019", "'")


def sentiment_fold_as_written(text: str) -> str:  # the whole text at once: not a fold of characters
    decomposed = unicodedata.normalize("NFKD", text.replace("\u2019", "'"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def injection_cleanup_as_written(text: str) -> str:
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
    return "".join(ch for ch in unicodedata.normalize("NFD", text) if not unicodedata.combining(ch))


def injection_cleanup(text: str) -> str:
    return injection._drop_combining(unicodedata.normalize("NFD", injection._drop_format(text)))


FOLDS = [(signals._fold, signals_fold_as_written), (entities._fold, entities_fold_as_written),
         (sentiment._fold, sentiment_fold_as_written), (injection_cleanup, injection_cleanup_as_written)]

BMP = "".join(chr(c) for c in range(0x10000) if not 0xD800 <= c <= 0xDFFF)


@pytest.mark.parametrize(("fold", "as_written"), FOLDS)
def test_every_character_folds_as_it_did(fold, as_written):
    assert fold(BMP) == as_written(BMP)
    assert fold("\U0001d400\U0001f621 \U00010400") == as_written("\U0001d400\U0001f621 \U00010400")


@pytest.mark.parametrize(("fold", "as_written"), FOLDS)
def test_mixed_texts_fold_as_they_did(fold, as_written):
    """Combining marks after their letter or on their own, final sigma, ligatures, Hangul, emoji."""
    rng = random.Random(18)
    pieces = ["Déjà vu", "e\u0301\u0327", "\u0301x", "ΣΑΣ ΟΔΟΣ", "ﬁnal ﬂow", "Straße", "İstanbul", "한국어",
              "Ｆｕｌｌ", "don\u2019t", "ig\u200bnore", "½ €", "😡👍", "\u1e9b\u0323", "ǅ"]
    for _ in range(300):
        text = "".join(rng.choice(pieces) + rng.choice(["", " ", ".", "\n"]) for _ in range(rng.randint(1, 8)))
        assert fold(text) == as_written(text), text


def test_a_fold_remembers_a_bounded_number_of_characters():
    fold = CharFold(str.upper)
    assert fold("abc") == "ABC" and len(fold) == 3
    many = "".join(chr(0x4E00 + i) for i in range(MAX_KNOWN + 10))
    assert fold(many) == many.upper()
    assert len(fold) == MAX_KNOWN
