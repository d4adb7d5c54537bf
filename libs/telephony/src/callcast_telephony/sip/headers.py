"""SIP header container and the structured header values the user agent reads (RFC 3261 §7.3, §19, §20).

Only what a UAC needs is modelled: URIs, name-addr (From/To/Contact/Route), Via and CSeq.
Every parser raises :class:`SipParseError` on bad input so that a malformed datagram can be
dropped by the transport without crashing it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field


class SipParseError(ValueError):
    """Raised for any malformed SIP input (message, header value, URI)."""


# RFC 3261 §7.3.3 compact forms (plus the common ones from later RFCs).
COMPACT_FORMS: dict[str, str] = {
    "a": "Accept-Contact",
    "b": "Referred-By",
    "c": "Content-Type",
    "d": "Request-Disposition",
    "e": "Content-Encoding",
    "f": "From",
    "i": "Call-ID",
    "j": "Reject-Contact",
    "k": "Supported",
    "l": "Content-Length",
    "m": "Contact",
    "n": "Identity-Info",
    "o": "Event",
    "r": "Refer-To",
    "s": "Subject",
    "t": "To",
    "u": "Allow-Events",
    "v": "Via",
    "x": "Session-Expires",
    "y": "Identity",
}

# Canonical spellings that plain title-casing would get wrong.
_CANONICAL: dict[str, str] = {
    "call-id": "Call-ID",
    "cseq": "CSeq",
    "www-authenticate": "WWW-Authenticate",
    "mime-version": "MIME-Version",
    "rack": "RAck",
    "rseq": "RSeq",
    "sip-etag": "SIP-ETag",
    "sip-if-match": "SIP-If-Match",
}

# Headers whose values are comma-separated lists (RFC 3261 §7.3.1). Authentication headers are
# deliberately absent: their parameters are comma-separated too, so they must never be split.
_LIST_HEADERS = frozenset(
    {
        "Via",
        "Route",
        "Record-Route",
        "Contact",
        "Allow",
        "Supported",
        "Require",
        "Proxy-Require",
        "Unsupported",
        "Accept",
        "Accept-Encoding",
        "Accept-Language",
        "Content-Encoding",
        "Allow-Events",
        "Path",
    }
)

# List headers written back as one comma-joined line (Via, Route, Contact stay one per line,
# which is how every implementation writes them and how people read them).
JOINED_ON_OUTPUT = frozenset(
    {"Allow", "Supported", "Require", "Proxy-Require", "Unsupported", "Accept", "Allow-Events"}
)

_TOKEN_RE = re.compile(r"^[A-Za-z0-9\-.!%*_+`'~]+$")


def is_token(text: str) -> bool:
    return bool(_TOKEN_RE.match(text))


def canonical_name(name: str) -> str:
    """Expand compact forms and normalise case so lookups are case-insensitive."""
    stripped = name.strip()
    if not stripped or not is_token(stripped):
        raise SipParseError(f"invalid header name {name!r}")
    lower = stripped.lower()
    if lower in COMPACT_FORMS:
        return COMPACT_FORMS[lower]
    if lower in _CANONICAL:
        return _CANONICAL[lower]
    return "-".join(part.capitalize() for part in lower.split("-"))


def split_list(value: str) -> list[str]:
    """Split a comma-separated header value, ignoring commas inside quotes or <...>."""
    parts: list[str] = []
    current: list[str] = []
    in_quotes = False
    in_angle = False
    escaped = False
    for ch in value:
        if escaped:
            current.append(ch)
            escaped = False
            continue
        if in_quotes and ch == "\\":
            current.append(ch)
            escaped = True
            continue
        if ch == '"' and not in_angle:
            in_quotes = not in_quotes
        elif ch == "<" and not in_quotes:
            in_angle = True
        elif ch == ">" and not in_quotes:
            in_angle = False
        elif ch == "," and not in_quotes and not in_angle:
            parts.append("".join(current).strip())
            current = []
            continue
        current.append(ch)
    if in_quotes or in_angle:
        raise SipParseError(f"unbalanced quotes or brackets in {value!r}")
    parts.append("".join(current).strip())
    return [part for part in parts if part]


class Headers:
    """Ordered multi-map of header fields with case-insensitive, compact-form-aware names."""

    __slots__ = ("_items",)

    def __init__(self, items: Iterable[tuple[str, str]] = ()) -> None:
        self._items: list[tuple[str, str]] = []
        for name, value in items:
            self.add(name, value)

    def add(self, name: str, value: str) -> None:
        canonical = canonical_name(name)
        if canonical in _LIST_HEADERS and value.strip() != "*":
            for part in split_list(value):
                self._items.append((canonical, part))
        else:
            self._items.append((canonical, value.strip()))

    def set(self, name: str, value: str) -> None:
        self.remove(name)
        self.add(name, value)

    def set_first(self, name: str, value: str) -> None:
        """Replace the first value of ``name`` in place (e.g. the top Via), keeping the order."""
        canonical = canonical_name(name)
        for index, (n, _) in enumerate(self._items):
            if n == canonical:
                self._items[index] = (n, value.strip())
                return
        self._items.append((canonical, value.strip()))

    def remove(self, name: str) -> None:
        canonical = canonical_name(name)
        self._items = [(n, v) for n, v in self._items if n != canonical]

    def get(self, name: str, default: str | None = None) -> str | None:
        canonical = canonical_name(name)
        for n, v in self._items:
            if n == canonical:
                return v
        return default

    def get_all(self, name: str) -> list[str]:
        canonical = canonical_name(name)
        return [v for n, v in self._items if n == canonical]

    def require(self, name: str) -> str:
        value = self.get(name)
        if value is None:
            raise SipParseError(f"missing {canonical_name(name)} header")
        return value

    def copy(self) -> Headers:
        clone = Headers()
        clone._items = list(self._items)
        return clone

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.get(name) is not None

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"Headers({self._items!r})"


# ---------------------------------------------------------------------------------------------
# Parameters (";name=value;flag")


def parse_params(text: str) -> dict[str, str | None]:
    """Parse ``;a=1;b;c="x;y"`` (leading ';' optional). Names are lower-cased."""
    params: dict[str, str | None] = {}
    for raw in _split_unquoted(text, ";"):
        item = raw.strip()
        if not item:
            continue
        name, sep, value = item.partition("=")
        name = name.strip().lower()
        if not is_token(name):
            raise SipParseError(f"invalid parameter {item!r}")
        params[name] = value.strip() if sep else None
    return params


def format_params(params: dict[str, str | None]) -> str:
    return "".join(f";{k}" if v is None else f";{k}={v}" for k, v in params.items())


def _split_unquoted(text: str, sep: str) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    in_quotes = False
    for ch in text:
        if ch == '"':
            in_quotes = not in_quotes
        if ch == sep and not in_quotes:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    if in_quotes:
        raise SipParseError(f"unterminated quoted string in {text!r}")
    parts.append("".join(current))
    return parts


# ---------------------------------------------------------------------------------------------
# URIs


@dataclass
class SipUri:
    """``sip:user@host:port;params?headers`` (RFC 3261 §19.1)."""

    host: str
    user: str | None = None
    port: int | None = None
    scheme: str = "sip"
    params: dict[str, str | None] = field(default_factory=dict)
    headers: str = ""

    @classmethod
    def parse(cls, text: str) -> SipUri:
        text = text.strip()
        scheme, colon, rest = text.partition(":")
        scheme = scheme.lower()
        if not colon or scheme not in ("sip", "sips"):
            raise SipParseError(f"not a SIP URI: {text!r}")
        rest, _, headers = rest.partition("?")
        user: str | None = None
        if "@" in rest:
            user, _, rest = rest.rpartition("@")
            user = user.split(":", 1)[0]  # drop a (deprecated) password
        hostport, _, param_text = rest.partition(";")
        host, port = _split_hostport(hostport)
        return cls(
            host=host,
            user=user or None,
            port=port,
            scheme=scheme,
            params=parse_params(param_text),
            headers=headers,
        )

    def __str__(self) -> str:
        userinfo = f"{self.user}@" if self.user else ""
        host = f"[{self.host}]" if ":" in self.host else self.host
        port = f":{self.port}" if self.port is not None else ""
        headers = f"?{self.headers}" if self.headers else ""
        return f"{self.scheme}:{userinfo}{host}{port}{format_params(self.params)}{headers}"

    def address(self) -> tuple[str, int]:
        """Where to send a request for this URI (no DNS SRV: trunks are configured as host:port)."""
        return self.host, self.port if self.port is not None else 5060


def _split_hostport(text: str) -> tuple[str, int | None]:
    text = text.strip()
    if not text:
        raise SipParseError("empty host")
    if text.startswith("["):
        end = text.find("]")
        if end < 0:
            raise SipParseError(f"bad IPv6 reference {text!r}")
        host, tail = text[1:end], text[end + 1 :]
        if tail and not tail.startswith(":"):
            raise SipParseError(f"bad host:port {text!r}")
        port_text = tail[1:] if tail else ""
    else:
        host, _, port_text = text.partition(":")
    if not host or any(ch.isspace() for ch in host):
        raise SipParseError(f"bad host {text!r}")
    if not port_text:
        return host, None
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise SipParseError(f"bad port in {text!r}")
    return host, int(port_text)


def format_hostport(host: str, port: int | None) -> str:
    host_text = f"[{host}]" if ":" in host else host
    return host_text if port is None else f"{host_text}:{port}"


# ---------------------------------------------------------------------------------------------
# name-addr / addr-spec (From, To, Contact, Route, Record-Route)


@dataclass
class NameAddress:
    uri: SipUri
    display_name: str | None = None
    params: dict[str, str | None] = field(default_factory=dict)

    @classmethod
    def parse(cls, text: str) -> NameAddress:
        text = text.strip()
        if "<" in text:
            before, _, rest = text.partition("<")
            uri_text, close, after = rest.partition(">")
            if not close:
                raise SipParseError(f"unterminated <uri> in {text!r}")
            display = before.strip().strip('"').strip() or None
            return cls(SipUri.parse(uri_text), display, parse_params(after))
        # addr-spec form: parameters after the URI belong to the header, not the URI (§20.10).
        uri_text, _, param_text = text.partition(";")
        return cls(SipUri.parse(uri_text), None, parse_params(param_text))

    @property
    def tag(self) -> str | None:
        return self.params.get("tag")

    def with_tag(self, tag: str) -> NameAddress:
        return NameAddress(self.uri, self.display_name, {**self.params, "tag": tag})

    def __str__(self) -> str:
        display = f'"{self.display_name}" ' if self.display_name else ""
        return f"{display}<{self.uri}>{format_params(self.params)}"


# ---------------------------------------------------------------------------------------------
# Via and CSeq


@dataclass
class Via:
    transport: str
    host: str
    port: int | None = None
    params: dict[str, str | None] = field(default_factory=dict)

    @classmethod
    def parse(cls, text: str) -> Via:
        protocol, _, rest = text.strip().partition(" ")
        pieces = [p.strip() for p in protocol.split("/")]
        if len(pieces) != 3 or pieces[0].upper() != "SIP" or pieces[1] != "2.0" or not pieces[2]:
            raise SipParseError(f"bad Via protocol {text!r}")
        sent_by, _, param_text = rest.strip().partition(";")
        host, port = _split_hostport(sent_by)
        return cls(pieces[2].upper(), host, port, parse_params(param_text))

    @property
    def branch(self) -> str | None:
        return self.params.get("branch")

    def __str__(self) -> str:
        hostport = format_hostport(self.host, self.port)
        return f"SIP/2.0/{self.transport} {hostport}{format_params(self.params)}"


def parse_cseq(text: str) -> tuple[int, str]:
    number, _, method = text.strip().partition(" ")
    method = method.strip()
    if not number.isdigit() or len(number) > 10 or not is_token(method):
        raise SipParseError(f"bad CSeq {text!r}")
    value = int(number)
    if value >= 2**32:
        raise SipParseError(f"CSeq out of range {text!r}")
    return value, method.upper()
