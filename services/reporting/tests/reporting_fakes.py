"""An in-memory ReportRepository, and a feeder that plays events into the real handlers with it."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import msgspec
from reporting_scenario import Appended

from callcast_contracts.envelope import Envelope
from callcast_contracts.streams import CALLS
from callcast_reporting.domain.projection import new_job
from callcast_reporting.domain.records import AttemptRecord, EventRecord, ExecutionRecord, JobRecord
from callcast_reporting.domain.report import build_call_report
from callcast_reporting.handlers import CALL_EVENT_HANDLERS, PROGRAM_EVENT_HANDLERS


class InMemoryReportRepository:
    def __init__(self) -> None:
        self.executions: dict[str, ExecutionRecord] = {}
        self.jobs: dict[str, JobRecord] = {}
        self.attempts: dict[str, AttemptRecord] = {}
        self.events: dict[tuple[str, int], EventRecord] = {}
        self.claimed: set[str] = set()
        self.published: list[tuple[str, Envelope[Any], str]] = []

    async def execution(self, execution_id: str) -> ExecutionRecord | None:
        return self.executions.get(execution_id)

    async def save_execution(self, execution: ExecutionRecord) -> None:
        self.executions.setdefault(execution.execution_id, execution)

    async def lock_jobs(self, org_id: str, job_ids: Iterable[str], at: datetime) -> dict[str, JobRecord]:
        return {j: self.jobs.setdefault(j, new_job(org_id, j, at)) for j in job_ids}

    async def save_job(self, job: JobRecord) -> None:
        self.jobs[job.job_id] = job

    async def job_id_of_attempt(self, attempt_id: str) -> str | None:
        attempt = self.attempts.get(attempt_id)
        return attempt.job_id if attempt else None

    async def attempt(self, attempt_id: str) -> AttemptRecord | None:
        return self.attempts.get(attempt_id)

    async def attempts_of_job(self, job_id: str) -> list[AttemptRecord]:
        return sorted((a for a in self.attempts.values() if a.job_id == job_id), key=lambda a: a.attempt_number)

    async def save_attempt(self, attempt: AttemptRecord) -> None:
        self.attempts[attempt.attempt_id] = attempt

    async def add_event(self, event: EventRecord) -> None:
        self.events.setdefault((event.attempt_id, event.seq), event)

    async def claim_outcome(self, attempt_id: str) -> bool:
        if attempt_id in self.claimed:
            return False
        self.claimed.add(attempt_id)
        return True

    async def publish(self, subject: str, env: Envelope[Any], msg_id: str) -> None:
        self.published.append((subject, env, msg_id))

    # -- reading, as the API would --------------------------------------------------------------
    def report(self, job_id: str) -> dict[str, Any]:
        job = self.jobs[job_id]
        events = sorted((e for e in self.events.values() if e.job_id == job_id), key=lambda e: e.seq)
        report = build_call_report(job, [a for a in self.attempts.values() if a.job_id == job_id], events)
        return msgspec.to_builtins(report)  # type: ignore[no-any-return]


class Feeder:
    """Plays events into the handlers as the two consumers would, numbering each stream's events."""

    def __init__(self, repo: InMemoryReportRepository) -> None:
        self.repo = repo
        self.seqs: dict[str, int] = {}

    async def feed(self, events: Iterable[Appended]) -> None:
        for item in events:
            seq = self.seqs[item.stream] = self.seqs.get(item.stream, 0) + 1
            handlers = CALL_EVENT_HANDLERS if item.stream == CALLS.name else PROGRAM_EVENT_HANDLERS
            handler = handlers.get(type(item.env.data))
            if handler is not None:
                await handler(self.repo, item.env, seq)
