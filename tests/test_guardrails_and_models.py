"""The input rate limit, and the hash check that stands between a tampered model file and use."""

from __future__ import annotations

import shutil

import pytest

from app.config.settings import Settings
from guardrails.input import RateLimiter
from knowledge.model_files import BUNDLES, DEFAULT_MODEL, ModelFilesError, problems, verified_folder


def test_rate_limit_refuses_the_message_over_the_limit_and_recovers_after_the_window():
    now = [0.0]
    limiter = RateLimiter(limit=3, window=60, clock=lambda: now[0])
    assert [limiter.check("c1").allowed for _ in range(4)] == [True, True, True, False]
    refused = limiter.check("c1")
    assert refused.reply_key == "input.rate_limited" and "3 messages" in refused.reason
    assert limiter.check("c2").allowed  # another conversation is not affected
    now[0] = 61
    assert limiter.check("c1").allowed


def test_a_tampered_or_missing_model_file_is_refused_with_how_to_fix_it(tmp_path):
    good = verified_folder(Settings().model_dir, DEFAULT_MODEL)
    copy = tmp_path / good.name
    shutil.copytree(good, copy)
    assert problems(copy, BUNDLES[DEFAULT_MODEL]) == []
    with (copy / "tokenizer.json").open("ab") as handle:
        handle.write(b" ")
    (copy / "config.json").unlink()
    assert problems(copy, BUNDLES[DEFAULT_MODEL]) == [
        "config.json is missing", "tokenizer.json does not match its pinned SHA-256"]
    with pytest.raises(ModelFilesError, match="make setup"):
        verified_folder(tmp_path, DEFAULT_MODEL)


def test_the_int8_rewrite_of_the_published_weights_gives_the_pinned_file(tmp_path):
    """`frontline setup` derives model.onnx from the published weights; the result must be
    byte for byte the file the bundle pins, or setup says what to do."""
    from knowledge.model_files import int8_products, sha256

    folder = verified_folder(Settings().model_dir, DEFAULT_MODEL)
    int8_products(folder / "weights.onnx", tmp_path / "model.onnx")
    assert sha256(tmp_path / "model.onnx") == BUNDLES[DEFAULT_MODEL].files["model.onnx"]
    tampered = tmp_path / "weights.onnx"
    shutil.copyfile(folder / "weights.onnx", tampered)
    with tampered.open("r+b") as handle:  # one weight byte changed: a valid model, another file
        handle.seek(-4096, 2)
        byte = handle.read(1)
        handle.seek(-4096, 2)
        handle.write(bytes([byte[0] ^ 1]))
    with pytest.raises(ModelFilesError, match="uv sync --frozen"):
        int8_products(tampered, tmp_path / "other.onnx")
