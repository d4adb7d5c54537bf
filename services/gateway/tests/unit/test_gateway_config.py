"""The gateway's own settings from the environment."""

from __future__ import annotations

import pytest

from callcast_gateway.config import GatewayConfig, load_gateway_config

pytestmark = pytest.mark.unit


def test_defaults_suit_large_uploads_and_a_five_second_key_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("FORWARD_TIMEOUT_S", "KEY_CACHE_TTL_S", "MAX_BODY_BYTES"):
        monkeypatch.delenv(f"CALLCAST_GATEWAY_{name}", raising=False)
    config = load_gateway_config()
    assert config == GatewayConfig()
    assert config.forward_timeout_s == 60.0
    assert config.key_cache_ttl_s == 5.0


def test_settings_are_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CALLCAST_GATEWAY_FORWARD_TIMEOUT_S", "120")
    monkeypatch.setenv("CALLCAST_GATEWAY_KEY_CACHE_TTL_S", "2.5")
    monkeypatch.setenv("CALLCAST_GATEWAY_MAX_BODY_BYTES", "1048576")
    config = load_gateway_config()
    assert (config.forward_timeout_s, config.key_cache_ttl_s, config.max_body_bytes) == (120.0, 2.5, 1048576)


@pytest.mark.parametrize("value", ["soon", "0", "-1"])
def test_nonsense_settings_fail_loudly(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("CALLCAST_GATEWAY_FORWARD_TIMEOUT_S", value)
    with pytest.raises(ValueError, match="CALLCAST_GATEWAY_FORWARD_TIMEOUT_S"):
        load_gateway_config()
