"""Triage quality and speed: intents (bitext), out-of-scope detection, calibration, language.

Intents: the classifier is built from the bitext TRAIN split (6,480 utterances, 27 intents)
and scored on the DEV split (810). Everything it fits (k, temperature, out-of-scope floor)
comes from cross-validation over train inside `IntentClassifier`; nothing looks at dev.
Rules are off here (they name the demo tenant's "human_handoff", not bitext's intents).
Accuracy and macro-F1 count a declined message (name None) as wrong; "top-1" is the best
candidate even when declined. ECE (10 equal-width bins) compares the top candidate's
confidence with whether it was right, over all of dev.

Out of scope: dev (in scope) mixed with hand-written en/es/de/fr messages, twice:
bench/data/out_of_scope_support.txt (145, the dev split the detector was designed on) and
bench/data/out_of_scope_test.txt (229, the held-out test split, frozen before tuning); out of
scope is the positive class and the prediction is the `out_of_scope` flag. Each message is
classified with its language, so the routed pair
(MiniLM for English, USE for the rest) uses USE for es/de/fr. The same messages against the
demo tenant (demo/intents.yaml) show how a small tenant fares; bench/demo_intents.py scores
the demo tenant's intents themselves on held-out messages.

Language: `app.understanding.triage.detect_language` (langdetect, seeded) on labelled messages: bitext dev
(en), bench/data/crosslingual_demo.jsonl questions (es/de/fr) and their English renderings,
and the language-tagged out-of-scope files; split at 20 characters. "raw" is langdetect's
best guess; "sticky" keeps the conversation's language unless a message has >= 24 letters
and >= 0.90 confidence, seeded with the right language (false switches) or a wrong one
(does it recover).

    uv run python bench/triage.py
"""

from __future__ import annotations

import csv
import json
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np

from app.config.settings import load_settings
from app.understanding.intents import IntentClassifier, IntentResult, expected_calibration_error
from app.understanding.triage import detect_language
from knowledge.embedder import Embedder, open_embedder
from knowledge.model_files import DEFAULT_MODEL, MULTILINGUAL_MODEL

ROOT = Path(__file__).resolve().parents[1]
BITEXT = ROOT.parent / "shared" / "eval" / "bitext-intents"
TRAIN = BITEXT / "train" / "Bitext_Sample_Customer_Service_Training_Dataset.csv"
DEV = BITEXT / "dev" / "Bitext_Sample_Customer_Service_Validation_Dataset.csv"
DATA = ROOT / "bench" / "data"
LANGUAGES = ("en", "es", "de", "fr")
SHORT = 20


def read_bitext(path: Path) -> list[tuple[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [(row["utterance"], row["intent"]) for row in csv.DictReader(handle)]


OOS_DEV, OOS_TEST = "out_of_scope_support.txt", "out_of_scope_test.txt"


def read_out_of_scope(name: str = OOS_DEV) -> list[tuple[str, str]]:
    """(lang, text) pairs from a hand-written file (dev by default); '#' lines are its header."""
    rows = []
    for line in (DATA / name).read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            lang, text = line.split("\t", 1)
            rows.append((lang, text.strip()))
    return rows


def macro_f1(gold: Sequence[str], predicted: Sequence[str | None]) -> float:
    scores = []
    for label in sorted(set(gold)):
        tp = sum(g == label and p == label for g, p in zip(gold, predicted, strict=True))
        fp = sum(g != label and p == label for g, p in zip(gold, predicted, strict=True))
        fn = sum(g == label and p != label for g, p in zip(gold, predicted, strict=True))
        scores.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return float(np.mean(scores))


def reliability(confidence: np.ndarray, correct: np.ndarray, bins: int = 10) -> str:
    """'confidence bin: accuracy (n)' for every non-empty bin, the data behind the ECE."""
    index = np.minimum((confidence * bins).astype(int), bins - 1)
    return ", ".join(f"{b / bins:.1f}-{(b + 1) / bins:.1f}: {correct[index == b].mean():.0%} ({(index == b).sum()})"
                     for b in range(bins) if (index == b).any())


def top_candidate(result: IntentResult) -> str | None:
    if result.name is not None:
        return result.name
    return result.runners_up[0][0] if result.runners_up else None


def timed(classify: Callable[[str, str], IntentResult],
          rows: Sequence[tuple[str, str]]) -> tuple[list[IntentResult], list[float]]:
    """Classify (text, lang) rows, keeping each call's wall time in milliseconds."""
    results, millis = [], []
    for text, lang in rows:
        started = time.perf_counter()
        results.append(classify(text, lang))
        millis.append((time.perf_counter() - started) * 1000)
    return results, millis


def out_of_scope_figures(on_dev: list[IntentResult], on_oos: list[IntentResult],
                         oos: list[tuple[str, str]]) -> dict[str, object]:
    """Precision and recall of the out-of-scope flag (and of name None) on dev + `oos`."""
    results = on_dev + on_oos
    truth = np.array([False] * len(on_dev) + [True] * len(on_oos))
    flagged = np.array([r.out_of_scope for r in results])
    declined = np.array([r.name is None for r in results])
    return {
        "oos_p": float((flagged & truth).sum() / max(flagged.sum(), 1)),
        "oos_r": float((flagged & truth).sum() / truth.sum()),
        "none_p": float((declined & truth).sum() / max(declined.sum(), 1)),
        "none_r": float((declined & truth).sum() / truth.sum()),
        "oos_by_lang": {lang: float(np.mean([r.out_of_scope for r, (lg, _) in zip(on_oos, oos, strict=True)
                                             if lg == lang])) for lang in LANGUAGES},
    }


def evaluate(label: str, embedders: list[Embedder], train: list[tuple[str, str]],
             dev: list[tuple[str, str]], oos: list[tuple[str, str]],
             oos_test: list[tuple[str, str]]) -> dict[str, object]:
    exemplars: dict[str, list[str]] = {}
    for text, intent in train:
        exemplars.setdefault(intent, []).append(text)
    multilingual = embedders[1] if len(embedders) > 1 else None
    with tempfile.TemporaryDirectory() as cache:
        started = time.perf_counter()
        IntentClassifier(embedders[0], exemplars, multilingual=multilingual, rules=(), cache_dir=Path(cache))
        cold = time.perf_counter() - started
        started = time.perf_counter()
        classifier = IntentClassifier(embedders[0], exemplars, multilingual=multilingual, rules=(),
                                      cache_dir=Path(cache))
        warm = time.perf_counter() - started
    mixed = [(text, "en") for text, _ in dev] + [(text, lang) for lang, text in oos + oos_test]
    results, millis = timed(classifier.classify, mixed)
    on_dev, on_oos, on_test = results[:len(dev)], results[len(dev):len(dev) + len(oos)], results[len(dev) + len(oos):]
    gold = [intent for _, intent in dev]
    names = [r.name for r in on_dev]
    tops = [top_candidate(r) for r in on_dev]
    correct = np.array([t == g for t, g in zip(tops, gold, strict=True)])
    confidence = np.array([r.confidence for r in on_dev])
    return {
        "label": label, "classifier": classifier, "cold": cold, "warm": warm,
        "acc": float(np.mean([n == g for n, g in zip(names, gold, strict=True)])),
        "f1": macro_f1(gold, names), "top1": float(correct.mean()),
        "ece": expected_calibration_error(confidence, correct), "reliability": reliability(confidence, correct),
        "dev_oos": out_of_scope_figures(on_dev, on_oos, oos),
        "test_oos": out_of_scope_figures(on_dev, on_test, oos_test),
        "p50": float(np.percentile(millis, 50)), "p95": float(np.percentile(millis, 95)),
    }


def demo_tenant_line(label: str, embedders: list[Embedder], oos: list[tuple[str, str]],
                     oos_test: list[tuple[str, str]]) -> str:
    classifier = IntentClassifier.from_file(
        embedders[0], ROOT / "demo" / "intents.yaml", rules=(),
        multilingual=embedders[1] if len(embedders) > 1 else None)
    cells = []
    for rows in (oos, oos_test):
        results = [classifier.classify(text, lang) for lang, text in rows]
        flagged, declined = np.mean([r.out_of_scope for r in results]), np.mean([r.name is None for r in results])
        cells.append(f"{flagged:6.1%} / {declined:6.1%}")
    cal = classifier.calibrations[0]
    return (f"  {label:<18} dev {cells[0]}   test {cells[1]}   "
            f"(k={cal.k}, Gaussian weight {cal.gaussian_weight:.2f}, CV acc {cal.cv_accuracy:.1%}, "
            f"CV ECE {cal.cv_ece:.3f})")


def language_rows() -> list[tuple[str, str]]:
    """(lang, text) for every labelled message we have, in a fixed order."""
    rows = [("en", text) for text, _ in read_bitext(DEV)]
    for line in (DATA / "crosslingual_demo.jsonl").read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        rows += [(item["lang"], item["question"]), ("en", item["en"])]
    for line in (DATA / "out_of_scope_demo.jsonl").read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        rows.append((item["lang"], item["question"]))
    return rows + read_out_of_scope() + read_out_of_scope(OOS_TEST)


def language_table() -> None:
    rows = language_rows()
    wrong = {lang: LANGUAGES[(i + 1) % len(LANGUAGES)] for i, lang in enumerate(LANGUAGES)}
    policies: list[tuple[str, Callable[[str, str], bool]]] = [
        ("raw langdetect", lambda text, lang: detect_language(text, None, "en").detected == lang),
        ("sticky, seeded right", lambda text, lang: detect_language(text, lang, lang).language == lang),
        ("sticky, seeded wrong", lambda text, lang: detect_language(text, wrong[lang], wrong[lang]).language == lang),
    ]
    print(f"\nLanguage detection ({len(rows)} labelled messages; short = under {SHORT} characters; "
          "accuracy, n in brackets)")
    print(f"  {'':<8}{'policy':<22}" + "".join(f"{lang:>14}" for lang in (*LANGUAGES, "all")))
    for size, short in (("short", True), ("longer", False)):
        subset = [(lang, text) for lang, text in rows if (len(text) < SHORT) is short]
        for name, policy in policies:
            hits = [(lang, policy(text, lang)) for lang, text in subset]
            cells = []
            for lang in (*LANGUAGES, "all"):
                mine = [ok for lg, ok in hits if lang in ("all", lg)]
                cells.append(f"{np.mean(mine):6.1%} ({len(mine):>4})" if mine else f"{'-':>14}")
            print(f"  {size:<8}{name:<22}" + "".join(f"{cell:>14}" for cell in cells))


def split_sizes(rows: Sequence[tuple[str, str]]) -> str:
    return ", ".join(f"{lang} {sum(x == lang for x, _ in rows)}" for lang in LANGUAGES)


def main() -> None:
    settings = load_settings()
    minilm = open_embedder(settings.model_dir, DEFAULT_MODEL)
    use = open_embedder(settings.model_dir, MULTILINGUAL_MODEL)
    if not BITEXT.is_dir():
        print(f"bitext data not found at {BITEXT}: intent figures skipped (see ../shared/eval/SOURCES.md)")
        language_table()
        return
    train, dev = read_bitext(TRAIN), read_bitext(DEV)
    oos, oos_test = read_out_of_scope(), read_out_of_scope(OOS_TEST)
    print(f"bitext: train {len(train)} utterances / {len({i for _, i in train})} intents, dev {len(dev)}; "
          f"out-of-scope dev {len(oos)} ({split_sizes(oos)}), test {len(oos_test)} ({split_sizes(oos_test)})")
    configs = [("MiniLM", [minilm]), ("USE multilingual", [use]), ("MiniLM+USE routed", [minilm, use])]
    runs = [evaluate(label, embedders, train, dev, oos, oos_test) for label, embedders in configs]

    print("\nIntents on bitext dev (fitted on train only); out of scope: dev + the out-of-scope messages, "
          "positive = OOS flag")
    print(f"  {'embedder':<18}{'acc':>7}{'macroF1':>9}{'top-1':>7}{'ECE':>7}{'dev P':>7}{'dev R':>7}"
          f"{'test P':>8}{'test R':>8}{'fit cold':>10}{'fit warm':>10}{'p50 ms':>8}{'p95 ms':>8}")
    for r in runs:
        d, t = r["dev_oos"], r["test_oos"]
        print(f"  {r['label']:<18}{r['acc']:>7.1%}{r['f1']:>9.3f}{r['top1']:>7.1%}{r['ece']:>7.3f}"
              f"{d['oos_p']:>7.1%}{d['oos_r']:>7.1%}{t['oos_p']:>8.1%}{t['oos_r']:>8.1%}"
              f"{r['cold']:>9.1f}s{r['warm']:>9.2f}s{r['p50']:>8.2f}{r['p95']:>8.2f}")
    print("\n  details")
    for r in runs:
        classifier: IntentClassifier = r["classifier"]  # type: ignore[assignment]
        for cal in classifier.calibrations:
            print(f"  {r['label']:<18} {cal.embedder}: k={cal.k} T={cal.temperature:.4f} floor={cal.floor:.3f} "
                  f"Gaussian weight {cal.gaussian_weight:.2f} (shrinkage {cal.shrinkage}) "
                  f"CV acc {cal.cv_accuracy:.1%} CV ECE {cal.cv_ece:.3f} | embed {cal.embed_seconds:.2f}s "
                  f"(warm) + cross-validation {cal.fit_seconds:.2f}s")
        for split in ("dev_oos", "test_oos"):
            figures = r[split]
            by_lang = ", ".join(f"{lang} {share:.0%}" for lang, share in figures["oos_by_lang"].items())
            print(f"  {'':<18} {split[:-4]}: OOS recall by language: {by_lang}; name None as OOS: "
                  f"P {figures['none_p']:.1%} R {figures['none_r']:.1%}")
        print(f"  {'':<18} dev reliability, confidence bin: accuracy (n): {r['reliability']}")
    best = max(runs[:2], key=lambda r: (r["f1"], r["acc"]))
    print(f"\n  better single embedder on bitext (English) intents: {best['label']} "
          f"(macro-F1 {runs[0]['f1']:.3f} MiniLM vs {runs[1]['f1']:.3f} USE)")

    print("\nDemo tenant (demo/intents.yaml) on the out-of-scope messages: share flagged / declined")
    for label, embedders in configs:
        print(demo_tenant_line(label, embedders, oos, oos_test))
    language_table()


if __name__ == "__main__":
    main()
