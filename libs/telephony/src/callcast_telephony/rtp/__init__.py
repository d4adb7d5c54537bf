"""RTP media for calls: G.711 codecs, RTP/RFC 4733 packets, paced sessions."""

from .packet import RtpPacket, RtpParseError, TelephoneEvent, parse_rtp, parse_telephone_event
from .session import PlayStats, ReceivedDigit, RtpSession, RtpStats

__all__ = [
    "PlayStats",
    "ReceivedDigit",
    "RtpPacket",
    "RtpParseError",
    "RtpSession",
    "RtpStats",
    "TelephoneEvent",
    "parse_rtp",
    "parse_telephone_event",
]
