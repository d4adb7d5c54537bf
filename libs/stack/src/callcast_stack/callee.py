"""A SIPp callee for synchronous code (the demo, the stack fixtures).

:class:`callcast_stack.sipp.SippCallee` is asyncio-based and its SIPp process belongs to the
event loop that started it (closing that loop kills SIPp). The stack, the demo and the session
fixtures are synchronous, so the callee gets an event loop of its own on a daemon thread for as
long as it runs.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

from callcast_stack.sipp import SippCallee, SippCounts

T = TypeVar("T")


class BackgroundCallee:
    """``with BackgroundCallee("answer", log_dir=...) as callee:`` → dialer trunk ``callee.trunk``."""

    def __init__(self, scenario: str = "answer", **options: Any) -> None:
        self.callee = SippCallee(scenario, **options)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name=f"sipp-{scenario}", daemon=True)

    @property
    def trunk(self) -> str:
        """``host:port``, the form of ``CALLCAST_SIP_TRUNK``."""
        host, port = self.callee.address
        return f"{host}:{port}"

    def start(self, timeout_s: float = 10.0) -> BackgroundCallee:
        self._thread.start()
        self._run(self.callee.start(timeout_s), timeout_s + 5)
        return self

    def stop(self) -> int | None:
        """Stop SIPp (it writes its final statistics); its exit code (1 if any call failed)."""
        try:
            return self._run(self.callee.stop(), 15.0)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=5)
            if not self._thread.is_alive():
                self._loop.close()

    def counts(self) -> SippCounts:
        return self.callee.counts()

    def wait_for_counts(
        self, *, successful: int | None = None, failed: int | None = None, timeout_s: float = 10.0
    ) -> SippCounts:
        return self._run(
            self.callee.wait_for_counts(successful=successful, failed=failed, timeout=timeout_s), timeout_s + 5
        )

    def __enter__(self) -> BackgroundCallee:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _run(self, coro: Coroutine[Any, Any, T], timeout_s: float) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout_s)
