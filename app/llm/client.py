"""Talking to an LLM provider through litellm: retries, fallbacks, timeouts, streaming,
metering, and a circuit breaker that sends turns to grounded mode while the provider is
failing (both from app/core/resilience.py).

Any provider litellm supports works (`openai/...`, `anthropic/...`, `ollama/...`, or an
OpenAI-compatible `api_base`). Failures never reach a customer as text: they become a
`ProviderError`, and the engine answers in grounded mode instead.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, Field

from app.core import metrics
from app.core.errors import FrontlineError
from app.core.resilience import Backoff, BreakerOpen, CircuitBreaker, retry

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


def _worth_retrying(exc: Exception) -> bool:
    """A provider's transient failure: anything but a 4xx that another attempt would repeat
    (a bad key, an unknown model, a request too long), while timeouts (408), conflicts (409)
    and rate limits (429) pass."""
    status = getattr(exc, "status_code", None)
    return not (isinstance(status, int) and 400 <= status < 500 and status not in (408, 409, 429))


def _reason(exc: Exception) -> str:
    if isinstance(exc, TimeoutError) or "Timeout" in type(exc).__name__:
        return "timed out"
    return f"{type(exc).__name__}: {str(exc)[:200]}"


class LLMClient:
    """One tenant's model: each model call is tried `retries + 1` times (not once text has
    streamed to the customer), then the next fallback model; a turn every model failed
    counts against the circuit breaker."""

    def __init__(self, config: LLMConfig, *, tenant: str = "", breaker: CircuitBreaker | None = None,
                 backoff: Backoff | None = None) -> None:
        """`tenant` labels the model's usage in the metrics and names its breaker ("demo LLM")."""
        import litellm  # a 3 s import: pay it at start-up, not inside a turn's timeout

        litellm.suppress_debug_info = True  # failures are logged by us, once, without banners
        self.config = config
        self.tenant = tenant
        self.breaker = breaker or CircuitBreaker(config.breaker_failures, config.breaker_cooldown,
                                                 name=f"{tenant} LLM".strip())
        self.backoff = backoff or Backoff(base=0.5, maximum=4.0)

    def available(self) -> bool:
        """Whether the breaker would let a call through now; when not, answer without the model."""
        return self.breaker.allows_call()

    async def complete(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]],
                       on_token: TokenSink | None = None) -> Completion:
        """One model response, trying the primary model and then each fallback."""
        try:
            completion = await self.breaker.call(functools.partial(self._complete, messages, tools, on_token),
                                                 is_failure=lambda exc: isinstance(exc, ProviderError))
        except BreakerOpen as exc:
            raise ProviderError(f"The model was not called: its circuit breaker is {exc}.", []) from None
        metrics.current().llm_usage(self.tenant or "none", completion.prompt_tokens, completion.completion_tokens,
                                    completion.cost_usd)
        return completion

    async def _complete(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]],
                        on_token: TokenSink | None) -> Completion:
        attempts: list[dict[str, str]] = []
        tries = self.config.retries + 1
        # every attempt may use its timeout, and every wait its longest backoff
        budget = self.config.timeout * tries + self.backoff.maximum * (tries - 1) + 1
        for model in [self.config.model, *self.config.fallbacks]:
            streamed: list[str] = []
            sink = functools.partial(_relay, streamed, on_token) if on_token else None

            def log_retry(attempt: int, exc: Exception, delay: float, model: str = model) -> None:
                log.info("LLM %s failed: %s (attempt %d of %d); retrying in %.2f s",
                         model, _reason(exc), attempt, tries, delay)

            try:
                async with asyncio.timeout(budget):
                    completion = await retry(
                        functools.partial(self._one, model, messages, tools, sink), attempts=tries,
                        backoff=self.backoff, on_retry=log_retry,
                        retryable=lambda exc, streamed=streamed: not streamed and _worth_retrying(exc))
            except Exception as exc:  # litellm maps providers' errors to many exception types
                reason = _reason(exc)
                attempts.append({"model": model, "error": reason})
                log.warning("LLM %s failed: %s", model, reason)
                if streamed:  # the customer saw part of this answer: do not start another
                    raise ProviderError("The model failed while answering.", attempts, partial=True) from exc
                continue
            completion.attempts = attempts
            return completion
        raise ProviderError("Every configured model failed.", attempts)

    async def _one(self, model: str, messages: list[dict[str, Any]], tools: list[dict[str, Any]],
                   on_token: TokenSink | None) -> Completion:
        import litellm

        kwargs: dict[str, Any] = {
            "model": model, "messages": messages, "temperature": self.config.temperature,
            "timeout": self.config.timeout, "num_retries": 0}  # retries are ours (complete)
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
