"""Tracing across the gateway: a SERVER span per request, a CLIENT span per forward, and the
service's parent is that CLIENT span."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator

import pytest
from gateway_fakes import FakeService
from gateway_support import GatewayUnderTest, ProvisionedOrg
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

pytestmark = pytest.mark.integration


@pytest.fixture
def spans(gateway: GatewayUnderTest) -> Iterator[InMemorySpanExporter]:
    provider = trace.get_tracer_provider()
    assert isinstance(provider, TracerProvider), "the runtime installs the SDK provider at start"
    exporter = InMemorySpanExporter()
    processor = SimpleSpanProcessor(exporter)
    provider.add_span_processor(processor)
    try:
        yield exporter
    finally:
        processor.shutdown()


async def _spans_of_trace(exporter: InMemorySpanExporter, trace_id: int, count: int) -> list[ReadableSpan]:
    deadline = time.monotonic() + 3
    while True:
        found = [s for s in exporter.get_finished_spans() if s.context.trace_id == trace_id]
        if len(found) >= count or time.monotonic() > deadline:
            return found
        await asyncio.sleep(0.05)


async def test_forward_is_a_client_span_inside_the_requests_server_span(
    gateway: GatewayUnderTest,
    fake_services: dict[str, FakeService],
    org: ProvisionedOrg,
    spans: InMemorySpanExporter,
) -> None:
    trace_hex = uuid.uuid4().hex
    response = await gateway.client.get(
        "/api/flows", headers={**org.headers, "traceparent": f"00-{trace_hex}-00f067aa0ba902b7-01"}
    )
    assert response.status_code == 200, response.text

    found = await _spans_of_trace(spans, int(trace_hex, 16), 2)
    (server,) = [s for s in found if s.kind == trace.SpanKind.SERVER]
    (client,) = [s for s in found if s.kind == trace.SpanKind.CLIENT]
    assert server.parent is not None
    assert server.parent.span_id == 0x00F067AA0BA902B7
    assert client.parent is not None
    assert client.parent.span_id == server.context.span_id
    assert client.attributes is not None
    assert client.attributes["http.response.status_code"] == 200
    assert client.attributes["callcast.upstream"] == "flow"

    traceparent = fake_services["flow"].last.header("traceparent")
    assert traceparent == f"00-{trace_hex}-{client.context.span_id:016x}-01"
