"""Every error casework raises: one base class, specific subclasses with structured attributes.

Messages are written so that an app can show them to a social worker as they are; the
attributes let the app build its own message instead.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = [
    "AlreadyRegistered",
    "CaseworkError",
    "CommandRejected",
    "CommittedHookFailed",
    "DefinitionError",
    "DuplicateCommand",
    "DuplicateRecord",
    "GuardFailed",
    "HookFailed",
    "InvalidCommand",
    "InvalidResponses",
    "InvalidValue",
    "ReplayError",
    "TransitionNotAllowed",
    "UnknownDefinition",
    "UnknownTrigger",
]


class CaseworkError(Exception):
    """Base class of every error raised by casework.

    Errors pickle with their attributes (a worker process's error reaches its parent intact),
    whatever their constructors take.
    """

    def __reduce__(self) -> tuple[Any, ...]:
        return (_restore, (type(self), self.args, dict(self.__dict__)))


def _restore(cls: type[CaseworkError], args: tuple[Any, ...], state: dict[str, Any]) -> Any:
    error = cls.__new__(cls)
    error.args = args
    error.__dict__.update(state)
    return error


class CommittedHookFailed(CaseworkError):
    """A ``committed`` hook raised after the command took effect: its events ARE recorded.

    ``case_id`` and ``seqs`` name them; the original exception is ``__cause__``.  Retrying the
    command would record it twice: retry the hook's own work instead.
    """

    def __init__(self, case_id: str, seqs: Sequence[int], problem: str) -> None:
        self.case_id = case_id
        self.seqs = tuple(seqs)
        numbers = ", ".join(f"#{s}" for s in self.seqs)
        super().__init__(
            f"case {case_id!r}: events {numbers} were recorded, then a committed hook raised: "
            f"{problem}"
        )


class InvalidValue(CaseworkError, ValueError):
    """A value was refused at construction: ``where`` names the field, ``problem`` says why."""

    def __init__(self, where: str, problem: str) -> None:
        self.where = where
        self.problem = problem
        super().__init__(f"{where}: {problem}")


class AlreadyRegistered(InvalidValue):
    """A record is already registered (same id, or the same person under another id).

    ``existing`` is the id of the record already there: an app shows it, or uses it instead.
    """

    def __init__(self, where: str, problem: str, existing: str) -> None:
        self.existing = existing
        super().__init__(where, problem)


class DefinitionError(CaseworkError, ValueError):
    """A lifecycle (or instrument) definition is broken; ``problems`` lists every problem found."""

    def __init__(self, name: str, problems: Sequence[str]) -> None:
        self.name = name
        self.problems = tuple(problems)
        listing = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"definition {name!r} is invalid:\n{listing}")


class UnknownDefinition(CaseworkError, LookupError):
    """A catalogue has no definition of this kind, id (and version); ``known`` lists what it has."""

    def __init__(self, kind: str, id: str, version: int | None, known: Sequence[str]) -> None:
        self.kind = kind
        self.id = id
        self.version = version
        self.known = tuple(known)
        what = f"{kind} {id!r}" + (f" version {version}" if version is not None else "")
        super().__init__(
            f"the catalogue has no {what} (it has: {', '.join(self.known) or 'none'}); "
            "add its definition to the catalogue"
        )

    def __str__(self) -> str:  # LookupError would quote the message again
        return str(self.args[0])


class InvalidResponses(CaseworkError, ValueError):
    """Answers to an instrument were refused; ``problems`` lists every bad item, not just the first.

    Each problem is ``(item, message)``; ``item`` is the 1-based item number, or ``None`` for a
    problem with the whole set (wrong length, wrong container type).
    """

    def __init__(self, instrument: str, problems: Sequence[tuple[int | None, str]]) -> None:
        self.instrument = instrument
        self.problems = tuple(problems)
        listing = "\n".join(
            f"  - item {item}: {msg}" if item is not None else f"  - {msg}"
            for item, msg in self.problems
        )
        super().__init__(
            f"{instrument}: {len(self.problems)} problem(s) with the responses:\n{listing}"
        )


class ReplayError(CaseworkError):
    """Events cannot be replayed into a case (wrong case, a gap in sequence numbers...)."""

    def __init__(self, case_id: str, seq: int | None, problem: str) -> None:
        self.case_id = case_id
        self.seq = seq
        self.problem = problem
        where = f"case {case_id!r}" + (f", event #{seq}" if seq is not None else "")
        super().__init__(f"{where}: {problem}")


class CommandRejected(CaseworkError):
    """A command was refused; the case and its log are exactly as they were before it.

    ``allowed`` lists the triggers the case accepts in its current state; ``reasons`` says why
    this one was refused, one line each.
    """

    def __init__(
        self,
        case_id: str,
        state: str,
        trigger: str,
        *,
        allowed: Sequence[str] = (),
        reasons: Sequence[str] = (),
    ) -> None:
        self.case_id = case_id
        self.state = state
        self.trigger = trigger
        self.allowed = tuple(allowed)
        self.reasons = tuple(reasons)
        why = "; ".join(self.reasons) or "refused"
        super().__init__(
            f"case {case_id!r} in state {state!r}: {trigger!r} refused: {why} "
            f"(allowed now: {', '.join(self.allowed) or 'nothing'})"
        )


class UnknownTrigger(CommandRejected):
    """The lifecycle has no trigger of this name."""


class TransitionNotAllowed(CommandRejected):
    """The trigger exists but not from the case's current state."""


class GuardFailed(CommandRejected):
    """One or more guards refused the command; ``failed`` maps each guard's name to its reason."""

    def __init__(
        self,
        case_id: str,
        state: str,
        trigger: str,
        *,
        allowed: Sequence[str] = (),
        failed: Mapping[str, str],
    ) -> None:
        self.failed = dict(failed)
        super().__init__(
            case_id, state, trigger, allowed=allowed, reasons=list(self.failed.values())
        )


class InvalidCommand(CommandRejected):
    """The command's own input is malformed (a bad date, a missing field, a wrong type)."""


class HookFailed(CommandRejected):
    """A hook raised while the command ran; the original exception is ``__cause__``."""


class DuplicateCommand(CommandRejected):
    """The command's id is already recorded on the case, by event ``seq``, for another command.

    ``command_id`` is the id; ``differences`` names what differs from the recorded command
    (``trigger``, ``at``, ``by`` or a payload key), empty when another writer recorded the
    id first and this copy of the case had not seen it (reload the case: a retry then
    returns event ``seq``).  A retry of the *same* command is never an error: it returns
    the event it recorded the first time.

    .. versionadded:: 0.1.0
    """

    def __init__(
        self,
        case_id: str,
        state: str,
        trigger: str,
        *,
        command_id: str,
        seq: int | None,
        differences: Sequence[str] = (),
        allowed: Sequence[str] = (),
        reasons: Sequence[str] = (),
    ) -> None:
        self.command_id = command_id
        self.seq = seq
        self.differences = tuple(differences)
        super().__init__(case_id, state, trigger, allowed=allowed, reasons=reasons)


class DuplicateRecord(GuardFailed):
    """The command records a fact the case already holds: event ``seq`` recorded it.

    A session number already held under the plan in force, the same consent already in
    force, the same assessment (instrument, phase, time and answers).  ``failed`` names the rule
    (``distinct_record``) like a guard; to change what ``seq`` says, correct it
    (``engine.correct(case, seq, ...)``) instead of recording it again.

    .. versionadded:: 0.1.0
    """

    def __init__(
        self,
        case_id: str,
        state: str,
        trigger: str,
        *,
        seq: int,
        allowed: Sequence[str] = (),
        failed: Mapping[str, str],
    ) -> None:
        self.seq = seq
        super().__init__(case_id, state, trigger, allowed=allowed, failed=failed)
