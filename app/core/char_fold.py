"""A text fold that works character by character, each character worked out once.

Several readers of a customer message fold it first (lower case, accents stripped) with a
function of one character at a time. Calling `unicodedata` for every character of a
3,000-character message costs milliseconds of pure Python on every turn; `CharFold` keeps the
folded form of every character it has seen and folds a text with `str.translate`, in C.
The result is exactly `"".join(fold_char(ch) for ch in text)`.
"""

from __future__ import annotations

from collections.abc import Callable

MAX_KNOWN = 20_000  # characters remembered per fold; past this (many scripts) the rest are worked out each time


class CharFold(dict[int, str]):
    """`fold(text)`: `fold_char` applied to every character of `text`, joined."""

    def __init__(self, fold_char: Callable[[str], str]) -> None:
        super().__init__()
        self._fold_char = fold_char

    def __missing__(self, code: int) -> str:
        folded = self._fold_char(chr(code))
        if len(self) < MAX_KNOWN:
            self[code] = folded
        return folded

    def __call__(self, text: str) -> str:
        return text.translate(self)
