"""What every benchmark suite reports: figures beside their limits, the machine, CPU pinning.

A suite returns a dict with its raw figures plus ``checks``: one entry per limit, holding the
measured ``value``, the ``limit``, how they compare (``op``) and ``passed``. The suite passes when
every check does. The machine is shared and noisy, so the load average before and after is
recorded with every suite: read a failed check next to it.
"""

from __future__ import annotations

import contextlib
import math
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any


def check(name: str, value: float, limit: float, op: str = "<=") -> dict[str, Any]:
    passed = value <= limit if op == "<=" else value >= limit
    return {"name": name, "value": value, "limit": limit, "op": op, "passed": bool(passed)}


def verdict(checks: list[dict[str, Any]]) -> bool:
    return bool(checks) and all(c["passed"] for c in checks)


def load_average() -> list[float]:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return []


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile (0 for no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def rate(count: int, seconds: float) -> float:
    return round(count / seconds, 1) if seconds > 0 else 0.0


def available_cpus() -> list[int]:
    return sorted(os.sched_getaffinity(0))


# A dialer pod gets guaranteed CPU (requests = limits). On this shared machine other builds run
# on the same cores, so the measured processes get a higher CFS weight (nice -15 is ~99% of a
# contended core) for the few seconds a suite runs; without privileges this is skipped.
BENCH_NICE = -15


@contextlib.contextmanager
def pinned_to(cpu: int | None, *, nice: int | None = BENCH_NICE) -> Iterator[int | None]:
    """Run the block with this process (every thread) on one core and at ``nice``; ``cpu=None``:
    leave the affinity as is."""
    pid = os.getpid()
    before = os.sched_getaffinity(0)
    niceness = os.getpriority(os.PRIO_PROCESS, 0)
    if cpu is not None:
        pin_threads(pid, {cpu}, nice=nice)
    elif nice is not None:
        pin_threads(pid, None, nice=nice)
    try:
        yield cpu
    finally:
        pin_threads(pid, before, nice=niceness)


def pin_threads(pid: int, cpus: set[int] | None, *, nice: int | None = None) -> None:
    """``sched_setaffinity`` and nice are per thread on Linux: set them for each thread the
    process has now (threads started later inherit them from their creator)."""
    tasks = Path(f"/proc/{pid}/task")
    tids = [int(p.name) for p in tasks.iterdir()] if tasks.is_dir() else [pid]
    for tid in tids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            if cpus is not None:
                os.sched_setaffinity(tid, cpus)
            if nice is not None:
                os.setpriority(os.PRIO_PROCESS, tid, nice)


def core_plan() -> tuple[int | None, int | None]:
    """(core for the measured process, core for its peer): distinct when there are two."""
    cpus = available_cpus()
    if len(cpus) >= 2:
        return cpus[0], cpus[1]
    return None, None
