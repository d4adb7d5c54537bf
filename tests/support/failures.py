"""What a failing end-to-end test shows: the last lines of every service's log."""

from __future__ import annotations

from callcast_stack.stack import LocalStack

TAIL_LINES = 60


def service_log_sections(stack: LocalStack, lines: int = TAIL_LINES) -> list[tuple[str, str]]:
    """(title, text) per service, for ``report.sections``."""
    sections: list[tuple[str, str]] = []
    if stack.supervisor is None:
        return sections
    for name, service in stack.supervisor.services.items():
        try:
            text = service.log_path.read_text(errors="replace")
        except OSError:
            continue
        tail = "\n".join(text.splitlines()[-lines:])
        sections.append((f"{name} log (last {lines} lines of {service.log_path})", tail))
    return sections
