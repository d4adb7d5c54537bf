"""Our own asyncio SIP user agent (UAC side) for placing IVR calls over a SIP trunk.

See docs/telephony.md for why it exists and what it implements.
"""

from .call import SipCall
from .headers import SipParseError
from .message import SipRequest, SipResponse, parse_message
from .models import InviteResult, SipCredentials
from .outcomes import Outcome
from .transaction import SipTimers, TransactionTimeout
from .useragent import SipUserAgent

__all__ = [
    "InviteResult",
    "Outcome",
    "SipCall",
    "SipCredentials",
    "SipParseError",
    "SipRequest",
    "SipResponse",
    "SipTimers",
    "SipUserAgent",
    "TransactionTimeout",
    "parse_message",
]
