"""Customer text shown to agents must not make the agent's browser fetch anything.

The console renders Markdown, and a Markdown image in a customer's message would be fetched
by every agent who opens the conversation: it reveals the agent's IP, browser and (through
the Referer) the console's address to whoever wrote it. Images become plain text naming
their address. Raw HTML is not rendered at all (`unsafe_allow_html = false` in
.chainlit/config.toml), so an `<img>` tag already shows as text.
"""

from __future__ import annotations

import re

# ![alt](url "title") and ![alt](<url>): the inline image forms.
_INLINE_IMAGE = re.compile(r"!\[([^\]\n]*)\]\(\s*<?([^)\s>]*)>?(?:\s+[^)]*)?\)")


def without_remote_images(markdown: str) -> str:
    """`markdown` with every image shown as "[image: url]" text instead of being loaded."""
    text = _INLINE_IMAGE.sub(lambda m: f"[image: {m.group(2) or m.group(1)}]", markdown)
    # Whatever else starts an image (reference style `![alt][ref]`, odd nesting) is escaped
    # into literal text.
    return text.replace("![", "!\\[")
