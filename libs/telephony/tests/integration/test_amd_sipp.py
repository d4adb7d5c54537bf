"""AMD on a real call: SIPp answers, then speaks a person's answer or a voicemail greeting."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from callcast_stack.sipp import SippCallee
from callcast_telephony.amd import AmdConfig, detect_answering_machine
from callcast_telephony.amd.corpus import example_recipe, generate_corpus
from callcast_telephony.sip import SipUserAgent

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        shutil.which("espeak-ng") is None or shutil.which("sox") is None,
        reason="espeak-ng and sox are needed: `uv run just tools`",
    ),
]


@pytest.mark.parametrize("label", ["human", "machine"])
async def test_sipp_callee_speaking_is_classified(tmp_path: Path, label: str) -> None:
    (clip,) = generate_corpus(recipes=[example_recipe(label)], corpus_dir=tmp_path / "corpus")  # type: ignore[arg-type]
    callee = SippCallee(
        "answer_with_greeting",
        log_dir=tmp_path / "sipp",
        files={"greeting.ulaw": clip.ulaw()},
        keys={"rtp_stream": "greeting.ulaw,1,0"},  # play once, payload type 0 (PCMU)
    )
    async with callee:
        ua = SipUserAgent(local_host="127.0.0.1", trunk=callee.address, user_agent="Callcast/test")
        await ua.start()
        try:
            answered = await ua.invite("+212600000001", "+212500000000", ring_timeout=5)
            assert answered.outcome == "answered", answered
            call = answered.call
            assert call is not None
            result = await detect_answering_machine(call.rtp, AmdConfig())
            assert call.rtp.stats().audio_packets_received > 0  # SIPp's stream, not our clock alone
            await call.hangup()
        finally:
            await ua.close()
        counts = await callee.wait_for_counts(successful=1)
    assert result.answered_by == label, (result, clip.text)
    assert result.reason == ("short_greeting_then_silence" if label == "human" else "long_greeting")
    assert 0.5 < result.confidence <= 1.0
    assert counts.successful == 1
