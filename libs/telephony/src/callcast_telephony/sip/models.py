"""Values the user agent hands to the dialer."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .outcomes import Outcome

if TYPE_CHECKING:
    from .call import SipCall


@dataclass(frozen=True)
class SipCredentials:
    username: str
    password: str = field(repr=False)
    realm: str | None = None  # when set, challenges from any other realm are not answered


@dataclass
class InviteResult:
    """What became of one INVITE. ``ended_at`` is filled in later for answered calls, when the
    call ends (either side hangs up)."""

    outcome: Outcome
    call_id: str
    sip_status: int | None = None
    reason: str | None = None
    call: SipCall | None = None
    invited_at: float | None = None  # time.time()
    ringing_at: float | None = None  # first 180/183
    early_media_at: float | None = None  # first 18x with a usable SDP (remote media set, RTP flows)
    answered_at: float | None = None
    ended_at: float | None = None
