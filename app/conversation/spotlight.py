"""Spotlighting: reference text reaches the model inside blocks it can tell from instructions.

Hines et al. (2024), "Defending Against Indirect Prompt Injection Attacks With Spotlighting":
text the model should treat as data is delimited, and the system prompt says that nothing
inside the delimiters is an instruction. Each request draws a fresh random marker, named in
the system prompt and in every block, so a passage cannot close its own block and speak as
the system: it cannot know the marker, and any `<<`/`>>` it holds is defused before wrapping.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field

_ANGLE_PAIRS = re.compile(r"<<|>>")


def _new_marker() -> str:
    return secrets.token_hex(6)


@dataclass(frozen=True)
class Spotlight:
    marker: str = field(default_factory=_new_marker)

    def document(self, text: str, source: str) -> str:
        """One help-center passage as a marked block."""
        return (f"<<document {_defused(source)} marker={self.marker}>>\n{_defused(text)}\n"
                f"<</document marker={self.marker}>>")

    def holds(self, content: str) -> bool:
        """Whether `content` carries a block of this request (for tests and checks)."""
        return f"marker={self.marker}>>" in content


def _defused(text: str) -> str:
    """`<<`/`>>` read as block delimiters; inside a passage they become the guillemets they resemble."""
    return _ANGLE_PAIRS.sub(lambda m: "«" if m.group() == "<<" else "»", text)
