"""SDP offer we send and answers we must understand."""

from __future__ import annotations

import pytest

from callcast_telephony.sip.sdp import SdpError, build_offer, negotiate_answer, parse_sdp

pytestmark = pytest.mark.unit

SIPP_ANSWER = (
    "v=0\r\no=callee 53655765 2353687637 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\n"
    "t=0 0\r\nm=audio 6000 RTP/AVP 0 96\r\na=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:96 telephone-event/8000\r\na=fmtp:96 0-16\r\na=ptime:20\r\n"
)


def test_offer_lists_pcmu_pcma_and_telephone_event_101() -> None:
    offer = build_offer("127.0.0.1", 40000, session_id=42).decode()
    assert "m=audio 40000 RTP/AVP 0 8 101\r\n" in offer
    for line in (
        "a=rtpmap:0 PCMU/8000",
        "a=rtpmap:8 PCMA/8000",
        "a=rtpmap:101 telephone-event/8000",
        "a=fmtp:101 0-16",
        "a=ptime:20",
        "a=sendrecv",
        "c=IN IP4 127.0.0.1",
    ):
        assert line in offer
    assert offer.endswith("\r\n")
    media = parse_sdp(offer).media[0]
    assert media.formats == [0, 8, 101]


def test_offer_uses_ip6_for_ipv6_hosts() -> None:
    assert "c=IN IP6 ::1" in build_offer("::1", 40000, session_id=1).decode()


def test_answer_gives_codec_address_and_the_peers_telephone_event_type() -> None:
    answer = negotiate_answer(SIPP_ANSWER)
    assert (answer.codec, answer.payload_type) == ("PCMU", 0)
    assert (answer.remote_host, answer.remote_port) == ("127.0.0.1", 6000)
    assert answer.telephone_event_pt == 96  # SIPp's, not our 101
    assert answer.ptime_ms == 20


def test_answer_codec_is_the_first_supported_format_listed() -> None:
    sdp = SIPP_ANSWER.replace("RTP/AVP 0 96", "RTP/AVP 18 8 0 96")
    assert negotiate_answer(sdp).codec == "PCMA"


def test_media_level_connection_overrides_the_session_level_one() -> None:
    sdp = SIPP_ANSWER.replace("a=ptime:20\r\n", "c=IN IP4 127.0.0.2\r\na=ptime:20\r\na=recvonly\r\n")
    answer = negotiate_answer(sdp)
    assert answer.remote_host == "127.0.0.2"
    assert answer.direction == "recvonly"


def test_answer_without_telephone_event_has_none() -> None:
    sdp = "v=0\nc=IN IP4 127.0.0.1\nm=audio 7000 RTP/AVP 8\n"
    answer = negotiate_answer(sdp)
    assert answer.telephone_event_pt is None
    assert answer.codec == "PCMA"


@pytest.mark.parametrize(
    "sdp",
    [
        SIPP_ANSWER.replace("RTP/AVP 0 96", "RTP/AVP 18 96").replace("a=rtpmap:0 PCMU/8000\r\n", ""),
        SIPP_ANSWER.replace("m=audio 6000", "m=audio 0"),
        SIPP_ANSWER.replace("c=IN IP4 127.0.0.1\r\n", ""),
        SIPP_ANSWER.replace("c=IN IP4 127.0.0.1", "c=IN IP4 not-an-address"),
        "v=0\r\nc=IN IP4 127.0.0.1\r\n",
        "garbage",
        "",
    ],
)
def test_unusable_answers_raise_sdp_error(sdp: str) -> None:
    with pytest.raises(SdpError):
        negotiate_answer(sdp)
