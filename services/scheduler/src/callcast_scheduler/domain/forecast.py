"""When will an execution be done, and which contacts will ``stopAt`` cut off?

The model (a deterministic simulation of the dispatcher, in seconds from ``now``):

- ``concurrency`` slots. Each call holds a slot for exactly ``mean_call_seconds`` (D). A call in
  progress is assumed half-way through: it frees its slot at ``now + D/2``.
- Calls start in waves: the slots that free together start together, at once without a CPS limit;
  with ``calls_per_second`` (r) one call every 1/r seconds, across all waves (a global pace).
- Work known now: ``remaining_first_attempts`` (ready at ``start_at`` or now) and
  ``pending_retries`` (ready at their due times). Retries due by a wave's start go first (they
  have waited), then first attempts. Optionally, ``retry_strategy`` with ``unreached_share`` (the
  share of attempts expected to end in a retried outcome, e.g. as observed so far) adds the
  retries the remaining attempts will cause, in expectation, rounded down per wave (fixed delays
  after the wave ends; scheduled retries at their dates). Without them, the estimate assumes
  every remaining attempt settles its contact: a lower bound.
- A call may only start while the gate is open: after ``start_at``, outside the pause windows
  (``schedule``) and before ``stop_at``. Calls in progress run on through a window. Work not
  started before ``stop_at`` is skipped: it is counted in ``contacts_at_risk_of_stop`` and warned
  about; the execution stops at ``stop_at`` and its last calls end after it.

Exact on the simple cases: no windows, N first attempts, C slots, D seconds → ``ceil(N/C)·D``;
with a CPS limit r, call k starts at ``max(k/r, start(k-C) + D)``. Whole waves of first attempts
are jumped over in one step, so the cost grows with the number of windows, retry due times and
slot groups, not with the audience size.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from callcast_scheduler.domain.retry import max_attempts

#: Beyond this, a schedule that keeps the gate closed gives no estimate rather than a loop.
HORIZON = timedelta(days=3660)


class PauseScheduleLike(Protocol):
    """What the forecast needs of ``domain.windows.PauseSchedule``."""

    def is_paused(self, at: datetime) -> bool: ...

    def next_open(self, at: datetime) -> datetime: ...

    def next_pause(self, at: datetime) -> datetime | None: ...


@dataclass(frozen=True)
class Forecast:
    #: When the last call is expected to end (never before ``stop_at`` when work is cut off:
    #: the execution stops then); None when the gate stays closed beyond the horizon.
    estimated_completion_at: datetime | None
    contacts_at_risk_of_stop: int
    warnings: list[str] = field(default_factory=list)


class _Gate:
    """The open interval a call may start in, in seconds from ``now``; cached between calls."""

    def __init__(
        self,
        now: datetime,
        schedule: PauseScheduleLike | None,
        start: float,
        stop: float,
    ) -> None:
        self.now, self.schedule, self.start, self.stop = now, schedule, start, stop
        self.lo, self.hi = math.inf, -math.inf
        self.beyond_horizon = False
        self._horizon = HORIZON.total_seconds()

    def _sec(self, at: datetime) -> float:
        return (at - self.now).total_seconds()

    def open_at(self, t: float) -> float | None:
        """The earliest instant ≥ ``t`` a call may start (None: never before ``stop_at``)."""
        if self.lo <= t < self.hi:
            return t
        t = max(t, self.start)
        if t >= self.stop:
            return None
        if t > self._horizon:
            self.beyond_horizon = True
            return None
        if self.schedule is None:
            self.lo, self.hi = t, self.stop
            return t
        at = self.now + timedelta(seconds=t)
        if self.schedule.is_paused(at):
            at = self.schedule.next_open(at)
            t = max(t, self._sec(at))
            if t >= self.stop:
                return None
            if t > self._horizon:
                self.beyond_horizon = True
                return None
        pause = self.schedule.next_pause(at)
        self.lo, self.hi = t, min(self._sec(pause) if pause is not None else math.inf, self.stop)
        return t


@dataclass
class _Retries:
    """Future retries from the remaining attempts, in expectation (see the module docstring)."""

    strategy: Mapping[str, Any]
    share: float
    owed: dict[int, float] = field(default_factory=dict)

    def after(self, attempt: int, calls: int, ended: float, now: datetime) -> tuple[float, int] | None:
        """Retries caused by ``calls`` attempts number ``attempt`` ending at ``ended``: (due, n)."""
        if attempt >= max_attempts(self.strategy):
            return None
        owed = self.owed.get(attempt, 0.0) + self.share * calls
        n = math.floor(owed + 1e-9)
        self.owed[attempt] = owed - n
        if n <= 0:
            return None
        if self.strategy.get("type") == "fixed_delay":
            return ended + float(self.strategy.get("delayMinutes", 0)) * 60, n
        dates = sorted(datetime.fromisoformat(d.replace("Z", "+00:00")) for d in self.strategy["retryDates"])
        return max((dates[attempt - 1] - now).total_seconds(), ended), n


def forecast(
    now: datetime,
    *,
    remaining_first_attempts: int,
    pending_retries: Sequence[datetime],
    in_progress: int,
    concurrency: int,
    calls_per_second: float | None,
    mean_call_seconds: float,
    schedule: PauseScheduleLike | None,
    stop_at: datetime | None,
    start_at: datetime | None = None,
    retry_strategy: Mapping[str, Any] | None = None,
    unreached_share: float = 0.0,
) -> Forecast:
    """Estimate the end of an execution (model and assumptions: module docstring).

    ``pending_retries`` are the due times of the contacts waiting for a retry (one per contact;
    they are assumed to be second attempts when ``retry_strategy`` adds further retries).
    """
    if remaining_first_attempts < 0 or in_progress < 0:
        raise ValueError("counts cannot be negative")
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    if calls_per_second is not None and not calls_per_second > 0:
        raise ValueError("calls_per_second must be positive")
    if not mean_call_seconds > 0:
        raise ValueError("mean_call_seconds must be positive")
    if not 0 <= unreached_share <= 1:
        raise ValueError("unreached_share is a share, from 0 to 1")

    def sec(at: datetime) -> float:
        return (at - now).total_seconds()

    d = float(mean_call_seconds)
    gap = 1 / calls_per_second if calls_per_second else 0.0
    stop = sec(stop_at) if stop_at is not None else math.inf
    gate = _Gate(now, schedule, max(sec(start_at), 0.0) if start_at is not None else 0.0, stop)
    spawn = _Retries(retry_strategy, unreached_share) if retry_strategy and unreached_share > 0 else None

    first = remaining_first_attempts
    first_ready = gate.start
    retries: list[tuple[float, int, int]] = [(sec(at), 1, 2) for at in pending_retries]  # (due, count, attempt)
    heapq.heapify(retries)
    busy = min(in_progress, concurrency)
    slots: list[tuple[float, int]] = [(d / 2, busy)] if busy else []  # (free from, how many)
    if concurrency - busy:
        slots.append((0.0, concurrency - busy))
    heapq.heapify(slots)
    last_start = -math.inf
    last_end = d / 2 if in_progress else 0.0
    if spawn is not None and in_progress:
        due = spawn.after(1, in_progress, d / 2, now)
        if due is not None:
            heapq.heappush(retries, (due[0], due[1], 2))

    while first > 0 or retries:
        free, group = heapq.heappop(slots)
        while slots and slots[0][0] == free:
            group += heapq.heappop(slots)[1]
        ready = min(first_ready if first > 0 else math.inf, retries[0][0] if retries else math.inf)
        s = gate.open_at(max(free, ready, last_start + gap))
        if s is None:
            break
        # How many of the group may start in this open interval, one every ``gap`` seconds.
        room = group if gap == 0 or gate.hi == math.inf else min(group, math.ceil((gate.hi - s) / gap))
        if (
            spawn is None
            and not slots
            and room == group
            and first >= 2 * group
            and first_ready <= s
            and not (retries and retries[0][0] <= s)
        ):
            # Whole waves of first attempts with every slot in one group: wave w starts at
            # s + w·period until the interval ends, a retry comes due or fewer than a wave remain.
            period = max(d, group * gap)
            waves = first // group
            if gate.hi != math.inf:
                waves = min(waves, max(1, math.ceil((gate.hi - s - (group - 1) * gap) / period)))
            if retries:
                waves = min(waves, max(1, math.ceil((retries[0][0] - s) / period)))
            if waves > 1:
                first -= waves * group
                s_last = s + (waves - 1) * period
                last_start = s_last + (group - 1) * gap
                last_end = max(last_end, last_start + d)
                heapq.heappush(slots, (s_last + d, group))
                continue
        started = 0
        by_attempt: dict[int, int] = {}
        while retries and retries[0][0] <= s and started < room:
            due_at, count, attempt = heapq.heappop(retries)
            take = min(count, room - started)
            if take < count:
                heapq.heappush(retries, (due_at, count - take, attempt))
            started += take
            by_attempt[attempt] = by_attempt.get(attempt, 0) + take
        if first > 0 and first_ready <= s and started < room:
            take = min(first, room - started)
            first -= take
            started += take
            by_attempt[1] = by_attempt.get(1, 0) + take
        last_start = s + (started - 1) * gap
        last_end = max(last_end, last_start + d)
        heapq.heappush(slots, (s + d, started))
        if group > started:
            heapq.heappush(slots, (s, group - started))
        if spawn is not None:
            for attempt, calls in by_attempt.items():
                caused = spawn.after(attempt, calls, last_start + d, now)
                # Outcomes never schedule a retry due at or after stopAt: the contact fails.
                if caused is not None and caused[0] < stop:
                    heapq.heappush(retries, (caused[0], caused[1], attempt + 1))

    at_risk = first + sum(count for _, count, _ in retries)
    warnings: list[str] = []
    if gate.beyond_horizon:
        warnings.append(f"calls cannot start within {HORIZON.days} days: no estimate")
        return Forecast(None, 0, warnings)
    if at_risk and stop_at is not None:
        warnings.append(
            f"{at_risk} contact{'s' if at_risk != 1 else ''} will not be called before stopAt "
            f"({stop_at.isoformat()}) and will be skipped"
        )
        # The execution stops at stopAt; calls started before it still run to their end.
        return Forecast(max(stop_at, now + timedelta(seconds=last_end)), at_risk, warnings)
    return Forecast(now + timedelta(seconds=last_end), 0, warnings)
