"""Scoring many protocols at once with numpy: the engine of :meth:`Instrument.score_many
<casework.instruments.Instrument.score_many>` (the inputs it takes and the
:class:`~casework.instruments.ScoreBatch` it returns are described in
:mod:`casework.instruments.batch`).

Answers are read exactly as :meth:`_Compiled.normalise` reads them for ``score``: the yes/no
fast path (bools and 0/1 are the item scores) for all protocols at once, every other protocol
one by one through the same code.  A list is read in blocks: a block of bool rows from one
``marshal`` dump (:mod:`._bool_rows`), any other block by ``bytes()`` of each row as ``score``
reads it.  The fast path keeps the answers as bits, one row per protocol, so that a yes/no
scale's raw score is a bit count of answers & the scale's mask.  Then totals and every rule
are computed as rows over all protocols: a rule's comparison applied to a whole row gives the
same answer as applied to each score.  Whole-number keys sum in int64 (exact); fractional keys
sum per protocol in Python, in ``score``'s order, so that floats come out bit for bit the same.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import suppress
from typing import TYPE_CHECKING, Any

from casework._support import require
from casework.errors import InvalidResponses, InvalidValue
from casework.instruments._bool_rows import bool_rows
from casework.instruments._compiled import _slice
from casework.instruments.batch import InvalidProtocols, Problems, ScoreBatch

if TYPE_CHECKING:
    from casework.instruments._compiled import _Compiled

__all__ = ["score_many"]

#: Protocols read per step from a list: one marshal dump and one bytes join at a time, so a
#: block with other answers than bools costs one block's retry, not the batch's.
CHUNK = 4096


# -- input ------------------------------------------------------------------------------------


def _item_number(label: Any) -> int | None:
    if isinstance(label, int) and not isinstance(label, bool):
        return label
    if isinstance(label, str) and label.strip().isdecimal():
        return int(label)
    return None


def _rows(
    c: _Compiled, protocols: Any, np: Any
) -> tuple[list[Any] | None, Any, tuple[Any, ...] | None]:
    """The protocols one by one, or as a 2-D array (one row each); and a DataFrame's labels."""
    if hasattr(protocols, "columns") and hasattr(protocols, "to_numpy"):  # a DataFrame
        pd = require("pandas", "notebook", "Instrument.score_many on a DataFrame")
        labels = tuple(protocols.index.tolist())  # the same labels, without a loop per row
        numbers = [_item_number(col) for col in protocols.columns]
        whole_table = sorted(numbers, key=lambda n: -1 if n is None else n) == list(
            range(1, c.n + 1)
        )
        if whole_table and not bool(protocols.isna().to_numpy().any()):
            # Exactly the items as columns, nothing missing: the table is the protocols.
            order = sorted(range(len(numbers)), key=lambda i: numbers[i] or 0)
            return None, protocols.iloc[:, order].to_numpy(), labels
        columns = list(protocols.columns)
        rows = [
            {col: v for col, v in zip(columns, values, strict=True) if not pd.isna(v)}
            for values in protocols.to_numpy(dtype=object).tolist()
        ]
        return rows, None, labels
    if isinstance(protocols, np.ndarray):
        if protocols.ndim != 2:
            raise InvalidValue(
                "protocols", f"expected a 2-D array (one row per protocol), got {protocols.ndim}-D"
            )
        return None, protocols, None
    if isinstance(protocols, str | bytes | Mapping) or not hasattr(protocols, "__iter__"):
        raise InvalidValue(
            "protocols",
            "expected a list of protocols, a 2-D numpy array or a pandas DataFrame, "
            f"got {type(protocols).__name__}",
        )
    return list(protocols), None, None


def _groups(c: _Compiled, group: Any, count: int) -> list[str | None]:
    """One group per protocol (``group`` is one group for all, or a sequence of them)."""
    if group is None or isinstance(group, str):
        groups: list[str | None] = [group] * count
        named: set[Any] = set() if group is None else {group}
    else:
        groups = list(group)
        if len(groups) != count:
            raise InvalidValue("group", f"{len(groups)} groups for {count} protocols")
        try:
            named = set(groups) - {None}
        except TypeError:  # an unhashable group: a list where a name was meant
            odd = next(g for g in groups if g.__hash__ is None)
            raise InvalidValue("group", f"a group is a name or None, got {odd!r}") from None
    unknown = sorted({g for g in named if g not in c.norms}, key=str)
    if unknown:
        known = ", ".join(sorted(c.norms)) or "none"
        raise InvalidValue(
            "group", f"{c.id} has no norm table for group(s) {unknown!r} (known: {known})"
        )
    return groups


# -- answers ----------------------------------------------------------------------------------


def _one(c: _Compiled, row: Any) -> tuple[tuple[Any, ...], Sequence[Any]]:
    """Answers and item scores of one protocol exactly as ``score`` reads them."""
    answers, scores = c.normalise(row)
    if not isinstance(scores, bytes) and None in scores:  # a miss the fast path let through
        answers, scores = c._careful(row, [])
    return answers, scores


def _answers(
    c: _Compiled, protocols: Any, rows: list[Any] | None, np: Any
) -> tuple[Any, Any, list[tuple[Any, ...] | None], list[Sequence[Any]]]:
    """How every protocol was read: the answers of the yes/no fast path as bits (see
    :func:`_width`) with its row mask, and for the other rows their answers and item scores;
    one InvalidProtocols for every bad protocol.  ``rows`` are the protocols one by one
    (``None``: ``protocols`` is an array).
    """
    count = len(protocols) if rows is None else len(rows)
    bits = np.zeros((count, _width(c.n)), dtype=np.uint8)
    fast = np.zeros(count, dtype=bool)
    if c.unpack is not None and count:
        # Yes/no keyed yes=1, no=0 (the MHT): as in ``score``, bools and 0/1 are the item
        # scores and become the answers True/False; here for all protocols at once.
        if rows is None:
            if protocols.dtype.kind in "biu" and protocols.shape[1] == c.n:
                if protocols.dtype.kind == "b":
                    fast = np.ones(count, dtype=bool)
                else:
                    fast = ((protocols == 0) | (protocols == 1)).all(axis=1)
                # packbits reads rows in place: 3-4x faster than on a DataFrame's columns
                bits[:, : -(-c.n // 8)] = np.packbits(np.ascontiguousarray(protocols), axis=1)
        else:
            for start in range(0, count, CHUNK):
                part = rows[start : start + CHUNK]
                block = bits[start : start + len(part)]
                # One marshal dump reads a block of bool rows (tried when its first row is
                # one); bytes() of each row reads bools and ints 0/1, as ``score`` does.
                if _bools(part[0]) and bool_rows(part, c.n, block, np):
                    fast[start : start + len(part)] = True
                else:
                    fast[start : start + len(part)] = _bytes_rows(part, c.n, block, np)
    answers: list[tuple[Any, ...] | None] = [None] * count
    scores: list[Sequence[Any]] = [b""] * count
    bad: list[tuple[int, Problems]] = []
    for i in np.flatnonzero(~fast).tolist():
        row = protocols[i].tolist() if rows is None else rows[i]
        try:
            answers[i], scores[i] = _one(c, row)
        except InvalidResponses as e:
            bad.append((i, e.problems))
    if bad:
        raise InvalidProtocols(c.id, bad, count)
    return bits, fast, answers, scores


def _width(n: int) -> int:
    """Bytes per protocol of the answer bits: ``np.packbits`` of its ``n`` answers (item 1 in
    the first byte's high bit), zero-padded to whole 64-bit words for the bit counts.
    """
    return -(-n // 64) * 8


def _bools(row: Any) -> bool:
    """Whether ``row`` is a list or tuple of bools only."""
    return (row.__class__ is list or row.__class__ is tuple) and set(map(type, row)) == {bool}


def _bytes_rows(part: list[Any], n: int, block: Any, np: Any) -> Any:
    """Write the answer bits of ``bytes(row)`` of each protocol into ``block`` and return
    which rows are fast: a list or tuple of ``n`` bools or ints 0/1, as ``score``'s own fast
    path reads them.
    """
    read = np.ones(len(part), dtype=bool)
    joined = None
    if set(map(type, part)) <= {list, tuple} and set(map(len, part)) == {n}:
        with suppress(TypeError, ValueError):  # labels, None, floats... in some protocols
            joined = b"".join(map(bytes, part))
    if joined is None:
        joined = b"".join(_bytes_or_zeros(part, read, n))
    answers = np.frombuffer(joined, dtype=np.uint8).reshape(len(part), n)
    block[:, : -(-n // 8)] = np.packbits(answers, axis=1)
    return read if int(answers.max()) <= 1 else read & (answers <= 1).all(axis=1)


def _bytes_or_zeros(rows: list[Any], read: Any, n: int) -> list[bytes]:
    """Each protocol as bytes, or zeros (marked unread in ``read``) when it is no list or
    tuple of ``n`` answers or has other answers than bools and small ints.
    """
    out = []
    for i, row in enumerate(rows):
        if (row.__class__ is list or row.__class__ is tuple) and len(row) == n:
            try:
                out.append(bytes(row))
                continue
            except (TypeError, ValueError):
                pass
        out.append(bytes(n))
        read[i] = False
    return out


def _item_scores(c: _Compiled, fast: Any, scores: list[Sequence[Any]], np: Any) -> Any:
    """The item scores of the protocols not read by the fast path, one int64 row each."""
    slow = np.flatnonzero(~fast).tolist()
    table = np.array([list(scores[i]) for i in slow], dtype=np.int64)
    return table.reshape(len(slow), c.n)


def _scale_sums(
    c: _Compiled, bits: Any, fast: Any, scores: list[Sequence[Any]], out: Any, *, np: Any
) -> None:
    """Every scale's raw score for every protocol (whole-number item scores) into ``out``, a
    ``(scales, protocols)`` int64 array: as bit counts for a yes/no instrument (its item
    scores are the 0/1 answers), as sums of the item-score matrix otherwise.
    """
    slow = np.flatnonzero(~fast)
    if c.unpack is not None:
        if len(slow):  # the careful path's rows (labels, "1"...) have 0/1 scores as well
            bits = bits.copy()
            bits[slow, : -(-c.n // 8)] = np.packbits(_item_scores(c, fast, scores, np), axis=1)
        if _bit_sums(c, bits, out, np):
            return
        items = np.unpackbits(bits, axis=1, count=c.n)
    else:
        items = _item_scores(c, fast, scores, np)
    for j, key in enumerate(c.scale_keys):
        picked = [number - 1 for number in c.scale_items[key]]
        where = _slice(picked)  # a view when the items are evenly spaced (MHT: all scales)
        out[j] = items[:, picked if where is None else where].sum(axis=1, dtype=np.int64)


def _bit_sums(c: _Compiled, bits: Any, out: Any, np: Any) -> bool:
    """The scale sums of 0/1 item scores given as bits (see :func:`_width`): each scale a mask
    of its items packed the same way, a sum the count of the bits set in answers & mask
    (``np.bitwise_count``, numpy 2.0 on; False without it).
    """
    popcount = getattr(np, "bitwise_count", None)
    if popcount is None:
        return False
    words = bits.view(np.uint64)
    member = np.zeros((len(c.scale_keys), bits.shape[1] * 8), dtype=np.uint8)
    for j, key in enumerate(c.scale_keys):
        member[j, [number - 1 for number in c.scale_items[key]]] = 1
    masks = np.packbits(member, axis=1).view(np.uint64)
    columns = [np.ascontiguousarray(words[:, w]) for w in range(words.shape[1])]
    for j in range(len(c.scale_keys)):
        out[j] = 0
        for w, column in enumerate(columns):
            if masks[j, w]:
                out[j] += popcount(column & masks[j, w])
    return True


# -- scores -----------------------------------------------------------------------------------


def score_many(c: _Compiled, protocols: Any, group: Any = None) -> ScoreBatch:
    """Score many protocols with the compiled tables ``c`` (see the module docstring)."""
    np = require("numpy", "notebook", "Instrument.score_many")
    rows, array, labels = _rows(c, protocols, np)
    count = len(array) if rows is None else len(rows)
    groups = _groups(c, group, count)
    bits, fast, answers, scores = _answers(c, array, rows, np)
    k = len(c.scale_keys)
    raw: Any
    totals: Any
    if c.whole:
        # Scales and total as rows (one per score, protocols along it): every step below
        # reads or writes whole contiguous rows.
        by_score = np.empty((k + 1, count), dtype=np.int64)
        _scale_sums(c, bits, fast, scores, by_score, np=np)
        columns = list(c.total_columns)
        where = _slice(columns)  # a view, not a copy, when evenly spaced (MHT: scales 1-8)
        by_score[k] = by_score[columns if where is None else where].sum(axis=0)
        raw, totals, values = by_score[:k].T, by_score[k], by_score.T
    else:  # fractional weights: sum in Python, in score's order, so floats come out the same
        raw = tuple(c._raw(s) for s in scores)
        totals = tuple(sum(c.total_getter(r)) for r in raw)
        values = np.array([(*r, t) for r, t in zip(raw, totals, strict=True)], dtype=float)
        values = values.reshape(count, k + 1)
    codes, raised, n_validity = _flag_rows(c, values, bits, fast, answers, np=np)
    valid = ~raised[:n_validity].any(axis=0)
    return ScoreBatch(
        c, raw, totals, valid, tuple(codes), raised.T, tuple(groups), bits, fast,
        tuple(answers), labels,
    )  # fmt: skip


def _flag_rows(
    c: _Compiled, values: Any, bits: Any, fast: Any, answers: list[Any], *, np: Any
) -> tuple[list[str], Any, int]:
    """The codes ``score`` can raise, in its order; a ``(codes, protocols)`` bool array of
    whether each is raised for each protocol; and how many codes (the first) are validity
    flags.
    """
    rules = [(code, op, value, at) for at, _, rs in c.validity for code, op, value in rs]
    n_validity = len(rules)
    checks = [(code, op, value, at) for at, _, rs in c.checks for code, op, value in rs]
    codes = [r[0] for r in rules] + [code for _, _, code in c.crisis] + [r[0] for r in checks]
    raised = np.empty((len(codes), len(fast)), dtype=bool)
    # The rules hold the operator module's comparisons, which work on whole columns too.
    for j, (_, op, value, at) in enumerate(rules):
        raised[j] = op(values[:, at], value)
    slow = np.flatnonzero(~fast).tolist()
    for j, (at, hits, _) in enumerate(c.crisis, n_validity):
        yes = (bits[:, at >> 3] >> (7 - (at & 7))) & 1  # a fast row's answer: 1 is yes
        hit = raised[j]
        np.logical_and(np.where(yes, True in hits, False in hits), fast, out=hit)
        for i in slow:
            hit[i] = answers[i][at] in hits
    for j, (_, op, value, at) in enumerate(checks, n_validity + len(c.crisis)):
        raised[j] = op(values[:, at], value)
    return codes, raised, n_validity
