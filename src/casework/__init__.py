"""Social-work case processes as data, for township social-work stations (社工站).

Lifecycles are validated definitions compiled once onto a shared ``transitions`` machine;
commands become immutable events; a case is whatever its events say.

Documentation (in the ``docs`` folder of the source; every example in it runs as a test):

* docs/tutorial.md: one child's case from referral to closure, to paste into a Python shell;
* docs/concepts.md: lifecycles, guards, hooks, events, replay and the errors;
* docs/lifecycles.md: a lifecycle of your own, in code or from JSON or TOML;
* docs/instruments.md: the MHT and other questionnaires, reliable change;
* docs/persistence.md: the stores (memory, SQLite, PostgreSQL) and what they guarantee;
* docs/privacy.md: personal fields under each person's own key, and erasure;
* docs/reporting.md and docs/reports.md: indicators, tables, charts, the yearly report;
* docs/projections.md: fact tables kept beside the events, a district of stations;
* docs/simulation.md: capacity planning with the real lifecycle;
* docs/agenda.md: the outreach register, due-work rules and each worker's agenda;
* docs/performance.md: measured figures and how they were produced.
* docs/guide-zh.md: 中文指南 (the Chinese guide: first case, own processes, corrections,
  the agenda, encryption and erasure, district analysis).

The ``casework`` command (``casework --help``) runs the demo, shows and exports stored cases,
writes a station's yearly report, simulates a scenario and prints the agenda of a day.
"""

from casework.assessment import Administration, Assessment, Phase
from casework.case import Case, Inconsistency, TimelineEntry
from casework.catalogue import DEFAULT_CATALOGUE, Catalogue
from casework.due import Anchor, DueRule
from casework.engine import Engine, TriggerCheck
from casework.errors import (
    AlreadyRegistered,
    CaseworkError,
    CommandRejected,
    CommittedHookFailed,
    DefinitionError,
    DuplicateCommand,
    DuplicateRecord,
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
from casework.outreach import OutreachMode, OutreachVisit, Resident, VisitReferral
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
from casework.referral import open_from_visit
from casework.register import Register, record_visit, register_resident
from casework.retention import RetentionRule
from casework.standard import MHT_LIFECYCLE, MHT_SUPERVISED, STANDARD, standard_lifecycle

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_CATALOGUE",
    "MHT_LIFECYCLE",
    "MHT_SUPERVISED",
    "PREVIOUS",
    "STANDARD",
    "Administration",
    "AlreadyRegistered",
    "Anchor",
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
    "DueRule",
    "DuplicateCommand",
    "DuplicateRecord",
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
    "OutreachMode",
    "OutreachVisit",
    "Phase",
    "Register",
    "ReplayError",
    "Resident",
    "RetentionRule",
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
    "VisitReferral",
    "Worker",
    "__version__",
    "open_from_visit",
    "record_visit",
    "register_resident",
    "standard_lifecycle",
]
