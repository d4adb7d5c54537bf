"""Starting and stopping child processes so that none outlives the stack.

Every child runs in its own session (process group): a Ctrl-C in the terminal reaches only the
supervisor, which then stops the children in order (services first, then NATS and PostgreSQL)
instead of everything dying at once. On Linux each child also asks the kernel to signal it when
its parent dies, so a supervisor killed with SIGKILL leaves no orphan servers behind.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

_PR_SET_PDEATHSIG = 1


def _load_prctl() -> Callable[..., int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    except OSError:
        return None
    prctl: Callable[..., int] = libc.prctl
    return prctl


# Loaded once in the parent: the child between fork and exec must not import or allocate.
_PRCTL = _load_prctl()


def _die_with_parent(sig: int) -> Callable[[], None] | None:
    """A preexec hook making the child receive ``sig`` when the spawning thread ends.

    Linux delivers the parent-death signal when the *thread* that forked the child exits, so it
    is only armed for children spawned from the main thread (which lives as long as the process).
    """
    prctl = _PRCTL
    if prctl is None or threading.current_thread() is not threading.main_thread():
        return None

    def hook() -> None:
        prctl(_PR_SET_PDEATHSIG, sig, 0, 0, 0)

    return hook


def spawn(
    argv: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    stdout: int | IO[Any] | None = None,
    stderr: int | IO[Any] | None = None,
    run_as: str | None = None,
    parent_death_signal: int = signal.SIGTERM,
) -> subprocess.Popen[bytes]:
    """Start ``argv`` in its own process group, stdin closed, tied to this process's lifetime.

    ``run_as`` (needs root) runs it as that system user, with that user's group only.
    """
    return subprocess.Popen(
        list(argv),
        env=dict(env) if env is not None else None,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=stdout,
        stderr=stderr,
        start_new_session=True,
        preexec_fn=_die_with_parent(parent_death_signal),
        **user_switch(run_as),
    )


def user_switch(run_as: str | None) -> dict[str, Any]:
    """``subprocess`` arguments that run a child as ``run_as`` with only that user's group.

    ``user=`` alone would keep root's group and supplementary groups.
    """
    if run_as is None:
        return {}
    import pwd

    entry = pwd.getpwnam(run_as)
    return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}


def signal_group(proc: subprocess.Popen[bytes], sig: int) -> None:
    """Send ``sig`` to the child's whole process group (it may have children of its own)."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, sig)
    except (ProcessLookupError, PermissionError):
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(sig)


def stop_process(
    proc: subprocess.Popen[bytes],
    *,
    first_signal: int = signal.SIGTERM,
    grace_s: float = 10.0,
) -> int:
    """Ask politely with ``first_signal``, then SIGKILL the group after ``grace_s``; the exit code."""
    stop_processes([proc], first_signal=first_signal, grace_s=grace_s)
    return proc.returncode


def stop_processes(
    procs: Sequence[subprocess.Popen[bytes]],
    *,
    first_signal: int = signal.SIGTERM,
    grace_s: float = 10.0,
) -> None:
    """Stop several processes in parallel: all get ``first_signal`` at once, one shared grace."""
    for proc in procs:
        signal_group(proc, first_signal)
    deadline = time.monotonic() + grace_s
    for proc in procs:
        remaining = max(0.0, deadline - time.monotonic())
        try:
            proc.wait(timeout=remaining)
        except subprocess.TimeoutExpired:
            signal_group(proc, signal.SIGKILL)
            proc.wait()


def pid_is_alive(pid: int) -> bool:
    """Whether ``pid`` runs. A zombie (exited, not yet reaped — e.g. orphans in a container whose
    init does not reap) counts as dead."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True  # no /proc (macOS): kill(0) is all we know
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"
