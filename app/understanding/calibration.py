"""Scores, folds and temperature scaling shared by the intent models (app/understanding/intent_model.py).

A confidence should mean what it says: on messages distributed like the exemplars, 0.8 is
right about 80% of the time. Temperature scaling (Guo et al. 2017) divides a model's logits
by the T that minimises the held-out negative log-likelihood, a proper scoring rule; the
expected calibration error (ECE) checks the result.
"""

from __future__ import annotations

import numpy as np

__all__ = ["K_CANDIDATES", "expected_calibration_error", "fit_temperature", "intent_scores", "nll", "softmax",
           "stratified_folds"]

K_CANDIDATES = (1, 3, 5, 10)


def intent_scores(sims: np.ndarray, bounds: np.ndarray, k: int) -> np.ndarray:
    """(messages, intents): mean of each intent's k highest similarities; -inf entries are
    masked-out exemplars and do not count; an intent with none left scores -1."""
    scores = np.full((sims.shape[0], len(bounds) - 1), -1.0, dtype=np.float64)
    for intent, (lo, hi) in enumerate(zip(bounds[:-1], bounds[1:], strict=True)):
        take = min(k, int(hi - lo))
        top = -np.partition(-sims[:, lo:hi], take - 1, axis=1)[:, :take]
        valid = np.isfinite(top)
        counts = valid.sum(axis=1)
        totals = np.where(valid, top, 0.0).sum(axis=1)
        scores[:, intent] = np.where(counts > 0, totals / np.maximum(counts, 1), -1.0)
    return scores


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    probabilities: np.ndarray = shifted / shifted.sum(axis=1, keepdims=True)
    return probabilities


def nll(scores: np.ndarray, labels: np.ndarray, temperature: float) -> float:
    logits = scores / temperature
    top = logits.max(axis=1)
    log_norm = top + np.log(np.exp(logits - top[:, None]).sum(axis=1))
    return float((log_norm - logits[np.arange(len(labels)), labels]).mean())


def fit_temperature(scores: np.ndarray, labels: np.ndarray, low: float = 0.002, high: float = 2.0) -> float:
    """Golden-section search of log T in [log low, log high] for the least held-out NLL."""
    lo, hi = np.log(low), np.log(high)
    ratio = (5**0.5 - 1) / 2
    for _ in range(48):
        a, b = hi - ratio * (hi - lo), lo + ratio * (hi - lo)
        if nll(scores, labels, float(np.exp(a))) < nll(scores, labels, float(np.exp(b))):
            hi = b
        else:
            lo = a
    return float(np.exp((lo + hi) / 2))


def expected_calibration_error(confidence: np.ndarray, correct: np.ndarray, bins: int = 10) -> float:
    """Weighted mean |accuracy - confidence| over equal-width confidence bins."""
    index = np.minimum((confidence * bins).astype(int), bins - 1)
    total = 0.0
    for b in range(bins):
        members = index == b
        if members.any():
            total += members.mean() * abs(float(confidence[members].mean()) - float(correct[members].mean()))
    return total


def stratified_folds(bounds: np.ndarray, folds: int, seed: int) -> np.ndarray:
    """A fold number per exemplar (grouped by intent), each intent spread evenly over the folds."""
    rng = np.random.default_rng(seed)
    assigned = np.empty(int(bounds[-1]), dtype=np.int64)
    for lo, hi in zip(bounds[:-1], bounds[1:], strict=True):
        assigned[lo:hi] = (rng.permutation(hi - lo) + rng.integers(folds)) % folds
    return assigned
