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
