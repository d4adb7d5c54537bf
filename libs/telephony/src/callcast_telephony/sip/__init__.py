"""Our own asyncio SIP user agent (UAC side) for placing IVR calls over a SIP trunk.

See docs/telephony.md for why it exists and what it implements.
"""

from .call import SipCall
from .headers import SipParseError
from .message import SipRequest, SipResponse, parse_message
from .models import InviteResult, SipCredentials
from .outcomes import Outcome
from .rate import CallRateLimiter
from .tcp import TcpSipTransport
from .transaction import SipTimers, TransactionTimeout, TransportError
from .transport import UdpSipTransport
from .trunk import TrunkConfig
from .useragent import SipUserAgent

__all__ = [
    "CallRateLimiter",
    "InviteResult",
    "Outcome",
    "SipCall",
    "SipCredentials",
    "SipParseError",
    "SipRequest",
    "SipResponse",
    "SipTimers",
    "SipUserAgent",
    "TcpSipTransport",
    "TransactionTimeout",
    "TransportError",
    "TrunkConfig",
    "UdpSipTransport",
    "parse_message",
]
