"""Answering machine detection: Asterisk ``app_amd``-style rules on the callee's first seconds.

    config = AmdConfig.from_node(dial_node_config.get("amd"))
    result = await detect_answering_machine(call.rtp, config)
    result.answered_by, result.confidence, result.reason  # "machine", 0.93, "long_greeting"

See docs/amd.md for the rules, the parameters, the corpus and the measured figures.
"""

from .config import AmdConfig
from .detector import REASONS, AmdDetector, AmdResult, AnsweredBy
from .live import detect_answering_machine

__all__ = ["REASONS", "AmdConfig", "AmdDetector", "AmdResult", "AnsweredBy", "detect_answering_machine"]
