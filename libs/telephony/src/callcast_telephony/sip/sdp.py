"""SDP offer/answer for one G.711 audio stream (RFC 4566, RFC 3264, RFC 4733 payload format).

We always make the offer (in the INVITE) and only have to understand the answer: which codec the
callee picked, where to send RTP, and which payload type *it* uses for telephone-event (SIPp
answers with 96; carriers use 101 or anything dynamic — never assume).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

# Static payload types we can send (RFC 3551 table 4).
STATIC_CODECS: dict[int, str] = {0: "PCMU", 8: "PCMA"}
CODEC_PAYLOAD_TYPES: dict[str, int] = {name: pt for pt, name in STATIC_CODECS.items()}
OFFER_TELEPHONE_EVENT_PT = 101
CLOCK_RATE = 8000


class SdpError(ValueError):
    """The session description is malformed or has nothing we can use."""


@dataclass(frozen=True)
class SdpAnswer:
    codec: str  # "PCMU" | "PCMA"
    payload_type: int
    remote_host: str
    remote_port: int
    telephone_event_pt: int | None
    ptime_ms: int | None = None
    direction: str = "sendrecv"


@dataclass
class MediaDescription:
    media: str
    port: int
    proto: str
    formats: list[int]
    connection: str | None = None
    attributes: list[tuple[str, str | None]] = field(default_factory=list)

    def attribute_values(self, name: str) -> list[str]:
        return [value or "" for key, value in self.attributes if key == name]

    def rtpmap(self) -> dict[int, tuple[str, int]]:
        """payload type -> (encoding name upper-case, clock rate)."""
        mapping: dict[int, tuple[str, int]] = {}
        for value in self.attribute_values("rtpmap"):
            pt_text, _, encoding = value.partition(" ")
            name, _, rest = encoding.strip().partition("/")
            rate_text = rest.partition("/")[0]
            if pt_text.isdigit() and rate_text.isdigit():
                mapping[int(pt_text)] = (name.upper(), int(rate_text))
        return mapping


@dataclass
class SessionDescription:
    connection: str | None
    media: list[MediaDescription]
    attributes: list[tuple[str, str | None]] = field(default_factory=list)


def build_offer(
    host: str,
    port: int,
    *,
    session_id: int,
    session_version: int = 1,
    codecs: tuple[str, ...] = ("PCMU", "PCMA"),
    telephone_event_pt: int = OFFER_TELEPHONE_EVENT_PT,
    ptime_ms: int = 20,
) -> bytes:
    addr_type = "IP6" if ":" in host else "IP4"
    pts = [CODEC_PAYLOAD_TYPES[c] for c in codecs]
    lines = [
        "v=0",
        f"o=Callcast {session_id} {session_version} IN {addr_type} {host}",
        "s=Callcast",
        f"c=IN {addr_type} {host}",
        "t=0 0",
        f"m=audio {port} RTP/AVP {' '.join(str(pt) for pt in [*pts, telephone_event_pt])}",
        *(f"a=rtpmap:{pt} {STATIC_CODECS[pt]}/{CLOCK_RATE}" for pt in pts),
        f"a=rtpmap:{telephone_event_pt} telephone-event/{CLOCK_RATE}",
        f"a=fmtp:{telephone_event_pt} 0-16",
        f"a=ptime:{ptime_ms}",
        "a=sendrecv",
    ]
    return ("\r\n".join(lines) + "\r\n").encode()


def parse_sdp(data: bytes | str) -> SessionDescription:
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    session = SessionDescription(connection=None, media=[])
    current: MediaDescription | None = None
    for raw in text.replace("\r\n", "\n").split("\n"):
        line = raw.strip()
        if not line:
            continue
        if len(line) < 2 or line[1] != "=":
            raise SdpError(f"bad SDP line {line[:40]!r}")
        kind, value = line[0], line[2:].strip()
        if kind == "m":
            current = _parse_media(value)
            session.media.append(current)
        elif kind == "c":
            address = _parse_connection(value)
            if current is None:
                session.connection = address
            else:
                current.connection = address
        elif kind == "a":
            name, sep, attr_value = value.partition(":")
            attribute = (name.strip().lower(), attr_value.strip() if sep else None)
            (current.attributes if current else session.attributes).append(attribute)
    if not session.media:
        raise SdpError("no m= line")
    return session


def _parse_media(value: str) -> MediaDescription:
    parts = value.split()
    if len(parts) < 4:
        raise SdpError(f"bad m= line {value!r}")
    port_text = parts[1].partition("/")[0]
    if not port_text.isdigit() or int(port_text) > 65535:
        raise SdpError(f"bad media port {parts[1]!r}")
    formats = [int(f) for f in parts[3:] if f.isdigit() and int(f) < 128]
    return MediaDescription(parts[0].lower(), int(port_text), parts[2], formats)


def _parse_connection(value: str) -> str:
    parts = value.split()
    if len(parts) < 3 or parts[0] != "IN":
        raise SdpError(f"bad c= line {value!r}")
    address = parts[2].partition("/")[0]  # strip a multicast TTL
    try:
        ipaddress.ip_address(address)
    except ValueError as exc:
        raise SdpError(f"c= address is not an IP address: {address!r}") from exc
    return address


def negotiate_answer(data: bytes | str) -> SdpAnswer:
    """Read the callee's answer to our offer and return what the media stream must use."""
    session = parse_sdp(data)
    audio = next((m for m in session.media if m.media == "audio" and m.port != 0), None)
    if audio is None:
        raise SdpError("the answer rejected or lacks the audio stream")
    host = audio.connection or session.connection
    if host is None:
        raise SdpError("no connection address")
    rtpmap = audio.rtpmap()
    codec: tuple[str, int] | None = None
    for pt in audio.formats:  # the answerer lists its preference first (RFC 3264 §6.1)
        name = rtpmap.get(pt, (STATIC_CODECS.get(pt, ""), CLOCK_RATE))
        if name[0] in CODEC_PAYLOAD_TYPES and name[1] == CLOCK_RATE:
            codec = (name[0], pt)
            break
    if codec is None:
        raise SdpError("no common codec (need PCMU or PCMA)")
    telephone_event = next(
        (pt for pt in audio.formats if rtpmap.get(pt, ("", 0)) == ("TELEPHONE-EVENT", CLOCK_RATE)),
        None,
    )
    ptime_values = audio.attribute_values("ptime")
    ptime = int(ptime_values[0]) if ptime_values and ptime_values[0].isdigit() else None
    direction = "sendrecv"
    for key, _ in [*session.attributes, *audio.attributes]:
        if key in ("sendrecv", "sendonly", "recvonly", "inactive"):
            direction = key
    return SdpAnswer(
        codec=codec[0],
        payload_type=codec[1],
        remote_host=host,
        remote_port=audio.port,
        telephone_event_pt=telephone_event,
        ptime_ms=ptime,
        direction=direction,
    )
