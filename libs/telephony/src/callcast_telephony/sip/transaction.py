"""Client transactions over an unreliable transport (RFC 3261 §17.1, RFC 6026).

INVITE (§17.1.1): Timer A retransmits from T1 doubling, Timer B (64·T1) gives up while no
response came; any 1xx stops both (ringing can last as long as the TU allows — the TU cancels).
A 300–699 final is ACKed here, with the INVITE's branch, and the transaction lingers for Timer D
to re-ACK retransmissions of that final. A 2xx is passed up and, per RFC 6026, the transaction
stays "accepted" for Timer M (64·T1) so retransmitted or forked 2xx reach the TU, which ACKs
them itself (the 2xx ACK is a separate transaction).

Non-INVITE (§17.1.2, for BYE and CANCEL): Timer E retransmits from T1 doubling up to T2 (T2
straight away once a 1xx arrived), Timer F (64·T1) gives up; after the final, Timer K (T4)
absorbs retransmitted finals.

Over a reliable transport (TCP) the transport does the retransmitting: Timers A and E are not
set (§17.1.1.2, §17.1.2.2) and Timers D and K are zero; Timers B, F and M still run.

Memory: a finished transaction lingers for up to 32 s, so at 200 calls/s thousands of them are
alive at once and every full garbage collection walks them. Once the TU has taken the final
(:meth:`ClientTransaction.release`) a lingering transaction keeps only bytes and keys: the
request as sent (re-parsed on the rare path that needs it, a forked 2xx), its match key, the
ACK to repeat, the first 2xx's To tag — no parsed messages, future or event.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import weakref
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from .headers import Headers
from .message import SipRequest, SipResponse, parse_message

log = logging.getLogger(__name__)

Address = tuple[str, int]


@dataclass(frozen=True)
class SipTimers:
    t1: float = 0.5  # RTT estimate
    t2: float = 4.0  # maximum retransmit interval for non-INVITE requests
    t4: float = 5.0  # maximum time a message stays in the network
    timer_d: float = 32.0  # lingering after a non-2xx final to re-ACK retransmissions (UDP)

    @property
    def timeout(self) -> float:
        """Timers B, F, H, J and M: 64·T1."""
        return 64 * self.t1


# Timer callbacks run in this one context instead of a copy of the caller's each: they set no
# context variables, and a Context per handle is one more tracked object per pending timer.
_TIMER_CONTEXT = contextvars.Context()


class _Lingering:
    """Transactions waiting out the same linger time (Timer D, K or M), oldest first: one timer
    for all of them rather than a TimerHandle, its Context and a bound method each."""

    def __init__(self, seconds: float) -> None:
        # No reference to the loop: it is the key of the weak mapping that holds this.
        self._seconds = seconds
        self._queue: deque[ClientTransaction] = deque()
        self._handle: asyncio.TimerHandle | None = None

    def add(self, transaction: ClientTransaction) -> None:
        loop = asyncio.get_running_loop()
        transaction.linger_until = loop.time() + self._seconds
        self._queue.append(transaction)
        if self._handle is None:
            self._handle = loop.call_at(transaction.linger_until, self._expire, context=_TIMER_CONTEXT)

    def _expire(self) -> None:
        self._handle = None
        loop = asyncio.get_running_loop()
        now = loop.time()
        queue = self._queue
        while queue and queue[0].linger_until <= now:
            transaction = queue.popleft()
            if transaction.state != "terminated":
                transaction.terminate()
        if queue:
            self._handle = loop.call_at(queue[0].linger_until, self._expire, context=_TIMER_CONTEXT)


_lingering: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[float, _Lingering]] = weakref.WeakKeyDictionary()


def _lingering_for(seconds: float) -> _Lingering:
    loop = asyncio.get_running_loop()
    by_duration = _lingering.setdefault(loop, {})
    queue = by_duration.get(seconds)
    if queue is None:
        queue = by_duration[seconds] = _Lingering(seconds)
    return queue


class TransactionTimeout(Exception):
    """Timer B or F fired: no final response."""


class TransportError(TransactionTimeout):
    """The transport could not carry the request (e.g. the TCP connection could not be opened)."""


class SipSender(Protocol):
    reliable: bool

    def send(self, message: SipRequest | bytes, address: Address) -> None: ...

    def register(self, transaction: ClientTransaction) -> None: ...

    def unregister(self, transaction: ClientTransaction) -> None: ...


class ClientTransaction:
    def __init__(
        self,
        sender: SipSender,
        request: SipRequest,
        destination: Address,
        timers: SipTimers,
    ) -> None:
        branch = request.top_via.branch
        if not branch:
            raise ValueError("request has no Via branch")
        self._request: SipRequest | None = request
        self.method = request.method
        self.destination = destination
        self.timers = timers
        self.key = (branch, request.method)
        self._final: asyncio.Future[SipResponse] | None = asyncio.get_running_loop().create_future()
        self.state = "init"
        self._sender = sender
        self._data = request.to_bytes()
        self._retransmit_handle: asyncio.TimerHandle | None = None
        self._timeout_handle: asyncio.TimerHandle | None = None
        #: loop.time() at which a lingering transaction terminates (see _Lingering).
        self.linger_until = 0.0
        self.retransmissions = 0
        self.reliable = bool(getattr(sender, "reliable", False))
        self._resent_after_loss = False

    @property
    def request(self) -> SipRequest:
        """The request as sent; after :meth:`release`, parsed again from its bytes."""
        if self._request is not None:
            return self._request
        parsed = parse_message(self._data)
        assert isinstance(parsed, SipRequest)
        return parsed

    @property
    def final(self) -> asyncio.Future[SipResponse]:
        """Resolves with the final response (or TransactionTimeout / TransportError)."""
        if self._final is None:
            raise RuntimeError(f"{self.method} {self.key[0]}: final already released")
        return self._final

    @property
    def released(self) -> bool:
        return self._final is None

    def release(self) -> None:
        """The TU has taken the final: drop the parsed request and the future (with its parsed
        response) so that what lingers for Timers D/K/M holds no tracked objects of this call."""
        if self._final is None or not self._final.done():
            return  # nothing taken yet
        self._final = None
        self._request = None

    def _fail(self, error: TransactionTimeout) -> None:
        if self._final is not None and not self._final.done():
            self._final.set_exception(error)
            self._final.exception()  # mark retrieved: fire-and-forget (CANCEL) must not log noise

    def start(self) -> None:
        self._sender.register(self)
        self._send()
        self._start_timers()

    def on_response(self, response: SipResponse) -> None:
        raise NotImplementedError

    def on_connection_lost(self) -> None:
        """The connection carrying this request closed before any response: send it once more
        (the transport opens a new connection). Safe: a server that did get it treats the copy
        as a retransmission of the same transaction (same branch)."""
        if self.state in ("calling", "trying") and not self._resent_after_loss:
            self._resent_after_loss = True
            self.retransmissions += 1
            self._send()

    def on_transport_error(self, why: str) -> None:
        """§8.1.3.1: a transport failure is treated like a timeout, but reported at once."""
        if self.state == "terminated":
            return
        log.info("%s %s: transport error: %s", self.method, self.key[0], why)
        self._fail(TransportError(why))
        self.terminate()

    def terminate(self) -> None:
        self.state = "terminated"
        for handle in (self._retransmit_handle, self._timeout_handle):
            if handle is not None:
                handle.cancel()
        self._retransmit_handle = self._timeout_handle = None
        self._sender.unregister(self)
        self._fail(TransactionTimeout("transaction terminated"))

    # -- helpers -----------------------------------------------------------------------------

    def _start_timers(self) -> None:
        raise NotImplementedError

    def _send(self) -> None:
        self._sender.send(self._data, self.destination)

    def _schedule_retransmit(self, interval: float) -> None:
        if self.reliable:
            return  # the transport retransmits
        loop = asyncio.get_running_loop()
        self._retransmit_handle = loop.call_later(interval, self._on_retransmit_timer, interval, context=_TIMER_CONTEXT)

    def _on_retransmit_timer(self, interval: float) -> None:
        raise NotImplementedError

    def _stop_retransmitting(self) -> None:
        if self._retransmit_handle is not None:
            self._retransmit_handle.cancel()
            self._retransmit_handle = None

    def _stop_timeout(self) -> None:
        if self._timeout_handle is not None:
            self._timeout_handle.cancel()
            self._timeout_handle = None

    def _on_timeout(self) -> None:
        log.info("%s %s timed out", self.method, self.key[0])
        self._fail(TransactionTimeout(f"{self.method} timed out"))
        self.terminate()

    def _linger(self, seconds: float) -> None:
        if seconds <= 0:
            self.terminate()
            return
        _lingering_for(seconds).add(self)


class InviteClientTransaction(ClientTransaction):
    def __init__(
        self,
        sender: SipSender,
        request: SipRequest,
        destination: Address,
        timers: SipTimers,
        *,
        on_provisional: Callable[[SipResponse], None] | None = None,
        on_extra_2xx: Callable[[InviteClientTransaction, SipResponse], None] | None = None,
    ) -> None:
        super().__init__(sender, request, destination, timers)
        self.on_provisional = on_provisional
        # Called with (this transaction, response): one handler shared by every transaction
        # (e.g. a user agent's bound method made once), so none holds a per-call closure.
        self.on_extra_2xx = on_extra_2xx
        self.provisional_seen = False
        self._provisional_event: asyncio.Event | None = None
        self._ack: bytes | None = None
        #: To tag of the first 2xx: tells a retransmission (same tag) from a fork.
        self.first_2xx_to_tag: str | None = None
        #: The TU's ACK for the first 2xx and where it went, set once sent: repeated for each
        #: retransmitted 2xx during Timer M, even after the call itself has ended.
        self.ack_2xx: tuple[bytes, Address] | None = None
        # Retransmissions of the first 2xx that arrived before the TU had sent its ACK.
        self.unacked_2xx = 0

    @property
    def provisional_received(self) -> asyncio.Event:
        """Set by the first 1xx (made on demand: only a ring timeout before any 1xx waits on it)."""
        if self._provisional_event is None:
            self._provisional_event = asyncio.Event()
            if self.provisional_seen:
                self._provisional_event.set()
        return self._provisional_event

    def release(self) -> None:
        super().release()
        if self.released:
            self._provisional_event = None

    def _start_timers(self) -> None:
        self.state = "calling"
        self._schedule_retransmit(self.timers.t1)  # Timer A
        loop = asyncio.get_running_loop()
        self._timeout_handle = loop.call_later(self.timers.timeout, self._on_timeout, context=_TIMER_CONTEXT)  # Timer B

    def _on_retransmit_timer(self, interval: float) -> None:
        if self.state != "calling":
            return
        self.retransmissions += 1
        self._send()
        self._schedule_retransmit(interval * 2)

    def on_response(self, response: SipResponse) -> None:
        status = response.status
        if status < 200:
            if self.state in ("calling", "proceeding"):
                self.state = "proceeding"
                self._stop_retransmitting()
                self._stop_timeout()  # Timer B only guards the "calling" state
                self.provisional_seen = True
                if self._provisional_event is not None:
                    self._provisional_event.set()
                if self.on_provisional is not None:
                    self.on_provisional(response)
        elif status < 300:
            if self.state in ("calling", "proceeding"):
                self.state = "accepted"
                self._stop_retransmitting()
                self._stop_timeout()
                self.on_provisional = None  # see _drop_progress_callback
                self.first_2xx_to_tag = response.to.tag
                self.final.set_result(response)
                self._linger(self.timers.timeout)  # Timer M
            elif self.state == "accepted" and self.on_extra_2xx is not None:
                self.on_extra_2xx(self, response)
        elif self.state in ("calling", "proceeding"):
            self.state = "completed"
            self._stop_retransmitting()
            self._stop_timeout()
            self.on_provisional = None  # see _drop_progress_callback
            self._ack = self._build_ack(response).to_bytes()
            self._sender.send(self._ack, self.destination)
            self.final.set_result(response)
            self._linger(0.0 if self.reliable else self.timers.timer_d)  # Timer D
        elif self.state == "completed" and self._ack is not None:
            self._sender.send(self._ack, self.destination)  # the final was retransmitted

    def terminate(self) -> None:
        super().terminate()
        self._drop_progress_callback()

    def _drop_progress_callback(self) -> None:
        # Provisionals mean nothing after a final, and the callbacks hold the caller's call state
        # (its RTP session, queues, tasks): dropped here, that is freed by reference counting when
        # the call ends instead of living on for Timer M (32 s) — hundreds of thousands of tracked
        # objects at 200 calls/s, which made every full collection long. ``on_extra_2xx`` is only
        # needed while Timer M runs: dropped on terminate.
        self.on_provisional = None
        self.on_extra_2xx = None

    def _build_ack(self, response: SipResponse) -> SipRequest:
        """ACK for a non-2xx final: same branch and Request-URI as the INVITE (§17.1.1.3)."""
        invite = self.request
        headers = Headers()
        headers.add("Via", invite.headers.require("Via"))
        for route in invite.headers.get_all("Route"):
            headers.add("Route", route)
        headers.add("Max-Forwards", "70")
        headers.add("From", invite.headers.require("From"))
        headers.add("To", response.headers.require("To"))
        headers.add("Call-ID", invite.call_id)
        headers.add("CSeq", f"{invite.cseq[0]} ACK")
        return SipRequest(headers=headers, method="ACK", uri=invite.uri)

    def build_cancel(self) -> SipRequest:
        """CANCEL matching this INVITE: same branch, Request-URI, Call-ID, From, To, CSeq number."""
        invite = self.request
        headers = Headers()
        headers.add("Via", invite.headers.require("Via"))
        for route in invite.headers.get_all("Route"):
            headers.add("Route", route)
        headers.add("Max-Forwards", "70")
        headers.add("From", invite.headers.require("From"))
        headers.add("To", invite.headers.require("To"))
        headers.add("Call-ID", invite.call_id)
        headers.add("CSeq", f"{invite.cseq[0]} CANCEL")
        user_agent = invite.headers.get("User-Agent")
        if user_agent:
            headers.add("User-Agent", user_agent)
        return SipRequest(headers=headers, method="CANCEL", uri=invite.uri)


class NonInviteClientTransaction(ClientTransaction):
    def _start_timers(self) -> None:
        self.state = "trying"
        self._schedule_retransmit(self.timers.t1)  # Timer E
        loop = asyncio.get_running_loop()
        self._timeout_handle = loop.call_later(self.timers.timeout, self._on_timeout, context=_TIMER_CONTEXT)  # Timer F

    def _on_retransmit_timer(self, interval: float) -> None:
        if self.state not in ("trying", "proceeding"):
            return
        self.retransmissions += 1
        self._send()
        next_interval = self.timers.t2 if self.state == "proceeding" else interval * 2
        self._schedule_retransmit(min(next_interval, self.timers.t2))

    def on_response(self, response: SipResponse) -> None:
        if self.state not in ("trying", "proceeding"):
            return  # retransmitted final while lingering in "completed" (Timer K)
        if response.status < 200:
            self.state = "proceeding"
            return
        self.state = "completed"
        self._stop_retransmitting()
        self._stop_timeout()
        self.final.set_result(response)
        self._linger(0.0 if self.reliable else self.timers.t4)  # Timer K
