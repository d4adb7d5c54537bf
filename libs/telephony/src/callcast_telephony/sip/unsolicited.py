"""Answers to requests that belong to no dialog we know (RFC 3261 §8.2, §12.2.2).

The agent only places calls, so anything arriving outside our dialogs is either a trunk's
keep-alive (OPTIONS), a late or misrouted in-dialog request (481), or something we do not do.
"""

from __future__ import annotations

import secrets

from .message import SipRequest, SipResponse, make_response

ALLOW = "INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE"
_KNOWN_METHODS = {"REGISTER", "SUBSCRIBE", "NOTIFY", "MESSAGE", "REFER", "PUBLISH", "PRACK"}
_DIALOG_METHODS = {"BYE", "CANCEL", "INFO", "UPDATE"}


def out_of_dialog_response(request: SipRequest) -> SipResponse | None:
    """The response for a request matching no dialog, or None for ACK (never answered)."""
    method = request.method
    if method == "ACK":
        return None  # ACKs for our 488s, or for dialogs we already forgot
    if request.to.tag is not None or method in _DIALOG_METHODS:
        return make_response(request, 481)
    tag = secrets.token_hex(8)
    if method == "OPTIONS":  # trunks ping with OPTIONS: say we are alive
        return make_response(request, 200, to_tag=tag, extra_headers=[("Allow", ALLOW)])
    if method == "INVITE":  # an outbound-only agent declines incoming calls
        return make_response(request, 603, to_tag=tag)
    if method in _KNOWN_METHODS:
        return make_response(request, 405, to_tag=tag, extra_headers=[("Allow", ALLOW)])
    return make_response(request, 501, to_tag=tag)
