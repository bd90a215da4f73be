"""The errors of serialisation: what could not be written, what could not be read, and why."""

from __future__ import annotations

from casework.errors import CaseworkError

__all__ = ["DecodeError", "EncodeError", "SchemaTooNew", "SerializationError", "UnsupportedSchema"]


class SerializationError(CaseworkError):
    """Base class of every error raised while turning values into JSON or back."""


class EncodeError(SerializationError, TypeError):
    """A value cannot be written as JSON: ``path`` says where (``$.payload.consent``)."""

    def __init__(self, path: str, problem: str) -> None:
        self.path = path
        self.problem = problem
        super().__init__(f"cannot encode {path}: {problem}")


class DecodeError(SerializationError, ValueError):
    """JSON cannot be read back into values: ``path`` says where, ``problem`` says why."""

    def __init__(self, path: str, problem: str) -> None:
        self.path = path
        self.problem = problem
        super().__init__(f"cannot decode {path}: {problem}")


class UnsupportedSchema(DecodeError):
    """A record's schema version ``found`` cannot be read by this casework (``supported``)."""

    def __init__(self, found: int, supported: range, problem: str) -> None:
        self.found = found
        self.supported = supported
        super().__init__("$.v", problem)


class SchemaTooNew(UnsupportedSchema):
    """The record was written by a newer casework than this one: upgrade casework to read it.

    Raised instead of guessing, so an old app never half-reads (and then rewrites) new data.
    """

    def __init__(self, found: int, supported: range) -> None:
        super().__init__(
            found,
            supported,
            f"schema version {found} was written by a newer casework; this one reads "
            f"versions {supported.start} to {supported.stop - 1}: upgrade casework",
        )
