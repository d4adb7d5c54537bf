"""Adapters: the dialer's I/O (SIP signalling, RTP media)."""
