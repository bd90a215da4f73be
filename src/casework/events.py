"""Events: the immutable, past-tense facts that make up a case's audit log.

Everything else (a case's state, its sessions, reports) is derived from these.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from types import MappingProxyType
from typing import Any

import attrs

__all__ = [
    "ALERT_EVENT",
    "APPROVAL_REFUSED",
    "APPROVAL_REQUESTED",
    "COMMAND_ID",
    "COMMAND_ID_MAX",
    "CORRECTED_EVENT",
    "EMPTY_PAYLOAD",
    "ERASED_EVENT",
    "LIBRARY_COMMANDS",
    "MIGRATED_EVENT",
    "OPEN_EVENT",
    "VOIDED_EVENT",
    "Command",
    "Event",
    "command_id_problem",
]

#: Commands whose effects casework itself knows (consents, plans, sessions...): their trigger
#: must be an internal transition and their event type is fixed, so replay can rebuild them.
LIBRARY_COMMANDS: Mapping[str, str] = MappingProxyType(
    {
        "record_consent": "consent_recorded",
        "withdraw_consent": "consent_withdrawn",
        "set_plan": "plan_set",
        "revise_plan": "plan_revised",
        "record_session": "session_recorded",
        "transfer": "transferred",
        "record_assessment": "assessment_recorded",
    }
)
#: The first event of every case.
OPEN_EVENT = "case_opened"
#: Recorded by casework itself after an assessment raising a safety flag.
ALERT_EVENT = "alert_raised"
#: A transition that needs approval (or a handoff the receiver must accept) was asked for.
APPROVAL_REQUESTED = "approval_requested"
#: The approver (or the receiver of a handoff) said no; the case stays where it was.
APPROVAL_REFUSED = "approval_refused"
#: Recorded by an engine moving a case to another version of its lifecycle.
MIGRATED_EVENT = "migrated"
#: A correction of an earlier data event: it points to the original, which stays in the log.
CORRECTED_EVENT = "corrected"
#: An earlier data event marked as entered in error; it stays in the log, without effect.
VOIDED_EVENT = "voided"
#: A data subject's personal data was erased (their key destroyed); it carries no personal
#: data and changes nothing else: the case's state and facts stay as they were.
ERASED_EVENT = "personal_data_erased"


#: The payload key casework reserves for a command's id (an app-chosen idempotency key): a
#: command carrying an id the case already recorded returns that event and records nothing.
#: It is kept in the event's payload, so it is stored, serialised and replayed with it.
COMMAND_ID = "command_id"
#: The longest command id accepted (a UUID is 36 characters).
COMMAND_ID_MAX = 200


def command_id_problem(value: object) -> str | None:
    """Why ``value`` cannot be a command id (a non-empty string, at most 200 characters)."""
    if not isinstance(value, str) or not value.strip():
        return f"a command id must be a non-empty string, got {value!r}"
    if len(value) > COMMAND_ID_MAX:
        return f"a command id has at most {COMMAND_ID_MAX} characters, got {len(value)}"
    return None


#: The one frozen empty payload shared by every event and command that carries no data.  Nothing
#: else holds the dict behind it, so sharing it is safe; it saves a dict and a proxy (two more
#: objects the garbage collector tracks for the life of the log) on each such event.
EMPTY_PAYLOAD: Mapping[str, Any] = MappingProxyType({})


def _freeze(value: Mapping[str, Any]) -> Mapping[str, Any]:
    """A read-only copy of ``value`` (a payload that is already read-only is kept as is)."""
    if isinstance(value, MappingProxyType):
        return value
    copy = dict(value)  # accepts (and refuses) exactly what it always did
    return MappingProxyType(copy) if copy else EMPTY_PAYLOAD


@attrs.frozen(slots=True)
class Event:
    """One accepted command, as recorded: which case, its place in the log, what, when and by whom.

    ``state`` is the case's state after the event, so replay never needs the lifecycle's engine.
    """

    case_id: str
    seq: int
    type: str
    at: datetime
    actor: str
    state: str
    trigger: str = ""
    payload: Mapping[str, Any] = attrs.field(factory=dict, converter=_freeze, hash=False)

    def __reduce__(self) -> tuple[Any, ...]:
        # a mappingproxy does not pickle: rebuild from a plain copy of the payload
        return (
            Event,
            (
                self.case_id,
                self.seq,
                self.type,
                self.at,
                self.actor,
                self.state,
                self.trigger,
                dict(self.payload),
            ),
        )

    def __repr__(self) -> str:
        data = ", ".join(f"{k}={v!r}" for k, v in self.payload.items())
        return (
            f"Event(#{self.seq} {self.case_id} {self.type} at {self.at.isoformat()} "
            f"by {self.actor} -> {self.state}{'; ' + data if data else ''})"
        )


@attrs.frozen(slots=True)
class Command:
    """What someone asked the case to do: a trigger, when, by whom, with what data.

    Guards read commands; a command that passes becomes an :class:`Event`.
    """

    trigger: str
    at: datetime
    actor: str
    payload: Mapping[str, Any] = attrs.field(factory=dict, converter=_freeze, hash=False)

    def __reduce__(self) -> tuple[Any, ...]:
        return (Command, (self.trigger, self.at, self.actor, dict(self.payload)))
