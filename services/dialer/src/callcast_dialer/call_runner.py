"""One call attempt, end to end: the flow engine decides, SIP and RTP act, the log records.

Every step leaves an event on ``calls.<org>.attempt.<attemptId>``; ``CallEnded`` is always last.
In order: CallAttemptStarted (the gate, appended by the handler), CallRinging, CallEarlyMedia,
CallAnswered, AmdCompleted; per node that acts on the call FlowNodeEntered … FlowNodeExecuted
(with its output), and inside it PromptStarted/PromptPlayed, DigitReceived, RecordingSaved;
then CallHungUp (who, why) and CallEnded (the outcome).

A play node (or a dtmf node's prompt) is played as one stream: audio files come from the object
store by id, ``number``/``date``/``word`` items are rendered by the flow service into dictionary
clips (``rpc.flow.spoken.render``), and everything is joined into a single buffer before the
first packet leaves, so there is no gap between items or clips. If any part cannot be had, the
node fails (``ActionFailed`` with the reason) and the flow's error rule decides.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable
from datetime import UTC, datetime
from typing import Any

from callcast_contracts.envelope import Event
from callcast_contracts.events import (
    AmdCompleted,
    CallAnswered,
    CallEarlyMedia,
    CallEnded,
    CallHungUp,
    CallRinging,
    DialRequested,
    DigitReceived,
    FlowNodeEntered,
    FlowNodeExecuted,
    PromptPlayed,
    PromptStarted,
    RecordingSaved,
)
from callcast_dialer.adapters.attempt_log import AttemptLog, AttemptTakenOver
from callcast_dialer.adapters.prompt_audio import PROMPT_FAILURES, PromptAssembler
from callcast_dialer.adapters.recording_store import RecordingStore
from callcast_dialer.keypad import Keypad, KeyPress
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
    RecordCompleted,
    parse_flow,
)
from callcast_runtime.logging import get_logger
from callcast_telephony.amd import AmdConfig, detect_answering_machine
from callcast_telephony.media import beep_ulaw, record_callee
from callcast_telephony.sip import InviteResult, SipCall, SipUserAgent

log = get_logger(__name__)

#: Time for the far end's last echoed/answered packets to arrive before a prompt's stats are read.
_MEDIA_DRAIN_S = 0.1


class MediaLost(Exception):
    """The callee's RTP stopped for the session's inactivity timeout while the call was up."""


async def _first_done(*futures: asyncio.Future[Any]) -> set[asyncio.Future[Any]]:
    """Wait for the first of ``futures``; the others are cancelled (and awaited, so their clean-up
    such as an RTP listener's removal has run) however this returns, cancellation included."""
    try:
        done, _ = await asyncio.wait(futures, return_when=asyncio.FIRST_COMPLETED)
        return done
    finally:
        rest = [f for f in futures if not f.done()]
        for future in rest:
            future.cancel()
        for future in rest:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await future


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
        recordings: RecordingStore | None = None,
    ) -> None:
        self.cmd = command
        self.org_id = org_id
        self.log = log_
        self.ua = ua
        self.prompts = prompts
        self.recordings = recordings
        self.call: SipCall | None = None
        self.keypad: Keypad | None = None
        self.invite: InviteResult | None = None
        self.hangup_by: str | None = None
        #: Why the call ends (CallHungUp.cause) when we are the ones ending it.
        self.hangup_cause = "flow_finished"
        #: Why the call is being cancelled (``cancel()``); None while it is not.
        self.cancelled: str | None = None
        self._task: asyncio.Task[Any] | None = None
        #: The call's end is being recorded: nothing may interrupt it any more.
        self._finishing = False
        self._emitted = 0
        #: (node id, nodeExecutionIndex) of every node entry already announced by FlowNodeEntered.
        self._entered: set[tuple[str, int]] = set()
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

    def cancel(self, reason: str) -> None:
        """End the call now with the outcome ``cancelled`` (a ringing call is CANCELled, an
        answered one hung up); ``execute`` returns its CallEnded as usual. Too late once the
        call is already ending: its end is being recorded."""
        if self.cancelled is None and not self._finishing:
            self.cancelled = reason
            if self._task is not None:
                self._task.cancel()

    async def execute(self) -> CallEnded | None:
        """Run the flow to its end; None when another dialer took the attempt over (it wrote the
        end, so this one must write nothing more)."""
        self._task = asyncio.current_task()
        try:
            if self.cancelled is not None:
                raise asyncio.CancelledError
            action = self.run.start()
            while True:
                await self._emit_path()
                if isinstance(action, Hangup | Finished):
                    if isinstance(action, Hangup):
                        self.hangup_cause = "flow_hangup"
                    break
                await self._enter_current()
                action = await self._perform_watched(action)
            await self._emit_path()
        except MediaLost:
            timeout = self.call.rtp.inactivity_timeout if self.call else None
            log.warning("no media from the callee; ending the call", attempt_id=self.cmd.attempt_id)
            self.hangup_cause = "rtp_timeout"
            self._fail_node(f"rtp_timeout: no media from the callee for {timeout} s")
        except AttemptTakenOver:
            log.warning("attempt taken over by another dialer; hanging up", attempt_id=self.cmd.attempt_id)
            self.hangup_cause = "taken_over"
            await asyncio.shield(self._hangup_quietly())
            return None
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if self.cancelled is not None and task is not None and task.cancelling() == 1:
                # Cancelled on purpose (cancel()), and by nothing else: the call ends cancelled.
                task.uncancel()
                self.run.outcome, self.run.outcome_reason = "cancelled", self.cancelled
                self.run.completed_at = self.run.completed_at or datetime.now(UTC)
                self.hangup_cause = "cancelled"
            else:
                # The dialer is stopping: end the call and record it, then let the cancellation go on.
                self.run.outcome = self.run.outcome or "failed"
                self.run.outcome_reason = self.run.outcome_reason or "dialer_shutdown"
                self.hangup_cause = "dialer_shutdown"
                with contextlib.suppress(AttemptTakenOver):
                    await self._finish_surely()
                raise
        except Exception as err:
            log.exception("call failed", attempt_id=self.cmd.attempt_id)
            self.hangup_cause = "error"
            if not self.run.finished:
                self.run.outcome, self.run.outcome_reason = "failed", f"dialer error: {type(err).__name__}: {err}"
        try:
            return await self._finish_surely()
        except AttemptTakenOver:
            return None

    async def _finish_surely(self) -> CallEnded:
        """``_finish``, carried through a cancellation that arrives meanwhile (a drain deadline,
        a shutdown): the call's end is recorded first, then the cancellation goes on."""
        self._finishing = True
        finishing = asyncio.ensure_future(self._finish())
        try:
            return await asyncio.shield(finishing)
        except asyncio.CancelledError:
            if not finishing.done():
                with contextlib.suppress(Exception):
                    await finishing
            raise

    async def _finish(self) -> CallEnded:
        hung_up = await self._hangup_quietly()
        if hung_up is not None:
            await self.log.append(hung_up)
        ended = self._ended_event()
        await self.log.append(ended)
        return ended

    def _fail_node(self, reason: str) -> None:
        """End the run as failed (the call itself broke, so no flow output can follow)."""
        node = self.run.current_node
        if not self.run.finished:
            self.run.outcome = "failed"
            self.run.outcome_reason = f"{node.id}: {reason}" if node else reason
            self.run.completed_at = datetime.now(UTC)

    # -- actions ------------------------------------------------------------------------------
    async def _perform_watched(self, action: Action) -> Action:
        """``_perform``, stopped by MediaLost when the callee's RTP dies mid-action."""
        call = self.call
        if call is None:
            return await self._perform(action)
        work = asyncio.ensure_future(self._perform(action))
        dead = asyncio.ensure_future(call.rtp.inactive.wait())
        try:
            await asyncio.wait({work, dead}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            dead.cancel()
            if not work.done():
                # Media lost, or we are cancelled: the action stops here, not in the background.
                work.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await work
        if not work.cancelled():
            return work.result()
        raise MediaLost

    async def _perform(self, action: Action) -> Action:
        if isinstance(action, Dial):
            return self.run.resume(await self._place_call(action))
        if self.call is None:
            # The engine dials (implicitly if need be) before any node that needs a call.
            return self.run.resume(ActionFailed(f"{type(action).__name__} needs a call and none is up"))
        if self.call.remote_hangup.is_set():
            self.hangup_by = "callee"
            return self.run.resume(CalleeHungUp())
        if isinstance(action, Play):
            return self.run.resume(await self._play(action.node_id, action.items, barge_in=action.barge_in))
        if isinstance(action, CollectDigits):
            return self.run.resume(await self._collect(action))
        if isinstance(action, Record):
            return self.run.resume(await self._record(action))
        return self.run.resume(ActionFailed(f"unsupported action {type(action).__name__}"))

    async def _place_call(self, action: Dial) -> DialResult:
        # Progress callbacks are synchronous, so their appends run as tasks; tasks start in the
        # order they were made and the log appends one at a time in arrival order, so ringing
        # still precedes early media, and both precede what follows the invite.
        pending: list[Awaitable[None]] = []
        rang: list[int] = []

        def later(event: Event) -> None:
            pending.append(asyncio.ensure_future(self.log.append(event)))

        def on_progress(status: int, reason: str) -> None:
            if not rang:
                rang.append(status)
                later(CallRinging(attempt_id=self.cmd.attempt_id, sip_status=status))

        def on_early_media(status: int, codec: str | None) -> None:
            later(
                CallEarlyMedia(attempt_id=self.cmd.attempt_id, sip_status=status, codec=codec, job_id=self.cmd.job_id)
            )

        ring_timeout = action.timeout_ms / 1000
        self.run.system["sys.callStatus"] = "dialing"
        try:
            result = await self.ua.invite(
                to_number=self.cmd.to,
                from_number=self.cmd.caller_id,
                ring_timeout=ring_timeout,
                on_progress=on_progress,
                on_early_media=on_early_media,
            )
            self.invite = result
            if result.call is not None:
                # Held before anything else can fail or be cancelled, so the call is hung up.
                self.call = result.call
                self.keypad = Keypad(result.call)
        finally:
            # Progress appends land before whatever follows (CallAnswered, or CallEnded).
            for append in pending:
                with contextlib.suppress(Exception):
                    await append
        if result.outcome != "answered" or result.call is None:
            self.run.system["sys.callStatus"] = result.outcome
            return DialResult(result.outcome, reason=result.reason)
        self.run.system["sys.callStatus"] = "answered"
        detect = action.enable_amd and not action.implicit
        await self.log.append(
            CallAnswered(
                attempt_id=self.cmd.attempt_id,
                # With AMD on, who answered is not known yet: AmdCompleted says it.
                answered_by="unknown",
                answered_at=_ts(result.answered_at) or datetime.now(UTC),
            )
        )
        answered_by = await self._detect_machine(action) if detect else "unknown"
        self.run.system["sys.answeredBy"] = answered_by
        return DialResult("answered", answered_by=answered_by)

    async def _detect_machine(self, action: Dial) -> str:
        call = self.call
        assert call is not None
        try:
            config = AmdConfig.from_node(action.amd)
        except ValueError as err:
            log.warning("amd tuning refused; using the defaults", attempt_id=self.cmd.attempt_id, error=str(err))
            config = AmdConfig()
        detection = asyncio.ensure_future(detect_answering_machine(call.rtp, config))
        done = await _first_done(detection, asyncio.ensure_future(call.remote_hangup.wait()))
        if detection not in done:
            return "unknown"  # the callee hung up first; the next node sees it
        result = detection.result()
        await self.log.append(
            AmdCompleted(
                attempt_id=self.cmd.attempt_id,
                node_id=action.node_id,
                node_execution_index=self.run.node_execution_count,
                answered_by=result.answered_by,
                confidence=round(result.confidence, 3),
                reason=result.reason,
                decision_ms=result.decision_ms,
                words=result.words,
                greeting_ms=result.greeting_ms,
                job_id=self.cmd.job_id,
            )
        )
        facts = self._facts(action.node_id)
        facts["amd"] = {
            "answeredBy": result.answered_by,
            "confidence": round(result.confidence, 3),
            "reason": result.reason,
            "decisionMs": result.decision_ms,
        }
        return result.answered_by

    async def _play(self, node_id: str, items: list[dict[str, Any]], *, barge_in: bool) -> CallEvent:
        call, keypad = self.call, self.keypad
        assert call is not None
        assert keypad is not None
        index = self.run.node_execution_count  # the node's nodeExecutionIndex (it is running)
        try:
            prompt = await self.prompts.assemble(self.org_id, items)
        except PROMPT_FAILURES as err:
            return ActionFailed(f"cannot play the prompt: {err}")
        await self.log.append(
            PromptStarted(
                attempt_id=self.cmd.attempt_id,
                node_id=node_id,
                node_execution_index=index,
                items=prompt.items,
                job_id=self.cmd.job_id,
            )
        )
        call.rtp.reset_receive_stats()
        started = time.monotonic()
        # The stored audio is μ-law; the session converts it once to the negotiated codec.
        play = asyncio.ensure_future(call.play(prompt.ulaw, "PCMU"))
        stoppers: list[asyncio.Future[Any]] = [asyncio.ensure_future(call.remote_hangup.wait())]
        if barge_in:
            stoppers.append(asyncio.ensure_future(keypad.wait_for_press()))
        try:
            await _first_done(asyncio.shield(play), *stoppers)
        finally:
            if not play.done():
                call.rtp.stop_playback()  # within a frame; cancelled or not, the prompt stops
        stats = await play
        # A BYE stops playback inside the SIP layer, so the prompt may end "done" but cut short.
        interrupted = not stats.completed
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
        if call.remote_hangup.is_set():
            self.hangup_by = "callee"
            return CalleeHungUp()
        if interrupted:
            self._facts(node_id)["bargedIn"] = True
        return PlayCompleted()

    async def _collect(self, action: CollectDigits) -> CallEvent:
        call, keypad = self.call, self.keypad
        assert call is not None
        assert keypad is not None
        cfg = action.config
        if action.prompt:
            prompt_result = await self._play(action.node_id, action.prompt, barge_in=action.barge_in)
            if isinstance(prompt_result, CalleeHungUp | ActionFailed):
                return prompt_result
        multi = cfg.get("mode") == "multi_digit"
        max_digits = int(cfg.get("maxDigits", 1 if not multi else 20))
        finish = str(cfg.get("finishOnKey", "#")) if multi else None
        first_timeout = int(cfg.get("timeoutMs", 5000)) / 1000
        inter_timeout = int(cfg.get("interDigitTimeoutMs", 3000)) / 1000
        facts = self._facts(action.node_id)
        facts.setdefault("keysReceived", [])
        listening_since = time.monotonic()
        digits = ""
        timeout = first_timeout
        hung_up = False
        while len(digits) < max_digits:
            press = asyncio.ensure_future(keypad.next(timeout))
            done = await _first_done(press, asyncio.ensure_future(call.remote_hangup.wait()))
            if press not in done:
                hung_up = True
                break
            key = press.result()
            if key is None:
                break
            fact = self._key_fact(key, listening_since)
            facts["keysReceived"].append(fact)
            await self.log.append(
                DigitReceived(
                    attempt_id=self.cmd.attempt_id,
                    digit=key.digit,
                    via=key.via,
                    node_id=action.node_id,
                    node_execution_index=self.run.node_execution_count,
                    after_ms=fact["afterMs"],
                    job_id=self.cmd.job_id,
                )
            )
            if finish and key.digit == finish:
                break
            digits += key.digit
            timeout = inter_timeout
        facts.update(attempts=action.attempt, digits=digits or None)
        if hung_up:
            self.hangup_by = "callee"
            facts["result"] = "hangup"
            return CalleeHungUp()
        collected = DigitsCollected(digits, "success") if digits else DigitsCollected(None, "timeout")
        facts["result"] = collected.result
        return collected

    @staticmethod
    def _key_fact(key: KeyPress, listening_since: float) -> dict[str, Any]:
        """How one key press arrived; ``afterMs`` counts from when listening began (negative: the
        callee pressed it during an earlier prompt and it waited)."""
        after = round((key.at - listening_since) * 1000) if key.at is not None else None
        return {"digit": key.digit, "via": key.via, "afterMs": after}

    async def _record(self, action: Record) -> CallEvent:
        call = self.call
        assert call is not None
        if self.recordings is None:
            return ActionFailed("this dialer has no recording store")
        index = self.run.node_execution_count
        if action.beep:
            await call.play(beep_ulaw(), "PCMU")
            if call.remote_hangup.is_set():
                self.hangup_by = "callee"
                return CalleeHungUp()
        recording = await record_callee(
            call.rtp,
            max_duration_s=float(action.max_duration_sec),
            silence_timeout_s=float(action.silence_timeout_sec),
            stop=call.remote_hangup,
        )
        facts = self._facts(action.node_id)
        facts.update(endedBy=recording.ended_by, durationMs=recording.duration_ms, speechMs=recording.speech_ms)
        if recording.speech_ms == 0:
            # Nothing was said: no recording (onTimeout); a hang-up is seen by the next node.
            return RecordCompleted(None, "timeout")
        try:
            stored = await self.recordings.save(
                org_id=self.org_id,
                attempt_id=self.cmd.attempt_id,
                node_id=action.node_id,
                node_execution_index=index,
                recording=recording,
            )
        except Exception as err:
            log.exception("saving a recording failed", attempt_id=self.cmd.attempt_id)
            return ActionFailed(f"cannot store the recording: {type(err).__name__}: {err}")
        facts["recordingId"] = stored.recording_id
        await self.log.append(
            RecordingSaved(
                attempt_id=self.cmd.attempt_id,
                node_id=action.node_id,
                node_execution_index=index,
                recording_id=stored.recording_id,
                bucket=stored.bucket,
                object_name=stored.object_name,
                duration_ms=stored.duration_ms,
                size_bytes=stored.size_bytes,
                sha256=stored.sha256,
                ended_by=recording.ended_by,
                job_id=self.cmd.job_id,
            )
        )
        # A callee who hangs up after speaking left a message: the node completes, and the next
        # node sees the hang-up.
        return RecordCompleted(stored.recording_id, "complete")

    def _facts(self, node_id: str) -> dict[str, Any]:
        return self._node_facts.setdefault((node_id, self.run.node_execution_count), {})

    # -- events -------------------------------------------------------------------------------
    async def _enter_current(self) -> None:
        """Announce the node the next action belongs to (once per node execution: a dtmf
        re-prompt stays in the same one)."""
        node = self.run.current_node
        if node is not None:
            await self._enter(node.id, node.type, self.run.node_execution_count, datetime.now(UTC))

    async def _enter(self, node_id: str, node_type: str, index: int, at: datetime) -> None:
        if (node_id, index) in self._entered:
            return
        self._entered.add((node_id, index))
        await self.log.append(
            FlowNodeEntered(
                attempt_id=self.cmd.attempt_id,
                node_id=node_id,
                node_type=node_type,
                node_execution_index=index,
                at=at,
                job_id=self.cmd.job_id,
            )
        )

    async def _emit_path(self) -> None:
        """FlowNodeExecuted for every node left since the last call, each preceded by its
        FlowNodeEntered when the engine entered and left it in one step (condition,
        set_variable, hangup)."""
        path = self.run.execution_path
        while self._emitted < len(path):
            entry = path[self._emitted]
            self._emitted += 1
            await self._enter(entry.node_id, entry.node_type, entry.node_execution_index, entry.timestamp)
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

    async def _hangup_quietly(self) -> CallHungUp | None:
        """End the call if it is up; the CallHungUp to record (None if there was no call)."""
        call = self.call
        if call is None:
            return None
        if call.remote_hangup.is_set():
            self.hangup_by = self.hangup_by or "callee"
        elif not call.ended:
            self.hangup_by = self.hangup_by or "us"
        by_callee = self.hangup_by == "callee"
        with contextlib.suppress(Exception):
            await call.hangup()
        return CallHungUp(
            attempt_id=self.cmd.attempt_id,
            by=self.hangup_by or "us",
            cause="bye" if by_callee else self.hangup_cause,
            sip_method="BYE",
            sip_status=None if by_callee else call.bye_status,
            at=_ts(call.ended_at) or datetime.now(UTC),
            job_id=self.cmd.job_id,
        )

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
            final_variables=dict(self.run.variables),
            node_execution_count=self.run.node_execution_count,
            flow_started_at=self.run.started_at,
            flow_completed_at=self.run.completed_at,
        )
