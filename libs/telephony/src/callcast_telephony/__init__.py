"""Telephony for Callcast: the SIP user agent (``sip``) and RTP media (``rtp``).

A library, not a service: the dialer drives it, the benchmarks measure it, and nothing in it
knows about events, NATS or the flow engine.
"""
