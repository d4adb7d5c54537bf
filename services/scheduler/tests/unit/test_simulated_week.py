"""A simulated week of calling: the calling gate and the retry rules drive a few hundred contacts
under a concurrency limit, on a simulated clock, with random call outcomes. Whatever the windows,
zone, period and retry strategy: no dial starts inside a window, before startAt or at/after
stopAt; a retry due inside a window waits for its end; every contact ends in exactly one final
status (completed, failed or skipped), and only stopAt skips anyone."""

from __future__ import annotations

import heapq
import itertools
import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from callcast_runtime.errors import ValidationFailed
from callcast_scheduler.domain.calling_gate import GateState, calling_gate
from callcast_scheduler.domain.retry import max_attempts, next_attempt_at, normalize_retry_strategy
from callcast_scheduler.domain.windows import WEEKDAYS, PauseSchedule

pytestmark = pytest.mark.unit

FINAL = ("completed", "failed", "skipped")
OUTCOMES = ["completed", "no_answer", "busy", "rejected", "failed", "voicemail"]
OUTCOME_WEIGHTS = [30, 30, 15, 5, 10, 10]


class SimulatedClock:
    """The only source of time the simulation has: it moves when the simulation says so."""

    def __init__(self, start: datetime) -> None:
        self._now = start

    def now(self) -> datetime:
        return self._now

    def advance_to(self, t: datetime) -> None:
        assert t > self._now, "the simulation must make progress"
        self._now = t


@dataclass
class Contact:
    due: datetime
    attempts: int = 0
    state: str = "pending"  # pending | pending_retry | calling | completed | failed | skipped


@dataclass(frozen=True)
class Dial:
    contact: int
    attempt: int
    at: datetime
    due: datetime
    ends: datetime


@dataclass
class Run:
    contacts: list[Contact]
    dials: list[Dial] = field(default_factory=list)
    stopped_at: datetime | None = None


def simulate(
    *,
    clock: SimulatedClock,
    contacts: int,
    start_at: datetime | None,
    stop_at: datetime | None,
    schedule: PauseSchedule | None,
    strategy: dict[str, Any],
    concurrency: int,
    rng: random.Random,
) -> Run:
    """A dispatcher reduced to its decisions: ask the gate, dial due contacts up to the limit,
    react to call ends with the retry rule, skip what remains at stopAt; sleep until the next
    thing that can change the answer (a call ends, a contact comes due, the gate's ``until``)."""
    first_due = start_at or clock.now()
    run = Run([Contact(due=first_due) for _ in range(contacts)])
    waiting = [(first_due, i) for i in range(contacts)]  # (due, contact): pending and pending_retry
    heapq.heapify(waiting)
    live: list[tuple[datetime, int, str]] = []  # (ends, contact, outcome)
    while True:
        now = clock.now()
        while live and live[0][0] <= now:
            ended_at, i, outcome = heapq.heappop(live)
            c = run.contacts[i]
            if outcome == "completed":
                c.state = "completed"
                continue
            nxt = next_attempt_at(strategy, attempts_made=c.attempts, outcome=outcome, ended_at=ended_at)
            if nxt is None:
                c.state = "failed"
            elif run.stopped_at is not None:
                c.state = "skipped"  # no retry after stopAt
            else:
                c.state, c.due = "pending_retry", nxt
                heapq.heappush(waiting, (nxt, i))
        gate = calling_gate(now, start_at=start_at, stop_at=stop_at, schedule=schedule)
        if gate.state is GateState.STOPPED and run.stopped_at is None:
            run.stopped_at = now
            for _, i in waiting:
                run.contacts[i].state = "skipped"
            waiting.clear()
        if gate.state is GateState.OPEN:
            while waiting and waiting[0][0] <= now and len(live) < concurrency:
                due, i = heapq.heappop(waiting)
                c = run.contacts[i]
                c.attempts += 1
                c.state = "calling"
                ends = now + timedelta(seconds=rng.randint(5, 20 * 60))
                outcome = rng.choices(OUTCOMES, OUTCOME_WEIGHTS)[0]
                heapq.heappush(live, (ends, i, outcome))
                run.dials.append(Dial(i, c.attempts, now, due, ends))
            assert len(live) <= concurrency
        if not live and not waiting:
            return run
        wake = [t for t in (live[0][0] if live else None, gate.until) if t is not None]
        if gate.state is GateState.OPEN and waiting and len(live) < concurrency:
            wake.append(waiting[0][0])
        clock.advance_to(min(wake))  # never empty: something is live or waits for the gate


# -- random scenarios ---------------------------------------------------------------------------
ZONES = ["Europe/Paris", "Africa/Casablanca", "America/New_York", "UTC"]
#: Weeks that hold DST changes of the zones above (Paris/New York in March and October-November,
#: Casablanca around Ramadan 2025 and 2026), and one plain week.
LAUNCHES = [
    datetime(2025, 3, 27, 8, tzinfo=UTC),
    datetime(2025, 10, 23, 8, tzinfo=UTC),
    datetime(2025, 2, 20, 8, tzinfo=UTC),
    datetime(2026, 3, 19, 8, tzinfo=UTC),
    datetime(2025, 3, 6, 8, tzinfo=UTC),
    datetime(2025, 6, 2, 8, tzinfo=UTC),
]
hm = st.builds(lambda h, m: {"hour": h, "minute": m}, st.integers(0, 23), st.sampled_from([0, 15, 30, 45]))
weekly_item = st.fixed_dictionaries({"startAt": hm, "endAt": hm}).filter(lambda i: i["startAt"] != i["endAt"])


@st.composite
def windows(draw: st.DrawFn, launch: datetime) -> dict[str, Any]:
    raw: dict[str, Any] = {}
    if draw(st.booleans()):  # business hours: nights paused
        night = {
            "startAt": {"hour": draw(st.integers(17, 22)), "minute": 0},
            "endAt": {"hour": draw(st.integers(6, 10)), "minute": 0},
        }
        raw = {day: [night] for day in WEEKDAYS}
    for day in draw(st.lists(st.sampled_from(WEEKDAYS), unique=True, max_size=4)):
        raw[day] = raw.get(day, []) + draw(st.lists(weekly_item, min_size=1, max_size=2))
    holidays = []
    for _ in range(draw(st.integers(0, 2))):
        start = launch + timedelta(minutes=15 * draw(st.integers(0, 4 * 24 * 7)))
        holidays.append(
            {
                "startAt": start.isoformat(),
                "endAt": (start + timedelta(minutes=15 * draw(st.integers(1, 4 * 36)))).isoformat(),
            }
        )
    if holidays:
        raw["advanced"] = holidays
    return raw


@st.composite
def strategies(draw: st.DrawFn, launch: datetime) -> dict[str, Any]:
    kind = draw(st.sampled_from(["none", "fixed_delay", "fixed-delay", "scheduled"]))
    if kind == "none":
        return normalize_retry_strategy({"type": "none"})
    if kind == "fixed_delay":
        return normalize_retry_strategy(
            {"type": kind, "delayMinutes": draw(st.integers(0, 240)), "maxRetries": draw(st.integers(0, 4))}
        )
    if kind == "fixed-delay":
        return normalize_retry_strategy(
            {"type": kind, "delay": draw(st.integers(0, 4 * 3600_000)), "maxRetries": draw(st.integers(0, 4))}
        )
    offsets = draw(st.lists(st.integers(0, 8 * 24 * 4), min_size=1, max_size=4, unique=True))
    dates = [(launch + timedelta(minutes=15 * o)).isoformat() for o in offsets]
    return normalize_retry_strategy({"type": "scheduled", "retryDates": dates})


@st.composite
def scenarios(draw: st.DrawFn) -> dict[str, Any]:
    launch = draw(st.sampled_from(LAUNCHES)) + timedelta(minutes=draw(st.integers(0, 24 * 60)))
    tz = draw(st.sampled_from(ZONES))
    raw = draw(st.one_of(st.none(), windows(launch)))
    try:
        schedule = PauseSchedule.from_windows(raw, tz) if raw is not None else None
    except ValidationFailed:
        assume(False)  # the whole week paused
        raise
    start_at = draw(st.one_of(st.none(), st.integers(0, 2 * 24 * 60).map(lambda m: launch + timedelta(minutes=m))))
    begins = start_at or launch
    stop_at = draw(st.one_of(st.none(), st.integers(60, 7 * 24 * 60).map(lambda m: begins + timedelta(minutes=m))))
    return {
        "launch": launch,
        "start_at": start_at,
        "stop_at": stop_at,
        "schedule": schedule,
        "strategy": draw(strategies(launch)),
        "contacts": draw(st.integers(100, 400)),
        "concurrency": draw(st.integers(1, 40)),
        "seed": draw(st.integers(0, 2**32)),
    }


def run_scenario(s: dict[str, Any]) -> Run:
    return simulate(
        clock=SimulatedClock(s["launch"]),
        contacts=s["contacts"],
        start_at=s["start_at"],
        stop_at=s["stop_at"],
        schedule=s["schedule"],
        strategy=s["strategy"],
        concurrency=s["concurrency"],
        rng=random.Random(s["seed"]),
    )


PARIS_OFFICE_ZONE = ZoneInfo("Europe/Paris")
_NIGHT = {"startAt": {"hour": 19, "minute": 0}, "endAt": {"hour": 9, "minute": 0}}
_WHOLE_DAY = [
    {"startAt": {"hour": 0, "minute": 0}, "endAt": {"hour": 12, "minute": 0}},
    {"startAt": {"hour": 12, "minute": 0}, "endAt": {"hour": 0, "minute": 0}},
]
#: Weeknights and weekends paused, plus a Thursday lunch holiday; 2025-03-30 is the DST change.
PARIS_OFFICE = PauseSchedule.from_windows(
    {
        **{d: [_NIGHT] for d in ("monday", "tuesday", "wednesday", "thursday", "friday")},
        "saturday": _WHOLE_DAY,
        "sunday": _WHOLE_DAY,
        "advanced": [{"startAt": "2025-03-27T12:00:00+01:00", "endAt": "2025-03-27T14:00:00+01:00"}],
    },
    "Europe/Paris",
)


@settings(max_examples=150, deadline=None)
@given(scenarios())
@example(
    {  # the Paris spring-forward week, office hours, retries every 30 minutes, stopAt mid-week
        "launch": datetime(2025, 3, 27, 8, tzinfo=UTC),
        "start_at": None,
        "stop_at": datetime(2025, 4, 2, 12, tzinfo=UTC),
        "schedule": PARIS_OFFICE,
        "strategy": {"type": "fixed_delay", "delayMinutes": 30, "maxRetries": 3},
        "contacts": 300,
        "concurrency": 2,
        "seed": 7,
    }
)
def test_a_simulated_week_never_calls_at_the_wrong_time_and_settles_every_contact(s: dict[str, Any]) -> None:
    run = run_scenario(s)
    schedule, start_at, stop_at = s["schedule"], s["start_at"], s["stop_at"]
    for d in run.dials:
        assert schedule is None or not schedule.is_paused(d.at), d
        assert stop_at is None or d.at < stop_at, d
        assert start_at is None or d.at >= start_at, d
        assert d.at >= d.due, d
        if d.attempt > 1 and schedule is not None and schedule.is_paused(d.due):
            assert d.at >= schedule.next_open(d.due), d  # the retry waited for the window's end
    # Exactly one final status each; attempts bounded by the strategy; one call at a time each.
    states = Counter(c.state for c in run.contacts)
    assert set(states) <= set(FINAL), states
    assert sum(states.values()) == s["contacts"]
    limit = max_attempts(s["strategy"])
    by_contact: dict[int, list[Dial]] = {}
    for d in run.dials:
        by_contact.setdefault(d.contact, []).append(d)
    for i, c in enumerate(run.contacts):
        dials = by_contact.get(i, [])
        assert [d.attempt for d in dials] == list(range(1, len(dials) + 1))
        assert len(dials) == c.attempts <= limit
        assert all(a.ends <= b.at for a, b in itertools.pairwise(dials))
        if c.state == "completed":
            assert dials
    # Only stopAt skips anyone, and without stopAt every contact gets at least one call.
    if stop_at is None:
        assert states["skipped"] == 0
        assert len(by_contact) == s["contacts"]


def test_the_example_week_exercises_windows_retries_and_stop_at() -> None:
    # Guards the hand-written example above against becoming vacuous.
    run = run_scenario(
        {
            "launch": datetime(2025, 3, 27, 8, tzinfo=UTC),
            "start_at": None,
            "stop_at": datetime(2025, 4, 2, 12, tzinfo=UTC),
            "schedule": PARIS_OFFICE,
            "strategy": {"type": "fixed_delay", "delayMinutes": 30, "maxRetries": 3},
            "contacts": 300,
            "concurrency": 2,
            "seed": 7,
        }
    )
    states = Counter(c.state for c in run.contacts)
    assert states["completed"] > 0, states
    assert states["failed"] > 0, states
    assert states["skipped"] > 0, states
    retries_into_window = [d for d in run.dials if d.attempt > 1 and PARIS_OFFICE.is_paused(d.due)]
    assert retries_into_window
    # Thursday's advanced window and the weekend (which holds the DST change) were both waited out.
    days = {d.at.astimezone(PARIS_OFFICE_ZONE).date().isoformat() for d in run.dials}
    assert "2025-03-29" not in days
    assert "2025-03-30" not in days
    assert "2025-03-31" in days
