"""langdetect's own algorithm, with its inner loop in numpy: the same answers, several times faster.

langdetect (seeded, so deterministic) runs 7 trials that each multiply 55 language
probabilities by the profile of one randomly drawn n-gram of the text until one language
passes 0.99999, normalising every 5 draws. It does that multiplication in a Python loop over
the 55 languages: ~10 ms of a customer's turn spent holding the event loop. `FastDetector`
draws the same n-grams from the same seeded generator in the same order and multiplies the
same vectors, a block of draws at a time, so its probabilities equal langdetect's up to
floating-point rounding (tests/test_langid.py compares them on many texts).
"""

from __future__ import annotations

import threading

import numpy as np
from langdetect import DetectorFactory
from langdetect.detector import Detector
from langdetect.detector_factory import PROFILES_DIRECTORY
from langdetect.lang_detect_exception import ErrorCode, LangDetectException
from langdetect.language import Language

DetectorFactory.seed = 0  # langdetect is random unless seeded
CHECK_EVERY = 5  # langdetect normalises and checks for convergence every 5 draws
DRAWS_PER_STEP = 64  # draws multiplied in one numpy step; the few past the stopping point are undone

_factory: DetectorFactory | None = None
_loading = threading.Lock()


class FastDetector(Detector):
    """A langdetect `Detector` whose trials run on numpy vectors."""

    def _detect_block(self) -> None:
        self.cleaning_text()
        ngrams = self._extract_ngrams()
        if not ngrams:
            raise LangDetectException(ErrorCode.CantDetectError, "No features in text.")
        unique = list(dict.fromkeys(ngrams))
        row_of = {gram: i for i, gram in enumerate(unique)}
        table = np.array([self.word_lang_prob_map[gram] for gram in unique])
        rows = np.array([row_of[gram] for gram in ngrams])
        positions = range(len(ngrams))  # drawn as langdetect draws from the n-gram list itself
        languages = len(self.langlist)
        total = np.zeros(languages)
        self.random.seed(self.seed)
        for _ in range(self.n_trial):
            prob = np.array(self.prior_map) if self.prior_map is not None else np.full(languages, 1.0 / languages)
            alpha = self.alpha + self.random.gauss(0.0, 1.0) * self.ALPHA_WIDTH
            total += self._trial(np.log(prob), alpha / self.BASE_FREQ, table, rows, positions) / self.n_trial
        self.langprob = total.tolist()

    def _trial(self, log_prob: np.ndarray, weight: float, table: np.ndarray, rows: np.ndarray,
               positions: range) -> np.ndarray:
        """One of langdetect's trials, DRAWS_PER_STEP draws at a time, in logarithms (no rescaling
        needed between checks). langdetect checks after draw i when i % 5 == 0 and stops once one
        language passes CONV_THRESHOLD (or at ITERATION_LIMIT); the first check that stops ends the
        trial there, and the generator is wound back to just after that draw, so the next trial
        draws what langdetect's would."""
        drawn = 0
        while True:
            state = self.random.getstate()
            picks = rows[[self.random.choice(positions) for _ in range(DRAWS_PER_STEP)]]
            cumulative = log_prob + np.cumsum(np.log(weight + table[picks]), axis=0)
            numbers = np.arange(drawn, drawn + DRAWS_PER_STEP)  # the iteration number of each draw
            checked = np.flatnonzero(numbers % CHECK_EVERY == 0)
            at_checks = cumulative[checked]
            top = at_checks.max(axis=1, keepdims=True)
            best = 1.0 / np.exp(at_checks - top).sum(axis=1)  # the normalised largest probability
            stops = np.flatnonzero((best > self.CONV_THRESHOLD) | (numbers[checked] >= self.ITERATION_LIMIT))
            if stops.size:
                last = int(checked[stops[0]])
                self.random.setstate(state)
                for _ in range(last + 1):
                    self.random.choice(positions)
                final = cumulative[last] - cumulative[last].max()
                prob = np.exp(final)
                return prob / prob.sum()
            log_prob = cumulative[-1] - cumulative[-1].max()  # rescaled: only ratios matter
            drawn += DRAWS_PER_STEP


def _loaded_factory() -> DetectorFactory:
    global _factory
    with _loading:
        if _factory is None:
            factory = DetectorFactory()
            factory.load_profile(PROFILES_DIRECTORY)
            _factory = factory
    return _factory


def detect_langs(text: str) -> list[Language]:
    """What `langdetect.detect_langs` returns for `text` (best first), computed faster."""
    detector = FastDetector(_loaded_factory())
    detector.append(text)
    return detector.get_probabilities()
