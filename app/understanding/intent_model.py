"""One embedder's intent model: nearest exemplars and a shared-covariance Gaussian, mixed and
calibrated by cross-validation over the tenant's exemplars; plus the out-of-scope test.

Fitting (stratified 5-fold cross-validation, seeded; every exemplar is scored by a model of
the other four folds only):

- kNN: each intent scores the mean cosine similarity of its k most similar exemplars;
  k in (1, 3, 5, 10) and a temperature are chosen by the least held-out negative
  log-likelihood (temperature scaling, Guo et al. 2017).
- Gaussian (app/understanding/gaussian.py): logits are minus half the Mahalanobis distance to
  each intent's mean; the shrinkage and a temperature are chosen the same way.
- The probabilities are w * Gaussian + (1 - w) * kNN, with w in {0, 1/4, ..., 1} chosen by the
  same held-out likelihood. A tenant with fewer exemplars than twice the embedding's
  dimensions (the demo tenant: about 300 for 384 or 512) keeps kNN alone, and the
  nearest-exemplar floor for out of scope: there the Gaussian over-generalised to help-center
  questions phrased unlike the exemplars, and its distances refused vague short requests
  ("my money") that should be offered a task. Averaging two models under-states
  confidence, so a last temperature on the log of the mixture is fitted the same way.
  Log-likelihood is a proper scoring rule: the result stays calibrated, and its held-out ECE
  is reported.

Out of scope, from in-scope exemplars only (tenants have no out-of-scope examples): with the
Gaussian, two
signals, the nearest exemplar's similarity (low: unlike anything) and the least Mahalanobis
distance (high: far from every intent). Each is turned into the share of held-out exemplars
that look at least as out of scope (its in-scope tail probability); the message's score is
the mean of the two, and the threshold is the (1 - coverage) quantile of the exemplars' own
held-out scores. With coverage 0.98 about 2% of messages like the exemplars are refused.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from app.understanding.calibration import (
    K_CANDIDATES,
    expected_calibration_error,
    fit_temperature,
    intent_scores,
    nll,
    softmax,
    stratified_folds,
)
from app.understanding.gaussian import SharedGaussian, fit_shared_gaussian

__all__ = ["Calibration", "RouteModel", "fit_route_model"]

SHRINKAGES = (0.1, 0.3, 0.6)
MIX_WEIGHTS = (0.0, 0.25, 0.5, 0.75, 1.0)
MIN_EXEMPLARS_PER_DIMENSION = 2  # below this a tenant keeps nearest exemplars alone
FOLDS = 5


@dataclass(frozen=True)
class Calibration:
    """What cross-validation fitted for one embedder, and what it saw (for traces and benchmarks)."""

    embedder: str
    k: int
    temperature: float  # kNN's
    floor: float  # nearest-exemplar similarity of the refused (1 - coverage) share of exemplars
    cv_accuracy: float
    cv_ece: float
    embed_seconds: float
    fit_seconds: float
    gaussian_weight: float = 0.0  # w above: 0 is pure kNN
    shrinkage: float = 0.0
    gaussian_temperature: float = 1.0
    out_of_scope_threshold: float = 0.0  # on the fused in-scope tail probability
    mixture_temperature: float = 1.0  # applied to the log of the mixed probabilities


@dataclass(frozen=True)
class RouteModel:
    vectors: np.ndarray  # (exemplars, dim), grouped by intent
    bounds: np.ndarray
    gaussian: SharedGaussian | None
    calibration: Calibration
    nearest_seen: np.ndarray  # held-out nearest similarities of the exemplars, sorted
    distance_seen: np.ndarray  # held-out least Mahalanobis distances, sorted

    def predict(self, vector: np.ndarray) -> tuple[np.ndarray, float, bool]:
        """(probabilities over the intents, nearest similarity, out of scope?) for one message."""
        cal = self.calibration
        # einsum, not BLAS: right after an ONNX run its spinning threads hold the cores, and a
        # multi-threaded BLAS product then waits ~10 ms for them (measured on 2 cores)
        sims = np.einsum("nd,d->n", self.vectors, vector)
        probs = softmax(intent_scores(sims[None, :], self.bounds, cal.k) / cal.temperature)[0]
        nearest = float(sims.max())
        if self.gaussian is None:
            return probs, nearest, nearest < cal.floor
        logits, distances = self.gaussian.scores(vector[None, :])
        if cal.gaussian_weight > 0:
            gaussian = softmax(logits / cal.gaussian_temperature)[0]
            mixed = cal.gaussian_weight * gaussian + (1.0 - cal.gaussian_weight) * probs
            probs = softmax(np.log(np.maximum(mixed, 1e-12))[None, :] / cal.mixture_temperature)[0]
        score = _tail_score(np.array([nearest]), distances.min(axis=1), self.nearest_seen, self.distance_seen)[0]
        return probs, nearest, bool(score < cal.out_of_scope_threshold)


def _tail_score(nearest: np.ndarray, distance: np.ndarray, nearest_seen: np.ndarray,
                distance_seen: np.ndarray) -> np.ndarray:
    """Mean of the in-scope tail probabilities: share of held-out exemplars at most as similar
    to their nearest neighbour, and share at least as far from every intent (low: out of scope)."""
    low_similarity = np.searchsorted(nearest_seen, nearest, side="right") / len(nearest_seen)
    far = 1.0 - np.searchsorted(distance_seen, distance, side="left") / len(distance_seen)
    scores: np.ndarray = (low_similarity + far) / 2.0
    return scores


def fit_route_model(embedder_name: str, vectors: np.ndarray, bounds: np.ndarray, coverage: float, seed: int,
                    embed_seconds: float) -> RouteModel:
    started = time.perf_counter()
    n, intents = len(vectors), len(bounds) - 1
    labels = np.repeat(np.arange(intents), np.diff(bounds))
    if n == 0:
        empty = np.array([0.0])
        return RouteModel(vectors, bounds, None, Calibration(embedder_name, 1, 1.0, 1.0, 0.0, 0.0, embed_seconds, 0.0),
                          empty, empty)
    folds = stratified_folds(bounds, FOLDS, seed)
    knn = {k: np.empty((n, intents)) for k in K_CANDIDATES}
    gaussian = {s: np.empty((n, intents)) for s in SHRINKAGES}
    distance = {s: np.empty(n) for s in SHRINKAGES}
    nearest = np.full(n, -np.inf)
    # A covariance from fewer exemplars than about twice the dimensions is mostly shrinkage and
    # noise; such a tenant keeps nearest exemplars alone, for intents and out of scope.
    usable = (n >= MIN_EXEMPLARS_PER_DIMENSION * vectors.shape[1] and intents > 1
              and all(len(set(labels[folds != f])) == intents for f in range(FOLDS)))
    for fold in range(FOLDS):
        held = np.flatnonzero(folds == fold)
        if not len(held):
            continue
        sims = vectors[held] @ vectors.T
        sims[:, held] = -np.inf
        nearest[held] = sims.max(axis=1)
        for k in K_CANDIDATES:
            knn[k][held] = intent_scores(sims, bounds, k)
        if usable:
            kept = folds != fold
            models = fit_shared_gaussian(vectors[kept], labels[kept], intents, SHRINKAGES)
            for shrinkage, model in zip(SHRINKAGES, models, strict=True):
                logits, distances = model.scores(vectors[held])
                gaussian[shrinkage][held], distance[shrinkage][held] = logits, distances.min(axis=1)
    fits = [(k, fit_temperature(knn[k], labels)) for k in K_CANDIDATES]
    k, temperature = min(fits, key=lambda fit: nll(knn[fit[0]], labels, fit[1]))
    knn_probs = softmax(knn[k] / temperature)
    seen = np.sort(nearest[np.isfinite(nearest)])
    floor = float(np.quantile(seen, 1.0 - coverage)) if len(seen) else -1.0
    if not usable:
        correct = knn_probs.argmax(axis=1) == labels
        calibration = Calibration(embedder_name, k, temperature, floor, float(correct.mean()),
                                  expected_calibration_error(knn_probs.max(axis=1), correct), embed_seconds,
                                  time.perf_counter() - started)
        return RouteModel(vectors, bounds, None, calibration, seen, np.array([0.0]))
    scale = {s: fit_temperature(gaussian[s], labels, high=1e4) for s in SHRINKAGES}
    shrinkage = min(SHRINKAGES, key=lambda s: nll(gaussian[s], labels, scale[s]))
    gaussian_probs = softmax(gaussian[shrinkage] / scale[shrinkage])
    rows = np.arange(n)

    def mixed_nll(w: float) -> float:
        mixed = w * gaussian_probs + (1.0 - w) * knn_probs
        return float(-np.log(np.maximum(mixed[rows, labels], 1e-12)).mean())

    weight = min(MIX_WEIGHTS, key=mixed_nll)
    probs, sharpen = knn_probs, 1.0
    if weight > 0:
        log_mixed = np.log(np.maximum(weight * gaussian_probs + (1.0 - weight) * knn_probs, 1e-12))
        sharpen = fit_temperature(log_mixed, labels, low=0.2, high=5.0)  # averaging two models under-states confidence
        probs = softmax(log_mixed / sharpen)
    correct = probs.argmax(axis=1) == labels
    distance_seen = np.sort(distance[shrinkage])
    scores = _tail_score(nearest, distance[shrinkage], seen, distance_seen)
    threshold = float(np.quantile(scores, 1.0 - coverage))
    (model,) = fit_shared_gaussian(vectors, labels, intents, (shrinkage,))
    calibration = Calibration(embedder_name, k, temperature, floor, float(correct.mean()),
                              expected_calibration_error(probs.max(axis=1), correct), embed_seconds,
                              time.perf_counter() - started, weight, shrinkage, scale[shrinkage], threshold, sharpen)
    return RouteModel(vectors, bounds, model, calibration, seen, distance_seen)
