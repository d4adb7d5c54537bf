"""Turn RFC 4733 telephone-event packets into digits.

One key press is one *event*: every packet of it carries the same RTP timestamp (the event's
start) and the last one is sent three times with the E bit set (§2.5.1.4). So:

* a digit is reported when the first end packet of an event arrives;
* further end packets with that (SSRC, timestamp) are retransmissions and are ignored;
* a new timestamp is a new event, even for the same digit pressed twice;
* if all end packets of an event were lost, the digit is still reported when the next event
  starts, rather than being dropped.
"""

from __future__ import annotations

from .packet import RtpPacket, parse_telephone_event


class TelephoneEventDecoder:
    def __init__(self) -> None:
        self._event_key: tuple[int, int] | None = None
        self._event_digit: str | None = None
        self._event_reported = True

    def feed(self, packet: RtpPacket) -> list[str]:
        """Digits completed by this packet (usually none or one)."""
        event = parse_telephone_event(packet.payload)
        digit = event.digit
        if digit is None:  # flash or a non-DTMF event: not a key press
            return []
        digits: list[str] = []
        key = (packet.ssrc, packet.timestamp)
        if key != self._event_key:
            if not self._event_reported and self._event_digit is not None:
                digits.append(self._event_digit)  # its end packets never arrived
            self._event_key = key
            self._event_digit = digit
            self._event_reported = False
        if event.end and not self._event_reported:
            self._event_reported = True
            digits.append(digit)
        return digits
