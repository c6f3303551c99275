"""Language detection: langdetect itself against Frontline's detector (app/core/langid.py),
which gives the same answers, on short customer questions and a 3,000-character message.

    uv run python bench/langid_speed.py [--seconds 2]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import langdetect
from langdetect import DetectorFactory

from app.core.langid import detect_langs
from bench.vs_echo import LONG, QUESTIONS

SHORT = [*QUESTIONS, "hi", "thanks", "¿Cómo cambio mi contraseña?", "Wo ist meine Bestellung?",
         "Je voudrais un remboursement"]


def reference(text: str) -> object:
    DetectorFactory.seed = 0
    return langdetect.detect_langs(text)


def ms_per_text(detect: Callable[[str], object], texts: list[str], seconds: float) -> float:
    detect("warm up")
    count, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        for text in texts:
            detect(text)
        count += len(texts)
    return (time.perf_counter() - started) * 1000 / count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="per row")
    args = parser.parse_args()
    print(f"{'texts':<44} {'langdetect':>11} {'Frontline':>10}")
    for label, texts in ((f"{len(SHORT)} short questions (en/es/de/fr)", SHORT),
                         (f"one {len(LONG)}-character message", [LONG])):
        theirs = ms_per_text(reference, texts, args.seconds)
        ours = ms_per_text(detect_langs, texts, args.seconds)
        print(f"{label:<44} {theirs:8.3f} ms {ours:7.3f} ms   ({theirs / ours:.1f}x)")


if __name__ == "__main__":
    main()
