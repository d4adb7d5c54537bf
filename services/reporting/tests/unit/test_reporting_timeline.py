"""Which stream event becomes which timeline entry of a report."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from reporting_scenario import Scenario

from callcast_reporting.domain.timeline import TimelineEntry, complete_node_contexts, timeline_entry

pytestmark = pytest.mark.unit


def entries_of(s: Scenario) -> list[TimelineEntry]:
    found = [timeline_entry(item.env) for item in [*s.busy_attempt(), *s.completed_attempt()]]
    return [e for e in found if e is not None]


def test_call_events_map_to_the_documented_lower_case_types() -> None:
    assert [e.type for e in entries_of(Scenario())] == [
        "initiated",
        "ringing",
        "dial",
        "ended",
        "initiated",
        "ringing",
        "answer",
        "amd",
        "dial",
        "playback",
        "play",
        "digit",
        "dtmf",
        "set_variable",
        "hangup",  # the hangup node's entry (it has a nodeContext)
        "hangup",  # the call's CallHungUp (no nodeContext)
        "ended",
    ]


def test_events_that_are_not_about_a_call_have_no_entry() -> None:
    s = Scenario()
    assert [timeline_entry(item.env) for item in s.enrolment()] == [None, None]


def test_node_entries_carry_their_node_context_and_the_node_facts() -> None:
    dtmf = next(e for e in entries_of(Scenario()) if e.type == "dtmf")
    assert dtmf.data["nodeContext"] == {"nodeId": "menu-1", "nodeType": "dtmf", "nodeExecutionIndex": 3}
    assert (dtmf.data["digits"], dtmf.data["outputPath"], dtmf.data["nodeLabel"]) == ("1", "branches.1", "Menu 1")


def test_every_entry_names_its_attempt() -> None:
    s = Scenario()
    attempts = {e.data["attemptId"] for e in entries_of(s)}
    assert attempts == {s.attempt_id(1), s.attempt_id(2)}


def test_timestamps_are_when_things_happened_not_when_they_were_written() -> None:
    s = Scenario()
    by_type = {e.type: e.timestamp for e in entries_of(s)[4:]}
    assert (by_type["answer"], by_type["play"], by_type["ended"]) == (s.at(63), s.at(63), s.at(71))


def _entry(kind: str, node: str, index: int | None, attempt: str = "a") -> TimelineEntry:
    ctx = {"nodeId": node, "nodeType": "play" if kind == "playback" else kind, "nodeExecutionIndex": index}
    return TimelineEntry(kind, datetime(2025, 1, 1, tzinfo=UTC), {"attemptId": attempt, "nodeContext": ctx})


def test_a_prompt_takes_the_context_of_the_node_recorded_after_it() -> None:
    entries = [_entry("play", "p", 1), _entry("playback", "p", None), _entry("play", "p", 4)]
    assert complete_node_contexts(entries)[1].data["nodeContext"]["nodeExecutionIndex"] == 4


def test_a_dtmf_prompt_gets_the_dtmf_node_context() -> None:
    entries = [_entry("playback", "menu", None), _entry("dtmf", "menu", 2)]
    assert complete_node_contexts(entries)[0].data["nodeContext"] == {
        "nodeId": "menu",
        "nodeType": "dtmf",
        "nodeExecutionIndex": 2,
    }


def test_a_prompt_interrupted_by_a_hangup_falls_back_to_the_earlier_entry_of_its_node() -> None:
    entries = [_entry("play", "p", 2), _entry("playback", "p", None), _entry("play", "p", 5, attempt="other")]
    assert complete_node_contexts(entries)[1].data["nodeContext"]["nodeExecutionIndex"] == 2


def test_a_prompt_whose_node_was_never_recorded_keeps_what_it_had() -> None:
    entries = [_entry("playback", "p", None)]
    assert complete_node_contexts(entries) == entries
