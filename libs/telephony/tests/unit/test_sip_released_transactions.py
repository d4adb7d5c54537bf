"""What a finished transaction keeps while it lingers (Timers D, K, M): bytes and keys only."""

from __future__ import annotations

import asyncio
import gc
import types
from collections.abc import Callable

import pytest
from test_sip_transactions import TRUNK, FakeSender, _request, _response

from callcast_telephony.sip.message import SipMessage, SipResponse
from callcast_telephony.sip.transaction import InviteClientTransaction, NonInviteClientTransaction, SipTimers

pytestmark = pytest.mark.unit


_NOT_OWNED = (FakeSender, type, asyncio.AbstractEventLoop, types.FunctionType, types.ModuleType)


def _reachable_messages(root: object) -> list[object]:
    """Parsed SIP messages reachable from ``root``, not counting what is reachable through the
    sender, the event loop, functions and modules (the test's own frames hold messages)."""
    seen: set[int] = set()
    found: list[object] = []
    stack = [root]
    while stack:
        obj = stack.pop()
        if id(obj) in seen or isinstance(obj, _NOT_OWNED):
            continue
        seen.add(id(obj))
        if isinstance(obj, SipMessage):
            found.append(obj)
        stack.extend(gc.get_referents(obj))
    return found


async def test_a_released_2xx_transaction_keeps_no_parsed_message_and_still_hands_on_forks() -> None:
    sender = FakeSender()
    invite = _request()
    extra: list[tuple[InviteClientTransaction, SipResponse]] = []
    transaction = InviteClientTransaction(
        sender, invite, TRUNK, SipTimers(t1=0.05), on_extra_2xx=lambda t, r: extra.append((t, r))
    )
    transaction.start()
    ok = _response(invite, 200, "OK")
    transaction.on_response(ok)
    assert (await transaction.final).status == 200
    transaction.release()
    del invite
    assert transaction.state == "accepted"  # Timer M still runs
    assert _reachable_messages(transaction) == []
    with pytest.raises(RuntimeError):
        transaction.final  # noqa: B018 - the future went with the response
    transaction.on_response(ok)  # a retransmission: still reaches the core, with the first To tag
    assert [r.status for _, r in extra] == [200]
    assert extra[0][1].to.tag == transaction.first_2xx_to_tag
    # A fork needs the INVITE to build its dialog: parsed again from the bytes that were sent.
    again = transaction.request
    assert (again.method, again.call_id, again.cseq) == ("INVITE", "call-1", (7, "INVITE"))
    transaction.terminate()


async def test_a_released_non_2xx_transaction_still_acks_each_retransmitted_final() -> None:
    sender = FakeSender()
    invite = _request()
    transaction = InviteClientTransaction(sender, invite, TRUNK, SipTimers(t1=0.05))
    transaction.start()
    busy = _response(invite, 486, "Busy Here")
    transaction.on_response(busy)
    assert (await transaction.final).status == 486
    transaction.release()
    del invite
    assert _reachable_messages(transaction) == []
    transaction.on_response(busy)
    assert sender.methods() == ["INVITE", "ACK", "ACK"]
    transaction.terminate()


async def test_release_before_the_final_keeps_the_transaction_whole() -> None:
    sender = FakeSender()
    transaction = NonInviteClientTransaction(sender, _request("BYE"), TRUNK, SipTimers(t1=0.05))
    transaction.start()
    transaction.release()  # nothing taken yet: a no-op
    assert not transaction.released
    transaction.on_response(_response(transaction.request, 200, "OK"))
    assert (await transaction.final).status == 200
    transaction.release()
    assert transaction.released
    assert _reachable_messages(transaction) == []
    transaction.terminate()


async def _until(condition: Callable[[], bool]) -> None:
    while not condition():  # noqa: ASYNC110 - the states change inside the transaction, no event to wait on
        await asyncio.sleep(0.01)


async def test_lingering_transactions_end_in_turn_on_one_shared_timer() -> None:
    sender = FakeSender()
    timers = SipTimers(t1=0.05, t4=1.0)  # Timer K
    byes = [NonInviteClientTransaction(sender, _request("BYE", f"z9hG4bKbye{i}"), TRUNK, timers) for i in range(3)]
    for transaction in byes:
        transaction.start()
    byes[0].on_response(_response(byes[0].request, 200, "OK"))
    await asyncio.sleep(0.5)  # the others start lingering while the first still does
    for transaction in byes[1:]:
        transaction.on_response(_response(transaction.request, 200, "OK"))
    byes[1].terminate()  # ended early (the agent closed): the shared timer skips it
    await asyncio.wait_for(_until(lambda: byes[0].state == "terminated"), 5)
    assert byes[2].state == "completed"  # its Timer K runs on
    await asyncio.wait_for(_until(lambda: byes[2].state == "terminated"), 5)
    assert sender.registered == {}
