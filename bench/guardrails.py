"""Guardrails quality and speed: personal-data redaction and prompt-injection detection.

PII: `guardrails.pii.find_pii` on ../shared/eval/pii/synth_dataset_v2.json (1,500 synthetic
English sentences with gold character spans), split by a seeded shuffle (seed 16) into a dev
half (patterns were tuned on it) and a held-out half (reported, never tuned on). Our kinds
map to the data set's types: EMAIL->EMAIL_ADDRESS, PHONE->PHONE_NUMBER, CARD->CREDIT_CARD,
IBAN->IBAN_CODE, NATIONAL_ID->US_SSN, ADDRESS->STREET_ADDRESS, NAME->PERSON. NAME is found
only where a greeting, signature, introduction or title announces it; most of the data
set's names stand in running text ("Maybe it's under Mathias Ruud") and are out of reach of
patterns, so PERSON recall stays low. The connector-known case (bench/pii_planted.py) plants
a demo customer's own values into the held-out sentences and measures `KnownPii`. Two
matching rules:

- overlap: a predicted span is a true positive when it overlaps a gold span of the mapped
  type; a gold span is found when a predicted span of the mapped kind overlaps it;
- strict: the shared characters cover at least 50% of the predicted span and at least 50%
  of the gold span.

"any PII" precision counts a predicted span as right when it overlaps a gold span of any
type (a phone number read as an SSN is still personal data). Types we do not detect are
listed with their counts. The false-positive rate of a kind is the share of sentences with
no gold span at all where that kind fires. Speed: milliseconds per sentence, and for a
4,000-character message made of data-set sentences.

Injection: `detect_injection` recall on ../shared/eval/prompt-injection/prompt_injections.csv
(35 attack prompts, the `prompt` column); its false-positive rate on the bitext dev split's
utterances (810 harmless support messages) and on the hand-written en/es/de/fr support
messages in bench/data (out-of-scope, cross-lingual and demo-intent sets);
`detect_document_injection`'s false-positive rate on the demo help center's paragraphs
(demo/helpcenter/, front matter dropped, split on blank lines). Missed attack ids and the
first false positives are printed for review. No pattern was written from the attack file.

PII harmless text: spans found in the bitext dev utterances and the help-center paragraphs,
which hold no personal data (the help center's role mailboxes such as support@ are kept).

    uv run python bench/guardrails.py [--json]
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import re
import statistics
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.pii_planted import planted_figures
from bench.triage import DATA, DEV, read_bitext, read_out_of_scope
from guardrails.injection import THRESHOLD, detect_document_injection, detect_injection
from guardrails.pii import KINDS, find_pii

ROOT = Path(__file__).resolve().parents[1]
EVAL = ROOT.parent / "shared" / "eval"
PII_DATA = EVAL / "pii" / "synth_dataset_v2.json"
ATTACKS = EVAL / "prompt-injection" / "prompt_injections.csv"
HELPCENTER = ROOT / "demo" / "helpcenter"
GOLD_TYPE = {"EMAIL": "EMAIL_ADDRESS", "PHONE": "PHONE_NUMBER", "CARD": "CREDIT_CARD", "IBAN": "IBAN_CODE",
             "NATIONAL_ID": "US_SSN", "ADDRESS": "STREET_ADDRESS", "NAME": "PERSON"}
SHOW = 10
SPLIT_SEED = 16


def pii_split() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(dev, held-out): the data set's rows shuffled with a fixed seed and cut in half."""
    rows = json.loads(PII_DATA.read_text(encoding="utf-8"))
    random.Random(SPLIT_SEED).shuffle(rows)
    return rows[: len(rows) // 2], rows[len(rows) // 2:]


def _overlap(a: tuple[int, int], b: tuple[int, int]) -> int:
    return max(0, min(a[1], b[1]) - max(a[0], b[0]))


def _strict(pred: tuple[int, int], gold: tuple[int, int]) -> bool:
    shared = _overlap(pred, gold)
    return shared * 2 >= pred[1] - pred[0] and shared * 2 >= gold[1] - gold[0] and shared > 0


def _ratio(num: int, den: int) -> float | None:
    return num / den if den else None


def pii_figures(rows: list[dict[str, Any]], *, harmless_too: bool = True) -> dict[str, Any]:
    predictions, millis = [], []
    for row in rows:
        started = time.perf_counter()
        predictions.append(find_pii(row["full_text"]))
        millis.append((time.perf_counter() - started) * 1000)
    gold_counts = Counter(span["entity_type"] for row in rows for span in row["spans"])
    kinds: dict[str, dict[str, Any]] = {}
    for kind in KINDS:
        gold_type = GOLD_TYPE[kind]
        tp = {"overlap": 0, "strict": 0}
        found = {"overlap": 0, "strict": 0}
        predicted = any_pii = 0
        for row, spans in zip(rows, predictions, strict=True):
            gold = [(g["start_position"], g["end_position"]) for g in row["spans"] if g["entity_type"] == gold_type]
            every = [(g["start_position"], g["end_position"]) for g in row["spans"]]
            mine = [(s.start, s.end) for s in spans if s.kind == kind]
            predicted += len(mine)
            for p in mine:
                tp["overlap"] += any(_overlap(p, g) for g in gold)
                tp["strict"] += any(_strict(p, g) for g in gold)
                any_pii += any(_overlap(p, g) for g in every)
            for g in gold:
                found["overlap"] += any(_overlap(p, g) for p in mine)
                found["strict"] += any(_strict(p, g) for p in mine)
        kinds[kind] = {
            "gold_type": gold_type, "gold": gold_counts[gold_type], "predicted": predicted,
            "precision": _ratio(tp["overlap"], predicted), "recall": _ratio(found["overlap"], gold_counts[gold_type]),
            "precision_strict": _ratio(tp["strict"], predicted),
            "recall_strict": _ratio(found["strict"], gold_counts[gold_type]),
            "precision_any_pii": _ratio(any_pii, predicted),
        }
    clean = [spans for row, spans in zip(rows, predictions, strict=True) if not row["spans"]]
    for kind in KINDS:
        kinds[kind]["fp_rate_clean"] = _ratio(sum(any(s.kind == kind for s in spans) for spans in clean), len(clean))
    micro_tp = sum(round((k["precision"] or 0) * k["predicted"]) for k in kinds.values())
    micro_pred = sum(k["predicted"] for k in kinds.values())
    micro_found = sum(round((k["recall"] or 0) * k["gold"]) for k in kinds.values())
    micro_gold = sum(k["gold"] for k in kinds.values())
    covered = set(GOLD_TYPE.values())
    long_text = ""
    for row in rows:
        if len(long_text) + len(row["full_text"]) + 1 > 4000:
            break
        long_text += row["full_text"] + "\n"
    runs = []
    for _ in range(50):
        started = time.perf_counter()
        find_pii(long_text)
        runs.append((time.perf_counter() - started) * 1000)
    harmless = [("bitext dev", text) for text, _ in read_bitext(DEV)] if harmless_too else []
    harmless += [(f"help center {name}", text) for name, text in helpcenter_passages()] if harmless_too else []
    harmless_spans = [f"{where}: {span.kind} {span.text!r}" for where, text in harmless for span in find_pii(text)]
    return {
        "sentences": len(rows), "clean_sentences": len(clean), "kinds": kinds,
        "harmless_texts": len(harmless), "harmless_spans": len(harmless_spans),
        "harmless_examples": harmless_spans[:SHOW],
        "micro": {"precision": _ratio(micro_tp, micro_pred), "recall": _ratio(micro_found, micro_gold)},
        "not_covered": {t: n for t, n in gold_counts.most_common() if t not in covered},
        "ms_per_sentence": statistics.fmean(millis), "ms_p95": statistics.quantiles(millis, n=20)[-1],
        "long_chars": len(long_text), "long_ms_p50": statistics.median(runs),
    }


def helpcenter_passages() -> list[tuple[str, str]]:
    """(file, paragraph) for every non-empty paragraph of the demo help center."""
    passages = []
    for path in sorted(HELPCENTER.iterdir()):
        if path.suffix.lower() not in (".md", ".markdown", ".html", ".htm"):
            continue
        text = path.read_text(encoding="utf-8")
        if text.startswith("---"):
            end = text.find("\n---", 3)
            text = text[end + 4:] if end != -1 else text
        if path.suffix.lower() in (".html", ".htm"):
            text = re.sub(r"<[^>]+>", "\n", text)
        passages += [(path.name, p.strip()) for p in re.split(r"\n\s*\n", text) if p.strip()]
    return passages


def handwritten_messages() -> list[tuple[str, str]]:
    """(lang, text) of the hand-written en/es/de/fr support messages in bench/data."""
    rows = read_out_of_scope()
    for name, field in (("crosslingual_demo.jsonl", "question"), ("demo_intents_dev.jsonl", "text"),
                        ("out_of_scope_demo.jsonl", "question")):
        for line in (DATA / name).read_text(encoding="utf-8").splitlines():
            if line.strip():
                item = json.loads(line)
                rows.append((item.get("lang") or item.get("language") or "?", item[field]))
    return rows


def injection_figures() -> dict[str, Any]:
    with ATTACKS.open(encoding="utf-8", newline="") as handle:
        attacks = list(csv.DictReader(handle))
    missed, doc_caught, millis = [], 0, []
    for row in attacks:
        started = time.perf_counter()
        finding = detect_injection(row["prompt"])
        millis.append((time.perf_counter() - started) * 1000)
        if not finding.is_injection:
            missed.append(f"{row['index']} ({row['group']}/{row['name']}, score {finding.score:.2f})")
        doc_caught += detect_document_injection(row["prompt"]).is_injection
    dev = [text for text, _ in read_bitext(DEV)]
    dev_flagged = []
    for text in dev:
        started = time.perf_counter()
        finding = detect_injection(text)
        millis.append((time.perf_counter() - started) * 1000)
        if finding.is_injection:
            dev_flagged.append(f"{text!r} ({', '.join(finding.signals)})")
    dev_signalled = sum(bool(detect_injection(text).signals) for text in dev)
    handwritten = handwritten_messages()
    hw_flagged = [f"{lang}: {text!r} ({', '.join(f.signals)})" for lang, text in handwritten
                  if (f := detect_injection(text)).is_injection]
    hw_languages = Counter(lang for lang, _ in handwritten)
    passages = helpcenter_passages()
    doc_flagged = []
    for name, text in passages:
        finding = detect_document_injection(text)
        if finding.is_injection:
            doc_flagged.append(f"{name}: {text[:100]!r} ({', '.join(finding.signals)})")
    document = "\n\n".join(text for _, text in passages)[:4000]
    runs = []
    for _ in range(20):
        started = time.perf_counter()
        detect_document_injection.__wrapped__(document)  # not the cached result
        runs.append((time.perf_counter() - started) * 1000)
    return {
        "threshold": THRESHOLD, "document_chars": len(document), "document_ms_p50": statistics.median(runs),
        "attacks": len(attacks), "caught": len(attacks) - len(missed),
        "recall": (len(attacks) - len(missed)) / len(attacks), "missed": missed,
        "recall_document_mode": doc_caught / len(attacks),
        "dev_messages": len(dev), "dev_fp": len(dev_flagged), "dev_fp_rate": len(dev_flagged) / len(dev),
        "dev_with_any_signal": dev_signalled, "dev_fp_examples": dev_flagged[:SHOW],
        "handwritten": len(handwritten), "handwritten_languages": dict(sorted(hw_languages.items())),
        "handwritten_fp": len(hw_flagged), "handwritten_fp_rate": len(hw_flagged) / len(handwritten),
        "handwritten_fp_examples": hw_flagged[:SHOW],
        "passages": len(passages), "passage_fp": len(doc_flagged), "passage_fp_rate": len(doc_flagged) / len(passages),
        "passage_fp_examples": doc_flagged[:SHOW],
        "ms_p50": statistics.median(millis), "ms_p95": statistics.quantiles(millis, n=20)[-1],
    }


def _shown(path: Path) -> str:
    return "../shared/eval/" + path.relative_to(EVAL).as_posix()


def _pct(value: float | None) -> str:
    return f"{value:6.1%}" if value is not None else f"{'-':>6}"


def show_pii_dev(dev: dict[str, Any]) -> None:
    print(f"PII dev half ({dev['sentences']} sentences; the patterns were tuned here), overlap P / R:")
    print("  " + "; ".join(f"{kind} {_pct(k['precision']).strip()} / {_pct(k['recall']).strip()}"
                           for kind, k in dev["kinds"].items()))


def show_planted(planted: dict[str, Any]) -> None:
    print(f"\nConnector-known customer values planted into {planted['sentences']} held-out sentences "
          f"({planted['customers']} demo customers; typed as recorded, lower/upper case, without accents, "
          "one name part, street line only, phone regrouped):")
    print(f"  {'kind':<10}{'planted':>9}{'R with record':>15}{'R patterns only':>17}")
    for kind, k in planted["kinds"].items():
        print(f"  {kind:<10}{k['planted']:>9}{_pct(_ratio(k['with_record'], k['planted'])):>15}"
              f"{_pct(_ratio(k['patterns_only'], k['planted'])):>17}")
    print("  missed with the record: " + ("; ".join(planted["missed_examples"]) or "none"))
    print(f"  NAME/ADDRESS/PHONE spans touching no planted value and no gold span: {planted['false_positives']}")
    for example in planted["false_positive_examples"]:
        print(f"    {example}")


def show(pii: dict[str, Any], inj: dict[str, Any]) -> None:
    print(f"PII redaction, held-out half: {pii['sentences']} sentences ({_shown(PII_DATA)}, seed {SPLIT_SEED}), "
          f"{pii['clean_sentences']} with no gold span")
    print("  overlap: a predicted span is right when it overlaps a gold span of the mapped type;")
    print("  strict: the shared characters cover >= 50% of both the predicted and the gold span")
    print(f"  {'kind':<12}{'gold type':<16}{'gold':>6}{'pred':>6}{'P':>8}{'R':>8}{'P strict':>10}{'R strict':>10}"
          f"{'P any PII':>11}{'FP clean':>10}")
    for kind, k in pii["kinds"].items():
        print(f"  {kind:<12}{k['gold_type']:<16}{k['gold']:>6}{k['predicted']:>6}{_pct(k['precision']):>8}"
              f"{_pct(k['recall']):>8}{_pct(k['precision_strict']):>10}{_pct(k['recall_strict']):>10}"
              f"{_pct(k['precision_any_pii']):>11}{_pct(k['fp_rate_clean']):>10}")
    print(f"  all seven kinds (micro, overlap): P {_pct(pii['micro']['precision']).strip()}, "
          f"R {_pct(pii['micro']['recall']).strip()}")
    print("  not covered (gold spans): " + ", ".join(f"{t} {n}" for t, n in pii["not_covered"].items()))
    print(f"  harmless support text (bitext dev utterances + demo help-center paragraphs, {pii['harmless_texts']} "
          f"texts): {pii['harmless_spans']} spans found")
    for example in pii["harmless_examples"]:
        print(f"    {example}")
    print(f"  speed: {pii['ms_per_sentence']:.3f} ms per sentence (p95 {pii['ms_p95']:.3f} ms); "
          f"a {pii['long_chars']}-character message: {pii['long_ms_p50']:.2f} ms (p50 of 50)")

    if "planted" in pii:
        show_planted(pii["planted"])
    print(f"\nPrompt injection (threshold {inj['threshold']})")
    print(f"  attacks ({_shown(ATTACKS)}): recall {inj['recall']:.1%} "
          f"({inj['caught']}/{inj['attacks']}); document mode {inj['recall_document_mode']:.1%}")
    print("  missed: " + ("; ".join(inj["missed"]) if inj["missed"] else "none"))
    print(f"  bitext dev utterances (harmless): false positives {inj['dev_fp_rate']:.2%} "
          f"({inj['dev_fp']}/{inj['dev_messages']}); any signal below the threshold: {inj['dev_with_any_signal']}")
    for example in inj["dev_fp_examples"]:
        print(f"    {example}")
    languages = ", ".join(f"{lang} {n}" for lang, n in inj["handwritten_languages"].items())
    print(f"  hand-written support messages in bench/data ({languages}): false positives "
          f"{inj['handwritten_fp_rate']:.2%} ({inj['handwritten_fp']}/{inj['handwritten']})")
    for example in inj["handwritten_fp_examples"]:
        print(f"    {example}")
    print(f"  demo help-center paragraphs, document mode: false positives {inj['passage_fp_rate']:.2%} "
          f"({inj['passage_fp']}/{inj['passages']})")
    for example in inj["passage_fp_examples"]:
        print(f"    {example}")
    print(f"  speed: p50 {inj['ms_p50']:.3f} ms, p95 {inj['ms_p95']:.3f} ms per message; "
          f"a {inj['document_chars']}-character passage: {inj['document_ms_p50']:.1f} ms (p50 of 20, uncached)")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    for needed in (PII_DATA, ATTACKS):
        if not needed.exists():
            sys.exit(f"{needed} is missing: the public evaluation data lives beside the repository in "
                     "../shared/eval (see its SOURCES.md); nothing was measured.")
    dev_rows, held_out = pii_split()
    dev, pii = pii_figures(dev_rows, harmless_too=False), pii_figures(held_out)
    pii["planted"] = planted_figures(held_out)
    inj = injection_figures()
    if args.json:
        print(json.dumps({"pii_dev": dev, "pii": pii, "injection": inj},
                         indent=2, ensure_ascii=False))
    else:
        show_pii_dev(dev)
        print()
        show(pii, inj)


if __name__ == "__main__":
    main()
