"""An RTP echo peer that answers evenly: every datagram straight back to where it came from.

SIPp's ``-rtp_echo`` serves every call from one thread and one socket; when that thread is
descheduled its echoes come back in bursts of ~100 ms (and its socket drops), so the process
under test receives far more at once than any real far end would send. This peer is one
blocking ``recvfrom``/``sendto`` loop with a large receive buffer on a core of its own: what a
carrier's media, paced by each phone's own clock, looks like. ``python -m callcast_stack.rtp_echo``
prints its port on the first line, then echoes until killed.
"""

from __future__ import annotations

import socket
import subprocess
import sys
from types import TracebackType

_BUFFER_BYTES = 16 * 1024 * 1024


def serve() -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, _BUFFER_BYTES)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, _BUFFER_BYTES)
    sock.bind(("127.0.0.1", 0))
    print(sock.getsockname()[1], flush=True)
    recvfrom, sendto = sock.recvfrom, sock.sendto
    while True:
        data, addr = recvfrom(2048)
        sendto(data, addr)


class EchoPeer:
    """``with EchoPeer() as echo:`` → ``echo.port`` on 127.0.0.1, ``echo.pid`` to pin it."""

    def __init__(self) -> None:
        self._proc: subprocess.Popen[str] | None = None
        self.port = 0

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    def __enter__(self) -> EchoPeer:
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "callcast_stack.rtp_echo"], stdout=subprocess.PIPE, text=True
        )
        assert self._proc.stdout is not None
        self.port = int(self._proc.stdout.readline())
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        if self._proc is not None:
            self._proc.kill()
            self._proc.wait(timeout=5)


if __name__ == "__main__":
    serve()
