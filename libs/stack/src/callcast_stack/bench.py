"""Benchmarks (`just bench [SUITE...]`): every suite, or the ones named; JSON in bench-results/.

Suites (see each module's docstring for method and limits):

- ``media`` (:mod:`callcast_stack.bench_media`): concurrent calls with live media in one
  dialer-like process on one core — send lateness, drift, echo and digits lost, CPU per call.
- ``setup`` (:mod:`callcast_stack.bench_setup`): sustained call setup rate through the SIP user
  agent against SIPp, setup latency.
- ``amd``: answering machine detection accuracy and decision time
  (``callcast_telephony.amd.bench.run_amd_bench``).
- ``store`` (:mod:`callcast_stack.bench_store`): event store appends, the attempt gate, the
  outbox relay's publishing and the ordered consumer, against a pinned nats-server.
- ``dispatch`` (:mod:`callcast_stack.bench_dispatch`): the scheduler launching a large
  execution with its limits lifted — launch to first dial command, dial commands per second.

Each suite reports its figures, ``checks`` (value beside limit) and ``passed``; the run exits 1
if any selected suite failed or could not run. The machine is shared: load averages are recorded
before and after every suite.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import importlib
import json
import os
import platform
import sys
import time
import traceback
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from callcast_runtime.gc_tuning import tune_gc_for_media
from callcast_stack.bench_report import load_average

SUITES = ("media", "setup", "amd", "store", "dispatch")


async def _media(args: argparse.Namespace) -> dict[str, Any]:
    from callcast_stack.bench_media import run_media_bench

    return await run_media_bench(calls=args.calls, seconds=args.media_seconds)


async def _setup(args: argparse.Namespace) -> dict[str, Any]:
    from callcast_stack.bench_setup import run_setup_bench

    return await run_setup_bench(rate=args.rate, seconds=args.seconds, hold=args.hold)


async def _amd(args: argparse.Namespace) -> dict[str, Any]:
    try:
        module = importlib.import_module("callcast_telephony.amd.bench")
        run_amd_bench = module.run_amd_bench
    except (ImportError, AttributeError) as exc:
        return {"passed": False, "missing": f"callcast_telephony.amd.bench.run_amd_bench: {exc}"}
    # The AMD benchmark is CPU-bound and synchronous: keep the event loop free while it runs.
    result: dict[str, Any] = await asyncio.to_thread(run_amd_bench, clips=args.clips)
    result.setdefault("passed", False)
    return result


async def _store(args: argparse.Namespace) -> dict[str, Any]:
    from callcast_stack.bench_store import run_store_bench

    return await run_store_bench(events=args.events)


async def _dispatch(args: argparse.Namespace) -> dict[str, Any]:
    from callcast_stack.bench_dispatch import run_dispatch_bench

    return await run_dispatch_bench(contacts=args.contacts)


RUNNERS: dict[str, Callable[[argparse.Namespace], Awaitable[dict[str, Any]]]] = {
    "media": _media,
    "setup": _setup,
    "amd": _amd,
    "store": _store,
    "dispatch": _dispatch,
}


def _loop_name() -> str:
    return type(asyncio.get_running_loop()).__module__.split(".")[0]


async def run(args: argparse.Namespace) -> dict[str, Any]:
    gc_tuning = None if args.no_gc_tuning else tune_gc_for_media()
    out: dict[str, Any] = {
        "started_at": datetime.now(UTC).isoformat(),
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "event_loop": _loop_name(),
            "load_average": load_average(),
            # as the dialer does at start-up (callcast_runtime.gc_tuning)
            "gc_tuning": None if gc_tuning is None else dataclasses.asdict(gc_tuning),
            "note": "shared, noisy machine: read figures beside the load averages",
        },
        "suites": {},
    }
    for name in args.suites:
        print(f"bench: {name} ...", file=sys.stderr, flush=True)
        t0 = time.monotonic()
        try:
            result = await RUNNERS[name](args)
        except Exception as exc:  # one suite's crash is that suite's failure, not the run's
            result = {"passed": False, "error": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc()}
        result["wall_seconds"] = round(time.monotonic() - t0, 1)
        out["suites"][name] = result
        print(f"bench: {name} passed={result.get('passed')}", file=sys.stderr, flush=True)
    out["passed"] = all(s.get("passed") for s in out["suites"].values())
    return out


def _calls(text: str) -> list[int]:
    values = [int(part) for part in text.split(",") if part.strip()]
    if not values or min(values) <= 0:
        raise argparse.ArgumentTypeError("a comma-separated list of positive call counts")
    return values


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("suites", nargs="*", metavar="SUITE", help=f"any of {', '.join(SUITES)} (default: all)")
    parser.add_argument("--output", type=Path, help="JSON file (default: bench-results/bench-<suites>-<utc>.json)")
    parser.add_argument("--calls", type=_calls, default=[500, 1000], help="media: call counts, e.g. 500,1000")
    parser.add_argument("--media-seconds", type=float, default=10.0, help="media: prompt length per stage")
    parser.add_argument("--rate", type=float, default=200.0, help="setup: calls started per second")
    parser.add_argument("--seconds", type=float, default=60.0, help="setup: how long to sustain the rate")
    parser.add_argument("--hold", type=float, default=0.2, help="setup: seconds between ACK and BYE")
    parser.add_argument("--clips", type=int, default=400, help="amd: corpus clips")
    parser.add_argument("--events", type=int, default=2000, help="store: events per figure")
    parser.add_argument("--contacts", type=int, default=100_000, help="dispatch: audience size")
    parser.add_argument("--no-uvloop", action="store_true", help="use the default asyncio loop")
    parser.add_argument(
        "--no-gc-tuning", action="store_true", help="keep CPython's default collector settings (for comparison)"
    )
    args = parser.parse_args(argv)
    for name in args.suites:
        if name not in SUITES:
            parser.error(f"unknown suite {name!r}: choose from {', '.join(SUITES)}")
    args.suites = list(dict.fromkeys(args.suites)) or list(SUITES)
    if args.output is None:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        label = "all" if len(args.suites) == len(SUITES) else "-".join(args.suites)
        args.output = Path("bench-results") / f"bench-{label}-{stamp}.json"
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    loop_factory: Callable[[], asyncio.AbstractEventLoop] | None = None
    if not args.no_uvloop:
        try:
            import uvloop  # the dialer runs on uvloop (callcast_runtime.service)

            loop_factory = uvloop.new_event_loop
        except ImportError:
            pass
    # A runner with its own loop, not a global policy change: callers (tests) keep theirs.
    with asyncio.Runner(loop_factory=loop_factory) as runner:
        results = runner.run(run(args))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))
    print(f"results: {args.output}", file=sys.stderr)
    return 0 if results["passed"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
