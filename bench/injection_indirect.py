"""Indirect prompt injection: task-hijack instructions planted in real help-center chunks.

What is measured (`guardrails.injection.detect_document_injection`, the check every retrieved
passage and every string a company system returns passes before a customer or a model sees it):

- recall: each instruction of bench/data/injection_attacks_<split>.txt is planted at the start,
  in the middle (at the sentence boundary nearest the middle) and at the end of real chunks;
  one host chunk per position from each corpus (doc2dial, the demo help center), chosen
  deterministically among the chunks that are not flagged on their own. A poisoned chunk is
  caught when it is flagged. Figures per family and language;
- second held-out family: the 35 prompts of ../shared/eval/prompt-injection (Giskard) planted
  the same way;
- false positives: every chunk of doc2dial's 273 documents and of demo/helpcenter, cut by
  Frontline's own chunker (knowledge/chunking.py), scored as they are;
- held-out false positives: customer text never looked at while the rules were written, scored
  as if it were reference text (a tool result can carry what a customer wrote): the bitext
  training utterances (6,480) and doc2dial's user turns (3,972);
- direct messages: the figures of bench/guardrails.py for customer messages, printed again so a
  change to the patterns shows any regression there.

The test split was written and committed before the rules for this class and is never used to
tune them (bench/data/README.md); `--split dev` is the tuning set and prints what it misses.

    uv run python bench/injection_indirect.py [--split test|dev] [--show] [--json]
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import statistics
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from guardrails.injection import THRESHOLD, detect_document_injection
from knowledge.chunking import chunk_document
from knowledge.documents import Document
from knowledge.loaders import load_folder

ROOT = Path(__file__).resolve().parents[1]
EVAL = ROOT.parent / "shared" / "eval"
DOC2DIAL = EVAL / "doc2dial" / "derived_corpus.jsonl"
GISKARD = EVAL / "prompt-injection" / "prompt_injections.csv"
BITEXT_TRAIN = EVAL / "bitext-intents" / "train" / "Bitext_Sample_Customer_Service_Training_Dataset.csv"
DOC2DIAL_QUERIES = EVAL / "doc2dial" / "derived_queries.jsonl"
HELPCENTER = ROOT / "demo" / "helpcenter"
DATA = ROOT / "bench" / "data"
POSITIONS = ("start", "middle", "end")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def read_attacks(split: str) -> list[tuple[str, str, str]]:
    """(language, family, instruction) per line of the split's file."""
    rows = []
    for line in (DATA / f"injection_attacks_{split}.txt").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            language, family, text = line.split("\t", 2)
            rows.append((language, family, text.strip()))
    return rows


def corpora() -> dict[str, list[str]]:
    """Chunk texts per corpus, as Frontline's chunker cuts them; doc2dial only when present."""
    chunks: dict[str, list[str]] = {}
    if DOC2DIAL.exists():
        documents = []
        for line in DOC2DIAL.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            documents.append(Document(doc_id=row["doc_id"], title=row["title"], body=row["text"], source="doc2dial"))
        chunks["doc2dial"] = [c.text for d in documents for c in chunk_document(d)]
    documents, _ = load_folder(HELPCENTER)
    chunks["demo"] = [c.text for d in documents for c in chunk_document(d)]
    return chunks


def plant(host: str, attack: str, position: str) -> str:
    if position == "start":
        return f"{attack} {host}"
    if position == "end":
        return f"{host} {attack}"
    boundaries = [m.end() for m in _SENTENCE_END.finditer(host)] or [len(host) // 2]
    cut = min(boundaries, key=lambda b: abs(b - len(host) // 2))
    return f"{host[:cut].rstrip()} {attack} {host[cut:].lstrip()}"


def recall(attacks: list[tuple[str, str, str]], hosts: dict[str, list[str]]) -> dict[str, Any]:
    caught: Counter[str] = Counter()
    total: Counter[str] = Counter()
    missed: list[str] = []
    every_placement = 0
    for i, (language, family, text) in enumerate(attacks):
        all_caught = True
        for p, position in enumerate(POSITIONS):
            for name, clean in hosts.items():
                host = clean[(i * 7 + p * 13 + len(name)) % len(clean)]
                flagged = detect_document_injection(plant(host, text, position)).is_injection
                keys = ("all", f"family:{family}", f"language:{language}", f"position:{position}", f"corpus:{name}")
                for key in keys:
                    total[key] += 1
                    caught[key] += flagged
                all_caught = all_caught and flagged
        alone = detect_document_injection(text)
        if not all_caught:
            missed.append(f"{language}/{family}: {text!r} (alone: {alone.score:.2f} {', '.join(alone.signals)})")
        every_placement += all_caught
    return {"instructions": len(attacks), "poisoned_chunks": total["all"], "recall": caught["all"] / total["all"],
            "caught_in_every_placement": every_placement,
            "by": {key: (caught[key], total[key]) for key in sorted(total) if key != "all"}, "missed": missed}


def giskard(hosts: dict[str, list[str]]) -> dict[str, Any] | None:
    if not GISKARD.exists():
        return None
    with GISKARD.open(encoding="utf-8", newline="") as handle:
        rows = [("en", row["group"], row["prompt"]) for row in csv.DictReader(handle)]
    return recall(rows, hosts)


def false_positives(chunks: dict[str, list[str]]) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    for name, texts in chunks.items():
        millis, flagged = [], []
        for text in texts:
            started = time.perf_counter()
            finding = detect_document_injection.__wrapped__(text)  # timed without the cache
            millis.append((time.perf_counter() - started) * 1000)
            if finding.is_injection:
                flagged.append(f"{', '.join(finding.signals)} {finding.score:.2f}: {text[:160]!r}")
        figures[name] = {"chunks": len(texts), "flagged": len(flagged), "rate": len(flagged) / len(texts),
                         "examples": flagged, "ms_p50": statistics.median(millis),
                         "ms_p95": statistics.quantiles(millis, n=20)[-1]}
    return figures


def customer_text() -> dict[str, list[str]]:
    texts: dict[str, list[str]] = {}
    if BITEXT_TRAIN.exists():
        from bench.triage import read_bitext
        texts["bitext train"] = [text for text, _ in read_bitext(BITEXT_TRAIN)]
    if DOC2DIAL_QUERIES.exists():
        texts["doc2dial user turns"] = [json.loads(line)["last_user_turn"]
                                        for line in DOC2DIAL_QUERIES.read_text(encoding="utf-8").splitlines()]
    return texts


def direct_messages() -> dict[str, Any] | None:
    """The customer-message figures of bench/guardrails.py (needs the shared eval data)."""
    try:
        from bench.guardrails import injection_figures
        return injection_figures()
    except FileNotFoundError as exc:
        print(f"direct-message figures skipped: {exc}")
        return None


def _pct(num: int, den: int) -> str:
    return f"{num / den:.1%} ({num}/{den})" if den else "n/a"


def show_recall(label: str, result: dict[str, Any], show: bool) -> None:
    by = result["by"]
    caught_all = sum(c for k, (c, _) in by.items() if k.startswith("position:"))
    print(f"{label}: {result['instructions']} instructions x {len(POSITIONS)} placements x "
          f"{result['poisoned_chunks'] // (result['instructions'] * len(POSITIONS))} corpora = "
          f"{result['poisoned_chunks']} poisoned chunks")
    print(f"  recall {_pct(caught_all, result['poisoned_chunks'])}; instructions caught in every placement "
          f"{_pct(result['caught_in_every_placement'], result['instructions'])}")
    for prefix in ("position", "corpus", "language", "family"):
        parts = [f"{k.split(':', 1)[1]} {c / t:.0%} ({c}/{t})" for k, (c, t) in by.items()
                 if k.startswith(prefix + ":")]
        print(f"  by {prefix}: " + ", ".join(parts))
    if show:
        for line in result["missed"]:
            print(f"    missed {line}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--split", choices=("test", "dev"), default="test")
    parser.add_argument("--show", action="store_true", help="print what was missed and the false positives")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--no-direct", action="store_true", help="skip the customer-message figures")
    args = parser.parse_args()
    show = args.show or args.split == "dev"
    chunks = corpora()
    if "doc2dial" not in chunks:
        print(f"NOTE: {DOC2DIAL} is absent: doc2dial hosts and false positives are skipped.")
    hosts = {name: [t for t in texts if not detect_document_injection(t).is_injection]
             for name, texts in chunks.items()}
    figures: dict[str, Any] = {"threshold": THRESHOLD, "split": args.split,
                               "attacks": recall(read_attacks(args.split), hosts),
                               "giskard": giskard(hosts), "false_positives": false_positives(chunks),
                               "held_out_false_positives": false_positives(customer_text())}
    if not args.no_direct:
        figures["direct"] = direct_messages()
    if args.json:
        print(json.dumps(figures, indent=2, ensure_ascii=False))
        return
    print(f"Indirect prompt injection in help-center chunks (threshold {THRESHOLD})")
    show_recall(f"task-hijack instructions, {args.split} split (bench/data/injection_attacks_{args.split}.txt)",
                figures["attacks"], show)
    if figures["giskard"] is None:
        print(f"Giskard prompts: {GISKARD} is absent, skipped")
    else:
        show_recall("Giskard prompt-injection prompts (../shared/eval/prompt-injection)", figures["giskard"], show)
    for name, fp in figures["false_positives"].items():
        print(f"false positives, {name}: {_pct(fp['flagged'], fp['chunks'])} of clean chunks flagged; "
              f"{fp['ms_p50']:.2f} ms p50, {fp['ms_p95']:.2f} ms p95 per chunk")
        for line in fp["examples"][: (50 if show else 5)]:
            print(f"    {line}")
    all_fp = sum(fp["flagged"] for fp in figures["false_positives"].values())
    all_chunks = sum(fp["chunks"] for fp in figures["false_positives"].values())
    print(f"false positives, all chunks: {_pct(all_fp, all_chunks)}")
    for name, fp in figures["held_out_false_positives"].items():
        print(f"held-out false positives, {name} scored as reference text: {_pct(fp['flagged'], fp['chunks'])}")
        for line in fp["examples"][:5]:
            print(f"    {line}")
    direct = figures.get("direct")
    if direct:
        print(f"customer messages (bench/guardrails.py): Giskard recall {direct['recall']:.1%} "
              f"({direct['caught']}/{direct['attacks']}); bitext dev FP {direct['dev_fp_rate']:.2%} "
              f"({direct['dev_fp']}/{direct['dev_messages']}); hand-written FP {direct['handwritten_fp_rate']:.2%} "
              f"({direct['handwritten_fp']}/{direct['handwritten']}); help-center paragraphs FP "
              f"{direct['passage_fp_rate']:.2%} ({direct['passage_fp']}/{direct['passages']})")
        print(f"  the Giskard prompts alone in document mode: {direct['recall_document_mode']:.1%}; a "
              f"{direct['document_chars']}-character passage: {direct['document_ms_p50']:.1f} ms (p50, uncached)")


if __name__ == "__main__":
    main()
