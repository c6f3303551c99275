"""'Are you a bot?' answered honestly, and requests for a person still handed off.

The demo tenant's classifier is built as app/services.py builds it (MiniLM for English, USE
for es/de/fr, the default rules) and every message of bench/data/bot_questions.jsonl is
classified with its labelled language. A `bot_identity` message passes when it gets the
`bot_identity` intent (the engine then answers it with messages.yaml `smalltalk.bot_identity`,
no handoff) and fails when it gets `human_handoff` (a handoff) or anything else. A `handoff`
message passes when it gets `human_handoff`. Before the bot_question rules the same file gave
the figures quoted in docs/benchmarks.md.

    uv run python bench/bot_questions.py
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.config.settings import load_settings
from app.understanding.intents import BOT_IDENTITY, HUMAN_HANDOFF, IntentClassifier
from knowledge.embedder import open_embedder
from knowledge.model_files import DEFAULT_MODEL, MULTILINGUAL_MODEL

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "bench" / "data" / "bot_questions.jsonl"
LANGUAGES = ("en", "es", "de", "fr")


def main() -> None:
    settings = load_settings()
    classifier = IntentClassifier.from_file(open_embedder(settings.model_dir, DEFAULT_MODEL),
                                            ROOT / "demo" / "intents.yaml",
                                            multilingual=open_embedder(settings.model_dir, MULTILINGUAL_MODEL))
    rows = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines() if line.strip()]
    outcomes = [(row, classifier.classify(row["text"], row["lang"]).name) for row in rows]
    wanted = {"bot_identity": BOT_IDENTITY, "handoff": HUMAN_HANDOFF}
    print(f"{DATA.relative_to(ROOT)}: {len(rows)} messages; demo tenant classifier with the default rules")
    for expect, title in (("bot_identity", "bot questions answered honestly (no handoff)"),
                          ("handoff", "requests for a person handed off")):
        cells = []
        for lang in (*LANGUAGES, "all"):
            mine = [name == wanted[expect] for row, name in outcomes
                    if row["expect"] == expect and lang in ("all", row["lang"])]
            rate = f" = {sum(mine) / len(mine):.1%}" if lang == "all" else ""
            cells.append(f"{lang} {sum(mine)}/{len(mine)}{rate}")
        print(f"  {title:<46} " + ", ".join(cells))
        if expect == "bot_identity":
            handed = sum(name == HUMAN_HANDOFF for row, name in outcomes if row["expect"] == expect)
            total = sum(row["expect"] == expect for row in rows)
            print(f"  {'bot questions handed off to a person':<46} {handed}/{total} = {handed / total:.1%}")
    misses = [(row, name) for row, name in outcomes if name != wanted[row["expect"]]]
    print(f"\n  misses ({len(misses)}): " + (", ".join(f"{k} {v}" for k, v in
                                                        Counter(str(n) for _, n in misses).most_common()) or "none"))
    for row, name in misses:
        print(f"  [{row['lang']}] {row['text']!r}: expected {row['expect']}, got {name}")


if __name__ == "__main__":
    main()
