"""Free TCP ports on the loopback interface.

Ports that other servers on a developer machine commonly hold (a system NATS on 4222, a system
PostgreSQL on 5432) are never handed out, even if they happen to be free right now: the stack must
not come to depend on them.
"""

from __future__ import annotations

import socket

LOOPBACK = "127.0.0.1"
RESERVED_PORTS = frozenset({4222, 5432, 6222, 8222})


def free_port(host: str = LOOPBACK) -> int:
    """A TCP port that nothing listens on right now (the kernel picks it from the ephemeral range).

    There is a short window in which another process could take it; callers that can ask the
    server itself to pick a port (nats-server does) should prefer that.
    """
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind((host, 0))
            port = int(sock.getsockname()[1])
        if port not in RESERVED_PORTS:
            return port


def free_ports(count: int, host: str = LOOPBACK) -> list[int]:
    """``count`` distinct free ports (held open together while choosing, so none repeats)."""
    sockets: list[socket.socket] = []
    try:
        ports: list[int] = []
        while len(ports) < count:
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sockets.append(sock)
            sock.bind((host, 0))
            port = int(sock.getsockname()[1])
            if port not in RESERVED_PORTS:
                ports.append(port)
        return ports
    finally:
        for sock in sockets:
            sock.close()


def port_is_free(port: int, host: str = LOOPBACK) -> bool:
    """Whether a server could listen on ``port`` now.

    With SO_REUSEADDR, as servers (uvicorn included) bind: connections of a previous run still
    in TIME_WAIT do not make the port busy.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def wait_for_tcp(host: str, port: int, timeout: float) -> bool:
    """True once something accepts TCP connections on host:port, False after ``timeout``."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return True
        except OSError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.02)
