"""System tools that only Debian packages provide: SIPp, espeak-ng and sox.

Missing ones are installed with apt when we run as root (``apt-get update`` once, then
``apt-get install -y``); otherwise the command stops and says exactly what to install. The
end-to-end tests need SIPp: without it they fail, they never skip.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class SystemTool:
    command: str
    debian_package: str
    needed_for: str


SIPP = SystemTool("sipp", "sip-tester", "the SIP callee of the demo and the end-to-end tests")
ESPEAK_NG = SystemTool("espeak-ng", "espeak-ng", "synthesizing test prompts")
SOX = SystemTool("sox", "sox", "converting test audio to 8 kHz mono")
ALL_TOOLS: tuple[SystemTool, ...] = (SIPP, ESPEAK_NG, SOX)


class MissingSystemTools(SystemExit):
    """Raised (exit code 1) when tools are missing and we cannot install them."""


def missing_tools(tools: Sequence[SystemTool] = ALL_TOOLS) -> list[SystemTool]:
    return [tool for tool in tools if shutil.which(tool.command) is None]


def install_instructions(tools: Sequence[SystemTool]) -> str:
    lines = ["Missing system tools:"]
    lines += [f"  - {t.command} (Debian package {t.debian_package}): {t.needed_for}" for t in tools]
    packages = " ".join(sorted({t.debian_package for t in tools}))
    lines += [
        "Install them with:",
        f"  sudo apt-get update && sudo apt-get install -y {packages}",
        "(elsewhere: SIPp 3.6 or newer, espeak-ng and sox from your package manager)",
    ]
    return "\n".join(lines)


def can_install() -> bool:
    return os.name == "posix" and os.geteuid() == 0 and shutil.which("apt-get") is not None


def ensure_system_tools(tools: Sequence[SystemTool] = ALL_TOOLS, *, quiet: bool = False) -> None:
    """Make sure ``tools`` are on PATH: apt-get them as root, else exit 1 with instructions."""
    missing = missing_tools(tools)
    if not missing:
        return
    if not can_install():
        print(install_instructions(missing), file=sys.stderr)
        raise MissingSystemTools(1)
    packages = sorted({t.debian_package for t in missing})
    if not quiet:
        print(f"installing {' '.join(packages)} with apt-get …", file=sys.stderr)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    output = None if not quiet else subprocess.DEVNULL
    try:
        subprocess.run(["apt-get", "update"], check=True, env=env, stdout=output)
        subprocess.run(
            ["apt-get", "install", "-y", "--no-install-recommends", *packages],
            check=True,
            env=env,
            stdout=output,
        )
    except subprocess.CalledProcessError as err:
        print(f"apt-get failed ({err}).\n{install_instructions(missing)}", file=sys.stderr)
        raise MissingSystemTools(1) from err
    still_missing = missing_tools(tools)
    if still_missing:
        print(install_instructions(still_missing), file=sys.stderr)
        raise MissingSystemTools(1)
