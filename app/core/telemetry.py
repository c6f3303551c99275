"""OpenTelemetry traces: one span per customer turn with a child span per stage.

The engine's stage loop (app/conversation/watch.py) is the only place that opens spans; it
asks `tracer()` here. Frontline keeps its own tracer rather than the process-global one, so
a library that sets up OpenTelemetry for itself changes nothing here, and a test installs an
SDK provider with an in-memory exporter (`install`) and reads the spans of its own turn.

Without an OTLP endpoint (FRONTLINE_OTLP_ENDPOINT) the tracer is OpenTelemetry's no-op
tracer: no SDK is loaded, no span is recorded, no exporter runs, and a turn pays only a few
function calls. With one, spans are batched and sent over OTLP/HTTP from a background thread.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from opentelemetry import trace

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider

log = logging.getLogger(__name__)

SCOPE = "frontline"
TRACES_PATH = "/v1/traces"
_tracer: trace.Tracer = trace.NoOpTracer()


def tracer() -> trace.Tracer:
    """The tracer every turn's spans come from (no-op until `start` or `install`)."""
    return _tracer


def recording() -> bool:
    """Whether spans are recorded at all: without, a stage need not open one."""
    return not isinstance(_tracer, trace.NoOpTracer)


def install(provider: TracerProvider | None) -> trace.Tracer:
    """Spans from now on come from `provider` (None: the no-op tracer). Returns the previous
    tracer, which `restore` puts back."""
    global _tracer
    previous = _tracer
    _tracer = provider.get_tracer(SCOPE) if provider is not None else trace.NoOpTracer()
    return previous


def restore(previous: trace.Tracer) -> None:
    global _tracer
    _tracer = previous


def traces_url(endpoint: str) -> str:
    """The collector's traces URL. Like OTEL_EXPORTER_OTLP_ENDPOINT, the setting is the
    collector's base URL (http://collector:4318); a URL already ending in /v1/traces is kept."""
    endpoint = endpoint.rstrip("/")
    return endpoint if endpoint.endswith(TRACES_PATH) else endpoint + TRACES_PATH


def start(endpoint: str | None, replica: str) -> Callable[[], None]:
    """Set up tracing for a server process; returns what to call at shutdown (flushes the
    spans still queued). No endpoint: nothing is set up and the shutdown does nothing."""
    if not endpoint:
        return lambda: None
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    url = traces_url(endpoint)
    resource = Resource.create({"service.name": "frontline", "service.instance.id": replica})
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=url)))
    previous = install(provider)
    log.info("OpenTelemetry spans go to %s", url)

    def stop() -> None:
        restore(previous)
        provider.shutdown()

    return stop
