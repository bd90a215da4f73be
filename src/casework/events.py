"""Events: the immutable, past-tense facts that make up a case's audit log.

Everything else (a case's state, its sessions, reports) is derived from these.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from types import MappingProxyType
from typing import Any

import attrs

__all__ = ["Command", "Event"]


def _freeze(value: Mapping[str, Any]) -> Mapping[str, Any]:
    if isinstance(value, MappingProxyType):
        return value
    return MappingProxyType(dict(value))


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
