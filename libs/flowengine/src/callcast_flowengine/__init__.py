"""The flow engine: a pure library that walks a call flow.

Given a flow version, the contact, variables and the call's events, it decides the next action.
No I/O: the dialer performs the actions (dial, play, collect digits, record, hang up) and feeds
their results back; the flow service's simulator feeds scripted results instead.
"""

from callcast_flowengine.actions import (
    Action,
    CollectDigits,
    Dial,
    Finished,
    Hangup,
    Play,
    Record,
)
from callcast_flowengine.document import Flow, FlowDocumentError, Node, parse_flow
from callcast_flowengine.engine import FlowRun, PathEntry
from callcast_flowengine.events import (
    ActionFailed,
    CalleeHungUp,
    CallEvent,
    DialResult,
    DigitsCollected,
    PlayCompleted,
    RecordCompleted,
)

__all__ = [
    "Action",
    "ActionFailed",
    "CallEvent",
    "CalleeHungUp",
    "CollectDigits",
    "Dial",
    "DialResult",
    "DigitsCollected",
    "Finished",
    "Flow",
    "FlowDocumentError",
    "FlowRun",
    "Hangup",
    "Node",
    "PathEntry",
    "Play",
    "PlayCompleted",
    "Record",
    "RecordCompleted",
    "parse_flow",
]
