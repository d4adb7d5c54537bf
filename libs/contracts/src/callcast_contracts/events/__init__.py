"""Every event and command of Callcast, grouped by the context that writes them."""

from callcast_contracts.envelope import register
from callcast_contracts.events.calls import (
    AmdCompleted,
    CallAnswered,
    CallAttemptStarted,
    CallEarlyMedia,
    CallEnded,
    CallHungUp,
    CallRinging,
    CallStillLive,
    DigitReceived,
    FlowNodeEntered,
    FlowNodeExecuted,
    PromptPlayed,
    PromptStarted,
    RecordingSaved,
)
from callcast_contracts.events.contacts import (
    AudienceCreated,
    AudienceDeleted,
    AudienceMembersAdded,
    AudienceMembersRemoved,
    AudienceUpdated,
    ContactDeleted,
    ContactSaved,
    CustomAttributeDeleted,
    CustomAttributeSaved,
)
from callcast_contracts.events.dialing import DialRequested
from callcast_contracts.events.flows import (
    AudioUploaded,
    DictionaryDeleted,
    DictionaryEntryDeleted,
    DictionaryEntrySaved,
    DictionarySaved,
    FlowDeleted,
    FlowVersionSaved,
)
from callcast_contracts.events.outcomes import CallOutcomeReported
from callcast_contracts.events.programs import (
    AttemptDispatched,
    ExecutionCancelled,
    ExecutionCompleted,
    ExecutionLaunched,
    JobCompleted,
    JobsEnrolled,
    RetryScheduled,
    TestCallRequested,
)

ALL_EVENTS = (
    ContactSaved,
    ContactDeleted,
    AudienceCreated,
    AudienceMembersAdded,
    AudienceMembersRemoved,
    AudienceUpdated,
    AudienceDeleted,
    CustomAttributeSaved,
    CustomAttributeDeleted,
    FlowVersionSaved,
    FlowDeleted,
    AudioUploaded,
    DictionarySaved,
    DictionaryDeleted,
    DictionaryEntrySaved,
    DictionaryEntryDeleted,
    ExecutionLaunched,
    JobsEnrolled,
    AttemptDispatched,
    RetryScheduled,
    JobCompleted,
    ExecutionCancelled,
    ExecutionCompleted,
    TestCallRequested,
    DialRequested,
    CallAttemptStarted,
    CallRinging,
    CallEarlyMedia,
    CallAnswered,
    AmdCompleted,
    FlowNodeEntered,
    FlowNodeExecuted,
    PromptStarted,
    PromptPlayed,
    DigitReceived,
    RecordingSaved,
    CallHungUp,
    CallStillLive,
    CallEnded,
    CallOutcomeReported,
)
register(*ALL_EVENTS)

__all__ = [cls.__name__ for cls in ALL_EVENTS] + ["ALL_EVENTS"]
