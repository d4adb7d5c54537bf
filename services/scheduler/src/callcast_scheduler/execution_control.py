"""An execution's lifecycle: start, pause, resume, stop, cancel (digest §11.1).

Each action is an event appended to the execution's subject (``programs.<org>.execution.<id>``)
with the subject's last sequence as the expected one, so two actions at once cannot both pass
their status check: the second one's append conflicts, and it decides again from what the first
stored. The status checked is the one the subject's last event implies (a lifecycle event not
projected yet still counts), else the projected row's. The command applies its own event to the
projection in the same call (read-your-writes: a pause answered 200 is seen by the next request
and by the dispatcher at once); the projection consumer applies it too, once (``last_seq``).

Msg-ids: ``execution-<id>-started``, ``-pause-<n>`` (the n-th pause, manual or threshold),
``-resume-<n>`` (the resume of pause n), ``-stopped``, ``-cancelled``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from callcast_contracts.envelope import Event, envelope
from callcast_contracts.events import (
    ExecutionCancelled,
    ExecutionCompleted,
    ExecutionPaused,
    ExecutionResumed,
    ExecutionStarted,
    ExecutionStopped,
)
from callcast_contracts.streams import PROGRAMS
from callcast_runtime.logging import get_logger
from callcast_runtime.messaging import AppendConflict, StoredEvent
from callcast_scheduler.adapters import repository as repo
from callcast_scheduler.adapters.event_log import last_event
from callcast_scheduler.domain import errors
from callcast_scheduler.domain import execution_status as st
from callcast_scheduler.domain.auto_pause import normalize_auto_pause_rules
from callcast_scheduler.projections import apply_lifecycle_event, status_after
from callcast_scheduler.service_base import SchedulerBase, execution_subject

log = get_logger(__name__)
#: Appends of one action tried against a subject that others append to meanwhile.
ACT_ATTEMPTS = 10

#: Builds the action's event and msg-id from the execution row and the subject's last event.
MakeEvent = Callable[[repo.Row, StoredEvent | None], tuple[Event, str]]


def current_status(row: repo.Row, last: StoredEvent | None) -> str:
    """What the execution's subject says now: its last lifecycle event's status, else the row's."""
    implied = status_after(last.envelope.data) if last is not None else None
    return implied or str(row["status"])


def pauses_so_far(row: repo.Row, last: StoredEvent | None) -> int:
    counted = int(row["pauses"])
    if last is not None and isinstance(last.envelope.data, ExecutionPaused | ExecutionResumed):
        counted = max(counted, last.envelope.data.number)
    return counted


class ExecutionControl(SchedulerBase):
    async def pause_execution(self, org_id: str, execution_id: str) -> None:
        await self._act(org_id, execution_id, "pause", self._pause_event(execution_id, "manual"))

    async def pause_at_threshold(self, org_id: str, execution_id: str, node_id: str, node_count: int) -> bool:
        """An auto-pause rule fired: paused_threshold, unless the execution is not running any
        more (already paused, or ended): then the rule's firing changes nothing."""
        make = self._pause_event(execution_id, "threshold", node_id=node_id, node_count=node_count)
        try:
            await self._act(org_id, execution_id, "pause_threshold", make)
        except st.InvalidTransition:
            return False
        return True

    async def resume_execution(self, org_id: str, execution_id: str, auto_pause_rules: list[Any] | None = None) -> None:
        rules = normalize_auto_pause_rules(auto_pause_rules)

        def make(row: repo.Row, last: StoredEvent | None) -> tuple[Event, str]:
            number = pauses_so_far(row, last)
            event = ExecutionResumed(execution_id=execution_id, number=number, auto_pause_rules=rules)
            return event, f"execution-{execution_id}-resume-{number}"

        await self._act(org_id, execution_id, "resume", make)
        self.wake()

    async def cancel_execution(self, org_id: str, execution_id: str, *, end_live_calls: bool = False) -> None:
        def make(row: repo.Row, last: StoredEvent | None) -> tuple[Event, str]:
            event = ExecutionCancelled(execution_id=execution_id, reason="cancelled", end_live_calls=end_live_calls)
            return event, f"execution-{execution_id}-cancelled"

        await self._act(org_id, execution_id, "cancel", make)

    async def stop_execution(self, org_id: str, execution_id: str) -> None:
        """``stopAt`` reached: the execution ends ``stopped``, what remains is skipped. Already
        ended (stopped, cancelled or completed): nothing to do."""

        def make(row: repo.Row, last: StoredEvent | None) -> tuple[Event, str]:
            return ExecutionStopped(execution_id=execution_id), f"execution-{execution_id}-stopped"

        try:
            await self._act(org_id, execution_id, "stop", make)
        except st.InvalidTransition as e:
            log.info("execution already ended; not stopped", execution_id=execution_id, status=e.status)

    async def start_execution(self, org_id: str, execution_id: str) -> None:
        """``startAt`` reached: ``scheduled`` → ``running``; anything else stays as it is."""

        def make(row: repo.Row, last: StoredEvent | None) -> tuple[Event, str]:
            return ExecutionStarted(execution_id=execution_id), f"execution-{execution_id}-started"

        try:
            await self._act(org_id, execution_id, "start", make)
        except st.InvalidTransition:
            return
        self.wake()

    # -- one action ------------------------------------------------------------------------------
    @staticmethod
    def _pause_event(
        execution_id: str, reason: str, *, node_id: str | None = None, node_count: int | None = None
    ) -> MakeEvent:
        def make(row: repo.Row, last: StoredEvent | None) -> tuple[Event, str]:
            number = pauses_so_far(row, last) + 1
            event = ExecutionPaused(
                execution_id=execution_id, number=number, reason=reason, node_id=node_id, node_count=node_count
            )
            return event, f"execution-{execution_id}-pause-{number}"

        return make

    async def _act(self, org_id: str, execution_id: str, action: str, make: MakeEvent) -> None:
        """Check ``action`` against the status, append its event, apply it. Raises
        InvalidTransition when the status does not allow it (the caller answers 409 or ignores
        it). A concurrent append makes it decide once more from the new last event."""
        subj = execution_subject(org_id, execution_id)
        # Several tries: a large launch appends its enrolment waves to the same subject.
        for attempt in range(1, ACT_ATTEMPTS + 1):
            async with self.rt.db.connection() as conn:
                row = await repo.get_execution(conn, org_id, execution_id)
            if row is None:
                raise errors.execution_not_found()
            last = await last_event(self.rt.js, PROGRAMS.name, subj)
            if last is not None and isinstance(last.envelope.data, ExecutionCompleted):
                # The dispatcher completes executions; its event is final whatever the row says.
                st.transition(st.COMPLETED, action)
            st.transition(current_status(row, last), action)
            event, msg_id = make(row, last)
            env = envelope(event, org_id=org_id, aggregate_id=execution_id)
            try:
                appended = await self.rt.events.append(
                    subj, env, msg_id=msg_id, expected_last_seq=last.seq if last else 0
                )
            except AppendConflict:
                if attempt == ACT_ATTEMPTS:
                    raise
                log.info("execution changed during an action; deciding again", execution_id=execution_id)
                continue
            async with self.rt.db.connection() as conn, conn.transaction():
                await apply_lifecycle_event(conn, event, appended.seq, env.occurred_at)
            log.info("execution action", execution_id=execution_id, action=action, duplicate=appended.duplicate)
            return
