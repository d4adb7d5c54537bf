"""The dialer's capacity and safety settings (docs/dialer-operations.md explains each one)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class DialerSettings:
    #: Calls this instance runs at once; it pulls a dial command only when a slot is free.
    max_calls: int = 200
    #: JetStream ack wait of the dial-command consumer: how long a command stays with a dialer
    #: that stopped telling the server it is still working on it.
    ack_wait_s: float = 30.0
    #: A live call's attempt gets a ``CallStillLive`` event when it had no event for this long.
    heartbeat_s: float = 10.0
    #: A started, unended attempt whose last event is older than this is taken to be lost (its
    #: dialer died or is cut off) and is ended as failed/``dialer_lost`` by whoever gets its command.
    lease_s: float = 45.0
    #: On SIGTERM, how long live calls may go on before they are hung up (``dialer_shutdown``).
    drain_timeout_s: float = 600.0
    #: A live call whose callee sent no RTP for this long (once media started) is ended as
    #: failed/``rtp_timeout``: the line is dead even if no BYE ever comes.
    rtp_timeout_s: float = 30.0

    def __post_init__(self) -> None:
        if self.max_calls < 1:
            raise ValueError("CALLCAST_DIALER_MAX_CALLS must be at least 1")
        if min(self.ack_wait_s, self.heartbeat_s, self.lease_s, self.rtp_timeout_s) <= 0 or self.drain_timeout_s < 0:
            raise ValueError("dialer durations must be positive")
        # Two missed heartbeats at least: a lease of one period would settle a call whose
        # heartbeat is merely slow.
        if self.lease_s < 2 * self.heartbeat_s:
            raise ValueError("CALLCAST_DIALER_LEASE_S must be at least twice CALLCAST_DIALER_HEARTBEAT_S")

    @property
    def in_progress_every_s(self) -> float:
        """How often a running call tells JetStream its command is still being worked on."""
        return self.ack_wait_s / 3

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> DialerSettings:
        env = os.environ if environ is None else environ

        def number(name: str, default: float) -> float:
            value = env.get(f"CALLCAST_DIALER_{name}")
            return float(value) if value not in (None, "") else default

        defaults = cls()
        return cls(
            max_calls=int(number("MAX_CALLS", defaults.max_calls)),
            ack_wait_s=number("ACK_WAIT_S", defaults.ack_wait_s),
            heartbeat_s=number("HEARTBEAT_S", defaults.heartbeat_s),
            lease_s=number("LEASE_S", defaults.lease_s),
            drain_timeout_s=number("DRAIN_TIMEOUT_S", defaults.drain_timeout_s),
            rtp_timeout_s=number("RTP_TIMEOUT_S", defaults.rtp_timeout_s),
        )
