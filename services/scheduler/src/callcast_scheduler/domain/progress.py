"""Execution counters: derived from job states, so they always add up to ``totalContacts``."""

from __future__ import annotations

from dataclasses import dataclass

TERMINAL_JOB_STATES = frozenset({"completed", "failed", "skipped"})


@dataclass(frozen=True)
class Counters:
    total: int
    completed: int
    failed: int
    pending: int
    in_progress: int

    @classmethod
    def from_states(cls, total: int, by_state: dict[str, int]) -> Counters:
        completed = by_state.get("completed", 0)
        failed = by_state.get("failed", 0) + by_state.get("skipped", 0)
        in_progress = by_state.get("queued", 0) + by_state.get("calling", 0)
        # Jobs not yet enrolled in the projection count as pending: the sum stays exact.
        pending = total - completed - failed - in_progress
        return cls(total=total, completed=completed, failed=failed, pending=pending, in_progress=in_progress)

    @property
    def done(self) -> bool:
        return self.pending == 0 and self.in_progress == 0
