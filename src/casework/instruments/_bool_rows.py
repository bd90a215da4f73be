"""Reading many protocols of Python bools into packed bits in one C pass: the fast path of
:meth:`Instrument.score_many <casework.instruments.Instrument.score_many>` on a list of lists.

``marshal.dumps(rows, 2)`` walks a list of lists in C at a few nanoseconds per element, and it
writes ``True`` and ``False`` (the two singletons, compared by identity) as one byte each, a
list or tuple as a type byte and a 4-byte length before its items.  So when the dump has
exactly the length of ``len(rows)`` lists or tuples of ``n`` one-byte items, and every row
starts with a list or tuple header of length ``n`` and every other byte is the byte of True
or of False, every row is a list or tuple of ``n`` bools, read off at fixed positions.
Anything else (an int, a label, None or ``...``, a float, a nested list, a set, a wrong
length) breaks that layout, and the caller reads those rows as before.  marshal's format is
not promised across Python versions: the layout is probed once (:func:`codes`) and the path
is off when it is not as read here.
"""

from __future__ import annotations

import marshal
from functools import cache
from typing import Any

__all__ = ["bool_rows", "codes"]

#: marshal's format version used here (2: no back-references, a 4-byte length per container).
VERSION = 2


def _sized(code: int, length: int) -> bytes:
    """A container's header as marshal writes it: its type byte and its 4-byte length."""
    return bytes([code]) + length.to_bytes(4, "little")


@cache
def codes() -> tuple[int, int, int, int] | None:
    """The bytes marshal writes for True, False, a list and a tuple, when a probe dump has
    the layout :func:`bool_rows` reads; ``None`` (the path is off) otherwise.
    """
    try:
        yes, no = marshal.dumps(True, VERSION), marshal.dumps(False, VERSION)
        empty_list, empty_tuple = marshal.dumps([], VERSION), marshal.dumps((), VERSION)
        probe = marshal.dumps([[True, False, True], (False, True, False)], VERSION)
    except ValueError:  # pragma: no cover - a Python whose marshal lacks version 2
        return None
    if len(yes) != 1 or len(no) != 1 or yes == no or yes[0] in b"[(" or no[0] in b"[(":
        return None
    lst, tup = empty_list[0], empty_tuple[0]
    if empty_list != _sized(lst, 0) or empty_tuple != _sized(tup, 0):
        return None
    expected = _sized(lst, 2) + _sized(lst, 3) + yes + no + yes + _sized(tup, 3) + no + yes + no
    if probe != expected:
        return None
    return yes[0], no[0], lst, tup


def bool_rows(rows: list[Any], n: int, out: Any, np: Any) -> bool:
    """Write the answers of ``rows`` into ``out`` as bits (``np.packbits`` of each row, True
    as 1, into the first bytes of each row of the uint8 array ``out``) and return True when
    every row is a list or tuple of exactly ``n`` bools; False otherwise (``out`` is then
    left as it was).
    """
    got = codes()
    if got is None or not rows:
        return False
    yes, no, lst, tup = got
    try:
        dumped = marshal.dumps(rows, VERSION)
    except ValueError:  # an object marshal cannot write: not a row of bools
        return False
    count = len(rows)
    width = 5 + n
    if len(dumped) != 5 + count * width or dumped[:5] != _sized(lst, count):
        return False
    table = np.frombuffer(dumped, dtype=np.uint8, offset=5).reshape(count, width)
    lead = table[:, 0]
    if not bool(((lead == lst) | (lead == tup)).all()):
        return False
    length = np.frombuffer(n.to_bytes(4, "little"), dtype=np.uint8)
    if not bool((table[:, 1:5] == length).all()):
        return False
    body = table[:, 5:]
    answers = body == yes
    # With the headers in place and every item byte True's or False's, the dump is byte for
    # byte that of rows of n bools, and marshal reads back what it wrote: these are the rows.
    if int(np.count_nonzero(answers)) + int(np.count_nonzero(body == no)) != count * n:
        return False
    out[:, : -(-n // 8)] = np.packbits(answers, axis=1)
    return True
