"""casework: social-work case processes as data.

Lifecycles are validated definitions compiled once onto a shared ``transitions`` machine;
commands become immutable events; a case is whatever its events say.
"""

from casework.assessment import Administration, Assessment, Phase
from casework.case import Case, Inconsistency, TimelineEntry
from casework.catalogue import DEFAULT_CATALOGUE, Catalogue
from casework.engine import Engine, TriggerCheck
from casework.errors import (
    CaseworkError,
    CommandRejected,
    CommittedHookFailed,
    DefinitionError,
    GuardFailed,
    HookFailed,
    InvalidCommand,
    InvalidResponses,
    InvalidValue,
    ReplayError,
    TransitionNotAllowed,
    UnknownDefinition,
    UnknownTrigger,
)
from casework.events import Command, Event
from casework.hooks import Hooks
from casework.lifecycle import PREVIOUS, Lifecycle, LifecycleChanges, State, StateClass, Transition
from casework.plan import SessionMode, SessionPlan, SessionRecord, SessionStatus
from casework.records import (
    Client,
    Consent,
    ConsentGiver,
    Guardian,
    Role,
    Sex,
    TargetGroup,
    Worker,
)
from casework.standard import MHT_LIFECYCLE, STANDARD, standard_lifecycle

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_CATALOGUE",
    "MHT_LIFECYCLE",
    "PREVIOUS",
    "STANDARD",
    "Administration",
    "Assessment",
    "Case",
    "CaseworkError",
    "Catalogue",
    "Client",
    "Command",
    "CommandRejected",
    "CommittedHookFailed",
    "Consent",
    "ConsentGiver",
    "DefinitionError",
    "Engine",
    "Event",
    "GuardFailed",
    "Guardian",
    "HookFailed",
    "Hooks",
    "Inconsistency",
    "InvalidCommand",
    "InvalidResponses",
    "InvalidValue",
    "Lifecycle",
    "LifecycleChanges",
    "Phase",
    "ReplayError",
    "Role",
    "SessionMode",
    "SessionPlan",
    "SessionRecord",
    "SessionStatus",
    "Sex",
    "State",
    "StateClass",
    "TargetGroup",
    "TimelineEntry",
    "Transition",
    "TransitionNotAllowed",
    "TriggerCheck",
    "UnknownDefinition",
    "UnknownTrigger",
    "Worker",
    "__version__",
    "standard_lifecycle",
]
