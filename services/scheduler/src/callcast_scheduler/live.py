"""Live programs: contacts are enrolled as the date in their trigger attribute comes.

A live launch starts an execution with no snapshot (``mode`` live, ``total_contacts`` 0); the
active dispatcher evaluates the triggers of each live execution at launch and then every
``LIVE_EVALUATION_S``: every contact (of the program's audience when it names one) whose date
attribute gives a trigger still to come gets one job, whose first attempt waits for that moment
(the job's ``next_attempt_at``; windows and limits apply as for any call). Each (contact, trigger
time) is one job with a derived id, so an evaluation that runs twice enrols nothing twice; a
contact whose date changes gets a job for the new date too. A live execution never completes on
its own: it runs until ``stopAt`` (which no trigger may pass) or a cancel.
"""

from __future__ import annotations

import time
import zlib
from datetime import datetime, timedelta

from callcast_contracts import ids
from callcast_contracts.envelope import envelope
from callcast_contracts.events import JobsEnrolled
from callcast_contracts.events.programs import EnrolledJob
from callcast_runtime.logging import get_logger
from callcast_scheduler.adapters import live_repository as live_repo
from callcast_scheduler.adapters import repository as repo
from callcast_scheduler.adapters.event_batches import PendingAppend, append_batch
from callcast_scheduler.domain.live_triggers import due_triggers
from callcast_scheduler.service_base import SchedulerBase, _now, execution_subject

log = get_logger(__name__)

#: How often the active dispatcher evaluates each live execution's triggers.
LIVE_EVALUATION_S = 30.0
#: A trigger this much in the past when first seen is still called (an evaluation's interval,
#: a restart); one older has passed.
LIVE_GRACE = timedelta(minutes=5)
#: Jobs enrolled per evaluation (the rest comes with the next one).
LIVE_ENROL_MAX = 1000


class LiveTriggers(SchedulerBase):
    def live_evaluation_due(self, execution_id: str) -> bool:
        last = self._live_evaluated.get(execution_id)
        return last is None or time.monotonic() - last >= LIVE_EVALUATION_S

    async def evaluate_live(self, ex: repo.Row, now: datetime | None = None) -> int:
        """Enrol the live execution's triggers still to come; how many jobs were new."""
        now = now or _now()
        execution_id, org_id = str(ex["id"]), str(ex["org_id"])
        self._live_evaluated[execution_id] = time.monotonic()
        trigger = dict(ex["trigger"] or {})
        attribute = str(trigger.get("attributeName") or "")
        if not attribute:
            return 0
        audience = str(ex["audience_id"]) if ex["audience_id"] else None
        async with self.rt.db.connection() as conn:
            candidates = await live_repo.trigger_candidates(conn, org_id, audience, attribute)
        due = due_triggers(
            candidates,
            trigger,
            str(ex["timezone"]),
            not_before=max(ex["created_at"], now - LIVE_GRACE),
            stop_at=ex["scheduled_stop_at"],
        )
        jobs = [
            (ids.job_id(execution_id, f"{contact_id}@{at.isoformat()}"), contact_id, phone, at)
            for contact_id, phone, at in due
        ]
        enrolled = 0
        for start in range(0, min(len(jobs), LIVE_ENROL_MAX), 500):
            enrolled += await self._enrol_triggered(org_id, execution_id, jobs[start : start + 500])
        if enrolled:
            log.info("live triggers enrolled", execution_id=execution_id, jobs=enrolled)
            self.wake()
        return enrolled

    async def _enrol_triggered(self, org_id: str, execution_id: str, jobs: list[tuple[str, str, str, datetime]]) -> int:
        # Rows, then their JobsEnrolled, then the commit (as a launch's waves): a failed append
        # rolls the rows back for the next evaluation; a failed commit leaves the events, from
        # which the projection makes the same rows.
        async with self.rt.db.connection() as conn, conn.transaction():
            new = set(await live_repo.enrol_triggered(conn, org_id, execution_id, jobs))
            if not new:
                return 0
            enrolled = [EnrolledJob(job_id=j, contact_id=c, phone=p, not_before=at) for j, c, p, at in jobs if j in new]
            chunk = zlib.crc32(",".join(sorted(new)).encode())
            event = JobsEnrolled(execution_id=execution_id, chunk=chunk, jobs=enrolled)
            await append_batch(
                self.rt.js,
                [
                    PendingAppend(
                        subject=execution_subject(org_id, execution_id),
                        envelope=envelope(event, org_id=org_id, aggregate_id=execution_id),
                        msg_id=f"execution-{execution_id}-live-jobs-{chunk}",
                    )
                ],
            )
        return len(new)
