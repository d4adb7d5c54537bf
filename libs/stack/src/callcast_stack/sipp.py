"""Run SIPp as a test callee (UAS) on loopback: shared by the dialer's tests and ``just demo``.

Each :class:`SippCallee` is one long-lived SIPp process playing one scenario from
``sipp_scenarios/`` for any number of calls. It gets its own free SIP, media (echo) and control
ports, so several can run side by side; statistics and unexpected messages go into ``log_dir``.

    async with SippCallee("busy", log_dir=tmp_path) as callee:
        ua = SipUserAgent(trunk=callee.address)
        ...
        counts = await callee.wait_for_counts(successful=1)

Scenarios: ``answer`` (answers with SDP, stays up until our BYE; RTP echo on by default),
``answer_then_bye`` (answers, hangs up itself after ``pause_ms``), ``busy`` (486), ``decline``
(603), ``ring_no_answer`` (180, succeeds only when CANCELled), ``auth`` (401 digest challenge,
then 200), ``dtmf`` (answers, then RFC 2833 digits via SIPp's play_dtmf — root only) and
``dtmf_info`` (answers, then one digit by SIP INFO); ``answer_with_greeting`` answers, then streams
a headerless G.711 file once, as a person or a voicemail would speak (for answering machine
detection): ``files={"greeting.ulaw": audio}, keys={"rtp_stream": "greeting.ulaw,1,0"}``.
Carrier corners (docs/telephony.md §3): ``dtmf_info_twice``, ``dtmf_pcap`` and
``early_media_then_answer`` (play a pcap given in ``files=``, e.g. from ``callcast_stack.rtp_pcap``;
root), ``retransmit_200`` (run with ``extra_args=("-nr",)``), ``auth_proxy``,
``malformed_responses``, ``record_route``. ``transport="t1"`` runs any scenario over one TCP socket.

Command line (for the demo, or to poke at the dialer by hand)::

    python -m callcast_stack.sipp answer --port 5080 --log-dir .callcast/logs/sipp
    python -m callcast_stack.sipp answer_with_greeting --rtp-stream hello.ulaw   # speaks once per call
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import signal
import socket
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

SCENARIO_DIR = Path(__file__).parent / "sipp_scenarios"
SCENARIOS = (
    "answer",
    "answer_then_bye",
    "busy",
    "decline",
    "ring_no_answer",
    "auth",
    "dtmf",
    "dtmf_info",
    "dtmf_info_twice",
    "dtmf_pcap",
    "early_media_then_answer",
    "retransmit_200",
    "auth_proxy",
    "malformed_responses",
    "record_route",
    "answer_with_greeting",
)
_ECHO_BY_DEFAULT = {"answer", "answer_then_bye", "auth"}
# play_dtmf and play_pcap_audio send through raw sockets
_NEEDS_ROOT = {"dtmf", "dtmf_pcap", "early_media_then_answer"}
# SIPp's -t: u1 one UDP socket, t1 one TCP socket, tn one TCP socket per call
TRANSPORTS = ("u1", "t1", "tn")
_CODEC_PAYLOAD_TYPES = {"PCMU": 0, "PCMA": 8}
INSTALL_HINT = "SIPp is not installed: run `apt-get install sip-tester` (Debian/Ubuntu, as root)"


class SippError(RuntimeError):
    """SIPp failed to start or misbehaved."""


class SippNotInstalledError(SippError):
    pass


@dataclass(frozen=True)
class SippCounts:
    successful: int
    failed: int
    created: int = 0
    current: int = 0

    @property
    def total(self) -> int:
        return self.successful + self.failed


def find_sipp(binary: str | None = None) -> str:
    path = shutil.which(binary or os.environ.get("CALLCAST_SIPP", "sipp"))
    if path is None:
        raise SippNotInstalledError(INSTALL_HINT)
    return path


def free_udp_port(host: str = "127.0.0.1", *, pair_offset: int | None = None) -> int:
    """A UDP port free right now (and ``port + pair_offset`` too, e.g. SIPp's echo uses +2)."""
    for _ in range(100):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.bind((host, 0))
            port: int = probe.getsockname()[1]
            if pair_offset is None:
                return port
            if port + pair_offset > 65535:
                continue
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as partner:
                try:
                    partner.bind((host, port + pair_offset))
                except OSError:
                    continue
                return port
    raise SippError("no free UDP port found")


def _die_with_parent() -> None:
    """Linux: SIGTERM SIPp when the process that started it dies, even by kill -9, so a crashed
    test run or demo never leaves callees holding ports."""
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _bound_udp_ports() -> set[int]:
    ports: set[int] = set()
    for table in ("/proc/net/udp", "/proc/net/udp6"):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                local = line.split()[1]
                ports.add(int(local.rsplit(":", 1)[1], 16))
    return ports


def _listening_tcp_ports() -> set[int]:
    ports: set[int] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                if fields[3] == "0A":  # LISTEN
                    ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


class SippCallee:
    def __init__(
        self,
        scenario: str = "answer",
        *,
        log_dir: str | os.PathLike[str],
        host: str = "127.0.0.1",
        port: int | None = None,
        media_port: int | None = None,
        rtp_echo: bool | None = None,
        codec: str = "PCMU",
        pause_ms: int = 1000,
        dtmf_digits: str = "1",
        auth_user: str = "callcast",
        auth_password: str = "secret",
        max_calls: int | None = None,
        trace_messages: bool = False,
        sipp_binary: str | None = None,
        extra_args: tuple[str, ...] = (),
        transport: str = "u1",
        keys: Mapping[str, str] | None = None,
        files: Mapping[str, bytes] | None = None,
    ) -> None:
        """``keys`` are extra ``-key`` values for the scenario; ``files`` are written into
        ``log_dir`` (SIPp's working directory) before it starts, e.g. pcaps a scenario plays."""
        if transport not in TRANSPORTS:
            raise ValueError(f"transport must be one of {', '.join(TRANSPORTS)}, not {transport!r}")
        if scenario not in SCENARIOS:
            raise ValueError(f"unknown scenario {scenario!r}; choose from {', '.join(SCENARIOS)}")
        if codec not in _CODEC_PAYLOAD_TYPES:
            raise ValueError(f"codec must be PCMU or PCMA, not {codec!r}")
        self.scenario = scenario
        self.log_dir = Path(log_dir).absolute()  # SIPp runs with cwd=log_dir
        self.host = host
        self.port = port
        self.media_port = media_port
        self.rtp_echo = scenario in _ECHO_BY_DEFAULT if rtp_echo is None else rtp_echo
        self.codec = codec
        self.pause_ms = pause_ms
        self.dtmf_digits = dtmf_digits
        self.auth_user = auth_user
        self.auth_password = auth_password
        self.max_calls = max_calls
        self.trace_messages = trace_messages
        self.sipp_binary = sipp_binary
        self.extra_args = extra_args
        self.transport = transport
        self.keys = dict(keys or {})
        self.files = dict(files or {})
        self.control_port: int | None = None
        self.returncode: int | None = None
        self._process: asyncio.subprocess.Process | None = None
        self._name = f"sipp-{scenario}"

    # -- paths and addresses ----------------------------------------------------------------

    @property
    def scenario_path(self) -> Path:
        return SCENARIO_DIR / f"{self.scenario}.xml"

    @property
    def stat_file(self) -> Path:
        return self.log_dir / f"{self._name}-{self.port}.csv"

    @property
    def error_file(self) -> Path:
        return self.log_dir / f"{self._name}-{self.port}-errors.log"

    @property
    def message_file(self) -> Path:
        return self.log_dir / f"{self._name}-{self.port}-messages.log"

    @property
    def stderr_file(self) -> Path:
        return self.log_dir / f"{self._name}-{self.port}-stderr.log"

    @property
    def address(self) -> tuple[str, int]:
        if self.port is None:
            raise SippError("start() first: the port is chosen when SIPp starts")
        return self.host, self.port

    def uri(self, user: str) -> str:
        return f"sip:{user}@{self.host}:{self.address[1]}"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.returncode is None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    # -- lifecycle ---------------------------------------------------------------------------

    def command(self) -> list[str]:
        if self.port is None or self.media_port is None or self.control_port is None:
            raise SippError("ports are chosen by start()")
        cmd = [
            find_sipp(self.sipp_binary),
            "-sf", str(self.scenario_path),
            "-i", self.host, "-p", str(self.port), "-bind_local",
            "-mi", self.host, "-mp", str(self.media_port),
            "-cp", str(self.control_port),
            "-nostdin",
            "-aa",  # answer OPTIONS/INFO/NOTIFY/UPDATE outside the scenario with 200
            "-d", str(self.pause_ms),
            "-trace_stat", "-stf", str(self.stat_file), "-fd", "200ms",
            "-trace_err", "-error_file", str(self.error_file),
            "-key", "rtp_pt", str(_CODEC_PAYLOAD_TYPES[self.codec]),
            "-key", "rtp_codec", self.codec,
            "-key", "dtmf_digits", self.dtmf_digits,
            "-key", "auth_user", self.auth_user,
            "-key", "auth_password", self.auth_password,
        ]  # fmt: skip
        for name, value in self.keys.items():
            cmd += ["-key", name, value]
        if self.transport != "u1":
            cmd += ["-t", self.transport]
        if self.rtp_echo:
            cmd.append("-rtp_echo")
        if self.max_calls is not None:  # default: unlimited, a long-lived callee
            cmd += ["-m", str(self.max_calls)]
        if self.trace_messages:
            cmd += ["-trace_msg", "-message_file", str(self.message_file)]
        return [*cmd, *self.extra_args]

    async def start(self, timeout: float = 10.0) -> None:
        """Start SIPp and return once its SIP (and echo) port is bound."""
        if self.running:
            return
        find_sipp(self.sipp_binary)
        if self.scenario in _NEEDS_ROOT and os.geteuid() != 0:
            raise SippError(f"scenario {self.scenario!r} needs root (SIPp play_dtmf uses raw sockets)")
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.port = self.port or free_udp_port(self.host)
        # The echo binds media_port and media_port + 2 (video): both must be free.
        self.media_port = self.media_port or free_udp_port(self.host, pair_offset=2)
        self.control_port = self.control_port or free_udp_port(self.host)
        for stale in (self.stat_file, self.error_file, self.message_file):
            stale.unlink(missing_ok=True)
        for name, content in self.files.items():
            (self.log_dir / name).write_bytes(content)
        with self.stderr_file.open("wb") as stderr:
            self._process = await asyncio.create_subprocess_exec(
                *self.command(),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.DEVNULL,  # the live screen; statistics go to files
                stderr=stderr,
                cwd=self.log_dir,
                preexec_fn=_die_with_parent,
            )
        await self._wait_until_bound(timeout)

    async def _wait_until_bound(self, timeout: float) -> None:
        tcp = self.transport.startswith("t")
        wanted = {self.media_port} if self.rtp_echo else set()
        if not tcp:
            wanted.add(self.port)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process is not None and self._process.returncode is not None:
                raise SippError(
                    f"SIPp exited with {self._process.returncode} while starting "
                    f"({' '.join(self.command())}): {self._tail(self.stderr_file)}"
                )
            if wanted <= _bound_udp_ports() and (not tcp or self.port in _listening_tcp_ports()):
                return
            await asyncio.sleep(0.02)
        await self.stop()
        raise SippError(f"SIPp did not bind {sorted(p for p in wanted if p)} within {timeout}s")

    async def stop(self, timeout: float = 5.0) -> int | None:
        """SIGTERM makes SIPp write its final statistics and exit (1 if any call failed)."""
        process = self._process
        if process is None:
            return self.returncode
        if process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), timeout)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    process.kill()
                await process.wait()
        self.returncode = process.returncode
        self._process = None
        return self.returncode

    async def wait(self) -> int | None:
        """Until SIPp exits by itself (``max_calls`` reached, or killed)."""
        if self._process is not None:
            await self._process.wait()
        return await self.stop()

    async def __aenter__(self) -> SippCallee:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    # -- what SIPp saw -----------------------------------------------------------------------

    def counts(self) -> SippCounts:
        """Cumulative call counts from the latest statistics dump (every 200 ms)."""
        header, last = self._stat_header_and_last_row()
        if not header or not last:
            return SippCounts(0, 0)
        columns = dict(zip(header, last, strict=False))

        def value(name: str) -> int:
            text = columns.get(name, "0").strip()
            return int(text) if text.isdigit() else 0

        return SippCounts(
            successful=value("SuccessfulCall(C)"),
            failed=value("FailedCall(C)"),
            created=value("TotalCallCreated"),
            current=value("CurrentCall"),
        )

    def _stat_header_and_last_row(self) -> tuple[list[str], list[str]]:
        # The file grows by a row every 200 ms for as long as the callee lives (hours in a demo):
        # read the header and the tail only, and skip a row SIPp is still writing.
        try:
            with self.stat_file.open("rb") as handle:
                header = handle.readline().decode(errors="replace").strip().split(";")
                handle.seek(0, os.SEEK_END)
                size = handle.tell()
                handle.seek(max(0, size - 16384))
                tail = handle.read().decode(errors="replace")
        except FileNotFoundError:
            return [], []
        # Drop the first line: the header if we read everything, else a row cut in half.
        for row in reversed(tail.splitlines()[1:]):
            fields = row.strip().split(";")
            if row.endswith(";") and len(fields) >= len(header):
                return header, fields
        return header, []

    async def wait_for_counts(
        self,
        *,
        successful: int | None = None,
        failed: int | None = None,
        timeout: float = 10.0,
    ) -> SippCounts:
        """Wait until at least these many calls succeeded/failed; return the counts either way."""
        deadline = time.monotonic() + timeout
        counts = self.counts()
        while time.monotonic() < deadline:
            counts = self.counts()
            if (successful is None or counts.successful >= successful) and (failed is None or counts.failed >= failed):
                return counts
            await asyncio.sleep(0.05)
        return counts

    def messages(self) -> str:
        """SIP messages SIPp sent and received (only with ``trace_messages=True``)."""
        return self._read(self.message_file)

    def errors(self) -> str:
        """Unexpected messages and scenario errors SIPp logged."""
        return self._read(self.error_file)

    @staticmethod
    def _read(path: Path) -> str:
        try:
            return path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    @classmethod
    def _tail(cls, path: Path, limit: int = 2000) -> str:
        return cls._read(path)[-limit:].strip() or "(no output)"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Run SIPp as a Callcast test callee")
    parser.add_argument("scenario", choices=SCENARIOS)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=None)
    parser.add_argument("--log-dir", default=".callcast/logs/sipp")
    parser.add_argument("--codec", default="PCMU", choices=sorted(_CODEC_PAYLOAD_TYPES))
    parser.add_argument("--pause-ms", type=int, default=1000)
    parser.add_argument("--dtmf-digits", default="1")
    parser.add_argument("--transport", default="u1", choices=TRANSPORTS, help="SIPp -t (t1: TCP)")
    parser.add_argument("--rtp-stream", type=Path, default=None, help="answer_with_greeting: G.711 file to speak")
    args = parser.parse_args(argv)
    stream: dict[str, Any] = {}
    if args.rtp_stream is not None:
        pt = _CODEC_PAYLOAD_TYPES[args.codec]
        audio = args.rtp_stream.read_bytes()  # headerless, in --codec
        stream = {"files": {"greeting.g711": audio}, "keys": {"rtp_stream": f"greeting.g711,1,{pt}"}}

    async def run() -> None:
        callee = SippCallee(
            args.scenario,
            log_dir=args.log_dir,
            host=args.host,
            port=args.port,
            codec=args.codec,
            pause_ms=args.pause_ms,
            dtmf_digits=args.dtmf_digits,
            transport=args.transport,
            **stream,
        )
        await callee.start()
        print(f"SIPp {args.scenario} callee on sip:{callee.host}:{callee.port}", flush=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        exited = asyncio.ensure_future(callee.wait())
        stopped = asyncio.ensure_future(stop.wait())
        await asyncio.wait({exited, stopped}, return_when=asyncio.FIRST_COMPLETED)
        stopped.cancel()
        await callee.stop()
        await exited
        print(f"calls: {callee.counts()}", flush=True)

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run())


if __name__ == "__main__":
    main()
