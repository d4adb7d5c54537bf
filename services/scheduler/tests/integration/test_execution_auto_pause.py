"""Auto-pause rules (digest §10.3): node entries reported by the dialers are counted per execution
and node; at the threshold the execution pauses itself (``paused_threshold``)."""

from __future__ import annotations

import pytest
from execution_support import act_ok, campaign_with, execution_events, node_entered
from scheduler_support import DialCommand, FakeDialer, Tenant

from callcast_contracts.events import ExecutionPaused

pytestmark = pytest.mark.integration

RULE = {"nodeId": "hangup-1", "threshold": 2, "resetOnResume": True}


async def _call_entering(dialer: FakeDialer, command: DialCommand, *, redelivered: bool = False) -> None:
    seq = await dialer.started(command)
    seq = await node_entered(dialer, command, "hangup-1", 1, after_seq=seq)
    if redelivered:
        # The same node execution stored twice (a dialer's retried append): counted once.
        seq = await node_entered(dialer, command, "hangup-1", 1, after_seq=seq)
    # A node no rule watches is not counted.
    seq = await node_entered(dialer, command, "dial-1", 2, after_seq=seq)
    await dialer.ended(command, "completed", after_seq=seq)


async def test_the_execution_pauses_itself_when_a_node_reaches_its_threshold(
    tenant: Tenant, dialer: FakeDialer
) -> None:
    # Five: the fifth is still pending when the fourth call pauses it again (a paused execution
    # whose last contact finished completes).
    campaign = await campaign_with(tenant, contacts=5, concurrency=1, autoPauseRules=[RULE])
    execution_id = await tenant.launch(campaign.program_id)
    assert (await tenant.execution(execution_id))["autoPauseRules"] == [RULE]

    await _call_entering(dialer, await dialer.next_command(), redelivered=True)
    second = await dialer.next_command()  # one entry so far: still running
    await _call_entering(dialer, second)

    paused = await tenant.execution_when(execution_id, "paused_threshold")
    assert (paused["effectiveStatus"], paused["pauseReason"], paused["pausedNodeId"]) == (
        "paused_threshold",
        "threshold",
        "hangup-1",
    )
    await tenant.app_caught_up()
    await dialer.assert_no_command()
    pause = (await execution_events(tenant, execution_id))[-1]
    assert isinstance(pause, ExecutionPaused)
    assert (pause.reason, pause.node_id, pause.node_count) == ("threshold", "hangup-1", 2)

    # resetOnResume: the count starts again, so the next entry does not pause at once.
    await act_ok(tenant, execution_id, "resume")
    await _call_entering(dialer, await dialer.next_command())
    fourth = await dialer.next_command()
    await tenant.app_caught_up()
    assert (await tenant.execution(execution_id))["status"] == "running"
    await _call_entering(dialer, fourth)
    await tenant.execution_when(execution_id, "paused_threshold")


async def test_rules_given_on_resume_replace_the_old_ones(tenant: Tenant, dialer: FakeDialer) -> None:
    campaign = await campaign_with(tenant, contacts=3, concurrency=1, autoPauseRules=[{**RULE, "threshold": 1}])
    execution_id = await tenant.launch(campaign.program_id)
    await _call_entering(dialer, await dialer.next_command())
    await tenant.execution_when(execution_id, "paused_threshold")

    replaced = [{"nodeId": "dial-1", "threshold": 5, "resetOnResume": False}]
    resumed = await act_ok(tenant, execution_id, "resume", {"autoPauseRules": replaced})
    assert resumed["autoPauseRules"] == replaced
    # hangup-1 is not watched any more: two more calls entering it leave the execution running.
    await _call_entering(dialer, await dialer.next_command())
    await _call_entering(dialer, await dialer.next_command())
    await tenant.execution_when(execution_id, "completed")
