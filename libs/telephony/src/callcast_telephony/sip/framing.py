"""Cutting SIP messages out of a byte stream (RFC 3261 §18.3: over TCP, Content-Length is
mandatory and marks where the body ends).

A read may hold part of a message, several messages, or both; the framer keeps the remainder.
When the stream cannot be framed any more (a header section without end, a Content-Length that
is not a number) it raises :class:`FramingError` and the connection must be closed: there is no
way to find the start of the next message.
"""

from __future__ import annotations

import re

from .message import MAX_MESSAGE_SIZE

MAX_HEADER_BYTES = 16 * 1024
_CONTENT_LENGTH = re.compile(rb"^(?:content-length|l)[ \t]*:[ \t]*([^\r\n]*)", re.IGNORECASE | re.MULTILINE)


class FramingError(Exception):
    """The stream is no longer in sync: close the connection."""


class StreamFramer:
    def __init__(self) -> None:
        self._buffer = bytearray()
        self.keepalives = 0
        self.pings = 0  # RFC 5626 double-CRLF pings seen (each wants a single-CRLF pong)

    def feed(self, data: bytes) -> list[bytes]:
        """Append what was read and return every message now complete (possibly none)."""
        self._buffer += data
        messages: list[bytes] = []
        while True:
            message = self._next()
            if message is None:
                return messages
            messages.append(message)

    def _next(self) -> bytes | None:
        buffer = self._buffer
        start = 0
        while buffer[start : start + 2] == b"\r\n" or buffer[start : start + 1] == b"\n":
            start += 2 if buffer[start : start + 1] == b"\r" else 1
        if start:
            # RFC 5626 keep-alives (CRLF CRLF ping) and stray line ends between messages.
            self.keepalives += 1
            self.pings += bytes(buffer[:start]).count(b"\r\n\r\n")
            del buffer[:start]
        end = buffer.find(b"\r\n\r\n")
        separator = 4
        if end < 0:
            end = buffer.find(b"\n\n")
            separator = 2
        if end < 0:
            if len(buffer) > MAX_HEADER_BYTES:
                raise FramingError("header section too long")
            return None
        head = bytes(buffer[:end])
        # The last one counts; a conflicting pair is then reported by the parser.
        matches = list(_CONTENT_LENGTH.finditer(head))
        match = matches[-1] if matches else None
        length = 0
        if match is not None:
            text = match.group(1).strip()
            if not text.isdigit() or int(text) > MAX_MESSAGE_SIZE:
                raise FramingError(f"bad Content-Length {text[:20]!r}")
            length = int(text)
        total = end + separator + length
        if len(buffer) < total:
            return None
        message = bytes(buffer[:total])
        del buffer[:total]
        return message

    @property
    def pending(self) -> int:
        return len(self._buffer)
