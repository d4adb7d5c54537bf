"""The SIP user agent the dialer uses: place a call, learn its outcome, get a live call back.

One transport (a UDP socket, or TCP connections) carries all calls; each call gets its own RTP
session. Flow of :meth:`invite`:

0. wait for the trunk's calls-per-second slot (``TrunkConfig.max_cps``);
1. INVITE with an SDP offer through an INVITE client transaction (retransmissions, Timer B);
2. 1xx: report progress (180/183 set ``ringing_at``); an 18x with SDP starts early media (remote
   RTP address and codec from that SDP); the ring timeout keeps running;
3. ring timeout: CANCEL (only once a provisional arrived, §9.1) and expect 487 -> ``no_answer``;
4. 401/407: answer the digest challenge once, with a new CSeq in the same Call-ID;
5. 2xx: ACK it in a new transaction (new branch, INVITE's CSeq number) to the Contact/route
   set, start media towards the SDP answer, return the :class:`SipCall`;
6. any other final: map it to an outcome (see ``outcomes.py``).
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import secrets
import socket
import time
from collections.abc import Callable

from ..rtp.session import DEFAULT_INACTIVITY_TIMEOUT, RtpSession
from .call import SipCall
from .dialog import Dialog
from .digest import answer_challenge
from .headers import Headers, NameAddress, SipUri, format_hostport
from .message import SipRequest, SipResponse
from .models import InviteResult, SipCredentials
from .outcomes import RING_TIMEOUT_REASON, TIMEOUT_REASON, outcome_for_final
from .rate import CallRateLimiter
from .sdp import SdpAnswer, SdpError, build_offer, negotiate_answer
from .tcp import TcpSipTransport
from .transaction import (
    InviteClientTransaction,
    NonInviteClientTransaction,
    SipTimers,
    TransactionTimeout,
    TransportError,
)
from .transport import SipTransportBase, UdpSipTransport
from .trunk import TrunkConfig
from .unsolicited import ALLOW, out_of_dialog_response

log = logging.getLogger(__name__)

Address = tuple[str, int]
ProgressCallback = Callable[[int, str], None]
EarlyMediaCallback = Callable[[int, str | None], None]  # (status, negotiated codec)
CLOSED_REASON = "agent_closed"
TRANSPORT_ERROR_REASON = "transport_error"
_WILDCARDS = {"0.0.0.0", "::", ""}


def _token(nbytes: int = 8) -> str:
    return secrets.token_hex(nbytes)


class SipUserAgent:
    def __init__(
        self,
        local_host: str = "127.0.0.1",
        local_port: int = 0,
        trunk: Address | TrunkConfig = ("127.0.0.1", 5080),
        user_agent: str = "Callcast/0.1",
        *,
        rtp_host: str | None = None,
        advertised_host: str | None = None,
        from_domain: str | None = None,
        timers: SipTimers | None = None,
        rate_limiter: CallRateLimiter | None = None,
        rtp_inactivity_timeout: float | None = DEFAULT_INACTIVITY_TIMEOUT,
    ) -> None:
        self.local_host = local_host
        # What peers see in Via, Contact and SDP: needed when binding to a wildcard address.
        self.advertised_host = advertised_host or local_host
        if self.advertised_host in _WILDCARDS:
            raise ValueError("bind to a specific address or pass advertised_host")
        self.local_port = local_port
        config = trunk if isinstance(trunk, TrunkConfig) else TrunkConfig(host=trunk[0], port=trunk[1])
        self.trunk_config = config
        self.trunk: Address = config.address  # where Request-URIs point
        # Where out-of-dialog requests are sent (and, with an outbound proxy, every request):
        # resolved once by start(), so no send ever waits for DNS.
        self.next_hop: Address = config.next_hop
        self.user_agent = user_agent
        self.rtp_host = rtp_host or local_host
        self.from_domain = from_domain or config.from_domain or self.advertised_host
        self.timers = timers or SipTimers()
        if rate_limiter is None and config.max_cps is not None:
            rate_limiter = CallRateLimiter(config.max_cps)
        self.rate_limiter = rate_limiter
        #: Seconds without RTP (once media started) before a call's ``rtp.inactive`` is set.
        self.rtp_inactivity_timeout = rtp_inactivity_timeout
        self._transport: SipTransportBase | None = None
        self._calls: dict[str, SipCall] = {}
        self._inviting: set[asyncio.Future[None]] = set()
        self._background: set[NonInviteClientTransaction] = set()
        self._orphan_acks: dict[tuple[str, str], tuple[bytes, Address]] = {}
        # One bound method shared by every INVITE transaction (none holds a per-call closure).
        self._extra_2xx_handler = self._on_extra_2xx

    # -- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        if self._transport is not None:
            return
        kind = TcpSipTransport if self.trunk_config.transport == "tcp" else UdpSipTransport
        transport = kind(
            on_request=self._on_request,
            on_stray_response=self._on_stray_response,
            server_response_lifetime=self.timers.timeout,
        )
        await transport.start(self.local_host, self.local_port)
        try:
            self.next_hop = await self._resolve_address(*self.trunk_config.next_hop)
        except OSError:
            transport.close()
            raise
        self._transport = transport

    async def close(self) -> None:
        """Cancel calls being set up, hang up live calls (briefly), close the socket."""
        for setup in list(self._inviting):
            setup.cancel()
        if self._inviting:
            await asyncio.wait(list(self._inviting), timeout=self.timers.t1 * 4)
        calls = [asyncio.ensure_future(call.hangup()) for call in list(self._calls.values())]
        if calls:
            # Do not hold shutdown for Timer F (32 s) when the trunk is gone.
            await asyncio.wait(calls, timeout=self.timers.t1 * 8)
        if self._transport is not None:
            self._transport.close()
            self._transport = None

    async def __aenter__(self) -> SipUserAgent:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def local_address(self) -> Address:
        return self._require_transport().local_address

    @property
    def calls(self) -> list[SipCall]:
        return list(self._calls.values())

    @property
    def transport(self) -> SipTransportBase:
        return self._require_transport()

    def _require_transport(self) -> SipTransportBase:
        if self._transport is None:
            raise RuntimeError("SipUserAgent.start() was not called (or close() was)")
        return self._transport

    # -- placing calls -----------------------------------------------------------------------

    async def invite(
        self,
        to_number: str,
        from_number: str,
        ring_timeout: float = 30.0,
        credentials: SipCredentials | None = None,
        on_progress: ProgressCallback | None = None,
        *,
        record: bool = False,
        on_early_media: EarlyMediaCallback | None = None,
    ) -> InviteResult:
        """Place a call. ``credentials`` default to the trunk's; ``invited_at`` is when the first
        INVITE left (after the calls-per-second wait), and the ring timeout counts from then."""
        self._require_transport()
        call_id = f"{_token(12)}@{self.advertised_host}"
        result = InviteResult(outcome="failed", call_id=call_id, invited_at=time.time())
        # bound once the CPS slot is ours
        rtp = RtpSession(self.rtp_host, record=record, inactivity_timeout=self.rtp_inactivity_timeout)
        if credentials is None:
            credentials = self.trunk_config.credentials
        progress = _Progress(result, rtp, on_progress, on_early_media)
        # The setup runs as its own task so close() can stop it without cancelling the caller.
        setup = asyncio.ensure_future(
            self._place_call(result, rtp, to_number, from_number, ring_timeout, credentials, progress)
        )
        self._inviting.add(setup)
        try:
            await setup  # cancelling the caller cancels the setup too (-> CANCEL)
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if current is not None and current.cancelling():
                raise  # the caller was cancelled
            result.outcome, result.reason = "failed", CLOSED_REASON  # close() stopped the setup
        finally:
            self._inviting.discard(setup)
            if result.call is None:
                rtp.close()
                if result.ended_at is None:
                    result.ended_at = time.time()
        return result

    async def _place_call(
        self,
        result: InviteResult,
        rtp: RtpSession,
        to_number: str,
        from_number: str,
        ring_timeout: float,
        credentials: SipCredentials | None,
        progress: _Progress,
    ) -> None:
        transport = self._require_transport()
        loop = asyncio.get_running_loop()
        if self.rate_limiter is not None:
            await self.rate_limiter.acquire()  # auth retries below do not take another slot
            result.invited_at = time.time()
        # Bound only now, so calls queued behind the CPS limit hold no media ports.
        await rtp.open()
        deadline = loop.time() + ring_timeout
        request_uri = f"sip:{to_number}@{format_hostport(*self.trunk)}"
        caller = self.trunk_config.format_caller_id(from_number)
        local = NameAddress(SipUri(host=self.from_domain, user=caller), params={"tag": _token()})
        remote = NameAddress(SipUri.parse(request_uri))
        media_host = self.advertised_host if rtp.local_host in _WILDCARDS else rtp.local_host
        offer = build_offer(media_host, rtp.local_port, session_id=secrets.randbelow(2**31))
        cseq = 1
        authorization: tuple[str, str] | None = None
        while True:
            invite = self._build_invite(request_uri, local, remote, result.call_id, cseq, offer, caller, authorization)
            transaction = InviteClientTransaction(
                transport,
                invite,
                self.next_hop,
                self.timers,
                on_provisional=progress.on_provisional,
                on_extra_2xx=self._extra_2xx_handler,
            )
            try:
                final, cancelled = await self._await_final(transaction, deadline)
            except TransportError:
                result.outcome, result.reason = "failed", TRANSPORT_ERROR_REASON
                return
            except TransactionTimeout:
                result.outcome, result.reason = "failed", TIMEOUT_REASON
                return
            except asyncio.CancelledError:
                self._abandon(transaction)
                raise
            try:
                if final is None:  # CANCEL sent, but no final answer came back within 64*T1
                    result.outcome, result.reason = "no_answer", RING_TIMEOUT_REASON
                    return
                result.sip_status = final.status
                if final.status in (401, 407) and credentials and authorization is None:
                    authorization = answer_challenge(final, invite, credentials)
                    if authorization is not None:
                        cseq += 1  # same Call-ID and From tag, new CSeq (§22.2)
                        continue
                if 200 <= final.status < 300:
                    try:
                        await self._establish(transaction, final, rtp, result, progress.early_answer)
                    except asyncio.CancelledError:
                        if result.call is None and final.call_id not in self._calls:
                            self._reject_2xx(invite, final)  # answered but nobody will talk: ACK+BYE
                        raise
                    return
                result.outcome, result.reason = outcome_for_final(final.status, final.reason, cancelled=cancelled)
                return
            finally:
                transaction.release()  # lingering for Timer D/M keeps bytes only

    async def _await_final(
        self, transaction: InviteClientTransaction, deadline: float
    ) -> tuple[SipResponse | None, bool]:
        """(final response or None when a CANCEL got no answer, whether we sent CANCEL)."""
        loop = asyncio.get_running_loop()
        transaction.start()
        try:
            remaining = max(0.0, deadline - loop.time())
            return await asyncio.wait_for(asyncio.shield(transaction.final), remaining), False
        except TimeoutError:
            pass
        if not transaction.final.done() and not transaction.provisional_seen:
            # §9.1: a CANCEL must not precede the first provisional; wait for one, a final
            # answer, or Timer B.
            waiter: asyncio.Future[object] = loop.create_task(transaction.provisional_received.wait())
            answer: asyncio.Future[object] = transaction.final  # type: ignore[assignment]
            try:
                await asyncio.wait({waiter, answer}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                waiter.cancel()
        if transaction.final.done():
            return transaction.final.result(), False
        self._send_cancel(transaction)
        try:
            final = await asyncio.wait_for(asyncio.shield(transaction.final), self.timers.timeout)
            return final, True
        except TimeoutError:
            transaction.terminate()  # §9.1: consider the INVITE transaction cancelled
            return None, True

    def _build_invite(
        self,
        request_uri: str,
        local: NameAddress,
        remote: NameAddress,
        call_id: str,
        cseq: int,
        offer: bytes,
        from_number: str,
        authorization: tuple[str, str] | None,
    ) -> SipRequest:
        headers = Headers()
        headers.add("Via", self._via())
        headers.add("Max-Forwards", "70")
        headers.add("From", str(local))
        headers.add("To", str(remote))
        headers.add("Call-ID", call_id)
        headers.add("CSeq", f"{cseq} INVITE")
        headers.add("Contact", f"<{self._contact_uri(from_number)}>")
        headers.add("User-Agent", self.user_agent)
        headers.add("Allow", ALLOW)
        if authorization is not None:
            headers.add(*authorization)
        headers.add("Content-Type", "application/sdp")
        return SipRequest(headers=headers, body=offer, method="INVITE", uri=request_uri)

    def _via(self) -> str:
        transport = self._require_transport()
        hostport = format_hostport(self.advertised_host, transport.local_address[1])
        return f"SIP/2.0/{transport.name} {hostport};rport;branch=z9hG4bK{_token(10)}"

    def _contact_uri(self, user: str) -> SipUri:
        transport = self._require_transport()
        params: dict[str, str | None] = {} if transport.name == "UDP" else {"transport": transport.name.lower()}
        return SipUri(host=self.advertised_host, user=user, port=transport.local_address[1], params=params)

    def _send_cancel(self, transaction: InviteClientTransaction) -> None:
        cancel = NonInviteClientTransaction(
            self._require_transport(), transaction.build_cancel(), transaction.destination, self.timers
        )
        self._run_in_background(cancel)

    def _run_in_background(self, transaction: NonInviteClientTransaction) -> None:
        # Keep a reference until it finishes: nobody awaits a CANCEL or an orphan BYE.
        self._background.add(transaction)

        def finished(_: object) -> None:
            self._background.discard(transaction)
            transaction.release()

        transaction.final.add_done_callback(finished)
        transaction.start()

    def _abandon(self, transaction: InviteClientTransaction) -> None:
        """invite() was cancelled mid-setup: cancel the INVITE, and BYE it if it gets answered."""

        def on_final(future: asyncio.Future[SipResponse]) -> None:
            if not future.cancelled() and future.exception() is None:
                response = future.result()
                if 200 <= response.status < 300:
                    self._reject_2xx(transaction.request, response)
            transaction.release()

        if transaction.final.done():
            on_final(transaction.final)
            return
        transaction.final.add_done_callback(on_final)
        if transaction.provisional_seen:
            self._send_cancel(transaction)
        else:
            transaction.on_provisional = lambda _: self._send_cancel(transaction)

    # -- answered ----------------------------------------------------------------------------

    async def _establish(
        self,
        transaction: InviteClientTransaction,
        response: SipResponse,
        rtp: RtpSession,
        result: InviteResult,
        early_answer: SdpAnswer | None = None,
    ) -> None:
        answered_at = time.time()
        invite = transaction.request
        dialog = Dialog.from_2xx(invite, response)
        destination = await self._dialog_destination(dialog)
        ack = self._build_2xx_ack(dialog, invite).to_bytes()
        # One ACK per 2xx received (§13.2.2.4), including retransmissions that overtook us.
        for _ in range(1 + transaction.unacked_2xx):
            self._require_transport().send(ack, destination)
        transaction.unacked_2xx = 0
        transaction.ack_2xx = (ack, destination)
        answer: SdpAnswer | None = early_answer
        if response.body or early_answer is None:
            # The 2xx's SDP is the answer; an unreliable 18x's SDP was only a preview of it.
            try:
                answer = negotiate_answer(response.body)
            except SdpError as exc:
                log.warning("unusable SDP answer for %s: %s", result.call_id, exc)
                answer = None
        call = SipCall(
            control=self,
            dialog=dialog,
            destination=destination,
            rtp=rtp,
            answer=answer or _NO_MEDIA,
            result=result,
            ack=ack,
        )
        self._calls[dialog.call_id] = call
        if answer is None:
            # Answered without usable media: an IVR cannot run, so end the call at once.
            await call.hangup()
            result.outcome, result.reason = "failed", "sdp_unusable_answer"
            return
        rtp.set_remote(
            answer.remote_host,
            answer.remote_port,
            codec=answer.codec,
            payload_type=answer.payload_type,
            telephone_event_pt=answer.telephone_event_pt,
        )
        result.outcome, result.answered_at, result.call = "answered", answered_at, call

    def _build_2xx_ack(self, dialog: Dialog, invite: SipRequest) -> SipRequest:
        """§13.2.2.4: a new transaction (new branch), CSeq number of the INVITE, method ACK,
        sent to the remote target through the route set, carrying the INVITE's credentials."""
        extra = [("User-Agent", self.user_agent)]
        for name in ("Authorization", "Proxy-Authorization"):
            value = invite.headers.get(name)
            if value is not None:
                extra.append((name, value))
        return dialog.build_request("ACK", self._via(), cseq=dialog.invite_cseq, headers=extra)

    def _on_extra_2xx(self, transaction: InviteClientTransaction, response: SipResponse) -> None:
        """A 2xx after the first one, while the INVITE transaction is in "accepted" state."""
        if response.to.tag == transaction.first_2xx_to_tag:
            if transaction.ack_2xx is not None:
                self._require_transport().send(*transaction.ack_2xx)  # our ACK was lost
            else:
                transaction.unacked_2xx += 1  # still establishing: _establish ACKs it too
            return
        self._reject_2xx(transaction.request, response)  # a fork answered too: ACK and BYE it

    def _reject_2xx(self, invite: SipRequest, response: SipResponse) -> None:
        """ACK and immediately BYE a dialog we do not want (fork, or invite() was cancelled)."""
        key = (response.call_id, response.to.tag or "")
        if key in self._orphan_acks:
            self._require_transport().send(*self._orphan_acks[key])
            return
        dialog = Dialog.from_2xx(invite, response)
        # No DNS here: this is a callback.
        destination = self.next_hop if self.trunk_config.outbound_proxy else dialog.next_hop().address()
        ack = self._build_2xx_ack(dialog, invite).to_bytes()
        self._orphan_acks[key] = (ack, destination)
        asyncio.get_running_loop().call_later(self.timers.timeout, self._orphan_acks.pop, key, None)
        self._require_transport().send(ack, destination)
        bye = dialog.build_request("BYE", self._via(), headers=[("User-Agent", self.user_agent)])
        self._run_in_background(NonInviteClientTransaction(self._require_transport(), bye, destination, self.timers))

    async def _dialog_destination(self, dialog: Dialog) -> Address:
        """In-dialog requests follow the route set, except that a configured outbound proxy takes
        every request (as carrier SBCs expect even when they do not Record-Route)."""
        if self.trunk_config.outbound_proxy is not None:
            return self.next_hop
        return await self._resolve(dialog.next_hop())

    async def _resolve(self, uri: SipUri) -> Address:
        return await self._resolve_address(*uri.address())

    async def _resolve_address(self, host: str, port: int) -> Address:
        try:
            ipaddress.ip_address(host)
            return host, port
        except ValueError:
            pass
        # Same address family as our socket: "localhost" may list ::1 first.
        family = socket.AF_INET6 if ":" in self.local_host else socket.AF_INET
        if self.local_host in _WILDCARDS:
            family = socket.AF_UNSPEC
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, family=family, type=socket.SOCK_DGRAM)
        address = infos[0][4]
        return str(address[0]), int(address[1])

    # -- CallControl (used by SipCall) -------------------------------------------------------

    def send_in_dialog(
        self, call: SipCall, method: str, *, headers: list[tuple[str, str]] | None = None
    ) -> NonInviteClientTransaction:
        request = call.dialog.build_request(
            method, self._via(), headers=[("User-Agent", self.user_agent), *(headers or [])]
        )
        transaction = NonInviteClientTransaction(self._require_transport(), request, call.destination, self.timers)
        transaction.start()
        return transaction

    def respond(self, request: SipRequest, response: SipResponse, source: Address) -> None:
        response.headers.add("Server", self.user_agent)
        if self._transport is not None:
            self._transport.respond(request, response, source)

    def resend(self, data: bytes, destination: Address) -> None:
        if self._transport is not None:
            self._transport.send(data, destination)

    def forget(self, call: SipCall) -> None:
        if self._calls.get(call.call_id) is call:
            del self._calls[call.call_id]

    # -- what arrives unsolicited ------------------------------------------------------------

    def _on_request(self, request: SipRequest, source: Address) -> None:
        call = self._calls.get(request.call_id)
        if call is not None and call.dialog.matches(request):
            call.handle_request(request, source)
            return
        response = out_of_dialog_response(request)
        if response is not None:
            self.respond(request, response, source)

    def _on_stray_response(self, response: SipResponse, source: Address) -> None:
        _, method = response.cseq
        if method == "INVITE" and 200 <= response.status < 300:
            call = self._calls.get(response.call_id)
            if call is not None and response.to.tag == call.dialog.remote_tag:
                call.resend_ack()
                return
            key = (response.call_id, response.to.tag or "")
            if key in self._orphan_acks:
                self._require_transport().send(*self._orphan_acks[key])
                return
        log.debug("stray %s response %s from %s", method, response.status, source)


class _Progress:
    """Provisional responses of one call setup: ringing, progress callbacks, early media."""

    def __init__(
        self,
        result: InviteResult,
        rtp: RtpSession,
        on_progress: ProgressCallback | None,
        on_early_media: EarlyMediaCallback | None,
    ) -> None:
        self.result = result
        self.rtp = rtp
        self.on_progress = on_progress
        self.on_early_media = on_early_media
        self.early_answer: SdpAnswer | None = None

    def on_provisional(self, response: SipResponse) -> None:
        result = self.result
        if response.status in (180, 183) and result.ringing_at is None:
            result.ringing_at = time.time()
        if self.on_progress is not None and response.status > 100:
            try:
                self.on_progress(response.status, response.reason)
            except Exception:  # the caller's callback must not break the transaction
                log.exception("on_progress callback failed")
        if response.status > 100 and response.body and response.content_type == "application/sdp":
            self._early_media(response)

    def _early_media(self, response: SipResponse) -> None:
        try:
            answer = negotiate_answer(response.body)
        except SdpError as exc:
            log.info("unusable SDP in %s for %s: %s", response.status, self.result.call_id, exc)
            return
        if answer == self.early_answer:
            return  # the same session again (a retransmitted or repeated 183)
        self.early_answer = answer
        self.rtp.set_remote(
            answer.remote_host,
            answer.remote_port,
            codec=answer.codec,
            payload_type=answer.payload_type,
            telephone_event_pt=answer.telephone_event_pt,
        )
        first = self.result.early_media_at is None
        if first:
            self.result.early_media_at = time.time()
        if self.on_early_media is not None and first:
            try:
                self.on_early_media(response.status, answer.codec)
            except Exception:
                log.exception("on_early_media callback failed")


# Placeholder media description for a call answered with an unusable SDP (it is hung up at once).
_NO_MEDIA = SdpAnswer(codec="PCMU", payload_type=0, remote_host="0.0.0.0", remote_port=0, telephone_event_pt=None)
