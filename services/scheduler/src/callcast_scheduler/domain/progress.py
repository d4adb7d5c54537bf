"""Execution counters: derived from job states, so they always add up to ``totalContacts``.

The per-status counts live on the execution row (``jobs_<status>`` columns, kept by triggers on
the jobs table in the same transaction as each job change); nothing counts jobs per read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

TERMINAL_JOB_STATES = frozenset({"completed", "failed", "skipped"})
JOB_STATES = ("pending", "queued", "calling", "pending_retry", "completed", "failed", "skipped")


@dataclass(frozen=True)
class Counters:
    total: int
    completed: int
    #: Retries used up, and (a Callcast reading of the four documented counters) the contacts a
    #: cancel or ``stopAt`` skipped: neither reached nor pending any more.
    failed: int
    #: Never attempted yet, waiting for a retry, or not enrolled in the projection yet.
    pending: int
    #: Queued (dial command out) or calling.
    in_progress: int
    # The per-contact statuses (digest §11.2 ContactMetrics).
    queued: int = 0
    calling: int = 0
    pending_retry: int = 0
    skipped: int = 0

    @classmethod
    def from_states(cls, total: int, by_state: Mapping[str, int]) -> Counters:
        completed = by_state.get("completed", 0)
        skipped = by_state.get("skipped", 0)
        failed = by_state.get("failed", 0) + skipped
        queued, calling = by_state.get("queued", 0), by_state.get("calling", 0)
        in_progress = queued + calling
        # Jobs not yet enrolled in the projection count as pending: the sum stays exact.
        pending = total - completed - failed - in_progress
        return cls(
            total=total,
            completed=completed,
            failed=failed,
            pending=pending,
            in_progress=in_progress,
            queued=queued,
            calling=calling,
            pending_retry=by_state.get("pending_retry", 0),
            skipped=skipped,
        )

    @classmethod
    def from_row(cls, execution: Mapping[str, Any]) -> Counters:
        """From an ``executions`` row and its ``jobs_<status>`` counter columns."""
        return cls.from_states(int(execution["total_contacts"]), {s: int(execution[f"jobs_{s}"]) for s in JOB_STATES})

    @property
    def never_attempted(self) -> int:
        """Pending contacts that are not waiting for a retry (first attempts still to make)."""
        return self.pending - self.pending_retry

    @property
    def done(self) -> bool:
        return self.pending == 0 and self.in_progress == 0
