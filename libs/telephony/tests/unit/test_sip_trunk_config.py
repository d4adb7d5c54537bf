"""Trunk configuration from the environment, caller-id formatting, realm-restricted credentials."""

from __future__ import annotations

import pytest

from callcast_telephony.sip.digest import answer_challenge
from callcast_telephony.sip.headers import Headers
from callcast_telephony.sip.message import SipRequest, SipResponse
from callcast_telephony.sip.models import SipCredentials
from callcast_telephony.sip.trunk import TrunkConfig, env_options

pytestmark = pytest.mark.unit


def test_host_port_alone_keeps_working() -> None:
    trunk = TrunkConfig.from_env({"CALLCAST_SIP_TRUNK": "10.0.0.5:5080"})
    assert trunk == TrunkConfig(host="10.0.0.5", port=5080)
    assert trunk.next_hop == trunk.address == ("10.0.0.5", 5080)
    assert trunk.credentials is None
    assert trunk.transport == "udp"


def test_the_default_applies_when_nothing_is_set() -> None:
    assert TrunkConfig.from_env({}).address == ("127.0.0.1", 5080)


def test_every_option_is_read_from_the_environment() -> None:
    env = {
        "CALLCAST_SIP_TRUNK": "sip.carrier.test:5060",
        "CALLCAST_SIP_TRUNK_TRANSPORT": "TCP",
        "CALLCAST_SIP_TRUNK_USERNAME": "acct",
        "CALLCAST_SIP_TRUNK_PASSWORD": "pw",
        "CALLCAST_SIP_TRUNK_REALM": "carrier.test",
        "CALLCAST_SIP_TRUNK_OUTBOUND_PROXY": "sbc.carrier.test:5070",
        "CALLCAST_SIP_TRUNK_FROM_DOMAIN": "callcast.example",
        "CALLCAST_SIP_TRUNK_CALLER_ID_FORMAT": "national",
        "CALLCAST_SIP_TRUNK_COUNTRY_CODE": "212",
        "CALLCAST_SIP_TRUNK_CALLER_ID_PREFIX": "0",
        "CALLCAST_SIP_TRUNK_MAX_CPS": "2.5",
        "CALLCAST_SIP_BIND_HOST": "ignored",  # not a trunk option
    }
    trunk = TrunkConfig.from_env(env)
    assert trunk.transport == "tcp"
    assert trunk.address == ("sip.carrier.test", 5060)
    assert trunk.next_hop == ("sbc.carrier.test", 5070)
    assert trunk.credentials == SipCredentials("acct", "pw", realm="carrier.test")
    assert trunk.from_domain == "callcast.example"
    assert trunk.max_cps == 2.5
    assert trunk.format_caller_id("+212500000000") == "0500000000"
    assert "pw" not in repr(trunk)


def test_a_sip_uri_carries_credentials_and_transport() -> None:
    trunk = TrunkConfig.parse("sip:acct:s3cret@trunk.test:5080;transport=tcp")
    assert (trunk.host, trunk.port, trunk.transport) == ("trunk.test", 5080, "tcp")
    assert trunk.credentials == SipCredentials("acct", "s3cret")
    # The separate variables win over the URI.
    assert TrunkConfig.parse("sip:a:b@t.test", {"password": "other"}).password == "other"


@pytest.mark.parametrize(
    ("fmt", "prefix", "expected"),
    [
        ("e164", "", "+212500000000"),
        ("digits", "", "212500000000"),
        ("digits", "00", "00212500000000"),
        ("national", "", "212500000000"),  # without country_code: like digits
    ],
)
def test_caller_id_formats(fmt: str, prefix: str, expected: str) -> None:
    trunk = TrunkConfig.parse("t.test:5060", {"caller_id_format": fmt, "caller_id_prefix": prefix})
    assert trunk.format_caller_id("+212500000000") == expected


@pytest.mark.parametrize(
    ("spec", "options"),
    [
        ("no-port", {}),
        ("t:5060", {"transport": "tls"}),
        ("t:5060", {"caller_id_format": "weird"}),
        ("t:5060", {"max_cps": "0"}),
        ("t:5060", {"max_cps": "fast"}),
        ("t:5060", {"username": "only-a-user"}),
        ("t:5060", {"outbound_proxy": "no-port"}),
        ("t:5060", {"passwrod": "typo"}),
        ("sips:t.test", {}),
    ],
)
def test_bad_configuration_is_rejected_with_a_message(spec: str, options: dict[str, str]) -> None:
    with pytest.raises(ValueError, match=r"."):
        TrunkConfig.parse(spec, options)


def test_env_options_strips_the_prefix() -> None:
    assert env_options({"CALLCAST_SIP_TRUNK_MAX_CPS": "3", "CALLCAST_SIP_TRUNK": "x:1"}) == {"max_cps": "3"}


def _challenge(realm: str) -> tuple[SipResponse, SipRequest]:
    invite = SipRequest(headers=Headers([("CSeq", "1 INVITE")]), method="INVITE", uri="sip:+1@trunk.test")
    response = SipResponse(
        headers=Headers([("Proxy-Authenticate", f'Digest realm="{realm}", nonce="n1", qop="auth", algorithm=MD5')]),
        status=407,
        reason="Proxy Authentication Required",
    )
    return response, invite


def test_credentials_bound_to_a_realm_answer_only_that_realm() -> None:
    bound = SipCredentials("acct", "pw", realm="carrier.test")
    assert answer_challenge(*_challenge("carrier.test"), bound) is not None
    assert answer_challenge(*_challenge("evil.test"), bound) is None
    assert answer_challenge(*_challenge("evil.test"), SipCredentials("acct", "pw")) is not None


def test_runtime_settings_carry_the_trunk_options_the_dialer_parses(monkeypatch: pytest.MonkeyPatch) -> None:
    from callcast_runtime.settings import load_settings

    monkeypatch.setenv("CALLCAST_SIP_TRUNK", "sip:acct:pw@carrier.test:5080;transport=tcp")
    monkeypatch.setenv("CALLCAST_SIP_TRUNK_MAX_CPS", "4")
    monkeypatch.setenv("CALLCAST_SIP_TRUNK_REALM", "carrier.test")
    settings = load_settings("dialer")
    assert settings.sip_trunk_options == {"max_cps": "4", "realm": "carrier.test"}
    trunk = TrunkConfig.parse(settings.sip_trunk, settings.sip_trunk_options)
    assert (trunk.address, trunk.transport, trunk.max_cps) == (("carrier.test", 5080), "tcp", 4.0)
    assert trunk.credentials == SipCredentials("acct", "pw", realm="carrier.test")
