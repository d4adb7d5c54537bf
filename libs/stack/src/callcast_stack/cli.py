"""``python -m callcast_stack``: run and use a local stack (the justfile's recipes call this)."""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from types import FrameType

from callcast_stack.nats import NatsServerError
from callcast_stack.org import create_org_command, create_org_env
from callcast_stack.postgres import PostgresError
from callcast_stack.services import SERVICES
from callcast_stack.stack import DEV_GATEWAY_PORT, LocalStack, StackAlreadyRunning, StackOptions
from callcast_stack.state import NoRunningStack, running_stack_info, state_dir, workspace_root
from callcast_stack.supervisor import ServiceFailedToStart
from callcast_stack.tools import ensure_system_tools


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m callcast_stack", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    up = commands.add_parser("up", help="run NATS, PostgreSQL and every service (Ctrl-C stops)")
    up.add_argument(
        "--gateway-port",
        type=int,
        default=int(os.environ.get("CALLCAST_GATEWAY_PORT", DEV_GATEWAY_PORT)),
        help=f"the gateway's port (default {DEV_GATEWAY_PORT}, or $CALLCAST_GATEWAY_PORT)",
    )
    org = commands.add_parser("create-org", help="create an organization; prints its API key")
    org.add_argument("name")
    commands.add_parser("demo", help="run a one-call campaign against a local SIPp callee")
    commands.add_parser("env", help="print export lines for the running stack")
    commands.add_parser("tools", help="check (as root: install) SIPp, espeak-ng and sox")
    commands.add_parser("reset", help="delete the local state (.callcast/) of a stopped stack")

    args = parser.parse_args(argv)
    try:
        if args.command == "up":
            return cmd_up(args.gateway_port)
        if args.command == "create-org":
            return cmd_create_org(args.name)
        if args.command == "demo":
            from callcast_stack.demo import run_demo

            return run_demo()
        if args.command == "env":
            return cmd_env()
        if args.command == "tools":
            ensure_system_tools()
            return 0
        if args.command == "reset":
            return cmd_reset()
    except (NoRunningStack, StackAlreadyRunning, ServiceFailedToStart, NatsServerError, PostgresError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    parser.error(f"unknown command {args.command}")
    return 2


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def cmd_up(gateway_port: int) -> int:
    directory = state_dir()
    stack = LocalStack(
        StackOptions(
            state_dir=directory,
            gateway_port=gateway_port,
            sip_trunk=os.environ.get("CALLCAST_SIP_TRUNK"),
            log_format=os.environ.get("CALLCAST_LOG_FORMAT", "console"),
            echo=sys.stdout,
            cwd=workspace_root(),
        )
    )
    stack.refuse_if_running()
    # SIGTERM (docker stop, kill) stops the stack the same way Ctrl-C does.
    signal.signal(signal.SIGTERM, _raise_interrupt)
    code = 0
    try:
        print(f"starting NATS, PostgreSQL and {len(SERVICES)} services (state in {directory}) …")
        began = time.monotonic()
        info = stack.start()
        parts = ", ".join(f"{name} {seconds:.2f} s" for name, seconds in stack.timings.items())
        print(
            f"\nready in {time.monotonic() - began:.1f} s ({parts}) — gateway {info.gateway_url} "
            f"(API {info.gateway_url}/api)\n"
            f"  NATS       {info.nats_url}\n"
            f"  PostgreSQL {info.database_url}\n"
            f"  logs       {info.logs_dir}/\n"
            f"  next:      just create-org NAME   ·   Ctrl-C stops everything\n",
            flush=True,
        )
        assert stack.supervisor is not None
        while not (crashed := stack.supervisor.crashed()):
            time.sleep(0.5)
        for name, exit_code in crashed.items():
            print(f"{name} exited unexpectedly (code {exit_code}); stopping the stack", flush=True)
        code = 1
    except KeyboardInterrupt:
        print("\nstopping …", flush=True)
    finally:
        # A second Ctrl-C must not cut the orderly stop short (it is bounded by grace periods).
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        stack.stop()
        print("stopped.", flush=True)
    return code


def cmd_create_org(name: str) -> int:
    info = running_stack_info()
    env = create_org_env(info.database_url, info.nats_url)
    # Output passes straight through: the key is alone on the last line.
    return subprocess.run(create_org_command(name), env=env, cwd=workspace_root()).returncode


def cmd_env() -> int:
    info = running_stack_info()
    values = {
        "NATS_URL": info.nats_url,
        "DATABASE_URL": info.database_url,
        "CALLCAST_GATEWAY_URL": info.gateway_url,
        "CALLCAST_API_URL": info.gateway_url + "/api",
    }
    for spec in SERVICES:
        if spec.name in info.services and spec.name != "gateway":
            values[spec.url_env] = info.services[spec.name]
    for key, value in values.items():
        print(f"export {key}={shlex.quote(value)}")
    return 0


def cmd_reset() -> int:
    directory = state_dir()
    try:
        info = running_stack_info(directory)
    except NoRunningStack:
        pass
    else:
        raise StackAlreadyRunning(f"a stack is running (supervisor pid {info.supervisor_pid})")
    shutil.rmtree(directory, ignore_errors=True)
    print(f"removed {directory}")
    return 0
