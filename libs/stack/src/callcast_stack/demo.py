"""``just demo``: one campaign, end to end, against a local SIP callee.

Brings the whole stack up in the background (its output goes to log files, the terminal shows the
campaign), starts a SIPp callee that answers and says "Allô, oui ?" (an espeak-ng voice, so the
dial node's answering machine detection has a person to hear; without espeak-ng the callee
echoes RTP and AMD is off), points the dialer's trunk at it,
creates an organization, uploads a spoken prompt, builds dial → play → hangup, launches a
one-contact program, shows live progress and prints the call report. Exits non-zero unless the
call's outcome is ``completed``. The demo's state lives in ``.callcast/demo/`` (fresh each run),
so it never disturbs a stack started with ``just up``.
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from callcast_stack.audio import synthesize_prompt
from callcast_stack.callee import BackgroundCallee
from callcast_stack.client import JSON, CallcastClient, resource_id
from callcast_stack.org import create_org
from callcast_stack.stack import LocalStack, StackOptions
from callcast_stack.state import state_dir, workspace_root
from callcast_stack.tools import ESPEAK_NG, SIPP, SOX, can_install, ensure_system_tools, missing_tools

CONTACT_PHONE = "+212600000001"
DID_NUMBER = "+212500000000"
PROMPT_TEXT = "Hello from Callcast. This is a demonstration call. Goodbye."
CAMPAIGN_TIMEOUT_S = 180.0


def demo_flow_graph(audio_id: str, *, amd: bool = False) -> JSON:
    """Dial, play the prompt once answered (by a person, with ``amd``), hang up."""
    return {
        "startNodeId": "dial-1",
        "nodes": [
            {
                "id": "dial-1",
                "type": "dial",
                "config": {"timeout": 30000, "enableAMD": amd},
                "outputs": {"onAnswer": "play-1", **({"onVoicemail": "hangup-1"} if amd else {})},
            },
            {
                "id": "play-1",
                "type": "play",
                "config": {"items": [{"type": "audioFile", "audioId": audio_id}]},
                "outputs": {"onComplete": "hangup-1"},
            },
            {"id": "hangup-1", "type": "hangup", "config": {}, "outputs": {}},
        ],
    }


def run_demo() -> int:
    _ensure_tools()
    workdir = state_dir() / "demo"
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)

    greeting = _spoken_greeting(workdir)
    if greeting is None:
        step("starting a SIPp callee (answers, echoes RTP)")
        callee_options: dict[str, Any] = {"scenario": "answer", "rtp_echo": True}
    else:
        step('starting a SIPp callee (answers, says "Allô, oui ?")')
        callee_options = {
            "scenario": "answer_with_greeting",
            "files": {"greeting.ulaw": greeting},
            "keys": {"rtp_stream": "greeting.ulaw,1,0"},
        }
    with BackgroundCallee(log_dir=workdir / "sipp", **callee_options) as callee:
        trunk = callee.trunk
        stack = LocalStack(
            StackOptions(
                state_dir=workdir,
                sip_trunk=trunk,
                log_format="console",
                durable=False,
                cwd=workspace_root(),
            )
        )
        step(f"starting NATS, PostgreSQL and the services (dialer trunk → {trunk})")
        began = time.monotonic()
        try:
            stack.start()
            step(f"stack ready in {time.monotonic() - began:.1f} s, gateway {stack.gateway_url}")
            code = _run_campaign(stack, workdir, amd=greeting is not None)
            print(f"SIPp callee: {callee.counts().created} call(s) received")
            return code
        except KeyboardInterrupt:
            print("\ninterrupted", file=sys.stderr)
            return 130
        except Exception as err:
            print(f"\ndemo failed: {err}", file=sys.stderr)
            print(f"service logs: {stack.logs_dir}/", file=sys.stderr)
            return 1
        finally:
            step("stopping everything")
            stack.stop()


def _ensure_tools() -> None:
    """SIPp is required; espeak-ng and sox are installed when we can, else a tone stands in."""
    ensure_system_tools([SIPP])
    if can_install():
        ensure_system_tools([ESPEAK_NG, SOX])
    elif missing := missing_tools([ESPEAK_NG, SOX]):
        names = ", ".join(t.command for t in missing)
        print(f"note: {names} not installed (and not root): the prompt will be a plain tone")


def _spoken_greeting(workdir: Path) -> bytes | None:
    """μ-law of a person answering, or None when espeak-ng/sox are missing."""
    if missing_tools([ESPEAK_NG, SOX]):
        return None
    from callcast_telephony.amd.corpus import example_recipe, render_clip

    audio, _ = render_clip(example_recipe("human"), workdir)
    return audio


def _run_campaign(stack: LocalStack, workdir: Path, *, amd: bool) -> int:
    step("creating an organization")
    key = create_org(
        f"Demo {time.strftime('%Y-%m-%d %H:%M:%S')}",
        database_url=stack.database_url,
        nats_url=stack.nats_url,
        cwd=workspace_root(),
    )
    step(f"organization created, API key {key[:6]}…")
    prompt = synthesize_prompt(PROMPT_TEXT, workdir / "prompt.wav")
    if prompt.source == "tone":
        print("note: espeak-ng is not installed, so the prompt is a 440 Hz tone")

    with CallcastClient(stack.api_url, key) as api:
        progress = ProgressLine()
        try:
            execution, report = run_one_call_campaign(
                api, prompt.path, on_progress=progress.show, announce=step, amd=amd
            )
        finally:
            progress.done()

    print(json.dumps(report, indent=2, ensure_ascii=False))
    print(summarize(report, execution))
    outcome = report.get("outcome")
    return 0 if outcome == "completed" else 1


def run_one_call_campaign(
    api: CallcastClient,
    prompt: Path,
    *,
    phone: str = CONTACT_PHONE,
    timeout_s: float = CAMPAIGN_TIMEOUT_S,
    on_progress: Callable[[JSON], None] | None = None,
    announce: Callable[[str], None] = lambda message: None,
    amd: bool = False,
) -> tuple[JSON, JSON]:
    """Contact → audience → prompt → dial/play/hangup flow → DID → program → launch → wait.

    The final execution and the call report of its one call. Shared with the end-to-end tests.
    """
    contact_id = resource_id(api.create_contact(phone, firstName="Demo", lastName="Caller"))
    audience_id = resource_id(api.create_audience("Demo audience"))
    api.add_contacts(audience_id, [contact_id])
    announce(f"contact {phone} in audience {audience_id}")
    audio_id = resource_id(api.upload_audio(prompt, "Demo prompt"))
    flow_id = resource_id(api.create_flow("Demo flow", demo_flow_graph(audio_id, amd=amd)))
    did_id = resource_id(api.create_did(DID_NUMBER, "MA"))
    announce(f"flow {flow_id} (dial → play → hangup), caller id {DID_NUMBER}")
    program = api.create_program(
        "Demo campaign",
        flow_id=flow_id,
        audience_id=audience_id,
        did_pool=[did_id],
        retry_strategy={"type": "none"},
    )
    program_id = resource_id(program)
    execution_id = api.launch_program(program_id)
    announce(f"launched program {program_id}: execution {execution_id}")
    execution = api.wait_for_execution(execution_id, timeout_s=timeout_s, on_progress=on_progress)
    calls = api.list_calls(executionId=execution_id)
    rows = calls.get("data") or []
    if not rows:
        raise RuntimeError(f"no call listed for execution {execution_id}: {calls}")
    return execution, api.wait_for_call_report(str(rows[0]["jobId"]))


class ProgressLine:
    """Rewrites one line on a terminal; prints a line per change otherwise (CI logs)."""

    def __init__(self) -> None:
        self.tty = sys.stdout.isatty()
        self.last = ""

    def show(self, execution: Mapping[str, Any]) -> None:
        text = (
            f"execution {execution.get('status', '?'):<10} "
            f"total {execution.get('totalContacts', 0)}  "
            f"pending {execution.get('contactsPending', 0)}  "
            f"in progress {execution.get('contactsInProgress', 0)}  "
            f"completed {execution.get('contactsCompleted', 0)}  "
            f"failed {execution.get('contactsFailed', 0)}"
        )
        if text == self.last:
            return
        self.last = text
        if self.tty:
            print("\r" + text, end="", flush=True)
        else:
            print(text, flush=True)

    def done(self) -> None:
        if self.tty:
            print()


def summarize(report: Mapping[str, Any], execution: Mapping[str, Any]) -> str:
    call = report.get("call") or {}
    flow = report.get("flowExecution") or {}
    path = " → ".join(
        f"{entry.get('nodeId')}" + (f" ({entry['outputPath']})" if entry.get("outputPath") else "")
        for entry in flow.get("executionPath") or []
    )
    duration_ms = call.get("durationMs")
    duration = f"{duration_ms / 1000:.1f} s" if isinstance(duration_ms, int | float) else "?"
    lines = [
        "",
        f"outcome   {report.get('outcome')}" + (f" ({report['outcomeReason']})" if report.get("outcomeReason") else ""),
        f"answered  {report.get('answeredBy') or '-'}" + _amd_summary(call),
        f"duration  {duration}",
        f"path      {path or '-'}",
        f"execution {execution.get('status')} "
        f"({execution.get('contactsCompleted', 0)}/{execution.get('totalContacts', 0)} completed)",
    ]
    return "\n".join(lines)


def _amd_summary(call: Mapping[str, Any]) -> str:
    amd = call.get("amd")
    if not isinstance(amd, Mapping):
        return ""
    return f" (AMD: {amd.get('reason')}, confidence {amd.get('confidence')}, after {amd.get('decisionMs')} ms)"


def step(message: str) -> None:
    print(f"▸ {message}", flush=True)
