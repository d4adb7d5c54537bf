"""An answered call: its dialog, its media session, and what the callee does during it."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Protocol

from ..rtp.session import PlayStats, RtpSession
from .dialog import Dialog
from .message import SipRequest, SipResponse, make_response
from .models import InviteResult
from .sdp import SdpAnswer
from .transaction import NonInviteClientTransaction, TransactionTimeout
from .unsolicited import ALLOW

log = logging.getLogger(__name__)

Address = tuple[str, int]

# SIP INFO DTMF (application/dtmf-relay, the Cisco/Asterisk form): "Signal=5\r\nDuration=160".
# Some gateways send 10/11 for * and #; RFC 4733 numbering covers A-D as 12-15 too.
_INFO_EVENT_CODES = {"10": "*", "11": "#", "12": "A", "13": "B", "14": "C", "15": "D"}
_VALID_DIGITS = set("0123456789*#ABCD")


def parse_info_digit(content_type: str | None, body: bytes) -> str | None:
    """The digit carried by a SIP INFO body, or None if it carries none."""
    text = body.decode("utf-8", "replace").strip()
    if content_type == "application/dtmf-relay":
        for line in text.splitlines():
            name, sep, value = line.partition("=")
            if sep and name.strip().lower() == "signal":
                return _normalise_digit(value.strip())
        return None
    if content_type == "application/dtmf":
        return _normalise_digit(text)
    return None


def _normalise_digit(value: str) -> str | None:
    value = _INFO_EVENT_CODES.get(value, value).upper()
    return value if value in _VALID_DIGITS else None


class CallControl(Protocol):
    """What a call needs from its user agent (keeps SipCall free of transport details)."""

    def send_in_dialog(
        self, call: SipCall, method: str, *, headers: list[tuple[str, str]] | None = None
    ) -> NonInviteClientTransaction: ...

    def respond(self, request: SipRequest, response: SipResponse, source: Address) -> None: ...

    def resend(self, data: bytes, destination: Address) -> None: ...

    def forget(self, call: SipCall) -> None: ...


class SipCall:
    def __init__(
        self,
        *,
        control: CallControl,
        dialog: Dialog,
        destination: Address,
        rtp: RtpSession,
        answer: SdpAnswer,
        result: InviteResult,
        ack: bytes,
    ) -> None:
        self.call_id = dialog.call_id
        self.dialog = dialog
        self.destination = destination  # next hop for in-dialog requests
        self.rtp = rtp
        self.codec = answer.codec
        self.telephone_event_pt = answer.telephone_event_pt
        self.answer = answer
        self.result = result
        self.remote_hangup = asyncio.Event()
        self.dtmf: asyncio.Queue[str] = rtp.digits  # RFC 4733 and SIP INFO share one queue
        self.ended = False
        #: The status that answered our BYE (None: the callee hung up, or no answer came).
        self.bye_status: int | None = None
        self._control = control
        self._ack = ack
        self._hangup_task: asyncio.Task[None] | None = None

    def __repr__(self) -> str:
        return f"<SipCall {self.call_id} {self.codec} ended={self.ended}>"

    @property
    def ended_at(self) -> float | None:
        return self.result.ended_at

    async def play(self, payload: bytes, codec: str | None = None) -> PlayStats:
        """Play G.711 audio (``codec`` names its encoding; default: the negotiated codec)."""
        return await self.rtp.play(payload, codec)

    async def hangup(self) -> None:
        """Send BYE unless the call already ended, wait for its answer (Timer F at most), and
        release the media. Safe to call more than once and after a remote hangup."""
        if self._hangup_task is None:
            self._hangup_task = asyncio.ensure_future(self._hangup())
        await asyncio.shield(self._hangup_task)

    async def _hangup(self) -> None:
        if not self.ended:
            self.ended = True
            self.rtp.stop_playback()
            try:
                transaction = self._control.send_in_dialog(self, "BYE")
                try:
                    response = await transaction.final
                finally:
                    transaction.release()  # Timer K lingers with bytes only
                self.bye_status = response.status
                if response.status >= 300:
                    log.info("BYE for %s answered %s", self.call_id, response.status)
            except TransactionTimeout:
                log.warning("BYE for %s got no answer", self.call_id)
            except RuntimeError:  # the user agent is already closed: nothing left to send with
                log.warning("BYE for %s not sent: user agent closed", self.call_id)
        self._finish()

    def _finish(self) -> None:
        self.ended = True
        self.rtp.close()
        if self.result.ended_at is None:
            self.result.ended_at = time.time()
        self._control.forget(self)

    def resend_ack(self) -> None:
        """The callee retransmitted its 2xx: our ACK was lost (§13.2.2.4)."""
        self._control.resend(self._ack, self.destination)

    # -- requests from the callee ------------------------------------------------------------

    def handle_request(self, request: SipRequest, source: Address) -> None:
        method = request.method
        if method == "ACK":
            return  # ACK for our answer to a re-INVITE: nothing to do
        if not self.dialog.accept_remote_cseq(request):
            self._reply(request, source, 500, "CSeq Out Of Order")
            return
        if method == "BYE":
            self._reply(request, source, 200)
            self._on_remote_bye()
        elif method == "INFO":
            digit = parse_info_digit(request.content_type, request.body)
            self._reply(request, source, 200)
            if digit is not None:
                self.rtp.push_digit(digit)
        elif method == "INVITE":
            # Changing media mid-call is not supported; 488 keeps the dialog and current session
            # (RFC 3261 §14.2), unlike 481/408 which would end it.
            self._reply(request, source, 488)
        elif method == "UPDATE":
            # A session-timer refresh without an offer is fine; a new offer is not supported.
            self._reply(request, source, 488 if request.body else 200)
        elif method == "OPTIONS":
            self._reply(request, source, 200, extra=[("Allow", ALLOW)])
        else:
            self._reply(request, source, 405, extra=[("Allow", ALLOW)])

    def _on_remote_bye(self) -> None:
        if self.ended:
            return
        log.info("callee hung up %s", self.call_id)
        self.rtp.stop_playback()
        self.remote_hangup.set()
        self._finish()

    def _reply(
        self,
        request: SipRequest,
        source: Address,
        status: int,
        reason: str | None = None,
        *,
        extra: list[tuple[str, str]] | None = None,
    ) -> None:
        response = make_response(request, status, reason, extra_headers=extra)
        self._control.respond(request, response, source)
