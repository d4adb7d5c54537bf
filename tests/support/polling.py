"""Waiting for eventual consistency: read models and call outcomes arrive asynchronously."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def eventually(check: Callable[[], T], *, timeout_s: float = 30.0, interval_s: float = 0.2) -> T:
    """Call ``check`` until it stops raising AssertionError; its result. The last failure is
    re-raised after ``timeout_s``.

        report = eventually(lambda: assert_outcome(api.get_call_report(job_id), "completed"))
    """
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            return check()
        except AssertionError:
            if time.monotonic() >= deadline:
                raise
        time.sleep(interval_s)
