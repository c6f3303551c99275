"""Talking to an LLM provider through litellm: fallbacks, timeouts, streaming, metering,
and a circuit breaker that sends turns to grounded mode while the provider is failing.

Any provider litellm supports works (`openai/...`, `anthropic/...`, `ollama/...`, or an
OpenAI-compatible `api_base`). Failures never reach a customer as text: they become a
`ProviderError`, and the engine answers in grounded mode instead.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, Field

from app.errors import FrontlineError

log = logging.getLogger(__name__)

TokenSink = Callable[[str], Awaitable[None]]


class LLMConfig(BaseModel):
    """A tenant's model set-up (tenant YAML `llm:`)."""

    model: str
    fallbacks: list[str] = Field(default_factory=list)
    api_base: str | None = None
    api_key_env: str | None = Field(default=None, description="name of the variable holding the key")
    timeout: float = Field(default=20.0, gt=0, le=300)
    retries: int = Field(default=1, ge=0, le=5)
    temperature: float = Field(default=0.2, ge=0, le=2)
    max_tool_rounds: int = Field(default=4, ge=1, le=10)
    breaker_failures: int = Field(default=3, ge=1, le=100)
    breaker_cooldown: float = Field(default=60.0, ge=1, le=3600)


class ProviderError(FrontlineError):
    """Every configured model failed (or the breaker is open); `attempts` says how."""

    def __init__(self, message: str, attempts: list[dict[str, str]], partial: bool = False) -> None:
        super().__init__(message)
        self.attempts = attempts
        self.partial = partial  # some text had already been streamed to the customer


@dataclass(frozen=True)
class ToolCall:
    id: str
    name: str
    arguments: str  # raw JSON text as the model produced it: it may be malformed


@dataclass
class Completion:
    text: str
    tool_calls: list[ToolCall]
    model: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float | None = None
    attempts: list[dict[str, str]] = field(default_factory=list)


class CircuitBreaker:
    """Open after `threshold` consecutive failed turns; let one turn try again after `cooldown`."""

    def __init__(self, threshold: int, cooldown: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.threshold, self.cooldown, self._clock = threshold, cooldown, clock
        self.failures = 0
        self.opened_at: float | None = None

    @property
    def state(self) -> str:
        if self.opened_at is None:
            return "closed"
        return "half-open" if self._clock() - self.opened_at >= self.cooldown else "open"

    def allow(self) -> bool:
        return self.state != "open"

    def record_success(self) -> None:
        self.failures, self.opened_at = 0, None

    def record_failure(self) -> None:
        self.failures += 1
        if self.failures >= self.threshold or self.state == "half-open":
            self.opened_at = self._clock()
            log.warning("LLM circuit breaker open after %d failures", self.failures)


async def _relay(streamed: list[str], on_token: TokenSink, token: str) -> None:
    """Forward a token, remembering that this attempt has shown text to the customer."""
    streamed.append(token)
    await on_token(token)


def cost_of(model: str, prompt_tokens: int, completion_tokens: int) -> float | None:
    """USD cost from litellm's bundled price list; None for a model it does not price."""
    import litellm

    prices = litellm.model_cost.get(model) or litellm.model_cost.get(model.split("/", 1)[-1])
    if not prices or "input_cost_per_token" not in prices:
        return None
    return (prompt_tokens * float(prices["input_cost_per_token"])
            + completion_tokens * float(prices.get("output_cost_per_token", 0.0)))


class LLMClient:
    def __init__(self, config: LLMConfig, breaker: CircuitBreaker | None = None) -> None:
        import litellm  # a 3 s import: pay it at start-up, not inside a turn's timeout

        litellm.suppress_debug_info = True  # failures are logged by us, once, without banners
        self.config = config
        self.breaker = breaker or CircuitBreaker(config.breaker_failures, config.breaker_cooldown)

    def available(self) -> bool:
        return self.breaker.allow()

    async def complete(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]],
                       on_token: TokenSink | None = None) -> Completion:
        """One model response, trying the primary model and then each fallback."""
        attempts: list[dict[str, str]] = []
        for model in [self.config.model, *self.config.fallbacks]:
            streamed: list[str] = []
            sink = functools.partial(_relay, streamed, on_token) if on_token else None
            try:
                completion = await asyncio.wait_for(
                    self._one(model, messages, tools, sink),
                    self.config.timeout * (self.config.retries + 1) + 1)
            except Exception as exc:  # litellm maps providers' errors to many exception types
                reason = "timed out" if isinstance(exc, TimeoutError) or "Timeout" in type(exc).__name__ \
                    else f"{type(exc).__name__}: {str(exc)[:200]}"
                attempts.append({"model": model, "error": reason})
                log.warning("LLM %s failed: %s", model, reason)
                if streamed:  # the customer saw part of this answer: do not start another
                    self.breaker.record_failure()
                    raise ProviderError("The model failed while answering.", attempts, partial=True) from exc
                continue
            completion.attempts = attempts
            self.breaker.record_success()
            return completion
        self.breaker.record_failure()
        raise ProviderError("Every configured model failed.", attempts)

    async def _one(self, model: str, messages: list[dict[str, Any]], tools: list[dict[str, Any]],
                   on_token: TokenSink | None) -> Completion:
        import litellm

        kwargs: dict[str, Any] = {
            "model": model, "messages": messages, "temperature": self.config.temperature,
            "timeout": self.config.timeout, "num_retries": self.config.retries}
        if tools:
            kwargs["tools"] = tools
            # Our tools are plain functions. litellm's MCP bridge (which it tries whenever tools
            # are given) needs mcp>=2.2, but Chainlit pins mcp<2; skip the bridge.
            kwargs["_skip_mcp_handler"] = True
        if self.config.api_base:
            kwargs["api_base"] = self.config.api_base
        if self.config.api_key_env:
            kwargs["api_key"] = os.environ.get(self.config.api_key_env, "")
        elif self.config.api_base:
            kwargs["api_key"] = "not-needed"  # local OpenAI-compatible servers ignore the key
        if on_token is None:
            response = await litellm.acompletion(**kwargs)
        else:
            stream = await litellm.acompletion(**kwargs, stream=True, stream_options={"include_usage": True})
            chunks = []
            async for chunk in stream:
                chunks.append(chunk)
                delta = chunk.choices[0].delta if chunk.choices else None
                if delta is not None and getattr(delta, "content", None):
                    await on_token(delta.content)
            response = litellm.stream_chunk_builder(chunks, messages=messages)
        choice = response.choices[0].message
        calls = [ToolCall(c.id or f"call_{i}", c.function.name or "", c.function.arguments or "")
                 for i, c in enumerate(getattr(choice, "tool_calls", None) or [])]
        usage = getattr(response, "usage", None)
        prompt = int(getattr(usage, "prompt_tokens", 0) or 0)
        completion = int(getattr(usage, "completion_tokens", 0) or 0)
        return Completion(text=choice.content or "", tool_calls=calls, model=model, prompt_tokens=prompt,
                          completion_tokens=completion, cost_usd=cost_of(model, prompt, completion))
