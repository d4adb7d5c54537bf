"""Settings from the environment.

Callcast's own settings use the ``CALLCAST_`` prefix; the conventional ``DATABASE_URL``,
``NATS_URL`` and ``OTEL_*`` variables are honoured as they are.
"""

from __future__ import annotations

import os
import socket

import msgspec

DEFAULT_PORTS = {
    "gateway": 8080,
    "contact": 8101,
    "flow": 8102,
    "scheduler": 8103,
    "dialer": 8104,
    "reporting": 8105,
}


class Settings(msgspec.Struct, kw_only=True, frozen=True):
    service: str
    instance_id: str
    http_host: str
    http_port: int
    nats_url: str
    database_url: str | None
    log_format: str
    log_level: str
    otlp_endpoint: str | None
    sip_trunk: str
    service_urls: dict[str, str]
    # CALLCAST_SIP_TRUNK_<NAME> variables, keyed by lower-case NAME (transport, username, ...):
    # parsed and validated by callcast_telephony.sip.TrunkConfig.
    sip_trunk_options: dict[str, str] = msgspec.field(default_factory=dict)

    @property
    def db_schema(self) -> str:
        return self.service


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def load_settings(service: str) -> Settings:
    port = _env("CALLCAST_HTTP_PORT")
    urls = {
        name: _env(f"CALLCAST_{name.upper()}_URL") or f"http://127.0.0.1:{p}"
        for name, p in DEFAULT_PORTS.items()
        if name != "gateway"
    }
    return Settings(
        service=service,
        instance_id=_env("CALLCAST_INSTANCE_ID") or f"{service}-{socket.gethostname()}-{os.getpid()}",
        http_host=_env("CALLCAST_HTTP_HOST", "127.0.0.1") or "127.0.0.1",
        http_port=int(port) if port else DEFAULT_PORTS.get(service, 8000),
        nats_url=_env("NATS_URL", "nats://127.0.0.1:4222") or "nats://127.0.0.1:4222",
        database_url=_env("DATABASE_URL"),
        log_format=_env("CALLCAST_LOG_FORMAT", "json") or "json",
        log_level=(_env("CALLCAST_LOG_LEVEL", "info") or "info").lower(),
        otlp_endpoint=_env("OTEL_EXPORTER_OTLP_ENDPOINT") or _env("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"),
        sip_trunk=_env("CALLCAST_SIP_TRUNK", "127.0.0.1:5080") or "127.0.0.1:5080",
        service_urls=urls,
        sip_trunk_options={
            name.removeprefix("CALLCAST_SIP_TRUNK_").lower(): value
            for name, value in os.environ.items()
            if name.startswith("CALLCAST_SIP_TRUNK_") and value
        },
    )
