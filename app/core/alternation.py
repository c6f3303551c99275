"""A long regex alternation of word-list entries, rearranged so that Python's `re` rejects a
position quickly, with exactly the same matches.

`re` is a backtracking engine: at every position of the text it tries the alternatives of
"a|b|c" one by one. It skips an alternative at once only when that alternative starts with a
literal character that differs from the text's; an alternative that starts with a group
("(?:include|insert) ...") or a boundary ("\\b(?:say|state) ...") is entered in full. With the
hundreds of entries that every language's word lists add up to, a 3,000-character message
costs tens of milliseconds of pure Python time. `arranged` rewrites the alternation in three
steps, each of which keeps the first match at every position (what `search`, `match` and
`finditer` return):

1. An entry's own top-level alternatives are listed as entries of their own ("a|b" inside
   an alternation is the same two alternatives).
2. A leading non-capturing group without a quantifier is spread over the rest of the entry
   ("(?:a|b)c" is "ac|bc", with a leading "\\b" kept on each): the engine tried "a" then "b",
   each followed by "c", in that order, and still does. Entries with capturing groups or
   backreferences are left as written.
3. Alternatives that start with the same literal character (after an optional "\\b") are put
   next to each other, each group in its first member's place; the order within a group is
   kept, and an alternative that does not start with a literal character stays where it was
   relative to every other one. At one position only alternatives whose first character is
   the text's character can match, so the order between two groups never decides a match.
   Each group is written "(?:...)", whose shared first character `re` then tests once; when
   every alternative of a run starts with "\\b", the boundary is tested once for the run.

For patterns compiled without IGNORECASE (the literals compared are lower case and folded
text is what they read).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

MAX_SPREAD = 64  # a leading group with more alternatives than this is left as written
_LITERAL = re.compile(r"[a-z0-9' ]")  # a character that stands for itself
_QUANTIFIERS = frozenset("?*+{")
_CAPTURING = re.compile(r"\((?!\?)|\(\?P<|\\\d")  # a capturing group, a named one, or a backreference
_BOUNDARY = "\\b"


def arranged(alternation: str) -> str:
    """`alternation` ("a|b|c", regex source) rewritten as described above."""
    alternatives = [spread for entry in _top_level(alternation) for spread in _spread(entry)]
    out: list[str] = []
    run: dict[str, list[str]] = {}
    for alternative in alternatives:
        first = _first_literal(alternative)
        if first is None:
            out += _grouped(run)
            run = {}
            out.append(alternative)
        else:
            run.setdefault(first, []).append(alternative)
    out += _grouped(run)
    return "|".join(out)


def _grouped(run: dict[str, list[str]]) -> list[str]:
    if not run:
        return []
    groups = list(run.values())
    if all(a.startswith(_BOUNDARY) for group in groups for a in group):
        inner = [_one_of([a[len(_BOUNDARY):] for a in group]) for group in groups]
        return [_BOUNDARY + "(?:" + "|".join(inner) + ")"]
    return [_one_of(group) for group in groups]


def _one_of(alternatives: list[str]) -> str:
    return alternatives[0] if len(alternatives) == 1 else "(?:" + "|".join(alternatives) + ")"


def _first_literal(alternative: str) -> str | None:
    """The literal character the alternative must start with (after an optional "\\b"), if any."""
    head = alternative.removeprefix(_BOUNDARY)
    if not _LITERAL.match(head) or head[1:2] in _QUANTIFIERS:
        return None
    return head[0]


def _spread(entry: str) -> list[str]:
    """The entry with a leading non-capturing group spread over its rest, recursively."""
    if _CAPTURING.search(entry):
        return [entry]
    boundary = _BOUNDARY if entry.startswith(_BOUNDARY) else ""
    rest = entry[len(boundary):]
    if not rest.startswith("(?:"):
        return [entry]
    end = _group_end(rest)
    if end < 0 or rest[end:end + 1] in _QUANTIFIERS:
        return [entry]
    options = _top_level(rest[3:end - 1])
    if "" in options or len(options) > MAX_SPREAD:
        return [entry]
    return [spread for option in options for spread in _spread(boundary + option + rest[end:])]


def _top_level(source: str) -> list[str]:
    """`source` split at the "|" that are outside every group and character class."""
    parts, start = [], 0
    for i, char, depth in _scan(source):
        if char == "|" and depth == 0:
            parts.append(source[start:i])
            start = i + 1
    parts.append(source[start:])
    return parts


def _group_end(source: str) -> int:
    """The index just after the ")" that closes the group opening `source`; -1 if none."""
    for i, char, depth in _scan(source):
        if char == ")" and depth == 0:
            return i + 1
    return -1


def _scan(source: str) -> Iterator[tuple[int, str, int]]:
    """(index, character, group depth after it) for every character outside escapes and classes."""
    depth, i, in_class = 0, 0, False
    while i < len(source):
        char = source[i]
        if char == "\\":
            i += 2
            continue
        if in_class:
            if char == "]":
                in_class = False
        elif char == "[":
            in_class = True
            i += 1
            if source[i:i + 1] == "^":
                i += 1
            if source[i:i + 1] == "]":  # "[]...]" and "[^]...]": the first "]" is a member
                i += 1
            continue
        else:
            if char == "(":
                depth += 1
            elif char == ")":
                depth -= 1
            yield i, char, depth
        i += 1
