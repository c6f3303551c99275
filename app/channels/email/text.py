"""The customer's own words out of a mail body: HTML made text, quoted history and signatures cut.

A reply carries the whole thread below it ("On Mon, Ann wrote:", "> " lines, a forwarded
"-----Original Message-----") and a signature; answering those again would repeat old
questions and feed the assistant the company's own earlier answers. What is cut is only what
follows the customer's new text, so a message that starts with a quote keeps its text below.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

# "On <date>, <name> wrote:" and its translations; the attribution may wrap onto a second line.
_ATTRIBUTION = re.compile(
    r"^\s*(?:"
    r"on\b.{0,200}\bwrote:"  # en
    r"|el\b.{0,200}\bescribió:"  # es
    r"|am\b.{0,200}\bschrieb.{0,80}:"  # de ("Am ... schrieb Ann <a@b>:")
    r"|le\b.{0,200}\ba écrit\s*:"  # fr
    r")\s*$", re.IGNORECASE | re.DOTALL)
_SEPARATORS = re.compile(
    r"^\s*(?:-{2,}\s*(?:original message|mensaje original|ursprüngliche nachricht|message d'origine)\s*-{2,}"
    r"|_{10,}"  # Outlook's rule above the quoted header block
    r"|(?:from|de|von)\s*:\s.+@.+"  # a quoted header block without a rule
    r")\s*$", re.IGNORECASE)
_SIGNATURE = re.compile(r"^-- ?$")  # RFC 3676 signature separator
_MOBILE = re.compile(
    r"^\s*(?:sent from my \w+.*|sent from (?:outlook|yahoo mail|mail) for \w+.*|get outlook for \w+.*"
    r"|enviado desde mi \w+.*|von meinem \w+ gesendet.*|envoyé de mon \w+.*|sent from my mobile.*)\s*$",
    re.IGNORECASE)


def strip_reply(text: str) -> str:
    """The new text of a reply: everything before the first quote, attribution, forwarded
    header, signature separator or mobile signature (quote lines inside the text are dropped)."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    kept: list[str] = []
    for index, line in enumerate(lines):
        two = line + " " + lines[index + 1] if index + 1 < len(lines) else line
        if kept and any(part.strip() for part in kept) and (
                _ATTRIBUTION.match(line) or _ATTRIBUTION.match(two) or _SEPARATORS.match(line)):
            break
        if _SIGNATURE.match(line) or _MOBILE.match(line):
            break
        if line.lstrip().startswith(">"):
            continue
        kept.append(line.rstrip())
    return "\n".join(kept).strip()


_BLOCKS = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "table", "hr"}
_HIDDEN = {"script", "style", "head", "title", "template", "noscript"}


class _TextOf(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0
        self.quoted = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN:
            self.hidden += 1
        elif tag == "blockquote" or (tag == "div" and any(k == "class" and v and "quote" in v for k, v in attrs)):
            self.quoted += 1
        if tag in _BLOCKS:
            self.parts.append("\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag == "blockquote" and self.quoted:
            self.quoted -= 1
        if tag in _BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append("> " + data if self.quoted else data)


def html_to_text(markup: str) -> str:
    """Readable text of an HTML body: no script or style content, quoted blocks marked "> "
    so `strip_reply` drops them like plain-text quotes."""
    parser = _TextOf()
    try:
        parser.feed(markup)
        parser.close()
    except Exception:  # broken markup: keep what was read, never fail the mail
        pass
    text = html.unescape("".join(parser.parts))
    lines = [re.sub(r"[ \t\u00a0]+", " ", line).strip() for line in text.split("\n")]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip()
