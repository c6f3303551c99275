"""The LLM client's retries and circuit breaker (app/core/resilience.py), with litellm running for
real against a scripted OpenAI-compatible server on 127.0.0.1."""

from __future__ import annotations

import pytest

from app.core.resilience import Backoff, BreakerState
from app.llm.client import LLMClient, LLMConfig, ProviderError
from tests.support.fake_llm import FakeLLM, error, reply

pytestmark = pytest.mark.asyncio(loop_scope="module")

PRIMARY, FALLBACK = "openai/gpt-4o-mini", "openai/gpt-4o"
QUESTION = [{"role": "user", "content": "Which plans do you offer?"}]


@pytest.fixture
def client(fake_llm):
    """A client that retries once and opens its breaker after one failed call; the backoff is short."""
    fake_llm.script.clear()
    fake_llm.requests.clear()
    config = LLMConfig(model=PRIMARY, fallbacks=[FALLBACK], api_base=fake_llm.url, timeout=1.5, retries=1,
                       breaker_failures=1, breaker_cooldown=60)
    return LLMClient(config, backoff=Backoff(base=0.01, maximum=0.01))


def models(fake_llm: FakeLLM) -> list[str]:
    return [request["model"] for request in fake_llm.requests]


async def test_a_transient_failure_is_retried_on_the_same_model(client, fake_llm):
    fake_llm.queue(error(503), reply("Starter, Pro and Business."))
    completion = await client.complete(QUESTION, tools=[])
    assert completion.text == "Starter, Pro and Business." and completion.model == PRIMARY
    assert completion.attempts == [] and models(fake_llm) == ["gpt-4o-mini", "gpt-4o-mini"]


async def test_a_refusal_is_not_retried_and_the_fallback_answers(client, fake_llm):
    fake_llm.queue(error(401), reply("From the fallback."))
    completion = await client.complete(QUESTION, tools=[])
    assert completion.text == "From the fallback." and completion.model == FALLBACK
    assert models(fake_llm) == ["gpt-4o-mini", "gpt-4o"]
    assert completion.attempts[0]["model"] == PRIMARY and "AuthenticationError" in completion.attempts[0]["error"]


async def test_when_every_attempt_fails_the_breaker_opens_and_the_model_is_not_called(client, fake_llm):
    fake_llm.queue(error(500), error(502), error(503), error(504))
    with pytest.raises(ProviderError, match="Every configured model failed") as failed:
        await client.complete(QUESTION, tools=[])
    assert models(fake_llm) == ["gpt-4o-mini", "gpt-4o-mini", "gpt-4o", "gpt-4o"]
    assert [a["model"] for a in failed.value.attempts] == [PRIMARY, FALLBACK]
    assert client.breaker.state is BreakerState.OPEN and not client.available()
    with pytest.raises(ProviderError, match="circuit breaker is open after 1 consecutive failures"):
        await client.complete(QUESTION, tools=[])
    assert len(fake_llm.requests) == 4
