"""SIP messages: model, parser and serializer (RFC 3261 §7).

The parser is deliberately strict about what the user agent relies on for routing (start line,
Via, From, To, Call-ID, CSeq, Content-Length) and lenient about the rest (bare LF line ends,
leading CRLF keep-alives, header folding). Anything it cannot make sense of raises
:class:`SipParseError`, never another exception.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .headers import (
    JOINED_ON_OUTPUT,
    Headers,
    NameAddress,
    SipParseError,
    SipUri,
    Via,
    canonical_name,
    is_token,
    parse_cseq,
)

SIP_VERSION = "SIP/2.0"
MAX_MESSAGE_SIZE = 65_535  # a UDP datagram cannot be larger

REASON_PHRASES: dict[int, str] = {
    100: "Trying",
    180: "Ringing",
    181: "Call Is Being Forwarded",
    182: "Queued",
    183: "Session Progress",
    200: "OK",
    202: "Accepted",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    407: "Proxy Authentication Required",
    408: "Request Timeout",
    415: "Unsupported Media Type",
    480: "Temporarily Unavailable",
    481: "Call/Transaction Does Not Exist",
    486: "Busy Here",
    487: "Request Terminated",
    488: "Not Acceptable Here",
    500: "Server Internal Error",
    501: "Not Implemented",
    503: "Service Unavailable",
    600: "Busy Everywhere",
    603: "Decline",
}

# Headers every request and response must carry for the transaction layer to work (§8.1.1).
_MANDATORY = ("Via", "From", "To", "Call-ID", "CSeq")


@dataclass
class _MessageBase:
    headers: Headers = field(default_factory=Headers)
    body: bytes = b""

    @property
    def call_id(self) -> str:
        return self.headers.require("Call-ID")

    @property
    def cseq(self) -> tuple[int, str]:
        return parse_cseq(self.headers.require("CSeq"))

    @property
    def top_via(self) -> Via:
        return Via.parse(self.headers.require("Via"))

    @property
    def from_(self) -> NameAddress:
        return NameAddress.parse(self.headers.require("From"))

    @property
    def to(self) -> NameAddress:
        return NameAddress.parse(self.headers.require("To"))

    @property
    def content_type(self) -> str | None:
        value = self.headers.get("Content-Type")
        return value.split(";", 1)[0].strip().lower() if value else None

    def _serialize(self, start_line: str) -> bytes:
        lines = [start_line]
        for name, value in self.headers:
            if name == "Content-Length":
                continue
            if name in JOINED_ON_OUTPUT and lines[-1].startswith(f"{name}: "):
                lines[-1] += f", {value}"
            else:
                lines.append(f"{name}: {value}")
        # Always computed here so a stale value can never leave the process.
        lines.append(f"Content-Length: {len(self.body)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + self.body


@dataclass
class SipRequest(_MessageBase):
    method: str = "OPTIONS"
    uri: str = ""

    def to_bytes(self) -> bytes:
        return self._serialize(f"{self.method} {self.uri} {SIP_VERSION}")

    @property
    def request_uri(self) -> SipUri:
        return SipUri.parse(self.uri)


@dataclass
class SipResponse(_MessageBase):
    status: int = 200
    reason: str = "OK"

    def to_bytes(self) -> bytes:
        return self._serialize(f"{SIP_VERSION} {self.status} {self.reason}")


SipMessage = SipRequest | SipResponse


def parse_message(data: bytes) -> SipMessage:
    """Parse one SIP message from a datagram. Raises :class:`SipParseError` on any defect."""
    try:
        return _parse(data)
    except SipParseError:
        raise
    except (ValueError, IndexError, UnicodeError) as exc:  # belt and braces for the fuzzers
        raise SipParseError(f"malformed message: {exc}") from exc


def _parse(data: bytes) -> SipMessage:
    if len(data) > MAX_MESSAGE_SIZE:
        raise SipParseError("message too large")
    data = data.lstrip(b"\r\n")  # §7.5: ignore CRLFs before the start line (keep-alives)
    head, body = _split_head(data)
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SipParseError("header section is not UTF-8") from exc
    lines = _unfold(text.replace("\r\n", "\n").split("\n"))
    if not lines or not lines[0].strip():
        raise SipParseError("empty message")
    headers = Headers()
    for line in lines[1:]:
        name, colon, value = line.partition(":")
        if not colon:
            raise SipParseError(f"header line without colon: {line[:60]!r}")
        headers.add(name, value)
    for name in _MANDATORY:
        headers.require(name)
    body = _take_body(headers, body)
    message = _parse_start_line(lines[0], headers, body)
    _validate(message)
    return message


def _split_head(data: bytes) -> tuple[bytes, bytes]:
    for separator in (b"\r\n\r\n", b"\n\n"):
        index = data.find(separator)
        if index >= 0:
            return data[:index], data[index + len(separator) :]
    # No blank line: a header-only datagram without the final CRLF is tolerated.
    return data.rstrip(b"\r\n"), b""


def _unfold(lines: list[str]) -> list[str]:
    """Join continuation lines (§7.3.1: a line starting with SP/HT continues the previous)."""
    unfolded: list[str] = []
    for line in lines:
        if line[:1] in (" ", "\t") and unfolded:
            unfolded[-1] = unfolded[-1].rstrip() + " " + line.strip()
        elif line.strip():
            unfolded.append(line)
    return unfolded


def _take_body(headers: Headers, rest: bytes) -> bytes:
    values = {v.strip() for v in headers.get_all("Content-Length")}
    if not values:
        return rest  # allowed over UDP: the body runs to the end of the datagram (§18.3)
    if len(values) > 1:
        raise SipParseError("conflicting Content-Length headers")
    text = values.pop()
    if not text.isdigit() or len(text) > 6:
        raise SipParseError(f"bad Content-Length {text!r}")
    length = int(text)
    if length > len(rest):
        raise SipParseError("truncated body (Content-Length larger than the datagram)")
    return rest[:length]


def _parse_start_line(line: str, headers: Headers, body: bytes) -> SipMessage:
    parts = line.strip().split(" ", 2)
    if len(parts) < 2:
        raise SipParseError(f"bad start line {line[:60]!r}")
    if parts[0].upper() == SIP_VERSION:
        code = parts[1]
        if len(code) != 3 or not code.isdigit() or not 100 <= int(code) <= 699:
            raise SipParseError(f"bad status code {code!r}")
        reason = parts[2].strip() if len(parts) == 3 else ""
        return SipResponse(headers=headers, body=body, status=int(code), reason=reason)
    if len(parts) != 3 or parts[2].strip().upper() != SIP_VERSION:
        raise SipParseError(f"bad request line {line[:60]!r}")
    method, uri = parts[0], parts[1]
    if not is_token(method) or not uri or any(ch.isspace() for ch in uri):
        raise SipParseError(f"bad request line {line[:60]!r}")
    return SipRequest(headers=headers, body=body, method=method.upper(), uri=uri)


def _validate(message: SipMessage) -> None:
    # Parse the fields routing depends on now, so later code can trust them.
    message.top_via  # noqa: B018
    message.from_  # noqa: B018
    message.to  # noqa: B018
    _, method = message.cseq
    if not message.call_id:
        raise SipParseError("empty Call-ID")
    if isinstance(message, SipRequest):
        if method != message.method:
            raise SipParseError("CSeq method does not match the request method")
        message.request_uri  # noqa: B018


def make_response(
    request: SipRequest,
    status: int,
    reason: str | None = None,
    *,
    to_tag: str | None = None,
    body: bytes = b"",
    content_type: str | None = None,
    extra_headers: list[tuple[str, str]] | None = None,
) -> SipResponse:
    """Build a response that copies the transaction-identifying headers (§8.2.6.2)."""
    headers = Headers()
    for via in request.headers.get_all("Via"):
        headers.add("Via", via)
    headers.add("From", request.headers.require("From"))
    to = request.headers.require("To")
    if to_tag is not None and request.to.tag is None:
        to = str(request.to.with_tag(to_tag))
    headers.add("To", to)
    headers.add("Call-ID", request.call_id)
    headers.add("CSeq", request.headers.require("CSeq"))
    for name, value in extra_headers or []:
        headers.add(name, value)
    if content_type is not None:
        headers.add("Content-Type", content_type)
    return SipResponse(
        headers=headers,
        body=body,
        status=status,
        reason=reason or REASON_PHRASES.get(status, "Unknown"),
    )


__all__ = [
    "REASON_PHRASES",
    "Headers",
    "SipMessage",
    "SipParseError",
    "SipRequest",
    "SipResponse",
    "canonical_name",
    "make_response",
    "parse_message",
]
