"""Copying every case from one store to another: how a station moves from SQLite to PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable

from casework.store.base import Store

__all__ = ["copy_store"]


def copy_store(
    src: Store, dst: Store, *, progress: Callable[[str, int], None] | None = None
) -> int:
    """Append every case of ``src`` to ``dst`` (each case in one append); returns the count.

    Events keep their case ids, numbers, times and payloads; ``dst`` checks each case as it
    would a new one (a case it could not replay is
    :class:`~casework.store.errors.InvalidAppend`, and the copy stops there, the cases
    before it copied), and refuses (:class:`~casework.store.errors.ConflictError`) a case it
    already holds, so running it twice copies nothing twice.  Cases are copied in the order
    they were opened; ``progress(case_id, events)`` is called after each.
    """
    copied = 0
    for summary in src.cases():
        events = src.events(summary.case_id)
        dst.append(events, expected_version=0)
        copied += 1
        if progress is not None:
            progress(summary.case_id, len(events))
    return copied
