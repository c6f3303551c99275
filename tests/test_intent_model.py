"""The intent model's parts: the shared-covariance Gaussian and the cross-validated mixture."""

from __future__ import annotations

import numpy as np
import pytest

from app.understanding.gaussian import fit_shared_gaussian
from app.understanding.intent_model import MIX_WEIGHTS, SHRINKAGES, fit_route_model
from app.understanding.intents import IntentClassifier
from knowledge.embedder import Embedder


def test_mahalanobis_distance_discounts_the_direction_intents_vary_along() -> None:
    rng = np.random.default_rng(0)
    labels = np.repeat([0, 1], 200)
    x = np.column_stack([rng.normal(0, 3.0, 400), rng.normal(0, 0.1, 400) + np.where(labels == 1, 1.0, 0.0)])
    (model,) = fit_shared_gaussian(x, labels, 2, (0.0,))
    logits, distances = model.scores(np.array([[3.0, 0.0], [0.0, 0.6]]))
    assert distances[0, 0] < distances[1, 0]  # far along the noisy axis is still class 0's
    assert logits[0].argmax() == 0 and logits[1].argmax() == 1  # a small step on the telling axis is not


def test_shrinkage_keeps_the_covariance_invertible_with_fewer_exemplars_than_dimensions() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(6, 50))
    models = fit_shared_gaussian(x, np.array([0, 0, 0, 1, 1, 1]), 2, SHRINKAGES)
    for model in models:
        _, distances = model.scores(rng.normal(size=(3, 50)))
        assert np.isfinite(distances).all() and (distances >= 0).all()


GREETINGS = ["hi", "hello there", "good morning", "hey", "good evening", "hiya"]
ORDERS = ["where is my order", "has my parcel shipped", "track my package", "when will my order arrive",
          "my delivery is late", "status of order BW-10234"]
REFUNDS = ["I want my money back", "refund my purchase please", "can I get a refund", "return this for a refund",
           "please reimburse me", "I was charged twice, refund it"]


@pytest.fixture(scope="module")
def small(embedder: Embedder) -> IntentClassifier:
    return IntentClassifier(embedder, {"greeting": GREETINGS, "order_status": ORDERS, "refund_request": REFUNDS},
                            rules=())


def test_a_small_tenant_keeps_nearest_exemplars_and_still_spots_out_of_scope(small: IntentClassifier) -> None:
    (cal,) = small.calibrations
    assert (cal.gaussian_weight, cal.shrinkage) == (0.0, 0.0)  # 18 exemplars for 384 dimensions: kNN alone
    assert small.classify("where's my parcel? it hasn't come").name == "order_status"
    assert small.classify("I'd like a refund for the lamp").name == "refund_request"
    far = small.classify("Who painted the Sistine Chapel ceiling?")
    assert far.name is None and far.out_of_scope


def test_an_intent_with_one_exemplar_falls_back_to_nearest_exemplars(embedder: Embedder) -> None:
    classifier = IntentClassifier(embedder, {"greeting": GREETINGS, "order_status": ["where is my order"]}, rules=())
    (cal,) = classifier.calibrations
    assert cal.gaussian_weight == 0.0  # a fold without that intent cannot fit its mean
    result = classifier.classify("hello!")
    assert result.name == "greeting" and 0.0 <= result.confidence <= 1.0


def test_with_enough_exemplars_the_gaussian_joins_and_the_mixture_stays_calibrated() -> None:
    rng = np.random.default_rng(2)
    dim, per_intent = 8, 60
    telling = np.r_[np.zeros(dim - 2), 1.0, 1.0]  # intents differ on the last two axes only
    centres = np.abs(rng.normal(size=(3, dim))) * telling + telling
    noise = np.diag(np.r_[np.full(dim - 2, 0.3), 0.05, 0.05])  # and vary most on the others
    vectors = np.vstack([c + rng.normal(size=(per_intent, dim)) @ noise for c in centres])
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)  # unit vectors, like embeddings
    bounds = np.array([0, per_intent, 2 * per_intent, 3 * per_intent])
    model = fit_route_model("synthetic", vectors, bounds, 0.98, 0, 0.0)
    cal = model.calibration
    assert cal.gaussian_weight in MIX_WEIGHTS and cal.gaussian_weight > 0
    assert cal.cv_accuracy > 0.9 and cal.cv_ece < 0.1
    probs, _, out_of_scope = model.predict(vectors[0])
    assert probs.argmax() == 0 and abs(float(probs.sum()) - 1.0) < 1e-9 and not out_of_scope
    opposite = -vectors.mean(axis=0)
    _, nearest, far = model.predict(opposite / np.linalg.norm(opposite))
    assert far and nearest < cal.floor
