"""The services behind the gateway, over HTTP: forwarding requests and asking if they are ready.

One pooled ``httpx.AsyncClient`` carries every forwarded request (keep-alive connections to each
service); a small separate one answers readiness probes, so a saturated pool cannot make the
gateway look dead, nor probes take connections from traffic.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterable, AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any

import httpx
from opentelemetry import trace

from callcast_gateway.config import GatewayConfig
from callcast_gateway.errors import BadGateway, GatewayTimeout, ServiceUnavailable
from callcast_runtime.errors import ApiError
from callcast_runtime.logging import get_logger
from callcast_runtime.tracing import inject_headers, tracer

log = get_logger(__name__)

READY_PATH = "/health/ready"


@dataclass
class UpstreamResponse:
    """A service's answer with its body still streaming: iterate ``body`` to the end (it closes)."""

    status_code: int
    headers: list[tuple[str, str]]
    body: AsyncIterator[bytes]


class Upstreams:
    def __init__(
        self,
        service_urls: Mapping[str, str],
        config: GatewayConfig,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._urls = {name: url.rstrip("/") for name, url in service_urls.items()}
        self._config = config
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(
                config.forward_timeout_s, connect=config.connect_timeout_s, pool=config.pool_timeout_s
            ),
            limits=httpx.Limits(
                max_connections=config.max_connections,
                max_keepalive_connections=config.max_keepalive_connections,
            ),
            # Relay exactly what the service said: a redirect is the client's to follow.
            follow_redirects=False,
            # httpx would otherwise ask for gzip on the client's behalf, and the raw (compressed)
            # body would reach a client that never said it could read it.
            headers={"accept-encoding": "identity", "user-agent": "callcast-gateway"},
            transport=transport,
        )
        self._probe_client = httpx.AsyncClient(
            timeout=httpx.Timeout(config.readiness_timeout_s),
            limits=httpx.Limits(max_connections=20, max_keepalive_connections=10),
            transport=transport,
        )

    @property
    def services(self) -> list[str]:
        return sorted(self._urls)

    async def aclose(self) -> None:
        await self._client.aclose()
        await self._probe_client.aclose()

    async def forward(
        self,
        *,
        service: str,
        method: str,
        target: str,
        headers: list[tuple[str, str]],
        body: AsyncIterable[bytes] | None,
    ) -> UpstreamResponse:
        """Send ``method target`` to ``service``; the response comes back as soon as its head does.

        ``target`` is the raw path and query (``/api/contact?page=2``). The CLIENT span covers the
        whole exchange, body included, and its context is what the service sees as ``traceparent``.
        """
        base = self._urls.get(service)
        if base is None:
            raise ServiceUnavailable(f"The {service} service is not configured")
        url = base + target
        span = tracer().start_span(
            f"{method} {service}",
            kind=trace.SpanKind.CLIENT,
            attributes={"http.request.method": method, "url.full": url, "callcast.upstream": service},
        )
        started = time.monotonic()
        try:
            with trace.use_span(span, end_on_exit=False):
                carrier = inject_headers()
            request = self._client.build_request(
                method, url, headers=[*headers, *carrier.items()], content=body if body is not None else None
            )
            response = await self._client.send(request, stream=True)
        except httpx.HTTPError as exc:
            _end_failed(span, exc)
            raise _as_api_error(exc, service) from exc
        except BaseException as exc:
            # Not the service's fault (e.g. the client's body was too large): re-raised as it is.
            _end_failed(span, exc)
            raise
        span.set_attribute("http.response.status_code", response.status_code)
        if response.status_code >= 500:
            span.set_status(trace.StatusCode.ERROR)
        return UpstreamResponse(
            status_code=response.status_code,
            headers=[(k.decode("latin-1"), v.decode("latin-1")) for k, v in response.headers.raw],
            body=self._relay(response, span, service, started),
        )

    async def _relay(
        self, response: httpx.Response, span: trace.Span, service: str, started: float
    ) -> AsyncIterator[bytes]:
        try:
            # Raw bytes: a compressed body stays compressed, matching the relayed headers.
            async for chunk in response.aiter_raw():
                yield chunk
        except httpx.HTTPError as exc:
            # The status line is already with the client; all we can do is cut the body short.
            span.record_exception(exc)
            span.set_status(trace.StatusCode.ERROR)
            log.warning("upstream body interrupted", service=service, error=str(exc))
            raise
        finally:
            await response.aclose()
            span.set_attribute("callcast.duration_ms", round((time.monotonic() - started) * 1000, 1))
            span.end()

    async def readiness(self) -> dict[str, dict[str, Any]]:
        """Every service's ``/health/ready``, asked concurrently with a short timeout."""
        names = self.services
        results = await asyncio.gather(*(self._probe(name) for name in names))
        return dict(zip(names, results, strict=True))

    async def _probe(self, name: str) -> dict[str, Any]:
        try:
            response = await self._probe_client.get(self._urls[name] + READY_PATH)
        except httpx.TimeoutException:
            return {"status": "timeout"}
        except httpx.HTTPError:
            return {"status": "unreachable"}
        status = "ready" if response.status_code == 200 else "not_ready"
        return {"status": status, "statusCode": response.status_code}


def _end_failed(span: trace.Span, exc: BaseException) -> None:
    span.record_exception(exc)
    span.set_status(trace.StatusCode.ERROR)
    span.end()


def _as_api_error(exc: httpx.HTTPError, service: str) -> ApiError:
    """What an httpx failure means to the client."""
    if isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout)):
        return ServiceUnavailable(f"The {service} service is unavailable")
    if isinstance(exc, httpx.PoolTimeout):
        # Every pooled connection is busy: the gateway itself is saturated.
        return ServiceUnavailable(f"Too many requests in flight to the {service} service")
    if isinstance(exc, httpx.TimeoutException):
        return GatewayTimeout(f"The {service} service did not answer in time")
    return BadGateway(f"The {service} service failed to answer")
