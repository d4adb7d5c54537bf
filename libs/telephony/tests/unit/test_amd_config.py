"""AmdConfig: the Dial node's ``amd`` object, parsed strictly."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from callcast_telephony.amd import AmdConfig
from callcast_telephony.amd.config import _LIMITS

pytestmark = pytest.mark.unit


def test_defaults_are_asterisk_except_the_three_measured_ones() -> None:
    assert AmdConfig.from_node(None) == AmdConfig.from_node({}) == AmdConfig()
    assert AmdConfig().to_node() == {
        "initialSilenceMs": 2500,
        "greetingMs": 1200,
        "afterGreetingSilenceMs": 800,
        "totalAnalysisMs": 5000,
        "minWordLengthMs": 100,
        "betweenWordsSilenceMs": 150,
        "maximumNumberOfWords": 4,
        "maximumWordLengthMs": 5000,
        "silenceThreshold": 256,
    }


def test_given_keys_override_and_the_rest_keep_defaults() -> None:
    config = AmdConfig.from_node({"greetingMs": 2000, "maximumNumberOfWords": 2})
    assert (config.greetingMs, config.maximumNumberOfWords, config.initialSilenceMs) == (2000, 2, 2500)


@pytest.mark.parametrize(
    ("node", "named"),
    [
        ({"greetingMS": 1500}, "amd.greetingMS is not a known AMD parameter"),
        ({"greeting_ms": 1500}, "amd.greeting_ms"),
        ({"greetingMs": "1500"}, "amd.greetingMs must be an integer, not str"),
        ({"greetingMs": 1500.0}, "amd.greetingMs must be an integer, not float"),
        ({"maximumNumberOfWords": True}, "amd.maximumNumberOfWords must be an integer, not bool"),
        ({"greetingMs": None}, "amd.greetingMs must be an integer, not NoneType"),
        ({"silenceThreshold": 0}, "amd.silenceThreshold must be between 1 and 32767, not 0"),
        ({"totalAnalysisMs": 600_000}, "amd.totalAnalysisMs must be between 500 and 60000"),
        ({"afterGreetingSilenceMs": -1}, "amd.afterGreetingSilenceMs"),
    ],
)
def test_bad_values_are_rejected_naming_the_key(node: dict[str, Any], named: str) -> None:
    with pytest.raises(ValueError, match=named.replace(".", r"\.")):
        AmdConfig.from_node(node)


def test_amd_must_be_an_object() -> None:
    with pytest.raises(ValueError, match="amd must be an object"):
        AmdConfig.from_node([("greetingMs", 1500)])  # type: ignore[arg-type]


valid_nodes = st.fixed_dictionaries(
    {}, optional={name: st.integers(low, high) for name, (low, high) in _LIMITS.items()}
)


@given(valid_nodes)
def test_any_in_range_node_round_trips(node: dict[str, int]) -> None:
    config = AmdConfig.from_node(node)
    assert {**AmdConfig().to_node(), **node} == config.to_node()
    assert AmdConfig.from_node(config.to_node()) == config


@given(st.sampled_from(sorted(_LIMITS)), st.integers(-(10**6), 10**6))
def test_out_of_range_values_name_their_key(name: str, value: int) -> None:
    low, high = _LIMITS[name]
    if low <= value <= high:
        assert getattr(AmdConfig.from_node({name: value}), name) == value
    else:
        with pytest.raises(ValueError, match=f"amd.{name} must be between"):
            AmdConfig.from_node({name: value})
