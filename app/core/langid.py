"""langdetect's own algorithm, vectorised: the same answers, many times faster.

langdetect (seeded, so deterministic) runs 7 trials that each multiply 55 language
probabilities by the profile of one randomly drawn n-gram of the text until one language
passes 0.99999, checking every 5 draws. It does that multiplication in a Python loop over the
55 languages, and draws each n-gram with `random.choice`: for a short question, thousands of
Python calls per message. `FastDetector` reproduces the same seeded Mersenne Twister stream
with numpy's MT19937 (the same generator, started from `random.Random(seed)`'s state), turns
its words into the draws `random.choice` would make (the same rejection sampling) and
multiplies the same vectors a block of draws at a time, in logarithms. Its probabilities equal
langdetect's up to floating-point rounding (tests/test_langid.py compares them on many texts).
"""

from __future__ import annotations

import json
import math
import os
import random
import re
import threading
from dataclasses import dataclass
from functools import cache, lru_cache

import numpy as np
from langdetect.detector import Detector
from langdetect.detector_factory import PROFILES_DIRECTORY
from langdetect.lang_detect_exception import ErrorCode, LangDetectException
from langdetect.language import Language
from langdetect.utils.ngram import NGram

SEED = 0  # langdetect is random unless seeded; seeded, it gives one answer per text
CHECK_EVERY = 5  # langdetect normalises and checks for convergence every 5 draws
FIRST_STEP, LAST_STEP = 64, 1024  # draws multiplied in one numpy step, growing while a trial runs on
_LOG_TABLE = 256  # up to this many distinct n-grams, their logarithms are taken once a trial
_PREFIX = 1 << 15  # words of the seeded stream made once; a detection rarely needs more

_SPACES = re.compile("  +")
_normal_char = lru_cache(maxsize=65536)(NGram.normalize)  # a pure function of one character


def _normalized(text: str) -> str:
    """`NGram.normalize` applied to every character, as one `str.translate` (the table is the
    text's own, so detections on other threads never see it half made)."""
    return text.translate({ord(ch): _normal_char(ch) for ch in set(text)})


_profiles: Profiles | None = None
_loading = threading.Lock()


@dataclass(frozen=True)
class Profiles:
    """langdetect's language profiles, read as its DetectorFactory reads them, but kept as one
    matrix (a row of per-language probabilities for each n-gram) instead of a Python list per
    n-gram, so a text's rows are taken in one step."""

    langlist: list[str]
    word_lang_prob_map: dict[str, int]  # n-gram -> its row (the name langdetect's Detector reads)
    matrix: np.ndarray
    seed: int = SEED

    @classmethod
    def load(cls, directory: str = PROFILES_DIRECTORY) -> Profiles:
        files = os.listdir(directory)
        width = len(files)  # as langdetect sizes its vectors
        languages: list[str] = []
        rows: dict[str, int] = {}
        at_row: list[int] = []
        at_column: list[int] = []
        values: list[float] = []
        for filename in files:
            path = os.path.join(directory, filename)
            if filename.startswith(".") or not os.path.isfile(path):
                continue
            with open(path, encoding="utf-8") as file:
                profile = json.load(file)
            if profile["name"] in languages:
                raise LangDetectException(ErrorCode.DuplicateLangError, "Duplicate the same language profile.")
            column = len(languages)
            languages.append(profile["name"])
            for word, count in profile["freq"].items():
                row = rows.setdefault(word, len(rows))
                if 1 <= len(word) <= 3:
                    at_row.append(row)
                    at_column.append(column)
                    values.append(1.0 * count / profile["n_words"][len(word) - 1])
        matrix = np.zeros((len(rows), width))
        matrix[at_row, at_column] = values
        matrix.flags.writeable = False
        return cls(languages, rows, matrix)


@cache
def _seeded_words(seed: int | None) -> tuple[np.ndarray, dict[str, object]]:
    """The first _PREFIX words of `random.Random(seed)`'s stream, and the generator's state
    after them: every detection starts from the same seed, so they are made once."""
    words = random.Random(seed).getstate()[1]
    generator = np.random.MT19937(0)
    generator.state = {"bit_generator": "MT19937",
                       "state": {"key": np.array(words[:624], dtype=np.uint32), "pos": int(words[624])}}
    prefix = generator.random_raw(_PREFIX)
    prefix.flags.writeable = False
    return prefix, generator.state


class _Stream:
    """`random.Random(seed)`'s 32-bit words in order (numpy's MT19937 is the same generator)."""

    def __init__(self, seed: int | None) -> None:
        self._seed = seed
        self._words, _ = _seeded_words(seed)
        self._at = 0
        self._gauss_next: float | None = None
        self._state: dict[str, object] = {}

    def peek(self, count: int) -> np.ndarray:
        """The next `count` words, not yet consumed."""
        if len(self._words) - self._at < count:  # past the shared prefix: rare (slow trials of a long text)
            generator = np.random.MT19937(0)
            generator.state = self._state or _seeded_words(self._seed)[1]
            more = generator.random_raw(max(count, _PREFIX))
            self._state = generator.state
            self._words = np.concatenate((self._words, more))
        return self._words[self._at:self._at + count]

    def consume(self, count: int) -> None:
        self._at += count

    def random(self) -> float:
        """`random.random()`: 53 bits from two words."""
        high, low = (int(w) for w in self.peek(2))
        self.consume(2)
        return ((high >> 5) * 67108864.0 + (low >> 6)) * (1.0 / 9007199254740992.0)

    def gauss(self) -> float:
        """`random.gauss(0, 1)`, which makes two values at a time and keeps the second."""
        z, self._gauss_next = self._gauss_next, None
        if z is None:
            x2pi = self.random() * (2.0 * math.pi)
            g2rad = math.sqrt(-2.0 * math.log(1.0 - self.random()))
            z = math.cos(x2pi) * g2rad
            self._gauss_next = math.sin(x2pi) * g2rad
        return z

    def choices(self, population: int, count: int) -> tuple[np.ndarray, np.ndarray]:
        """Up to `count` draws of `random.choice` over `population` items from the next words,
        and how many words each draw has consumed by its end (rejected words included)."""
        bits = population.bit_length()  # `_randbelow`: getrandbits(k) until below the population
        words = self.peek(2 * count)  # at least half of the words are accepted
        values = words >> np.uint64(32 - bits)
        accepted = np.flatnonzero(values < population)[:count]
        return values[accepted].astype(np.intp), accepted + 1


class FastDetector(Detector):
    """A langdetect `Detector` whose trials run on numpy vectors."""

    def __init__(self, profiles: Profiles) -> None:
        super().__init__(profiles)
        self.profiles = profiles

    def append(self, text: str) -> None:
        """langdetect's `append`: addresses blanked, runs of spaces made one, at most
        max_text_length characters read."""
        text = NGram.normalize_vi(self.MAIL_RE.sub(" ", self.URL_RE.sub(" ", text)))
        self.text += _SPACES.sub(" ", text[:self.max_text_length])

    def _ngram_rows(self) -> list[int]:
        """The profile rows of the text's known 1-3-grams, in the order langdetect's
        `_extract_ngrams` lists them. Its NGram buffer holds the current word's last characters
        after one space; run over the normalised text with runs of spaces made one, that is: at
        each character, the character (unless a space), the pair ending there, and the triple
        ending there unless the one before is a space; nothing inside a run of capitals."""
        text = _SPACES.sub(" ", " " + _normalized(self.text))
        known = self.word_lang_prob_map.get
        found: list[int] = []
        for i in range(1, len(text)):
            ch, before = text[i], text[i - 1]
            if ch.isupper() and before.isupper():
                continue
            if ch != " " and (row := known(ch)) is not None:
                found.append(row)
            if (row := known(text[i - 1:i + 1])) is not None:
                found.append(row)
            if before != " " and (row := known(text[i - 2:i + 1])) is not None:
                found.append(row)
        return found

    def _detect_block(self) -> None:
        self.cleaning_text()
        found = self._ngram_rows()
        if not found:
            raise LangDetectException(ErrorCode.CantDetectError, "No features in text.")
        unique, rows = np.unique(np.array(found), return_inverse=True)  # draws index the list itself
        table = self.profiles.matrix[unique]
        languages = len(self.langlist)
        total = np.zeros(languages)
        stream = _Stream(self.seed)
        for _ in range(self.n_trial):
            prob = np.array(self.prior_map) if self.prior_map is not None else np.full(languages, 1.0 / languages)
            alpha = self.alpha + stream.gauss() * self.ALPHA_WIDTH
            weight = alpha / self.BASE_FREQ
            # a short text draws each of its few n-grams many times: take their logarithms once
            logs = np.log(weight + table) if len(table) <= _LOG_TABLE else None
            total += self._trial(np.log(prob), weight, table, logs, rows, stream) / self.n_trial
        self.langprob = total.tolist()

    def _trial(self, log_prob: np.ndarray, weight: float, table: np.ndarray, logs: np.ndarray | None,
               rows: np.ndarray, stream: _Stream) -> np.ndarray:
        """One of langdetect's trials, a block of draws at a time, in logarithms (no rescaling
        needed between checks). langdetect checks after draw i when i % 5 == 0 and stops once one
        language passes CONV_THRESHOLD (or at ITERATION_LIMIT); the first check that stops ends the
        trial there, and only the words up to that draw are consumed."""
        drawn, step = 0, FIRST_STEP
        while True:
            draws, used = stream.choices(len(rows), step)
            picked = rows[draws]
            steps = logs[picked] if logs is not None else np.log(weight + table[picked])
            cumulative = log_prob + np.cumsum(steps, axis=0)
            numbers = np.arange(drawn, drawn + len(draws))  # the iteration number of each draw
            checked = np.flatnonzero(numbers % CHECK_EVERY == 0)
            at_checks = cumulative[checked]
            top = at_checks.max(axis=1, keepdims=True)
            best = 1.0 / np.exp(at_checks - top).sum(axis=1)  # the normalised largest probability
            stops = np.flatnonzero((best > self.CONV_THRESHOLD) | (numbers[checked] >= self.ITERATION_LIMIT))
            if stops.size:
                last = int(checked[stops[0]])
                stream.consume(int(used[last]))
                final = cumulative[last] - cumulative[last].max()
                prob = np.exp(final)
                return prob / prob.sum()
            stream.consume(int(used[-1]))
            log_prob = cumulative[-1] - cumulative[-1].max()  # rescaled: only ratios matter
            drawn += len(draws)
            step = min(2 * step, LAST_STEP)


def loaded_profiles() -> Profiles:
    global _profiles
    with _loading:
        if _profiles is None:
            _profiles = Profiles.load()
    return _profiles


def detect_langs(text: str) -> list[Language]:
    """What `langdetect.detect_langs` returns for `text` (best first), computed faster."""
    detector = FastDetector(loaded_profiles())
    detector.append(text)
    return detector.get_probabilities()
