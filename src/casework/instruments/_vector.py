"""Scoring many protocols at once with numpy: the engine of :meth:`Instrument.score_many
<casework.instruments.Instrument.score_many>` (the inputs it takes and the
:class:`~casework.instruments.ScoreBatch` it returns are described in
:mod:`casework.instruments.batch`).

Answers are read exactly as :meth:`_Compiled.normalise` reads them for ``score``: the yes/no
fast path (bools and 0/1 are the item scores) for all protocols at once, every other protocol
one by one through the same code.  Then the scale sums, totals and every rule are computed as
columns: a rule's comparison applied to a whole column gives the same answer as applied to
each score.  Whole-number keys sum in int64 (exact); fractional keys sum per protocol in
Python, in ``score``'s order, so that floats come out bit for bit the same.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from casework._support import require
from casework.errors import InvalidResponses, InvalidValue
from casework.instruments._compiled import _slice
from casework.instruments.batch import InvalidProtocols, Problems, ScoreBatch

if TYPE_CHECKING:
    from casework.instruments._compiled import _Compiled

__all__ = ["score_many"]


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
        labels = tuple(protocols.index)
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
    else:
        groups = list(group)
        if len(groups) != count:
            raise InvalidValue("group", f"{len(groups)} groups for {count} protocols")
    unknown = sorted({g for g in groups if g is not None and g not in c.norms}, key=str)
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
    """How every protocol was read: the item-score matrix of the yes/no fast path with its row
    mask, and for the other rows their answers and item scores; one InvalidProtocols for every
    bad protocol.  ``rows`` are the protocols one by one (``None``: ``protocols`` is an array).
    """
    count = len(protocols) if rows is None else len(rows)
    matrix = None
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
                matrix = protocols.astype(np.uint8)
        elif set(map(type, rows)) <= {list, tuple} and set(map(len, rows)) == {c.n}:
            read = np.ones(count, dtype=bool)
            try:
                joined = b"".join(map(bytes, rows))
            except (TypeError, ValueError):  # labels, None, floats... in some protocols
                joined = b"".join(_bytes_or_zeros(rows, read, c.n))
            packed = np.frombuffer(joined, dtype=np.uint8)
            matrix = packed.reshape(count, c.n)
            fast = read if packed.max() <= 1 else read & (matrix <= 1).all(axis=1)
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
    if matrix is None:
        matrix = np.zeros((count, c.n), dtype=np.uint8)
    return matrix, fast, answers, scores


def _bytes_or_zeros(rows: list[Any], read: Any, n: int) -> list[bytes]:
    """Each protocol as bytes, or zeros (marked unread in ``read``) when it has other answers."""
    out = []
    for i, row in enumerate(rows):
        try:
            out.append(bytes(row))
        except (TypeError, ValueError):
            out.append(bytes(n))
            read[i] = False
    return out


def _item_scores(c: _Compiled, matrix: Any, fast: Any, scores: list[Sequence[Any]], np: Any) -> Any:
    """The item scores of every protocol as one int64 matrix (whole-number weights)."""
    if fast.all():
        return matrix
    out = np.zeros(matrix.shape, dtype=np.int64)
    out[fast] = matrix[fast]
    slow = np.flatnonzero(~fast)
    out[slow] = np.array([list(scores[i]) for i in slow.tolist()], dtype=np.int64).reshape(
        len(slow), c.n
    )
    return out


def _scale_sums(c: _Compiled, items: Any, np: Any) -> Any:
    """Every scale's raw score for every protocol (whole-number item scores), as int64."""
    raw = np.zeros((len(items), len(c.scale_keys)), dtype=np.int64)
    for j, key in enumerate(c.scale_keys):
        picked = [number - 1 for number in c.scale_items[key]]
        where = _slice(picked)  # a view when the items are evenly spaced (MHT: all scales)
        raw[:, j] = items[:, picked if where is None else where].sum(axis=1, dtype=np.int64)
    return raw


# -- scores -----------------------------------------------------------------------------------


def score_many(c: _Compiled, protocols: Any, group: Any = None) -> ScoreBatch:
    """Score many protocols with the compiled tables ``c`` (see the module docstring)."""
    np = require("numpy", "notebook", "Instrument.score_many")
    rows, array, labels = _rows(c, protocols, np)
    count = len(array) if rows is None else len(rows)
    groups = _groups(c, group, count)
    matrix, fast, answers, scores = _answers(c, array, rows, np)
    k = len(c.scale_keys)
    raw: Any
    totals: Any
    if c.whole:
        items = _item_scores(c, matrix, fast, scores, np)
        raw = _scale_sums(c, items, np)
        totals = raw[:, list(c.total_columns)].sum(axis=1, dtype=np.int64)
        values = np.column_stack([raw, totals])
    else:  # fractional weights: sum in Python, in score's order, so floats come out the same
        for i in np.flatnonzero(fast).tolist():
            scores[i] = matrix[i].tobytes()
        raw = tuple(c._raw(s) for s in scores)
        totals = tuple(sum(c.total_getter(r)) for r in raw)
        values = np.array([(*r, t) for r, t in zip(raw, totals, strict=True)], dtype=float)
        values = values.reshape(count, k + 1)
    codes, columns, n_validity = _flag_columns(c, values, matrix, fast, answers, np=np)
    raised = np.column_stack(columns) if columns else np.zeros((count, 0), dtype=bool)
    valid = ~raised[:, :n_validity].any(axis=1)
    return ScoreBatch(
        c, raw, totals, valid, tuple(codes), raised, tuple(groups), matrix, fast, tuple(answers),
        labels,
    )  # fmt: skip


def _flag_columns(
    c: _Compiled, values: Any, matrix: Any, fast: Any, answers: list[Any], *, np: Any
) -> tuple[list[str], list[Any], int]:
    """The codes ``score`` can raise, in its order, each with a column of whether it is raised
    for each protocol; and how many of them (the first) are validity flags.
    """
    codes: list[str] = []
    columns: list[Any] = []
    # The rules hold the operator module's comparisons, which work on whole columns too.
    for at, _, rules in c.validity:
        for code, op, value in rules:
            codes.append(code)
            columns.append(np.asarray(op(values[:, at], value), dtype=bool))
    n_validity = len(codes)
    slow = np.flatnonzero(~fast).tolist()
    for at, hits, code in c.crisis:
        yes = matrix[:, at] == 1  # the fast rows' answer True (yes) or False (no)
        hit = np.where(yes, True in hits, False in hits) & fast
        for i in slow:
            hit[i] = answers[i][at] in hits
        codes.append(code)
        columns.append(hit)
    for at, _, rules in c.checks:
        for code, op, value in rules:
            codes.append(code)
            columns.append(np.asarray(op(values[:, at], value), dtype=bool))
    return codes, columns, n_validity
