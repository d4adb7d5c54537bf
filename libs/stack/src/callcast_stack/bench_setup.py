"""Benchmark suite ``setup``: sustained call setup rate through :class:`SipUserAgent`.

Short calls, one after another at a fixed rate (starts on absolute deadlines, like a dialer with
a calls-per-second budget): INVITE -> 180 -> 200 -> ACK, hold ``hold`` seconds, BYE -> 200,
against a SIPp ``answer`` callee on the other core. A call fails unless it is answered and its BYE
gets a 200; SIPp's own failed-call counter must stay at 0 too (it fails a call on any unexpected
or missing message). Setup latency is INVITE sent to 2xx handled.

Limit: ``RATE_LIMIT`` calls/s started and completed for ``--seconds`` (60 by default) with no
failed call. "Achieved" is calls completed over the time from the first INVITE to the last start;
the per-second figures show whether it was sustained.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from callcast_runtime.gc_tuning import GcPauses
from callcast_stack.bench_report import (
    BENCH_NICE,
    check,
    core_plan,
    load_average,
    percentile,
    pin_threads,
    pinned_to,
    verdict,
)
from callcast_stack.sipp import SippCallee
from callcast_telephony.sip import SipUserAgent

RATE_LIMIT = 200.0


async def run_setup_bench(
    *,
    rate: float = RATE_LIMIT,
    seconds: float = 60.0,
    hold: float = 0.2,
    log_dir: Path | None = None,
    required_rate: float = RATE_LIMIT,
) -> dict[str, Any]:
    dialer_core, peer_core = core_plan()
    load_before = load_average()
    outcomes: Counter[str] = Counter()
    setup_ms: list[float] = []
    answered_second: Counter[int] = Counter()
    with tempfile.TemporaryDirectory(prefix="callcast-bench-setup-") as tmp, pinned_to(dialer_core):
        async with SippCallee("answer", log_dir=log_dir or Path(tmp), rtp_echo=False) as callee:
            if peer_core is not None and callee.pid is not None:
                pin_threads(callee.pid, {peer_core}, nice=BENCH_NICE)
            async with SipUserAgent(trunk=callee.address) as ua:
                t0 = time.monotonic()

                async def one(i: int) -> None:
                    started = time.monotonic()
                    try:
                        result = await ua.invite(f"+2126{i:08d}", "+212500000000", ring_timeout=10.0)
                    except Exception as exc:  # a bug must show up as a failed call, not stop the run
                        outcomes[f"error:{type(exc).__name__}"] += 1
                        return
                    if result.call is None:
                        outcomes[f"{result.outcome}:{result.reason}"] += 1
                        return
                    setup_ms.append((time.monotonic() - started) * 1000)
                    answered_second[int(time.monotonic() - t0)] += 1
                    await asyncio.sleep(hold)
                    await result.call.hangup()
                    outcomes["ok" if result.call.bye_status == 200 else f"bye:{result.call.bye_status}"] += 1

                total = int(rate * seconds)
                tasks: list[asyncio.Task[None]] = []
                cpu0 = time.process_time()
                lag_max = 0.0
                i = 0
                with GcPauses() as gc_pauses:
                    while i < total:
                        now = time.monotonic()
                        while i < total and t0 + i / rate <= now:
                            lag_max = max(lag_max, now - (t0 + i / rate))
                            tasks.append(asyncio.ensure_future(one(i)))
                            i += 1
                        if i < total:
                            await asyncio.sleep(max(0.0, t0 + i / rate - time.monotonic()))
                    started_for = time.monotonic() - t0
                    await asyncio.gather(*tasks)
                elapsed = time.monotonic() - t0
                cpu = time.process_time() - cpu0
            await asyncio.sleep(0.6)  # SIPp's statistics are written every 200 ms
            sipp = callee.counts()
    ok = outcomes.get("ok", 0)
    failed = sum(n for k, n in outcomes.items() if k != "ok")
    full_seconds = [answered_second[s] for s in range(1, int(seconds) - 1)] or list(answered_second.values())
    achieved = ok / started_for if started_for > 0 else 0.0
    checks = [
        check("achieved_calls_per_second", round(achieved, 1), required_rate, ">="),
        check("failed_calls", failed, 0),
        check("sipp_failed_calls", sipp.failed, 0),
        check("duration_seconds", round(started_for, 1), round(seconds * 0.99, 1), ">="),
    ]
    return {
        "method": "SipUserAgent -> SIPp answer (no media); INVITE/180/200/ACK, hold, BYE/200; "
        "dialer and SIPp pinned to distinct cores",
        "dialer_core": dialer_core,
        "peer_core": peer_core,
        "target_calls_per_second": rate,
        "seconds": seconds,
        "hold_seconds": hold,
        "calls_started": total,
        "calls_ok": ok,
        "failed_calls": failed,
        "failures": {k: n for k, n in outcomes.items() if k != "ok"},
        "achieved_calls_per_second": round(achieved, 1),
        "answered_per_second": {
            "min": min(full_seconds, default=0),
            "median": statistics.median(full_seconds) if full_seconds else 0,
        },
        "setup_latency_ms": {
            "p50": round(percentile(setup_ms, 0.50), 1),
            "p99": round(percentile(setup_ms, 0.99), 1),
            "max": round(max(setup_ms, default=0.0), 1),
        },
        "start_lag_max_ms": round(lag_max * 1000, 1),
        "elapsed_seconds": round(elapsed, 2),
        "cpu_share_of_one_core": round(cpu / elapsed, 3) if elapsed > 0 else 0.0,
        # every collection stops the process, and with it every call's media
        "gc_pauses": gc_pauses.summary(),
        "sipp_counts": {"successful": sipp.successful, "failed": sipp.failed},
        "limits": {"calls_per_second": required_rate, "failed_calls": 0},
        "checks": checks,
        "passed": verdict(checks),
        "load_average_before": load_before,
        "load_average_after": load_average(),
    }
