"""Events of the scheduler's event-sourced aggregates.

- ``programs.<org>.execution.<executionId>``: ExecutionLaunched, JobsEnrolled, then the lifecycle:
  ExecutionStarted (``scheduled`` → ``running`` at ``startAt``), ExecutionPaused / ExecutionResumed,
  and one final event: ExecutionCompleted, ExecutionStopped (``stopAt``) or ExecutionCancelled.
- ``programs.<org>.job.<jobId>``: AttemptDispatched, RetryScheduled, JobCompleted; a test call's
  job (``POST /api/flows/execute``): TestCallRequested, then JobCompleted (no execution, no retry)

Every append to an execution's subject carries the subject's expected last sequence and a
``Nats-Msg-Id`` derived from what it is about: ``execution-<id>-launched``, ``-jobs-<chunk>``,
``-started``, ``-pause-<n>`` / ``-resume-<n>`` (the n-th pause and the resume that follows it),
``-completed``, ``-stopped``, ``-cancelled``.

A stopped or cancelled execution has no event per skipped job: the execution's event implies that
every job neither final nor in progress (``pending``, ``pending_retry``) is ``skipped``. A job in
progress then still ends with its own JobCompleted, never retried.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from callcast_contracts.envelope import Event


class ExecutionLaunched(Event, frozen=True, kw_only=True):
    execution_id: str
    program_id: str
    #: None for a live program over the whole organization.
    audience_id: str | None
    flow_id: str
    flow_version: int
    caller_ids: list[str]
    retry_strategy: dict[str, Any]
    concurrency: int
    total_contacts: int
    scheduled_start_at: datetime
    scheduled_stop_at: datetime | None = None
    #: IANA zone the pause windows are read in (the organization's, snapshotted at launch).
    timezone: str = "UTC"
    #: The program's ``pauseWindows`` in normal form (weekly items and ``advanced`` ranges).
    pause_windows: dict[str, Any] | None = None
    #: Read each recipient's windows in the recipient's own zone (from the E.164 number, or the
    #: contact's override attribute) instead of ``timezone``.
    recipient_timezones: bool = False
    auto_pause_rules: list[dict[str, Any]] | None = None
    #: New calls per second for this execution (None: the organization's limit alone).
    calls_per_second: float | None = None
    #: ``live``: contacts are enrolled as their date attribute's trigger comes (``trigger``, the
    #: program's ``triggerCondition`` in normal form); ``total_contacts`` counts those enrolled
    #: at launch and grows with each later ``JobsEnrolled``; the execution never completes on its
    #: own (it ends at ``stopAt`` or when cancelled).
    mode: str = "batch"
    trigger: dict[str, Any] | None = None


class EnrolledJob(msgspec.Struct, kw_only=True, frozen=True, rename="camel"):
    job_id: str
    contact_id: str
    phone: str
    #: A live program's trigger time: the job's first attempt waits for it.
    not_before: datetime | None = None


class JobsEnrolled(Event, frozen=True, kw_only=True):
    """The audience snapshot, in chunks: these contacts are the execution's jobs."""

    execution_id: str
    chunk: int
    jobs: list[EnrolledJob]


class AttemptDispatched(Event, frozen=True, kw_only=True):
    """A dial command for this attempt was (or is being) published; never twice per attempt."""

    job_id: str
    execution_id: str
    attempt_id: str
    attempt_number: int
    caller_id: str
    not_before: datetime | None = None


class TestCallRequested(Event, frozen=True, kw_only=True):
    """A test call's job (no program, no execution) was started: its only attempt, ``attempt_id``
    (attempt 1), was dispatched to the dialer. The job's first event (expected sequence 0)."""

    __test__ = False  # not a pytest test class

    job_id: str
    attempt_id: str
    flow_id: str
    flow_version: int
    contact_id: str
    to: str
    caller_id: str


class RetryScheduled(Event, frozen=True, kw_only=True):
    """Attempt ``attempt_number - 1`` ended without success; the next one waits for ``not_before``."""

    job_id: str
    execution_id: str
    attempt_number: int
    not_before: datetime
    last_outcome: str
    #: ``dialer_lost`` when the scheduler closed the previous attempt after its lease ran out.
    last_outcome_reason: str | None = None


class JobCompleted(Event, frozen=True, kw_only=True):
    """The job reached its final state: ``status`` is ``completed`` or ``failed`` (``skipped`` when
    its execution was cancelled or stopped before its queued call was made).
    ``execution_id`` is null for a test call's job."""

    job_id: str
    execution_id: str | None
    status: str
    outcome: str
    attempts: int
    #: Why, when the scheduler decided the outcome itself: ``dialer_lost`` (the attempt's call
    #: events stopped for longer than the scheduler's lease), ``execution_cancelled``,
    #: ``execution_stopped`` (a retry that the execution's end called off).
    outcome_reason: str | None = None


class ExecutionCancelled(Event, frozen=True, kw_only=True):
    """The execution was cancelled (``PATCH /program-executions/:id/cancel``): no new call starts
    and its pending contacts are skipped. A dial command of a cancelled execution that is still
    queued ends ``cancelled`` without dialling. Calls in progress continue (digest §11.1) unless
    ``end_live_calls``: then every dialer ends them with the outcome ``cancelled`` (a ringing call
    gets a CANCEL, an answered one a BYE)."""

    execution_id: str
    reason: str | None = None
    end_live_calls: bool = False


class ExecutionCompleted(Event, frozen=True, kw_only=True):
    execution_id: str
    status: str
    contacts_completed: int
    contacts_failed: int


class ExecutionStarted(Event, frozen=True, kw_only=True):
    """A ``scheduled`` execution reached its ``startAt``: it is ``running``."""

    execution_id: str


class ExecutionPaused(Event, frozen=True, kw_only=True):
    """No new call starts until ExecutionResumed; calls in progress go on, retries keep their
    times. ``reason`` is ``manual`` (``PATCH .../pause``: status ``paused``) or ``threshold`` (an
    auto-pause rule on ``node_id`` reached its threshold: status ``paused_threshold``)."""

    execution_id: str
    #: The n-th pause of the execution (1, 2, ...): its msg-id is ``execution-<id>-pause-<n>``.
    number: int = 1
    reason: str = "manual"
    node_id: str | None = None
    #: How many times ``node_id`` had run when the rule fired.
    node_count: int | None = None


class ExecutionResumed(Event, frozen=True, kw_only=True):
    """The execution is ``running`` again. ``auto_pause_rules``, when not null, replace the
    execution's rules (an empty list removes them); counters of rules with ``resetOnResume``
    start again from zero."""

    execution_id: str
    #: The number of the pause this resume ends (msg-id ``execution-<id>-resume-<n>``).
    number: int = 1
    auto_pause_rules: list[dict[str, Any]] | None = None


class ExecutionStopped(Event, frozen=True, kw_only=True):
    """``stopAt`` was reached: the execution ended for good; its jobs neither final nor in
    progress are ``skipped`` and no retry is scheduled any more."""

    execution_id: str
    reason: str = "stop_at"
