"""The services of the stack and how each is reached (docs/architecture.md, "Processes")."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ServiceSpec:
    """One service process: ``python -m <module>``, serving HTTP on ``default_port`` by default."""

    name: str
    module: str
    default_port: int

    @property
    def url_env(self) -> str:
        """The variable through which the gateway (and any other service) reaches this one."""
        return f"CALLCAST_{self.name.upper()}_URL"


GATEWAY = ServiceSpec("gateway", "callcast_gateway", 8080)
CONTACT = ServiceSpec("contact", "callcast_contact", 8101)
FLOW = ServiceSpec("flow", "callcast_flow", 8102)
SCHEDULER = ServiceSpec("scheduler", "callcast_scheduler", 8103)
DIALER = ServiceSpec("dialer", "callcast_dialer", 8104)
REPORTING = ServiceSpec("reporting", "callcast_reporting", 8105)

#: Every service, the gateway first (it fronts the others).
SERVICES: tuple[ServiceSpec, ...] = (GATEWAY, CONTACT, FLOW, SCHEDULER, DIALER, REPORTING)

READY_PATH = "/health/ready"
LIVE_PATH = "/health/live"


def service_named(name: str) -> ServiceSpec:
    for spec in SERVICES:
        if spec.name == name:
            return spec
    raise KeyError(f"no service named {name!r} (known: {', '.join(s.name for s in SERVICES)})")
