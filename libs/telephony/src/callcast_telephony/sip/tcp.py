"""SIP over TCP (RFC 3261 §18 on a stream): one connection per peer, opened on first use.

* Requests to the trunk (or outbound proxy) share one connection; if it is lost, the next
  message opens a new one. Messages sent while it connects are queued, in order.
* We also listen on the local address: §18.2.2 lets a server whose connection broke send its
  responses over a new connection to our Via sent-by, and the Contact (``;transport=tcp``)
  invites in-dialog requests there.
* Responses we send go back over the connection the request came on (the peer address is the
  connection's key), whatever the Via says.
* Reliable transport: the transaction layer sends no retransmissions and Timers D/K are zero.
* A stream that cannot be framed any more is closed: there is no way to find the next message.
* Double-CRLF pings (RFC 5626) get a CRLF pong; kernel TCP keep-alives watch idle connections.
* A connection that cannot be opened fails the client transactions waiting on it at once
  (``TransportError``) instead of leaving them to Timer B/F; requests still unanswered when
  their connection closes are sent once more over a new connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from typing import cast

from .framing import FramingError, StreamFramer
from .message import SipMessage
from .transport import Address, RequestHandler, ResponseHandler, SipTransportBase, Via

log = logging.getLogger(__name__)

CONNECT_TIMEOUT = 5.0
KEEPALIVE_IDLE_S = 30
KEEPALIVE_INTERVAL_S = 10
KEEPALIVE_PROBES = 3


class _Connection(asyncio.Protocol):
    def __init__(self, owner: TcpSipTransport, peer: Address | None) -> None:
        self.owner = owner
        self.peer = peer
        self.transport: asyncio.Transport | None = None
        self.framer = StreamFramer()
        self._pending: list[bytes] = []
        self.closed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)
        sock = transport.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # signalling is latency-bound
            # A trunk connection idles between campaigns; kernel keep-alives find a dead peer (or
            # a NAT that forgot us) so the next call opens a new connection instead of hanging.
            with contextlib.suppress(OSError, AttributeError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, KEEPALIVE_IDLE_S)
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, KEEPALIVE_INTERVAL_S)
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT, KEEPALIVE_PROBES)
        peername = transport.get_extra_info("peername")
        if self.peer is None and peername is not None:
            self.peer = (str(peername[0]), int(peername[1]))
            self.owner._adopt(self)
        for data in self._pending:
            self.transport.write(data)
        self._pending.clear()

    def write(self, data: bytes) -> None:
        if self.transport is None:
            self._pending.append(data)
        else:
            self.transport.write(data)

    def data_received(self, data: bytes) -> None:
        peer = self.peer or ("?", 0)
        pings = self.framer.pings
        try:
            messages = self.framer.feed(data)
        except FramingError as exc:
            self.owner._drop(data, peer, f"stream framing lost: {exc}")
            self.abort()
            return
        if self.framer.pings > pings and self.transport is not None:
            self.transport.write(b"\r\n" * (self.framer.pings - pings))  # RFC 5626 §4.4.1 pong
        for message in messages:
            self.owner.message_received(message, peer)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.transport = None
        self.owner._lost(self)

    def abort(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.abort()


class TcpSipTransport(SipTransportBase):
    name = "TCP"
    reliable = True

    def __init__(
        self,
        *,
        on_request: RequestHandler,
        on_stray_response: ResponseHandler,
        server_response_lifetime: float = 32.0,
        connect_timeout: float = CONNECT_TIMEOUT,
    ) -> None:
        super().__init__(
            on_request=on_request,
            on_stray_response=on_stray_response,
            server_response_lifetime=server_response_lifetime,
        )
        self.connect_timeout = connect_timeout
        self._server: asyncio.Server | None = None
        self._connections: dict[Address, _Connection] = {}
        #: Inbound connections not used for sending (their peer already had one): still ours to close.
        self._spare: set[_Connection] = set()
        self._connecting: set[asyncio.Task[None]] = set()
        self.connects = 0  # outbound connections opened (reconnects included)

    async def start(self, host: str, port: int) -> None:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(lambda: _Connection(self, None), host, port)
        sockname = self._server.sockets[0].getsockname()
        self.local_address = (str(sockname[0]), int(sockname[1]))

    def close(self) -> None:
        super().close()
        for task in list(self._connecting):
            task.cancel()
        for connection in [*self._connections.values(), *self._spare]:
            connection.abort()
        self._connections.clear()
        self._spare.clear()
        if self._server is not None:
            self._server.close()
            self._server = None

    @property
    def is_open(self) -> bool:
        return self._server is not None

    def connection_to(self, address: Address) -> _Connection | None:
        return self._connections.get(address)

    # -- sending -----------------------------------------------------------------------------

    def send(self, message: SipMessage | bytes, address: Address) -> None:
        if self._server is None:
            log.debug("sip transport closed, not sending to %s", address)
            return
        data = message if isinstance(message, bytes) else message.to_bytes()
        connection = self._connections.get(address)
        if connection is None or connection.closed:
            connection = _Connection(self, address)
            self._connections[address] = connection
            task = asyncio.get_running_loop().create_task(self._connect(connection, address))
            self._connecting.add(task)
            task.add_done_callback(self._connecting.discard)
        connection.write(data)

    def _response_destination(self, via: Via, source: Address) -> Address:
        return source  # §18.2.2: back over the connection the request arrived on

    async def _connect(self, connection: _Connection, address: Address) -> None:
        loop = asyncio.get_running_loop()
        try:
            await asyncio.wait_for(
                loop.create_connection(lambda: connection, address[0], address[1]), self.connect_timeout
            )
            self.connects += 1
        except (OSError, TimeoutError) as exc:
            log.warning("sip tcp connection to %s:%s failed: %s", address[0], address[1], exc)
            connection.closed = True
            if self._connections.get(address) is connection:
                del self._connections[address]
            self._fail_transactions_to(address, f"cannot connect to {address[0]}:{address[1]}: {exc}")

    def _fail_transactions_to(self, address: Address, why: str) -> None:
        for transaction in list(self._transactions.values()):
            if transaction.destination == address:
                transaction.on_transport_error(why)

    # -- connection bookkeeping ---------------------------------------------------------------

    def _adopt(self, connection: _Connection) -> None:
        """An inbound connection: responses and requests to its peer go over it."""
        if connection.peer is not None:
            current = self._connections.get(connection.peer)
            if current is None or current.closed:
                self._connections[connection.peer] = connection
                return
        self._spare.add(connection)

    def _lost(self, connection: _Connection) -> None:
        self._spare.discard(connection)
        if connection.peer is not None and self._connections.get(connection.peer) is connection:
            del self._connections[connection.peer]
            log.info("sip tcp connection to %s:%s closed", *connection.peer)
            if self._server is not None:
                # Requests still unanswered may have died with the connection: resend them once
                # over a new one (there are no retransmission timers over TCP to do it).
                for transaction in list(self._transactions.values()):
                    if transaction.destination == connection.peer:
                        transaction.on_connection_lost()
