"""The pcap writer the SIPp DTMF/early-media scenarios play (callcast_stack.rtp_pcap): read the
file back as a pcap reader would and decode its RTP with our own receiver."""

from __future__ import annotations

import struct

import pytest

from callcast_stack.rtp_pcap import audio_packets, dtmf_packets, pcap_bytes
from callcast_telephony.rtp.dtmf import TelephoneEventDecoder
from callcast_telephony.rtp.packet import parse_rtp

pytestmark = pytest.mark.unit


def _read_pcap(data: bytes) -> list[tuple[float, bytes]]:
    magic, major, minor, _, _, snaplen, linktype = struct.unpack_from("<IHHiIII", data)
    assert (magic, major, minor, linktype) == (0xA1B2C3D4, 2, 4, 1)
    assert snaplen >= 1500
    offset, out = 24, []
    while offset < len(data):
        seconds, micros, included, original = struct.unpack_from("<IIII", data, offset)
        assert included == original
        frame = data[offset + 16 : offset + 16 + included]
        offset += 16 + included
        assert frame[12:14] == b"\x08\x00"  # IPv4
        ip = frame[14:]
        assert ip[0] == 0x45
        assert ip[9] == 17  # UDP
        assert sum(struct.unpack("!10H", ip[:20])) % 0xFFFF == 0  # valid header checksum
        total = struct.unpack_from("!H", ip, 2)[0]
        udp_length = struct.unpack_from("!H", ip, 24)[0]
        assert total == 20 + udp_length
        out.append((seconds + micros / 1e6, ip[28 : 20 + udp_length]))
    return out


def test_the_same_digit_twice_gets_two_timestamps_and_decodes_to_two_digits() -> None:
    records = _read_pcap(pcap_bytes(dtmf_packets("1155#", payload_type=101)))
    packets = [parse_rtp(payload) for _, payload in records]
    assert {p.payload_type for p in packets} == {101}
    assert len({p.timestamp for p in packets}) == 5  # one per press
    decoder = TelephoneEventDecoder()
    digits = "".join(d for p in packets for d in decoder.feed(p))
    assert digits == "1155#"
    times = [t for t, _ in records]
    assert times == sorted(times)


def test_audio_is_cut_into_paced_20ms_packets() -> None:
    records = _read_pcap(pcap_bytes(audio_packets(b"\x01" * 500, payload_type=8)))
    packets = [parse_rtp(payload) for _, payload in records]
    assert [len(p.payload) for p in packets] == [160, 160, 160, 160]
    assert packets[-1].payload.endswith(b"\xd5")  # A-law silence pads the last frame
    assert [p.timestamp - packets[0].timestamp for p in packets] == [0, 160, 320, 480]
    assert [round(t, 3) for t, _ in records] == [0.0, 0.02, 0.04, 0.06]
    assert packets[0].marker
