"""The flow engine: a pure library that walks a call flow.

Given a flow version, the contact, variables and the call's events, it decides the next action.
No I/O: the dialer performs the actions (dial, play, collect digits, record, hang up) and feeds
their results back; the flow service's simulator feeds scripted results instead
(``callcast_flowengine.simulation``) and its validator asks ``graph`` and ``node_rules``.

Modules: ``document`` (parse a flow body), ``nodes`` (the node catalog: outputs, defaults,
limits), ``values`` (ValueSources), ``conditions``, ``play_items``, ``engine`` (``FlowRun``),
``graph`` (what a node can lead to), ``node_rules`` (config checks), ``simulation``.
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
from callcast_flowengine.engine import DEFAULT_MAX_STEPS, FlowRun, PathEntry
from callcast_flowengine.events import (
    ActionFailed,
    CalleeHungUp,
    CallEvent,
    DialResult,
    DigitsCollected,
    PlayCompleted,
    RecordCompleted,
)
from callcast_flowengine.nodes import OUTCOMES

__all__ = [
    "DEFAULT_MAX_STEPS",
    "OUTCOMES",
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
