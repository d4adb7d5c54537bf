"""Digest authentication answers (RFC 2617, RFC 7616 test vectors)."""

from __future__ import annotations

import hashlib

import pytest

from callcast_telephony.sip.digest import (
    DigestChallenge,
    DigestError,
    answer_challenge,
    build_authorization,
    digest_response,
    parse_auth_params,
)
from callcast_telephony.sip.headers import Headers
from callcast_telephony.sip.message import SipRequest, SipResponse
from callcast_telephony.sip.models import SipCredentials

pytestmark = pytest.mark.unit


def test_rfc2617_example_response() -> None:
    # RFC 2617 §3.5
    challenge = DigestChallenge.parse(
        'Digest realm="testrealm@host.com", qop="auth,auth-int", '
        'nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"'
    )
    response = digest_response(
        challenge,
        username="Mufasa",
        password="Circle Of Life",
        method="GET",
        uri="/dir/index.html",
        cnonce="0a4f113b",
        nc=1,
        qop="auth",
    )
    assert response == "6629fae49393a05397450978507c4ef1"


@pytest.mark.parametrize(
    ("algorithm", "expected"),
    [
        ("MD5", "8ca523f5e9506fed4657c9700eebdbec"),
        ("SHA-256", "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"),
    ],
)
def test_rfc7616_example_responses(algorithm: str, expected: str) -> None:
    # RFC 7616 §3.9.1
    challenge = DigestChallenge.parse(
        f'Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm={algorithm}, '
        'nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", '
        'opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"'
    )
    response = digest_response(
        challenge,
        username="Mufasa",
        password="Circle of Life",
        method="GET",
        uri="/dir/index.html",
        cnonce="f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
        nc=1,
        qop="auth",
    )
    assert response == expected


def test_challenge_without_qop_uses_the_rfc2069_form() -> None:
    header = build_authorization(
        'Digest realm="sip.example", nonce="abc"',
        username="alice",
        password="pw",
        method="INVITE",
        uri="sip:+1@sip.example",
    )
    params = parse_auth_params(header.removeprefix("Digest "))

    def md5(text: str) -> str:
        return hashlib.md5(text.encode()).hexdigest()

    expected = md5(f"{md5('alice:sip.example:pw')}:abc:{md5('INVITE:sip:+1@sip.example')}")
    assert params["response"] == expected
    assert "qop" not in params
    assert "cnonce" not in params


def test_authorization_header_carries_everything_the_server_checks() -> None:
    header = build_authorization(
        'Digest realm="callcast.test", nonce="n1", qop="auth", opaque="op", algorithm=MD5',
        username="callcast",
        password="secret",
        method="INVITE",
        uri="sip:+212600000001@127.0.0.1:5080",
        cnonce="c0ffee",
    )
    assert header.startswith("Digest ")
    params = parse_auth_params(header.removeprefix("Digest "))
    assert params["username"] == "callcast"
    assert params["realm"] == "callcast.test"
    assert params["uri"] == "sip:+212600000001@127.0.0.1:5080"
    assert (params["qop"], params["nc"], params["cnonce"], params["opaque"]) == (
        "auth",
        "00000001",
        "c0ffee",
        "op",
    )
    challenge = DigestChallenge.parse('Digest realm="callcast.test", nonce="n1", qop="auth"')
    assert params["response"] == digest_response(
        challenge,
        username="callcast",
        password="secret",
        method="INVITE",
        uri="sip:+212600000001@127.0.0.1:5080",
        cnonce="c0ffee",
        qop="auth",
    )


def test_quoted_parameters_keep_commas_and_escapes() -> None:
    assert parse_auth_params(r'realm="a, b", nonce="x\"y", stale=FALSE') == {
        "realm": "a, b",
        "nonce": 'x"y',
        "stale": "FALSE",
    }


@pytest.mark.parametrize(
    "header",
    ['Basic realm="x"', 'Digest realm="x"', 'Digest realm="x", nonce="n", algorithm=SHA-512-256'],
)
def test_unanswerable_challenges_raise_digest_error(header: str) -> None:
    with pytest.raises(DigestError):
        build_authorization(header, username="u", password="p", method="INVITE", uri="sip:x@h")


def _challenge_response(status: int, *challenges: str) -> SipResponse:
    name = "WWW-Authenticate" if status == 401 else "Proxy-Authenticate"
    headers = Headers([(name, value) for value in challenges])
    return SipResponse(headers=headers, status=status, reason="challenge")


def test_a_407_is_answered_with_proxy_authorization_for_the_first_supported_challenge() -> None:
    invite = SipRequest(headers=Headers(), method="INVITE", uri="sip:+1@trunk.test", body=b"v=0\r\n")
    response = _challenge_response(
        407,
        'Digest realm="t", nonce="n1", algorithm=SHA-512-256',  # unsupported: skipped
        'Digest realm="t", nonce="n2", algorithm=SHA-256, qop="auth"',
    )
    answer = answer_challenge(response, invite, SipCredentials("u", "p"))
    assert answer is not None
    name, value = answer
    assert name == "Proxy-Authorization"
    params = parse_auth_params(value.removeprefix("Digest "))
    assert (params["nonce"], params["algorithm"], params["uri"]) == ("n2", "SHA-256", "sip:+1@trunk.test")


def test_a_challenge_nobody_can_answer_gives_none() -> None:
    invite = SipRequest(headers=Headers(), method="INVITE", uri="sip:+1@trunk.test")
    assert answer_challenge(_challenge_response(401, 'Basic realm="x"'), invite, SipCredentials("u", "p")) is None
    assert answer_challenge(_challenge_response(401), invite, SipCredentials("u", "p")) is None
