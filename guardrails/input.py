"""Input guardrails: what a customer message must satisfy before anything reads it."""

from __future__ import annotations

import re
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass

from guardrails.verdict import Verdict

REPLACEMENT = "\ufffd"


@dataclass(frozen=True)
class StorableText:
    text: str
    replaced: int = 0  # code points that UTF-8 cannot carry, each now U+FFFD


def storable_text(text: str) -> StorableText:
    """`text` with every unpaired surrogate replaced by U+FFFD.

    A JSON string may carry "\\ud800" on its own, and Python decodes it into a str that no
    UTF-8 consumer accepts: SQLite, the tokenizers, a model provider. A message is made
    storable once, where it enters, so it is kept and answered instead of failing midway.
    A surrogate pair split over two code points is joined back into its character.
    """
    try:
        text.encode("utf-8")
        return StorableText(text)
    except UnicodeEncodeError:
        pass
    fixed = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return StorableText(fixed, fixed.count(REPLACEMENT) - text.count(REPLACEMENT))


def not_empty(text: str) -> Verdict:
    if not text.strip():
        return Verdict("not_empty", False, "empty message", "input.empty")
    return Verdict.ok("not_empty")


def max_length(limit: int) -> Callable[[str], Verdict]:
    def check(text: str) -> Verdict:
        if len(text) > limit:
            return Verdict("max_length", False, f"{len(text)} characters > limit {limit}",
                           "input.too_long")
        return Verdict.ok("max_length")

    check.__name__ = "max_length"
    return check


# Unicode's control characters (category Cc: C0, DEL and C1) other than tab, line feed and
# carriage return, and the surrogates (Cs): one regex finds the first in C, not a Python loop
_UNPRINTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def printable_text(text: str) -> Verdict:
    """Reject control characters (other than whitespace); unpaired surrogates never get here
    (`storable_text` replaced them where the message entered)."""
    found = _UNPRINTABLE.search(text)
    if found is not None:
        return Verdict("printable_text", False, f"control character U+{ord(found[0]):04X}", "input.bad_encoding")
    return Verdict.ok("printable_text")


class RateLimiter:
    """At most `limit` messages per `window` seconds per key (a conversation)."""

    def __init__(self, limit: int = 20, window: float = 60.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.limit, self.window, self._clock = limit, window, clock
        self._seen: dict[str, deque[float]] = defaultdict(deque)

    def check(self, key: str, identity: str | None = None) -> Verdict:
        """`identity` (the customer) is for limits across conversations: guardrails/abuse_limits.py."""
        now = self._clock()
        seen = self._seen[key]
        while seen and now - seen[0] > self.window:
            seen.popleft()
        if len(seen) >= self.limit:
            return Verdict("rate_limit", False, f"{len(seen)} messages in {self.window:.0f}s",
                           "input.rate_limited")
        seen.append(now)
        return Verdict.ok("rate_limit")
