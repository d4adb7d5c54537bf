"""OpenTelemetry set-up and W3C trace-context propagation through NATS headers.

The OTLP exporter is installed only when ``OTEL_EXPORTER_OTLP_ENDPOINT`` is set, so a local run
costs nothing; spans are still created so logs carry trace ids.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

_provider: TracerProvider | None = None


def configure_tracing(service: str, instance_id: str, otlp_endpoint: str | None) -> None:
    global _provider
    if _provider is not None:
        return
    resource = Resource.create({"service.name": f"callcast-{service}", "service.instance.id": instance_id})
    provider = TracerProvider(resource=resource)
    if otlp_endpoint:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        # The exporter reads OTEL_EXPORTER_OTLP_* itself (endpoint, headers, timeout).
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(), schedule_delay_millis=200))
    trace.set_tracer_provider(provider)
    _provider = provider


def shutdown_tracing() -> None:
    if _provider is not None:
        _provider.force_flush(timeout_millis=3000)
        _provider.shutdown()


def tracer(name: str = "callcast") -> trace.Tracer:
    return trace.get_tracer(name)


def inject_headers(headers: dict[str, str] | None = None) -> dict[str, str]:
    """Add ``traceparent`` (and ``tracestate``) of the current span to outgoing headers."""
    carrier: dict[str, str] = dict(headers or {})
    propagate.inject(carrier)
    return carrier


def extract_context(headers: Mapping[str, Any] | None) -> otel_context.Context:
    carrier = {k.lower(): v for k, v in (headers or {}).items() if isinstance(v, str)}
    return propagate.extract(carrier)
