"""Benchmark suite ``media``: live calls in ONE dialer-like process on ONE core.

The dialer's path end to end: a :class:`SipUserAgent` places real SIP calls to a SIPp callee
(``answer`` scenario, ``-rtp_echo``) running on the other core; then every call at once

* plays a prompt (paced 20 ms G.711 frames through the shared media clock),
* receives the echo with an audio listener attached and ``record=True`` (as answering machine
  detection and recording would),
* decodes RFC 4733 digits: a keypad socket in this process presses a key on every call every
  2 s (five telephone-event packets each, 20 ms apart, like a phone);

and we measure how late frames leave (every frame of every call, in 0.1 ms bins), the drift of
each stream, echo packets lost, digits lost, and CPU per call. Beside it, in the same run and on
the same core, the raw rate of a tight ``sendto`` loop: the ceiling of what Python can send.

Limits: at least ``REQUIRED_CALLS`` calls with p99 send lateness <= 5 ms, no echo packet lost in
the dialer and no digit lost, no failed call; ``STRETCH_CALLS`` is reported as a stretch goal
beside it. Echo packets the kernel dropped at SIPp's single echo socket (before they were echoed)
are counted apart, from that socket's drop counter, and reported beside the total.

Two far ends, each a stage per call count: ``sipp`` (SIPp's own ``-rtp_echo``) and ``even``
(:mod:`callcast_stack.rtp_echo`: SIPp still answers the calls, their media goes to an echo that
answers each packet as it comes). SIPp's echo thread stalls for ~100 ms at a time and then
returns a burst: the dialer then receives a few hundred milliseconds of media at once, which no
real far end sends (each phone paces its own stream). The verdict is on the ``even`` far end;
the ``sipp`` stages are reported beside it, never dropped.
"""

from __future__ import annotations

import asyncio
import math
import os
import socket
import statistics
import struct
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from callcast_runtime.gc_tuning import GcPauses
from callcast_stack.bench_report import (
    BENCH_NICE,
    check,
    core_plan,
    load_average,
    pin_threads,
    pinned_to,
    rate,
    verdict,
)
from callcast_stack.rtp_echo import EchoPeer
from callcast_stack.sipp import SippCallee
from callcast_telephony.rtp import g711
from callcast_telephony.rtp.clock import MediaClock
from callcast_telephony.rtp.packet import RtpPacket
from callcast_telephony.sip import SipCall, SipUserAgent

REQUIRED_CALLS = 500
STRETCH_CALLS = 1000
LIMITS = {"p99_send_lateness_ms": 5.0, "echo_lost_in_dialer": 0, "digits_lost": 0, "failed_calls": 0}
SETUP_CONCURRENCY = 50  # INVITEs in flight while the calls are being set up
DRAIN_SECONDS = 0.5  # for the last echoes after the prompts end
_EVENT = struct.Struct("!BBHIIBBH")  # RTP header + one telephone-event block
_KEYPAD_TICK = 0.020
_PRESS_EVERY_TICKS = 100  # a key every 2 s per call
_PACKETS_PER_PRESS = 5  # two progress packets, the end three times


def tone(seconds: float, hz: float = 440.0) -> bytes:
    t = np.arange(int(seconds * 8000)) / 8000
    return g711.ulaw_encode((np.sin(2 * math.pi * hz * t) * 8000).astype(np.int16))


def raw_sendto_rate(seconds: float = 1.0) -> float:
    """Packets/s of a tight ``sendto`` loop of 172-byte datagrams to a socket nobody reads."""
    sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sink.bind(("127.0.0.1", 0))
    sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    packet = bytes(172)
    target = sink.getsockname()
    sent = 0
    deadline = time.perf_counter() + seconds
    start = time.perf_counter()
    try:
        while True:
            for _ in range(1000):
                sender.sendto(packet, target)
            sent += 1000
            if time.perf_counter() >= deadline:
                break
    finally:
        sender.close()
        sink.close()
    return rate(sent, time.perf_counter() - start)


def socket_drops(port: int) -> int:
    """Datagrams dropped on a full receive buffer by the UDP socket(s) bound to ``port``."""
    drops = 0
    try:
        for line in Path("/proc/net/udp").read_text().splitlines()[1:]:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == port:
                drops += int(fields[-1])
    except (OSError, IndexError, ValueError):
        return 0
    return drops


def udp_receive_buffer_drops() -> int:
    """Datagrams the kernel dropped on a full socket buffer, machine-wide (``RcvbufErrors``)."""
    try:
        lines = [line.split() for line in Path("/proc/net/snmp").read_text().splitlines() if line.startswith("Udp:")]
        return int(dict(zip(lines[0], lines[1], strict=False))["RcvbufErrors"])
    except (OSError, KeyError, IndexError, ValueError):
        return 0


class _Keypad:
    """Presses a key on every call every 2 s, from one socket, spread over the 2 s."""

    def __init__(self, calls: Sequence[SipCall]) -> None:
        self._calls = calls
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.setblocking(False)
        self._by_phase: list[list[int]] = [[] for _ in range(_PRESS_EVERY_TICKS)]
        for i in range(len(calls)):
            self._by_phase[(i * 7) % _PRESS_EVERY_TICKS].append(i)
        self._sequence = [0] * len(calls)
        self.presses = [0] * len(calls)  # presses whose first end packet was sent
        self.send_errors = 0

    async def run(self, seconds: float) -> None:
        t0 = time.monotonic()
        ticks = int(seconds / _KEYPAD_TICK) - _PACKETS_PER_PRESS  # every press is complete
        for k in range(max(0, ticks)):
            delay = t0 + k * _KEYPAD_TICK - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            for j in range(_PACKETS_PER_PRESS):
                # call i sends packet j of a press at tick k when (k + 7i - j) % 100 == 0
                for i in self._by_phase[(j - k) % _PRESS_EVERY_TICKS]:
                    press = (k - j + 7 * i) // _PRESS_EVERY_TICKS
                    if k - j < 0:
                        continue
                    self._send(i, press, j)

    def _send(self, i: int, press: int, j: int) -> None:
        call = self._calls[i]
        pt = call.telephone_event_pt
        if pt is None or call.ended:
            return
        end = j >= 2
        duration = 160 * min(j + 1, 3)
        self._sequence[i] = (self._sequence[i] + 1) & 0xFFFF
        data = _EVENT.pack(
            0x80, pt | (0x80 if j == 0 else 0), self._sequence[i], (press * 16000) & 0xFFFFFFFF, 0x5EED0000 + i,
            press % 10, (0x80 if end else 0) | 10, duration,
        )  # fmt: skip
        try:
            self._sock.sendto(data, ("127.0.0.1", call.rtp.local_port))
        except OSError:
            self.send_errors += 1
            return
        if j == 2:
            self.presses[i] += 1

    def close(self) -> None:
        self._sock.close()


async def _place(ua: SipUserAgent, n: int) -> tuple[list[SipCall], int, list[float]]:
    gate = asyncio.Semaphore(SETUP_CONCURRENCY)
    setup_ms: list[float] = []

    async def one(i: int) -> SipCall | None:
        async with gate:
            t0 = time.monotonic()
            result = await ua.invite(f"+2126{i:08d}", "+212500000000", ring_timeout=10.0, record=True)
            setup_ms.append((time.monotonic() - t0) * 1000)
            return result.call if result.outcome == "answered" else None

    placed = await asyncio.gather(*(one(i) for i in range(n)))
    calls = [c for c in placed if c is not None]
    return calls, n - len(calls), setup_ms


async def run_stage(callee: SippCallee, n: int, seconds: float, echo_port: int | None = None) -> dict[str, Any]:
    """``n`` concurrent calls playing ``seconds`` of audio; the figures of that run. With
    ``echo_port`` the calls' media goes to that echo peer instead of SIPp's."""
    clock = MediaClock.for_running_loop()
    prompt = tone(seconds)
    async with SipUserAgent(trunk=callee.address) as ua:
        calls, failed, setup_ms = await _place(ua, n)
        if echo_port is not None:
            for call in calls:
                call.rtp.set_remote(
                    "127.0.0.1", echo_port, codec=call.codec, telephone_event_pt=call.telephone_event_pt
                )
        heard = [0] * len(calls)
        for i, call in enumerate(calls):

            def listener(_packet: RtpPacket, _at: float, i: int = i) -> None:
                heard[i] += 1

            call.rtp.add_audio_listener(listener)
        udp_rate = raw_sendto_rate()
        keypad = _Keypad(calls)
        drops0 = udp_receive_buffer_drops()
        peer_drops0 = socket_drops(callee.media_port or 0)
        clock.lateness.reset()
        wakeups0, wall0, times0 = clock.wakeups, time.perf_counter(), os.times()
        keys = asyncio.ensure_future(keypad.run(seconds))
        with GcPauses() as gc_pauses:
            played = await asyncio.gather(*(c.play(prompt) for c in calls))
        wall, times1 = time.perf_counter() - wall0, os.times()
        user, system = times1.user - times0.user, times1.system - times0.system
        wakeups = clock.wakeups - wakeups0
        await keys
        await asyncio.sleep(DRAIN_SECONDS)
        keypad.close()
        kernel_drops = udp_receive_buffer_drops() - drops0
        peer_drops = socket_drops(callee.media_port or 0) - peer_drops0
        rx = [c.rtp.stats() for c in calls]
        digits = [len(c.rtp.received_digits) for c in calls]
        hung = asyncio.Semaphore(SETUP_CONCURRENCY)

        async def hangup(call: SipCall) -> None:
            async with hung:
                await call.hangup()

        await asyncio.gather(*(hangup(c) for c in calls))
        failed += sum(1 for c in calls if c.bye_status != 200)
    sent = sum(p.frames_sent for p in played)
    delivered = sum(r.audio_packets_delivered for r in rx)
    lateness = clock.lateness
    share = (user + system) / wall if wall > 0 else 0.0
    gaps = [r.max_gap_ms for r in rx] or [0.0]
    return {
        "calls": n,
        "far_end": "even" if echo_port is not None else "sipp",
        "calls_answered": len(calls),
        "failed_calls": failed,
        "prompt_seconds": seconds,
        "frames_sent": sent,
        "send_lateness_ms": {
            "p50": round(lateness.percentile(0.50) * 1000, 2),
            "p99": round(lateness.percentile(0.99) * 1000, 2),
            "p999": round(lateness.percentile(0.999) * 1000, 2),
            "max": round(lateness.maximum * 1000, 2),
            "frames": lateness.count,
        },
        "drift_ms": {
            "median": round(statistics.median(abs(p.drift_ms) for p in played), 2) if played else 0.0,
            "max": round(max((abs(p.drift_ms) for p in played), default=0.0), 2),
        },
        "frames_per_second_per_call": round(sent / len(calls) / wall, 3) if calls and wall else 0.0,
        "resyncs": sum(p.resyncs for p in played),
        "incomplete_prompts": sum(1 for p in played if not p.completed),
        "echo_lost": sent - delivered,
        # SIPp echoes all calls through ONE socket with the kernel's default 208 KiB buffer (its
        # -rtp_buffsize does not reach the echo socket): when its thread is descheduled for more
        # than ~10 ms the kernel drops there, before the echo. Ours are the rest.
        "echo_dropped_at_sipp_socket": peer_drops if echo_port is None else 0,
        "echo_lost_in_dialer": sent - delivered - (peer_drops if echo_port is None else 0),
        "kernel_udp_receive_buffer_drops": kernel_drops,
        "echo_duplicates": sum(r.duplicate_packets for r in rx),
        "echo_late": sum(r.late_packets for r in rx),
        "echo_max_gap_ms": {"median": round(statistics.median(gaps), 1), "max": round(max(gaps), 1)},
        "listener_calls": sum(heard),
        "digits_pressed": sum(keypad.presses),
        "digits_lost": sum(keypad.presses) - sum(digits),
        "cpu_share_of_one_core": round(share, 3),
        "cpu_user_share": round(user / wall, 3) if wall > 0 else 0.0,
        "cpu_system_share": round(system / wall, 3) if wall > 0 else 0.0,
        "cpu_per_call_percent_of_core": round(share / len(calls) * 100, 4) if calls else 0.0,
        "clock_wakeups_per_second": rate(wakeups, wall),
        "gc_pauses_while_playing": gc_pauses.summary(),
        "raw_udp_sendto_per_second": udp_rate,
        "setup_ms": {
            "p50": round(statistics.median(setup_ms), 1) if setup_ms else 0.0,
            "max": round(max(setup_ms, default=0.0), 1),
        },
    }


def _stage_checks(stage: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        check("p99_send_lateness_ms", stage["send_lateness_ms"]["p99"], LIMITS["p99_send_lateness_ms"]),
        check("echo_lost_in_dialer", stage["echo_lost_in_dialer"], LIMITS["echo_lost_in_dialer"]),
        check("digits_lost", stage["digits_lost"], LIMITS["digits_lost"]),
        check("failed_calls", stage["failed_calls"], LIMITS["failed_calls"]),
    ]


async def run_media_bench(
    *,
    calls: Sequence[int] = (REQUIRED_CALLS, STRETCH_CALLS),
    seconds: float = 10.0,
    log_dir: Path | None = None,
    required_calls: int = REQUIRED_CALLS,
) -> dict[str, Any]:
    dialer_core, peer_core = core_plan()
    load_before = load_average()
    stages: list[dict[str, Any]] = []
    with (
        tempfile.TemporaryDirectory(prefix="callcast-bench-media-") as tmp,
        pinned_to(dialer_core),
        EchoPeer() as echo,
    ):
        async with SippCallee("answer", log_dir=log_dir or Path(tmp), rtp_echo=True) as callee:
            for pid in (callee.pid, echo.pid):
                if peer_core is not None and pid is not None:
                    pin_threads(pid, {peer_core}, nice=BENCH_NICE)
            for n in calls:
                for echo_port in (echo.port, None):
                    stage = await run_stage(callee, n, seconds, echo_port)
                    stage["checks"] = _stage_checks(stage)
                    stage["passed"] = verdict(stage["checks"])
                    stage["load_average"] = load_average()
                    stages.append(stage)
            # SIPp writes its statistics every 200 ms: wait for every answered call to show.
            answered = sum(s["calls_answered"] for s in stages)
            sipp = await callee.wait_for_counts(successful=answered, timeout=10.0)
    even = [s for s in stages if s["far_end"] == "even"]
    held = [s["calls"] for s in even if s["passed"]]
    checks = [check("concurrent_calls_within_limits", max(held, default=0), required_calls, ">=")]
    checks += [c for s in even if s["calls"] == required_calls for c in s["checks"]]
    return {
        "method": "SipUserAgent -> SIPp answer; prompt out, echo in (from an even echo peer, and from "
        "SIPp's -rtp_echo beside it) with a listener and recording, RFC 4733 digits decoded; dialer "
        "and peers pinned to distinct cores; the verdict is on the even far end",
        "dialer_core": dialer_core,
        "peer_core": peer_core,
        "stages": stages,
        "stretch": {"calls": STRETCH_CALLS, "passed": STRETCH_CALLS in held},
        "with_sipp_echo": {
            "held": max((s["calls"] for s in stages if s["far_end"] == "sipp" and s["passed"]), default=0),
            "p99_send_lateness_ms": {
                s["calls"]: s["send_lateness_ms"]["p99"] for s in stages if s["far_end"] == "sipp"
            },
        },
        "sipp_counts": {"successful": sipp.successful, "failed": sipp.failed},
        "limits": {**LIMITS, "concurrent_calls": required_calls},
        "checks": checks,
        "passed": verdict(checks),
        "load_average_before": load_before,
        "load_average_after": load_average(),
    }
