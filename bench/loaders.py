"""Document language at load: how often English help-center text is tagged another language.

A document tagged with the wrong language drops out of BM25 for questions in its real one
(knowledge/index.py keeps BM25 within a language). Data: the 273 English passages of
../shared/eval/doc2dial/derived_corpus.jsonl (DMV, SSA, VA and student-aid pages) in three
forms: as written; only the first paragraph, cut to 200 characters (a short FAQ answer); and
as a table (the passage's words in cells of up to three words, four cells a row, the way the
loaders render an HTML or Markdown table). Before: langdetect on the body, as loaders did
until now. After: `detect_language` (prose only, enough letters, confident) with the
tenant's default language (en) where it declines. The price of declining: the hand-written
es/de/fr support messages in bench/data (short, like a one-line FAQ answer) keep their own
language less often, and would need a declared language in a tenant whose default is
another. Thresholds were set from the langdetect
behaviour described in DESIGN.md before this data was run, and not changed after.

    uv run python bench/loaders.py [--json]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from langdetect import DetectorFactory, detect
from langdetect.lang_detect_exception import LangDetectException

from knowledge.loaders.language import detect_language

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "eval" / "doc2dial" / "derived_corpus.jsonl"
TENANT_DEFAULT = "en"


def _before(body: str) -> str | None:
    DetectorFactory.seed = 0
    try:
        return detect(body[:2000])
    except LangDetectException:
        return None


def _after(body: str) -> str:
    return detect_language(body) or TENANT_DEFAULT


def as_table(text: str) -> str:
    """A price or limits table made of the passage's words: a label cell of one or two words,
    then a number, an amount and a duration, the way fee and plan tables read."""
    words = [w for w in re.findall(r"[^\W\d_]+", text) if len(w) > 2][:60]
    rows = []
    for i in range(0, len(words) - 1, 2):
        n = i // 2 + 1
        rows.append(f"{words[i].title()} {words[i + 1]} | {n * 3} | ${n * 7}.99 | {n * 5} days")
    return "\n".join(rows)


def short_foreign() -> dict[str, Any]:
    """Short es/de/fr texts: how many keep their own language, before and after."""
    from bench.guardrails import handwritten_messages

    texts = [(lang, text) for lang, text in handwritten_messages() if lang in ("es", "de", "fr")]
    return {"texts": len(texts), "chars_median": sorted(len(t) for _, t in texts)[len(texts) // 2],
            "before_own": sum(_before(t) == lang for lang, t in texts),
            "after_own": sum(_after(t) == lang for lang, t in texts)}


def figures() -> dict[str, Any]:
    passages = [json.loads(line)["text"] for line in CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()]
    forms = {
        "as written": passages,
        "first paragraph, <= 200 chars": [p.strip().split("\n\n")[0][:200] for p in passages],
        "as a table": [as_table(p) for p in passages],
    }
    result: dict[str, Any] = {"passages": len(passages), "forms": {}}
    for name, bodies in forms.items():
        started = time.perf_counter()
        after = [_after(b) for b in bodies]
        after_ms = (time.perf_counter() - started) * 1000 / len(bodies)
        before = [_before(b) for b in bodies]
        result["forms"][name] = {
            "before_wrong": sum(code != "en" for code in before), "after_wrong": sum(code != "en" for code in after),
            "before_codes": dict(Counter(c or "none" for c in before if c != "en").most_common(6)),
            "after_codes": dict(Counter(c for c in after if c != "en").most_common(6)),
            "after_ms": after_ms,
        }
    result["short_foreign"] = short_foreign()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if not CORPUS.exists():
        sys.exit(f"{CORPUS} is missing: the public evaluation data lives beside the repository in "
                 "../shared/eval (see its SOURCES.md); nothing was measured.")
    found = figures()
    if args.json:
        print(json.dumps(found, indent=2))
        return
    n = found["passages"]
    print(f"English passages tagged another language ({n} doc2dial passages, tenant default {TENANT_DEFAULT}):")
    print(f"  {'form':<32}{'before':>16}{'after':>16}  wrong codes before -> after")
    for name, f in found["forms"].items():
        print(f"  {name:<32}{f['before_wrong']:>6} ({f['before_wrong'] / n:5.1%}){f['after_wrong']:>6} "
              f"({f['after_wrong'] / n:5.1%})  {f['before_codes'] or '-'} -> {f['after_codes'] or '-'}")
    f = found["short_foreign"]
    print(f"Short es/de/fr support messages keeping their own language ({f['texts']} hand-written in bench/data, "
          f"median {f['chars_median']} characters): before {f['before_own'] / f['texts']:.1%}, "
          f"after {f['after_own'] / f['texts']:.1%} (the rest take the tenant default)")
    print("  speed after: " + ", ".join(f"{name} {f['after_ms']:.2f} ms" for name, f in found["forms"].items()))


if __name__ == "__main__":
    main()
