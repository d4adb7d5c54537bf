"""Write pcap files of RTP for SIPp's ``play_pcap_audio``: G.711 audio and RFC 4733 key presses.

SIPp ships one DTMF pcap per digit, each with a fixed RTP timestamp, so the same digit played
twice looks like a retransmission to a correct receiver (it must be: one press is one
timestamp). These pcaps give every press its own timestamp, as a real phone does.

SIPp replays the UDP payloads with the pcap's timing to the media address in the caller's SDP;
the addresses written here are placeholders it replaces.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from dataclasses import dataclass

DIGIT_EVENTS = {**{str(d): d for d in range(10)}, "*": 10, "#": 11, "A": 12, "B": 13, "C": 14, "D": 15}
FRAME_SECONDS = 0.020
SAMPLES_PER_FRAME = 160
_LINKTYPE_ETHERNET = 1


@dataclass(frozen=True)
class TimedPacket:
    at: float  # seconds from the start of the capture
    payload: bytes  # the UDP payload (an RTP packet)


def rtp_packet(
    *, payload_type: int, sequence: int, timestamp: int, ssrc: int, payload: bytes, marker: bool = False
) -> bytes:
    first = 0x80  # version 2, no padding, no extension, no CSRC
    second = (0x80 if marker else 0) | (payload_type & 0x7F)
    return struct.pack("!BBHII", first, second, sequence & 0xFFFF, timestamp & 0xFFFFFFFF, ssrc) + payload


def dtmf_packets(
    digits: str,
    *,
    payload_type: int = 101,
    ssrc: int = 0x43414C4C,
    press_ms: int = 100,
    gap_ms: int = 300,
    start: float = 0.0,
    volume: int = 10,
) -> list[TimedPacket]:
    """RFC 4733 events for ``digits``: every press has its own timestamp; while the key is held a
    packet every 20 ms with growing duration (marker on the first), then the end packet three
    times (same timestamp and duration, as §2.5.1.4 asks)."""
    packets: list[TimedPacket] = []
    sequence = 1000
    at = start
    timestamp = 8000
    for digit in digits.upper():
        event = DIGIT_EVENTS[digit]
        frames = max(1, press_ms // 20)
        for n in range(1, frames + 1):
            body = struct.pack("!BBH", event, volume & 0x3F, n * SAMPLES_PER_FRAME)
            packets.append(
                TimedPacket(
                    at,
                    rtp_packet(
                        payload_type=payload_type,
                        sequence=sequence,
                        timestamp=timestamp,
                        ssrc=ssrc,
                        payload=body,
                        marker=n == 1,
                    ),
                )
            )
            sequence += 1
            at += FRAME_SECONDS
        end = struct.pack("!BBH", event, 0x80 | (volume & 0x3F), frames * SAMPLES_PER_FRAME)
        for _ in range(3):
            packets.append(
                TimedPacket(
                    at,
                    rtp_packet(
                        payload_type=payload_type, sequence=sequence, timestamp=timestamp, ssrc=ssrc, payload=end
                    ),
                )
            )
            sequence += 1
            at += FRAME_SECONDS
        at += gap_ms / 1000
        # The next press starts later on the media clock: a new timestamp, never the same one.
        timestamp += int((frames + 3) * SAMPLES_PER_FRAME + gap_ms * 8)
    return packets


def audio_packets(
    payload: bytes, *, payload_type: int = 0, ssrc: int = 0x41554449, start: float = 0.0
) -> list[TimedPacket]:
    """G.711 ``payload`` cut into 20 ms packets (the last one padded with μ-law/A-law silence)."""
    silence = b"\xff" if payload_type == 0 else b"\xd5"
    packets: list[TimedPacket] = []
    for n, offset in enumerate(range(0, len(payload), SAMPLES_PER_FRAME)):
        frame = payload[offset : offset + SAMPLES_PER_FRAME].ljust(SAMPLES_PER_FRAME, silence)
        packets.append(
            TimedPacket(
                start + n * FRAME_SECONDS,
                rtp_packet(
                    payload_type=payload_type,
                    sequence=2000 + n,
                    timestamp=16000 + n * SAMPLES_PER_FRAME,
                    ssrc=ssrc,
                    payload=frame,
                    marker=n == 0,
                ),
            )
        )
    return packets


def pcap_bytes(
    packets: Iterable[TimedPacket],
    *,
    source: tuple[str, int] = ("127.0.0.1", 6000),
    destination: tuple[str, int] = ("127.0.0.1", 6002),
) -> bytes:
    """A classic pcap (microsecond timestamps, Ethernet link layer) of IPv4/UDP datagrams."""
    out = bytearray(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, _LINKTYPE_ETHERNET))
    for ident, packet in enumerate(packets):
        frame = _ethernet(_ipv4_udp(packet.payload, source, destination, ident))
        seconds = int(packet.at)
        micros = round((packet.at - seconds) * 1_000_000)
        if micros == 1_000_000:
            seconds, micros = seconds + 1, 0
        out += struct.pack("<IIII", seconds, micros, len(frame), len(frame)) + frame
    return bytes(out)


def _ethernet(payload: bytes) -> bytes:
    return b"\x00\x00\x00\x00\x00\x02" + b"\x00\x00\x00\x00\x00\x01" + b"\x08\x00" + payload


def _ipv4_udp(payload: bytes, source: tuple[str, int], destination: tuple[str, int], ident: int) -> bytes:
    udp = struct.pack("!HHHH", source[1], destination[1], 8 + len(payload), 0) + payload  # checksum 0: none (IPv4)
    src = bytes(int(part) for part in source[0].split("."))
    dst = bytes(int(part) for part in destination[0].split("."))
    header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), ident & 0xFFFF, 0, 64, 17, 0, src, dst)
    checksum = _ip_checksum(header)
    return header[:10] + struct.pack("!H", checksum) + header[12:] + udp


def _ip_checksum(header: bytes) -> int:
    total = sum(struct.unpack(f"!{len(header) // 2}H", header))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF
