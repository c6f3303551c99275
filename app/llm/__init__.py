"""The language-model client (litellm: fallbacks, streaming, cost, breaker) and translation."""
