"""How a final SIP answer to our INVITE becomes a call outcome (BRIEF §5).

| final answer                          | outcome     | reason                   |
|---------------------------------------|-------------|--------------------------|
| 2xx                                   | answered    | None                     |
| 486 Busy Here, 600 Busy Everywhere    | busy        | "sip_486 Busy Here"      |
| 603 Decline                           | rejected    | "sip_603 Decline"        |
| 487 after *our* CANCEL (ring timeout) | no_answer   | "ring_timeout"           |
| any other 3xx/4xx/5xx/6xx             | failed      | "sip_404 Not Found"      |
| no response at all (Timer B)          | failed      | "sip_timeout"            |

The user agent adds two of its own: "sdp_unusable_answer" (2xx we cannot talk to, hung up at
once) and "agent_closed" (``SipUserAgent.close()`` during call setup).
"""

from __future__ import annotations

from typing import Literal

Outcome = Literal["answered", "busy", "rejected", "no_answer", "failed"]

RING_TIMEOUT_REASON = "ring_timeout"
TIMEOUT_REASON = "sip_timeout"


def status_reason(status: int, reason: str) -> str:
    return f"sip_{status} {reason}".rstrip()


def outcome_for_final(status: int, reason: str, *, cancelled: bool) -> tuple[Outcome, str | None]:
    """Map a final response (status >= 200) to (outcome, reason)."""
    if 200 <= status < 300:
        return "answered", None
    if status in (486, 600):
        return "busy", status_reason(status, reason)
    if status == 603:
        return "rejected", status_reason(status, reason)
    if status == 487 and cancelled:
        return "no_answer", RING_TIMEOUT_REASON
    return "failed", status_reason(status, reason)
