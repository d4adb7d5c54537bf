"""HTTP digest authentication for SIP 401/407 challenges (RFC 2617, the RFC 7616 subset trunks use).

Supports MD5, MD5-sess, SHA-256 and SHA-256-sess with qop ``auth``, ``auth-int`` or no qop
(the RFC 2069 compatibility form that many SIP trunks still send).
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .message import SipRequest, SipResponse
    from .models import SipCredentials

log = logging.getLogger(__name__)

_HASHES: dict[str, Callable[[bytes], str]] = {
    "MD5": lambda data: hashlib.md5(data, usedforsecurity=False).hexdigest(),
    "SHA-256": lambda data: hashlib.sha256(data).hexdigest(),
}


class DigestError(ValueError):
    """The challenge cannot be answered (not Digest, unknown algorithm or qop)."""


@dataclass(frozen=True)
class DigestChallenge:
    realm: str
    nonce: str
    algorithm: str = "MD5"
    qop: tuple[str, ...] = ()
    opaque: str | None = None
    stale: bool = False

    @classmethod
    def parse(cls, header_value: str) -> DigestChallenge:
        scheme, _, rest = header_value.strip().partition(" ")
        if scheme.lower() != "digest":
            raise DigestError(f"unsupported authentication scheme {scheme!r}")
        params = parse_auth_params(rest)
        if "nonce" not in params:
            raise DigestError("challenge without nonce")
        qop = tuple(q.strip().lower() for q in params.get("qop", "").split(",") if q.strip())
        return cls(
            realm=params.get("realm", ""),
            nonce=params["nonce"],
            algorithm=params.get("algorithm", "MD5").upper(),
            qop=qop,
            opaque=params.get("opaque"),
            stale=params.get("stale", "").lower() == "true",
        )

    @property
    def supported(self) -> bool:
        base = self.algorithm.removesuffix("-SESS")
        qop_ok = not self.qop or "auth" in self.qop or "auth-int" in self.qop
        return base in _HASHES and qop_ok


def parse_auth_params(text: str) -> dict[str, str]:
    """Parse ``a="x, y", b=z`` into a dict (names lower-cased, quotes and escapes removed)."""
    params: dict[str, str] = {}
    i, n = 0, len(text)
    while i < n:
        while i < n and text[i] in " \t,":
            i += 1
        start = i
        while i < n and text[i] not in "=, \t":
            i += 1
        name = text[start:i].strip().lower()
        while i < n and text[i] in " \t":
            i += 1
        if i >= n or text[i] != "=":
            if name:
                raise DigestError(f"auth parameter without value: {name!r}")
            continue
        i += 1
        while i < n and text[i] in " \t":
            i += 1
        if i < n and text[i] == '"':
            i += 1
            chars: list[str] = []
            while i < n and text[i] != '"':
                if text[i] == "\\" and i + 1 < n:
                    i += 1
                chars.append(text[i])
                i += 1
            if i >= n:
                raise DigestError("unterminated quoted auth parameter")
            i += 1
            value = "".join(chars)
        else:
            start = i
            while i < n and text[i] != ",":
                i += 1
            value = text[start:i].strip()
        if name:
            params[name] = value
    return params


def digest_response(
    challenge: DigestChallenge,
    *,
    username: str,
    password: str,
    method: str,
    uri: str,
    cnonce: str,
    nc: int = 1,
    qop: str | None = None,
    body: bytes = b"",
) -> str:
    """The ``response`` value (RFC 2617 §3.2.2.1)."""
    base = challenge.algorithm.removesuffix("-SESS")
    if base not in _HASHES:
        raise DigestError(f"unsupported algorithm {challenge.algorithm!r}")
    h = _HASHES[base]
    ha1 = h(f"{username}:{challenge.realm}:{password}".encode())
    if challenge.algorithm.endswith("-SESS"):
        ha1 = h(f"{ha1}:{challenge.nonce}:{cnonce}".encode())
    a2 = f"{method}:{uri}"
    if qop == "auth-int":
        a2 += ":" + h(body)
    ha2 = h(a2.encode())
    if qop:
        return h(f"{ha1}:{challenge.nonce}:{nc:08x}:{cnonce}:{qop}:{ha2}".encode())
    return h(f"{ha1}:{challenge.nonce}:{ha2}".encode())


def build_authorization(
    challenge_header: str,
    *,
    username: str,
    password: str,
    method: str,
    uri: str,
    body: bytes = b"",
    cnonce: str | None = None,
    nc: int = 1,
) -> str:
    """Answer a WWW-Authenticate / Proxy-Authenticate value with an Authorization value."""
    challenge = DigestChallenge.parse(challenge_header)
    if not challenge.supported:
        raise DigestError(f"cannot answer challenge {challenge_header!r}")
    qop: str | None = None
    if "auth" in challenge.qop:
        qop = "auth"  # preferred: auth-int would hash the SDP and break if a proxy rewrites it
    elif "auth-int" in challenge.qop:
        qop = "auth-int"
    cnonce = cnonce or secrets.token_hex(8)
    response = digest_response(
        challenge,
        username=username,
        password=password,
        method=method,
        uri=uri,
        cnonce=cnonce,
        nc=nc,
        qop=qop,
        body=body,
    )
    parts = [
        f'username="{_quote(username)}"',
        f'realm="{_quote(challenge.realm)}"',
        f'nonce="{_quote(challenge.nonce)}"',
        f'uri="{_quote(uri)}"',
        f'response="{response}"',
        f"algorithm={challenge.algorithm}",
    ]
    if qop:
        parts += [f'cnonce="{cnonce}"', f"qop={qop}", f"nc={nc:08x}"]
    if challenge.opaque is not None:
        parts.append(f'opaque="{_quote(challenge.opaque)}"')
    return "Digest " + ", ".join(parts)


def _quote(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')


def answer_challenge(response: SipResponse, request: SipRequest, credentials: SipCredentials) -> tuple[str, str] | None:
    """(header name, value) answering a 401/407 to ``request``, or None if no challenge in it is
    answerable. The first supported challenge wins (servers list their preference first)."""
    if response.status == 401:
        challenge_name, answer_name = "WWW-Authenticate", "Authorization"
    else:
        challenge_name, answer_name = "Proxy-Authenticate", "Proxy-Authorization"
    for value in response.headers.get_all(challenge_name):
        try:
            challenge = DigestChallenge.parse(value)
            if not challenge.supported:
                continue
            if credentials.realm is not None and challenge.realm != credentials.realm:
                log.info("not answering a challenge for realm %r (ours: %r)", challenge.realm, credentials.realm)
                continue
            return answer_name, build_authorization(
                value,
                username=credentials.username,
                password=credentials.password,
                method=request.method,
                uri=request.uri,
                body=request.body,
            )
        except DigestError as exc:
            log.warning("unusable %s challenge: %s", challenge_name, exc)
    return None
