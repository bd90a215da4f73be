"""The errors stores raise: conflicts, unknown cases, refused appends, corrupt records."""

from __future__ import annotations

from typing import Any

from casework.errors import CaseworkError

__all__ = [
    "CaseExists",
    "ConflictError",
    "CorruptRecord",
    "DuplicateCommandId",
    "InvalidAppend",
    "NotAStore",
    "StoreError",
    "UnknownCase",
    "UnknownLifecycle",
]


class StoreError(CaseworkError):
    """Base class of every error a store raises."""


class ConflictError(StoreError):
    """Someone else changed the case first: the writer saw ``expected`` but it is ``actual``.

    Nothing was written.  Load the case again, look at what changed, and retry the command.
    """

    def __new__(cls, *args: Any, **kwargs: Any) -> ConflictError:
        # a new case whose id is taken is a CaseExists, wherever a store raises the conflict
        expected = args[1] if len(args) > 1 else kwargs.get("expected")
        kind = CaseExists if cls is ConflictError and expected == 0 else cls
        return super().__new__(kind)

    def __init__(self, case_id: str, expected: int, actual: int | None) -> None:
        self.case_id = case_id
        self.expected = expected
        self.actual = actual
        super().__init__(self._message())

    def _message(self) -> str:
        now = f"it is at version {self.actual}"
        if self.actual is None:
            now = "another writer appended first"
        return (
            f"case {self.case_id!r} changed since it was read (expected version "
            f"{self.expected}, {now}); nothing was written: reload the case and try again"
        )


class CaseExists(ConflictError):
    """A new case (``expected_version`` 0) was given an id the store already holds.

    Nothing was written.  Choose another id, or load the existing case to go on with it.

    .. versionadded:: 0.12
    """

    def _message(self) -> str:
        return (
            f"case {self.case_id!r} already exists in this store; nothing was written: "
            "open the new case under another id, or load the existing one"
        )


class DuplicateCommandId(ConflictError):
    """An appended event carries a command id the case already recorded (by event ``seq``).

    Nothing was written.  Another writer recorded that command first: reload the case; the
    engine then returns event ``seq`` for a retry with that id.

    .. versionadded:: 0.1.0
    """

    def __init__(self, case_id: str, command_id: str, seq: int | None, *, expected: int) -> None:
        self.command_id = command_id
        self.seq = seq
        StoreError.__init__(
            self,
            f"case {case_id!r}: command id {command_id!r} is already recorded"
            + (f" as #{seq}" if seq is not None else "")
            + "; nothing was written: reload the case (a retry then returns that event)",
        )
        self.case_id = case_id
        self.expected = expected
        self.actual = None


class UnknownCase(StoreError, LookupError):
    """The store holds no case with this id."""

    def __init__(self, case_id: str, message: str | None = None) -> None:
        self.case_id = case_id
        super().__init__(message or f"no case {case_id!r} in this store")

    def __str__(self) -> str:  # LookupError would quote the message again
        return str(self.args[0])


class UnknownLifecycle(StoreError, LookupError):
    """A case follows a lifecycle the store was not given, so it cannot be replayed."""

    def __init__(
        self, case_id: str, lifecycle: str, known: tuple[str, ...], version: int | None = None
    ) -> None:
        self.case_id = case_id
        self.lifecycle = lifecycle
        self.version = version
        self.known = known
        what = f"{lifecycle!r}" + (f" version {version}" if version is not None else "")
        super().__init__(
            f"case {case_id!r} follows lifecycle {what}, which this store's catalogue does not "
            f"hold (it has: {', '.join(known) or 'none'}); add its definition to the catalogue "
            "(casework commands: --lifecycle FILE or casework.toml)"
        )

    def __str__(self) -> str:
        return str(self.args[0])


class InvalidAppend(StoreError, ValueError):
    """The events given to ``append`` are malformed (wrong case, gaps, an unknown state, a
    payload the case could not replay, a string that cannot be stored...); nothing is written.

    ``case_id`` and ``seq`` say which event was refused, when known; ``problem`` says why.
    """

    def __init__(self, case_id: str | None, problem: str, seq: int | None = None) -> None:
        self.case_id = case_id
        self.seq = seq
        self.problem = problem
        where = f"case {case_id!r}" if case_id is not None else ""
        if seq is not None:
            where += f", event #{seq}" if where else f"event #{seq}"
        super().__init__(f"{where + ': ' if where else ''}append refused: {problem}")


class NotAStore(StoreError):
    """``path`` cannot be used as a casework store (a directory, a text file, a damaged file,
    another application's database); ``problem`` says what is wrong.  Nothing was changed.
    """

    def __init__(self, path: str, problem: str) -> None:
        self.path = path
        self.problem = problem
        super().__init__(f"{path} is not a casework store: {problem}")


class CorruptRecord(StoreError):
    """A stored record cannot be read back; it is reported, never skipped.

    ``case_id`` and ``seq`` say which record (as the store's row says); ``problem`` says why.
    """

    def __init__(self, case_id: str, seq: int | None, problem: str) -> None:
        self.case_id = case_id
        self.seq = seq
        self.problem = problem
        where = f"case {case_id!r}" + (f", event #{seq}" if seq is not None else "")
        super().__init__(f"corrupt record in the store: {where}: {problem}")
