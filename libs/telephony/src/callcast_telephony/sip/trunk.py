"""How to reach one carrier trunk: address, transport, credentials, caller-id rules, call rate.

Built from the environment (``CALLCAST_SIP_TRUNK`` and ``CALLCAST_SIP_TRUNK_*``, see README)
or in code. ``CALLCAST_SIP_TRUNK`` is either ``host:port`` or a SIP URI
``sip:[user[:password]@]host[:port][;transport=tcp]``; the ``_*`` variables override the parts.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Literal, cast

from .headers import SipParseError, SipUri
from .models import SipCredentials

Transport = Literal["udp", "tcp"]
CallerIdFormat = Literal["e164", "national", "digits"]
TRANSPORTS: tuple[Transport, ...] = ("udp", "tcp")
CALLER_ID_FORMATS: tuple[CallerIdFormat, ...] = ("e164", "national", "digits")
ENV_PREFIX = "CALLCAST_SIP_TRUNK"
# Option name (lower case, as in CALLCAST_SIP_TRUNK_<NAME>) -> TrunkConfig field.
OPTIONS = (
    "transport",
    "username",
    "password",
    "realm",
    "outbound_proxy",
    "from_domain",
    "caller_id_format",
    "caller_id_prefix",
    "country_code",
    "max_cps",
)
_DIGITS = re.compile(r"\D")


@dataclass(frozen=True)
class TrunkConfig:
    host: str
    port: int = 5060
    transport: Transport = "udp"
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    realm: str | None = None  # when set, only challenges for this realm are answered
    outbound_proxy: tuple[str, int] | None = None  # every request goes there; Request-URI unchanged
    from_domain: str | None = None  # host part of From (default: our advertised address)
    caller_id_format: CallerIdFormat = "e164"
    caller_id_prefix: str = ""  # prepended after formatting ("national": the trunk prefix, e.g. "0")
    country_code: str | None = None  # "national": also stripped from the front of the number
    max_cps: float | None = None  # new calls per second on this trunk (None: unlimited)

    def __post_init__(self) -> None:
        if self.transport not in TRANSPORTS:
            raise ValueError(f"trunk transport must be udp or tcp, not {self.transport!r}")
        if self.caller_id_format not in CALLER_ID_FORMATS:
            raise ValueError(f"caller_id_format must be one of {', '.join(CALLER_ID_FORMATS)}")
        if self.max_cps is not None and self.max_cps <= 0:
            raise ValueError("max_cps must be positive")
        if not 0 < self.port < 65536:
            raise ValueError(f"bad trunk port {self.port}")
        if (self.username is None) != (self.password is None):
            raise ValueError("trunk username and password go together")

    @property
    def address(self) -> tuple[str, int]:
        """Where the Request-URI points."""
        return self.host, self.port

    @property
    def next_hop(self) -> tuple[str, int]:
        """Where requests are sent: the outbound proxy if there is one, else the trunk."""
        return self.outbound_proxy or self.address

    @property
    def credentials(self) -> SipCredentials | None:
        if self.username is None or self.password is None:
            return None
        return SipCredentials(self.username, self.password, realm=self.realm)

    def format_caller_id(self, number: str) -> str:
        """The From user for ``number`` (E.164 such as ``+212500000000``) as this trunk wants it."""
        if self.caller_id_format == "e164":
            formatted = number
        else:
            formatted = _DIGITS.sub("", number)
            if self.caller_id_format == "national" and self.country_code and number.startswith("+"):
                formatted = formatted.removeprefix(self.country_code)
        return self.caller_id_prefix + formatted

    # -- parsing -----------------------------------------------------------------------------

    @classmethod
    def parse(cls, spec: str, options: Mapping[str, str | None] | None = None) -> TrunkConfig:
        """``host:port`` or ``sip:[user[:password]@]host[:port][;transport=tcp]``, then the
        options (names as in :data:`OPTIONS`; empty values are ignored, unknown names rejected)."""
        config = _parse_spec(spec.strip())
        values: dict[str, object] = {}
        for name, raw in (options or {}).items():
            key = name.lower()
            if key not in OPTIONS:
                raise ValueError(f"unknown trunk option {name!r} (known: {', '.join(OPTIONS)})")
            if raw is None or raw.strip() == "":
                continue
            values[key] = _option_value(key, raw.strip())
        return replace(config, **values)  # type: ignore[arg-type]

    @classmethod
    def from_env(cls, env: Mapping[str, str], default: str = "127.0.0.1:5080") -> TrunkConfig:
        spec = env.get(ENV_PREFIX) or default
        return cls.parse(spec, env_options(env))


def env_options(env: Mapping[str, str]) -> dict[str, str]:
    """The ``CALLCAST_SIP_TRUNK_<NAME>`` variables as options (unknown names kept: parse rejects)."""
    prefix = ENV_PREFIX + "_"
    return {name[len(prefix) :].lower(): value for name, value in env.items() if name.startswith(prefix)}


def _parse_spec(spec: str) -> TrunkConfig:
    if spec.lower().startswith(("sip:", "sips:")):
        try:
            uri = SipUri.parse(spec)
        except SipParseError as exc:
            raise ValueError(f"bad trunk URI {spec!r}: {exc}") from exc
        if uri.scheme == "sips":
            raise ValueError("sips: (TLS) trunks are not supported")
        username, password = _userinfo(spec)
        transport = (uri.params.get("transport") or "udp").lower()
        return TrunkConfig(
            host=uri.host,
            port=uri.port or 5060,
            transport=cast(Transport, transport),
            username=username,
            password=password,
        )
    host, port = parse_hostport(spec, what="CALLCAST_SIP_TRUNK")
    return TrunkConfig(host=host, port=port)


def _userinfo(spec: str) -> tuple[str | None, str | None]:
    rest = spec.split(":", 1)[1].split(";", 1)[0]
    if "@" not in rest:
        return None, None
    userinfo = rest.rpartition("@")[0]
    user, sep, password = userinfo.partition(":")
    return (user or None), (password if sep else None)


def parse_hostport(value: str, *, what: str = "address") -> tuple[str, int]:
    host, _, port = value.strip().rpartition(":")
    host = host.strip("[]")
    if not host or not port.isdigit():
        raise ValueError(f"{what} must be host:port, got {value!r}")
    return host, int(port)


def _option_value(key: str, raw: str) -> object:
    if key == "outbound_proxy":
        return parse_hostport(raw.removeprefix("sip:").split(";", 1)[0], what="outbound_proxy")
    if key == "max_cps":
        try:
            return float(raw)
        except ValueError:
            raise ValueError(f"max_cps must be a number, got {raw!r}") from None
    if key in ("transport", "caller_id_format"):
        return raw.lower()
    return raw
