"""SIP transports (RFC 3261 §18): what every transport shares, and UDP on an asyncio
DatagramProtocol (RFC 3581 rport). TCP lives in ``tcp.py``.

Routing of what arrives (any transport):

* responses go to the client transaction registered under (top Via branch, CSeq method)
  (§17.1.3); anything unmatched goes to ``on_stray_response`` (late 2xx retransmissions);
* requests that retransmit one we already answered get the cached response again — a minimal
  non-INVITE server transaction (§17.2.2, Timer J) — everything else goes to ``on_request``;
* a datagram that does not parse is counted, logged and dropped: malformed input from the
  network must never take the dialer down.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Callable
from typing import Protocol, cast

from .headers import SipParseError, Via
from .message import SipMessage, SipRequest, SipResponse, parse_message

log = logging.getLogger(__name__)

Address = tuple[str, int]
SOCKET_BUFFER_BYTES = 4 * 1024 * 1024  # capped by net.core.rmem_max / wmem_max
RequestHandler = Callable[[SipRequest, Address], None]
ResponseHandler = Callable[[SipResponse, Address], None]


class ClientTransactionSink(Protocol):
    key: tuple[str, str]
    destination: Address

    def on_response(self, response: SipResponse) -> None: ...

    def on_transport_error(self, why: str) -> None: ...

    def on_connection_lost(self) -> None: ...

    def terminate(self) -> None: ...


class SipTransportBase:
    """Routing shared by every transport: client transactions, the server-side response cache,
    dropping malformed input. Subclasses move bytes (``send``) and feed ``message_received``."""

    name = "UDP"
    reliable = False  # §17.1.1.2/§17.1.2.2: no retransmission timers over reliable transports

    def __init__(
        self,
        *,
        on_request: RequestHandler,
        on_stray_response: ResponseHandler,
        server_response_lifetime: float = 32.0,
    ) -> None:
        self._on_request = on_request
        self._on_stray_response = on_stray_response
        self._server_response_lifetime = server_response_lifetime
        self._transactions: dict[tuple[str, str], ClientTransactionSink] = {}
        self._answered: dict[tuple[str, str, str], tuple[bytes, Address]] = {}
        self.local_address: Address = ("0.0.0.0", 0)
        self.malformed_count = 0

    async def start(self, host: str, port: int) -> None:
        raise NotImplementedError

    def close(self) -> None:
        # Stop every retransmission timer now rather than letting them fire into a closed socket.
        for transaction in list(self._transactions.values()):
            transaction.terminate()
        self._transactions.clear()

    @property
    def is_open(self) -> bool:
        raise NotImplementedError

    def send(self, message: SipMessage | bytes, address: Address) -> None:
        raise NotImplementedError

    def respond(self, request: SipRequest, response: SipResponse, source: Address) -> None:
        """Send a response where §18.2.2/RFC 3581 say, and remember it for retransmissions."""
        via = request.top_via
        destination = self._response_destination(via, source)
        if "rport" in via.params:
            via.params["rport"] = str(source[1])
        if via.host != source[0]:
            via.params["received"] = source[0]
        response.headers.set_first("Via", str(via))
        data = response.to_bytes()
        self.send(data, destination)
        if response.status >= 200 and request.method != "ACK":
            key = self._server_key(request)
            if key is not None:
                self._answered[key] = (data, destination)
                asyncio.get_running_loop().call_later(self._server_response_lifetime, self._answered.pop, key, None)

    def _response_destination(self, via: Via, source: Address) -> Address:
        if "rport" in via.params:
            return source
        return (source[0], via.port or 5060)

    # -- client transactions -----------------------------------------------------------------

    def register(self, transaction: ClientTransactionSink) -> None:
        self._transactions[transaction.key] = transaction

    def unregister(self, transaction: ClientTransactionSink) -> None:
        if self._transactions.get(transaction.key) is transaction:
            del self._transactions[transaction.key]

    # -- receiving ---------------------------------------------------------------------------

    def message_received(self, data: bytes, source: Address) -> None:
        """One whole SIP message (a datagram, or one framed off a stream)."""
        if not data.strip(b"\r\n\x00 "):
            return  # RFC 5626 CRLF keep-alive
        try:
            message = parse_message(data)
        except SipParseError as exc:
            self._drop(data, source, str(exc))
            return
        try:
            if isinstance(message, SipResponse):
                self._route_response(message, source)
            else:
                self._route_request(message, source)
        except SipParseError as exc:
            self._drop(data, source, str(exc))
        except Exception:  # a bug in a handler must not kill the socket
            log.exception("error handling SIP message from %s", source)

    def _route_response(self, response: SipResponse, source: Address) -> None:
        branch = response.top_via.branch or ""
        _, method = response.cseq
        transaction = self._transactions.get((branch, method))
        if transaction is not None:
            transaction.on_response(response)
        else:
            self._on_stray_response(response, source)

    def _route_request(self, request: SipRequest, source: Address) -> None:
        key = self._server_key(request)
        if key is not None and key in self._answered:
            data, destination = self._answered[key]
            self.send(data, destination)  # retransmitted request: repeat our answer
            return
        self._on_request(request, source)

    @staticmethod
    def _server_key(request: SipRequest) -> tuple[str, str, str] | None:
        via: Via = request.top_via
        if not via.branch or not via.branch.startswith("z9hG4bK"):
            return None  # RFC 2543 peers: no reliable transaction id, don't cache
        return (via.branch, request.method, f"{via.host}:{via.port}")

    def _drop(self, data: bytes, source: Address, why: str) -> None:
        self.malformed_count += 1
        # Rate-limit the log so a flood of garbage cannot flood the logs as well.
        if self.malformed_count <= 10 or self.malformed_count % 1000 == 0:
            log.warning(
                "dropped malformed SIP message from %s (%s; %d so far): %r",
                source,
                why,
                self.malformed_count,
                data[:120],
            )


class UdpSipTransport(SipTransportBase, asyncio.DatagramProtocol):
    name = "UDP"
    reliable = False

    def __init__(
        self,
        *,
        on_request: RequestHandler,
        on_stray_response: ResponseHandler,
        server_response_lifetime: float = 32.0,
    ) -> None:
        super().__init__(
            on_request=on_request,
            on_stray_response=on_stray_response,
            server_response_lifetime=server_response_lifetime,
        )
        self._transport: asyncio.DatagramTransport | None = None

    async def start(self, host: str, port: int) -> None:
        loop = asyncio.get_running_loop()
        await loop.create_datagram_endpoint(lambda: self, local_addr=(host, port))

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.DatagramTransport, transport)
        sock = transport.get_extra_info("socket")
        if sock is not None:
            # One socket carries every call's signalling. A campaign starting 200 calls at once
            # gets ~400 provisional/final responses in a burst; the default 208 KiB buffer drops
            # about half of them (measured), which turns into retransmissions and lost calls.
            for option in (socket.SO_RCVBUF, socket.SO_SNDBUF):
                with contextlib.suppress(OSError):
                    sock.setsockopt(socket.SOL_SOCKET, option, SOCKET_BUFFER_BYTES)
        host, port = transport.get_extra_info("sockname")[:2]
        self.local_address = (host, port)

    def close(self) -> None:
        super().close()
        if self._transport is not None:
            self._transport.close()
            self._transport = None

    @property
    def is_open(self) -> bool:
        return self._transport is not None

    # -- sending -----------------------------------------------------------------------------

    def send(self, message: SipMessage | bytes, address: Address) -> None:
        if self._transport is None:
            log.debug("sip transport closed, not sending to %s", address)
            return
        data = message if isinstance(message, bytes) else message.to_bytes()
        self._transport.sendto(data, address)

    def datagram_received(self, data: bytes, addr: tuple[str | object, int]) -> None:
        self.message_received(data, (str(addr[0]), int(addr[1])))

    def error_received(self, exc: Exception) -> None:
        # ICMP errors on UDP (e.g. the trunk is down) carry no transaction: Timer B/F decide.
        log.warning("sip transport error: %s", exc)
