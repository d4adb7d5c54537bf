"""Auto-pause rules (digest §10.3): bad rules are refused naming the field, a rule fires once at
its threshold, resume resets or replaces as documented, and the state survives a JSON round trip."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from callcast_runtime.errors import ValidationFailed
from callcast_scheduler.domain.auto_pause import AutoPauseCounters, normalize_auto_pause_rules

pytestmark = pytest.mark.unit


def rule(node_id: str, threshold: int, reset: bool = False) -> dict[str, Any]:
    return {"nodeId": node_id, "threshold": threshold, "resetOnResume": reset}


# -- validation ------------------------------------------------------------------------------------
def test_rules_keep_their_order_and_reset_on_resume_defaults_to_false() -> None:
    raw = [{"nodeId": "node_b", "threshold": 5}, rule("node_a", 100, True)]
    assert normalize_auto_pause_rules(raw) == [rule("node_b", 5), rule("node_a", 100, True)]


def test_no_rules_and_an_empty_list_are_different() -> None:
    assert normalize_auto_pause_rules(None) is None
    assert normalize_auto_pause_rules([]) == []


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"nodeId": "n", "threshold": 1}, "autoPauseRules"),
        ([rule("n", 1)] * 101, "autoPauseRules"),
        (["n"], "autoPauseRules[0]"),
        ([rule("a", 1), {"threshold": 3}], "autoPauseRules[1].nodeId"),
        ([{"nodeId": "", "threshold": 3}], "autoPauseRules[0].nodeId"),
        ([{"nodeId": 7, "threshold": 3}], "autoPauseRules[0].nodeId"),
        ([{"nodeId": "a"}], "autoPauseRules[0].threshold"),
        ([{"nodeId": "a", "threshold": 0}], "autoPauseRules[0].threshold"),
        ([{"nodeId": "a", "threshold": 2.5}], "autoPauseRules[0].threshold"),
        ([{"nodeId": "a", "threshold": True}], "autoPauseRules[0].threshold"),
        ([{"nodeId": "a", "threshold": "10"}], "autoPauseRules[0].threshold"),
        ([{"nodeId": "a", "threshold": 1, "resetOnResume": "yes"}], "autoPauseRules[0].resetOnResume"),
        ([{"nodeId": "a", "threshold": 1, "limit": 3}], "autoPauseRules[0].limit"),
        ([rule("a", 1), rule("b", 2), rule("a", 3)], "autoPauseRules[2].nodeId"),
    ],
)
def test_a_bad_rule_is_refused_naming_the_field(raw: Any, field: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        normalize_auto_pause_rules(raw)
    assert list(refused.value.field_errors) == [field]
    assert refused.value.status_code == 400


def test_errors_can_name_another_body_property() -> None:
    with pytest.raises(ValidationFailed) as refused:
        normalize_auto_pause_rules([{"nodeId": "a", "threshold": -1}], field="resume.autoPauseRules")
    assert list(refused.value.field_errors) == ["resume.autoPauseRules[0].threshold"]


# -- counting --------------------------------------------------------------------------------------
def test_a_rule_fires_once_when_its_node_reaches_the_threshold() -> None:
    counters = AutoPauseCounters.for_rules([rule("transfer", 3)])
    assert [counters.record("transfer") for _ in range(5)] == [[], [], [rule("transfer", 3)], [], []]
    assert counters.counts == {"transfer": 5}


def test_nodes_without_a_rule_are_not_counted() -> None:
    counters = AutoPauseCounters.for_rules([rule("transfer", 1)])
    assert counters.record("greeting") == []
    assert counters.counts == {}


def test_several_entries_at_once_fire_when_they_cross_the_threshold() -> None:
    counters = AutoPauseCounters.for_rules([rule("a", 10)])
    assert counters.record("a", 9) == []
    assert counters.record("a", 4) == [rule("a", 10)]


@given(st.integers(1, 40), st.lists(st.sampled_from(["a", "b", "c"]), max_size=120))
def test_each_rule_fires_exactly_when_its_count_first_reaches_the_threshold(threshold: int, entries: list[str]) -> None:
    counters = AutoPauseCounters.for_rules([rule("a", threshold), rule("b", threshold + 1)])
    fired_at: dict[str, int] = {}
    for i, node in enumerate(entries):
        for fired in counters.record(node):
            assert fired["nodeId"] not in fired_at, "fired twice without a reset"
            fired_at[fired["nodeId"]] = i
    for node, limit in (("a", threshold), ("b", threshold + 1)):
        positions = [i for i, n in enumerate(entries) if n == node]
        assert fired_at.get(node) == (positions[limit - 1] if len(positions) >= limit else None)


# -- resume ----------------------------------------------------------------------------------------
def test_resume_resets_only_the_rules_that_ask_for_it() -> None:
    counters = AutoPauseCounters.for_rules([rule("agent", 2, reset=True), rule("optout", 2)])
    for node in ["agent", "agent", "optout", "optout"]:
        counters.record(node)
    counters.reset_on_resume()
    assert counters.counts == {"optout": 2}
    assert counters.record("agent") == []
    assert counters.record("agent") == [rule("agent", 2, True)], "a reset rule allows threshold more entries"
    assert counters.record("optout") == [], "a rule without reset fired once for the execution"


def test_resume_with_new_rules_replaces_them_and_keeps_counts_of_nodes_still_watched() -> None:
    counters = AutoPauseCounters.for_rules([rule("a", 5), rule("b", 5), rule("c", 5, reset=True)])
    for node in ["a", "a", "b", "c", "c"]:
        counters.record(node)
    counters.reset_on_resume([rule("a", 3), rule("c", 2), rule("d", 1)])
    assert counters.rules == [rule("a", 3), rule("c", 2), rule("d", 1)]
    assert counters.counts == {"a": 2}, "b is no longer watched; c's old rule asked for a reset; d is new"
    assert counters.record("a") == [rule("a", 3)]
    assert counters.record("b") == []


def test_a_replacing_rule_with_reset_on_resume_starts_from_zero() -> None:
    counters = AutoPauseCounters.for_rules([rule("a", 5)])
    counters.record("a", 4)
    counters.reset_on_resume([rule("a", 5, reset=True)])
    assert counters.counts == {}
    assert counters.record("a", 4) == []


def test_a_new_threshold_already_passed_fires_at_the_next_entry() -> None:
    counters = AutoPauseCounters.for_rules([rule("a", 3)])
    assert counters.record("a", 3) == [rule("a", 3)]
    counters.reset_on_resume([rule("a", 2)])
    assert counters.record("a") == [rule("a", 2)]


def test_resume_with_the_same_rules_changes_nothing_for_a_rule_that_fired() -> None:
    counters = AutoPauseCounters.for_rules([rule("a", 2)])
    counters.record("a", 2)
    counters.reset_on_resume([rule("a", 2)])
    assert counters.record("a") == []


def test_resume_with_an_empty_list_drops_every_rule() -> None:
    counters = AutoPauseCounters.for_rules([rule("a", 1)])
    counters.reset_on_resume([])
    assert (counters.rules, counters.record("a")) == ([], [])


def test_resume_validates_the_new_rules() -> None:
    counters = AutoPauseCounters.for_rules([rule("a", 1)])
    with pytest.raises(ValidationFailed):
        counters.reset_on_resume([rule("a", 0)])
    assert counters.rules == [rule("a", 1)], "a refused resume changes nothing"


# -- storage ---------------------------------------------------------------------------------------
operations = st.lists(
    st.one_of(
        st.tuples(st.just("record"), st.sampled_from(["a", "b", "c"])),
        st.tuples(st.just("resume"), st.none()),
        st.tuples(
            st.just("resume"),
            st.lists(
                st.builds(rule, st.sampled_from(["a", "b", "c"]), st.integers(1, 4), st.booleans()),
                unique_by=lambda r: r["nodeId"],
            ),
        ),
    ),
    max_size=60,
)


@given(operations)
def test_the_state_survives_a_json_round_trip_at_any_point(ops: list[tuple[str, Any]]) -> None:
    live = AutoPauseCounters.for_rules([rule("a", 2), rule("b", 3, True)])
    for op, arg in ops:
        stored = AutoPauseCounters.from_dict(json.loads(json.dumps(live.to_dict())))
        assert stored == live
        if op == "record":
            assert stored.record(arg) == live.record(arg)
        else:
            stored.reset_on_resume(arg)
            live.reset_on_resume(arg)
        assert stored == live


def test_no_stored_state_means_no_rules() -> None:
    assert AutoPauseCounters.from_dict(None) == AutoPauseCounters()
    assert AutoPauseCounters.from_dict({}).record("a") == []
