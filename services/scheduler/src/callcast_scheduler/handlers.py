"""The scheduler's use cases: launch, dispatch, react to call outcomes, project its events.

Event-sourced state (executions, jobs) lives in JetStream (``programs.<org>.execution.<id>``,
``programs.<org>.job.<id>``); the ``executions``/``jobs`` tables are its projection. Every append
carries a ``Nats-Msg-Id`` derived from what it is about (execution, job, attempt number, kind).
Each use case has its module; ``Scheduler`` assembles them.
"""

from __future__ import annotations

from callcast_scheduler.dispatcher import DispatchHandlers
from callcast_scheduler.execution_control import ExecutionControl
from callcast_scheduler.launch import LaunchHandlers
from callcast_scheduler.outcomes import OutcomeHandlers
from callcast_scheduler.service_base import (
    CALLS_DURABLE,
    execution_subject,
    job_subject,
)
from callcast_scheduler.test_calls import TestCallHandlers

__all__ = [
    "CALLS_DURABLE",
    "Scheduler",
    "execution_subject",
    "job_subject",
]


class Scheduler(LaunchHandlers, DispatchHandlers, TestCallHandlers, OutcomeHandlers, ExecutionControl):
    """Every use case of the scheduler, on one runtime."""
