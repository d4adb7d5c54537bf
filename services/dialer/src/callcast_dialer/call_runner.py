"""One call attempt, end to end: the flow engine decides, SIP and RTP act, the log records.

Every step leaves an event on ``calls.<org>.attempt.<attemptId>``; ``CallEnded`` is always last.

A play node (or a dtmf node's prompt) is played as one stream: audio files come from the object
store by id, ``number``/``date``/``word`` items are rendered by the flow service into dictionary
clips (``rpc.flow.spoken.render``), and everything is joined into a single buffer before the
first packet leaves, so there is no gap between items or clips. If any part cannot be had, the
node fails (``ActionFailed`` with the reason) and the flow's error rule decides. A dtmf node's
``FlowNodeExecuted.data`` records the keys received and how each arrived (``rfc4733`` or
``sip_info``).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from datetime import UTC, datetime
from typing import Any

from callcast_contracts.events import (
    CallAnswered,
    CallEnded,
    CallRinging,
    DialRequested,
    FlowNodeExecuted,
    PromptPlayed,
)
from callcast_dialer.adapters.attempt_log import AttemptLog
from callcast_dialer.adapters.prompt_audio import PROMPT_FAILURES, PromptAssembler
from callcast_flowengine import (
    Action,
    ActionFailed,
    CalleeHungUp,
    CallEvent,
    CollectDigits,
    Dial,
    DialResult,
    DigitsCollected,
    Finished,
    FlowRun,
    Hangup,
    Play,
    PlayCompleted,
    Record,
    parse_flow,
)
from callcast_runtime.logging import get_logger
from callcast_telephony.sip import InviteResult, SipCall, SipUserAgent

log = get_logger(__name__)

#: Time for the far end's last echoed/answered packets to arrive before a prompt's stats are read.
_MEDIA_DRAIN_S = 0.1


def _ts(t: float | None) -> datetime | None:
    return datetime.fromtimestamp(t, UTC) if t is not None else None


class CallRunner:
    def __init__(
        self,
        *,
        command: DialRequested,
        org_id: str,
        log_: AttemptLog,
        ua: SipUserAgent,
        prompts: PromptAssembler,
    ) -> None:
        self.cmd = command
        self.org_id = org_id
        self.log = log_
        self.ua = ua
        self.prompts = prompts
        self.call: SipCall | None = None
        self.invite: InviteResult | None = None
        self.hangup_by: str | None = None
        self._emitted = 0
        #: Digits taken from ``call.dtmf`` so far (the n-th is ``call.rtp.received_digits[n]``).
        self._digits_taken = 0
        #: Facts about a node's execution for its FlowNodeExecuted ``data``, by (node, index).
        self._node_facts: dict[tuple[str, int], dict[str, Any]] = {}
        contact = command.contact
        name = contact.get("fullName") or " ".join(p for p in (contact.get("firstName"), contact.get("lastName")) if p)
        self.run = FlowRun(
            parse_flow({"startNodeId": command.flow.start_node_id, "nodes": command.flow.nodes}),
            contact=dict(contact),
            variables=dict(command.variables),
            system={
                "sys.callId": command.attempt_id,
                "sys.callStatus": "initiated",
                "sys.callDirection": "outbound",
                "sys.answeredBy": None,
                "sys.contactId": command.contact_id,
                "sys.contactPhone": command.to,
                "sys.contactName": name or None,
                "sys.organizationId": org_id,
                "sys.programId": command.program_id,
            },
        )

    async def execute(self) -> CallEnded:
        try:
            action = self.run.start()
            while True:
                await self._emit_path()
                if isinstance(action, Hangup | Finished):
                    break
                action = await self._perform(action)
            await self._emit_path()
        except asyncio.CancelledError:
            # The dialer is stopping: end the call and record it, then let the cancellation go on.
            self.run.outcome = self.run.outcome or "failed"
            self.run.outcome_reason = self.run.outcome_reason or "dialer_shutdown"
            await asyncio.shield(self._finish())
            raise
        except Exception as err:
            log.exception("call failed", attempt_id=self.cmd.attempt_id)
            if not self.run.finished:
                self.run.outcome, self.run.outcome_reason = "failed", f"dialer error: {type(err).__name__}: {err}"
        return await self._finish()

    async def _finish(self) -> CallEnded:
        await self._hangup_quietly()
        ended = self._ended_event()
        await self.log.append(ended)
        return ended

    # -- actions ------------------------------------------------------------------------------
    async def _perform(self, action: Action) -> Action:
        if isinstance(action, Dial):
            return self.run.resume(await self._place_call(action.timeout_ms / 1000))
        if self.call is None:
            # The flow starts with a node that needs a live call: dial first, with the defaults.
            result = await self._place_call(30.0)
            if result.status != "answered":
                self.run.outcome, self.run.outcome_reason = result.status, result.reason
                return Finished(outcome=result.status, reason=result.reason)
            self.run.answered, self.run.answered_by = True, result.answered_by
        assert self.call is not None
        if self.call.remote_hangup.is_set():
            self.hangup_by = "callee"
            return self.run.resume(CalleeHungUp())
        if isinstance(action, Play):
            return self.run.resume(await self._play(action.node_id, action.items))
        if isinstance(action, CollectDigits):
            return self.run.resume(await self._collect(action))
        if isinstance(action, Record):
            return self.run.resume(ActionFailed("record is not supported by this dialer yet"))
        return self.run.resume(ActionFailed(f"unsupported action {type(action).__name__}"))

    async def _place_call(self, ring_timeout: float) -> DialResult:
        ringing: list[asyncio.Future[None]] = []

        def on_progress(status: int, reason: str) -> None:
            if not ringing:
                ringing.append(
                    asyncio.ensure_future(
                        self.log.append(CallRinging(attempt_id=self.cmd.attempt_id, sip_status=status))
                    )
                )

        self.run.system["sys.callStatus"] = "dialing"
        result = await self.ua.invite(
            to_number=self.cmd.to,
            from_number=self.cmd.caller_id,
            ring_timeout=ring_timeout,
            on_progress=on_progress,
        )
        self.invite = result
        if ringing:
            await ringing[0]  # appends stay in order: ringing before answered/ended
        if result.outcome == "answered" and result.call is not None:
            self.call = result.call
            answered_by = "unknown"  # answering machine detection belongs to a later dialer issue
            self.run.system["sys.callStatus"] = "answered"
            self.run.system["sys.answeredBy"] = answered_by
            await self.log.append(
                CallAnswered(
                    attempt_id=self.cmd.attempt_id,
                    answered_by=answered_by,
                    answered_at=_ts(result.answered_at) or datetime.now(UTC),
                )
            )
            return DialResult("answered", answered_by=answered_by)
        self.run.system["sys.callStatus"] = result.outcome
        return DialResult(result.outcome, reason=result.reason)

    async def _play(self, node_id: str, items: list[dict[str, Any]]) -> CallEvent:
        call = self.call
        assert call is not None
        index = self.run.node_execution_count  # the node's nodeExecutionIndex (it is running)
        try:
            prompt = await self.prompts.assemble(self.org_id, items)
        except PROMPT_FAILURES as err:
            return ActionFailed(f"cannot play the prompt: {err}")
        call.rtp.reset_receive_stats()
        started = time.monotonic()
        # The stored audio is μ-law; the session converts it once to the negotiated codec.
        play = asyncio.ensure_future(call.play(prompt.ulaw, "PCMU"))
        bye = asyncio.ensure_future(call.remote_hangup.wait())
        done, _ = await asyncio.wait({play, bye}, return_when=asyncio.FIRST_COMPLETED)
        interrupted = play not in done
        if interrupted:
            call.rtp.stop_playback()
        stats = await play
        bye.cancel()
        await asyncio.sleep(_MEDIA_DRAIN_S)
        rx = call.rtp.stats()
        await self.log.append(
            PromptPlayed(
                attempt_id=self.cmd.attempt_id,
                node_id=node_id,
                items=prompt.items,
                duration_ms=int((time.monotonic() - started - _MEDIA_DRAIN_S) * 1000),
                packets_sent=stats.frames_sent,
                packets_received=rx.audio_packets_received,
                max_receive_gap_ms=round(rx.max_gap_ms, 2) if rx.audio_packets_received > 1 else None,
                max_send_lateness_ms=round(stats.max_lateness_ms, 2),
                interrupted=interrupted,
                node_execution_index=index,
            )
        )
        if interrupted or call.remote_hangup.is_set():
            self.hangup_by = "callee"
            return CalleeHungUp()
        return PlayCompleted()

    async def _collect(self, action: CollectDigits) -> CallEvent:
        call = self.call
        assert call is not None
        cfg = action.config
        if action.prompt:
            prompt_result = await self._play(action.node_id, action.prompt)
            if isinstance(prompt_result, CalleeHungUp | ActionFailed):
                return prompt_result
        multi = cfg.get("mode") == "multi_digit"
        max_digits = int(cfg.get("maxDigits", 1 if not multi else 20))
        finish = str(cfg.get("finishOnKey", "#")) if multi else None
        first_timeout = int(cfg.get("timeoutMs", 5000)) / 1000
        inter_timeout = int(cfg.get("interDigitTimeoutMs", 3000)) / 1000
        facts = self._node_facts.setdefault((action.node_id, self.run.node_execution_count), {"keysReceived": []})
        listening_since = time.monotonic()
        digits = ""
        timeout = first_timeout
        hung_up = False
        while len(digits) < max_digits:
            getter = asyncio.ensure_future(call.dtmf.get())
            bye = asyncio.ensure_future(call.remote_hangup.wait())
            done, _ = await asyncio.wait({getter, bye}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
            bye.cancel()
            if getter not in done:
                getter.cancel()
                hung_up = bye in done
                break
            digit = getter.result()
            facts["keysReceived"].append(self._key_fact(call, digit, listening_since))
            if finish and digit == finish:
                break
            digits += digit
            timeout = inter_timeout
        facts.update(attempts=action.attempt, digits=digits or None)
        if hung_up:
            self.hangup_by = "callee"
            facts["result"] = "hangup"
            return CalleeHungUp()
        collected = DigitsCollected(digits, "success") if digits else DigitsCollected(None, "timeout")
        facts["result"] = collected.result
        return collected

    def _key_fact(self, call: SipCall, digit: str, listening_since: float) -> dict[str, Any]:
        """How one key press arrived; ``afterMs`` counts from when listening began (negative: the
        callee pressed it during an earlier prompt and it waited in the queue)."""
        received = call.rtp.received_digits
        n, self._digits_taken = self._digits_taken, self._digits_taken + 1
        if n < len(received) and received[n].digit == digit:
            return {"digit": digit, "via": received[n].via, "afterMs": round((received[n].at - listening_since) * 1000)}
        return {"digit": digit, "via": None, "afterMs": None}  # not from the session's own log

    # -- events -------------------------------------------------------------------------------
    async def _emit_path(self) -> None:
        path = self.run.execution_path
        while self._emitted < len(path):
            entry = path[self._emitted]
            self._emitted += 1
            await self.log.append(
                FlowNodeExecuted(
                    attempt_id=self.cmd.attempt_id,
                    node_id=entry.node_id,
                    node_type=entry.node_type,
                    node_label=entry.node_label,
                    output_path=entry.output_path,
                    node_execution_index=entry.node_execution_index,
                    at=entry.timestamp,
                    data=self._node_facts.pop((entry.node_id, entry.node_execution_index), {}),
                )
            )

    async def _hangup_quietly(self) -> None:
        call = self.call
        if call is None:
            return
        if call.remote_hangup.is_set():
            self.hangup_by = self.hangup_by or "callee"
        elif not call.ended:
            self.hangup_by = self.hangup_by or "us"
        with contextlib.suppress(Exception):
            await call.hangup()

    def _ended_event(self) -> CallEnded:
        inv = self.invite
        answered_at = _ts(inv.answered_at) if inv else None
        ended_ts = (inv.ended_at if inv and inv.ended_at else None) or time.time()
        duration = int((ended_ts - inv.answered_at) * 1000) if inv and inv.answered_at else None
        outcome = self.run.outcome or "failed"
        return CallEnded(
            attempt_id=self.cmd.attempt_id,
            job_id=self.cmd.job_id,
            attempt_number=self.cmd.attempt_number,
            outcome=outcome,
            outcome_reason=self.run.outcome_reason,
            sip_status=inv.sip_status if inv else None,
            answered_by=self.run.answered_by,
            hangup_by=self.hangup_by,
            dialed_at=_ts(inv.invited_at) if inv else None,
            answered_at=answered_at,
            terminated_at=_ts(ended_ts) or datetime.now(UTC),
            duration_ms=duration,
            final_variables={k: v for k, v in self.run.variables.items()},
            node_execution_count=self.run.node_execution_count,
            flow_started_at=self.run.started_at,
            flow_completed_at=self.run.completed_at,
        )
