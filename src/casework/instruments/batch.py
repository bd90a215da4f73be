"""Batch scoring: the results of many protocols of one instrument scored at once, and the
error that refuses a batch (the vectorised scoring itself is in :mod:`._vector`).

:meth:`Instrument.score_many <casework.instruments.Instrument.score_many>` takes a list of
protocols (each a sequence or a mapping, as :meth:`~casework.instruments.Instrument.score`
accepts), a 2-D numpy array (one row per protocol, item 1 first) or a pandas DataFrame (one
row per protocol, columns named by item number: ``1``..``n`` or ``"1"``..``"n"``; a missing
value, NaN or None, is a missing answer).  It returns a :class:`ScoreBatch`: a sequence of
:class:`~casework.instruments.ScoreResult` equal, protocol by protocol, to what ``score`` gives,
with :meth:`ScoreBatch.to_frame` for a table.

Answers are checked exactly as ``score`` checks them; the scale sums, the total, the flags
and the bands are computed for all protocols at once (the group, or the groups, are checked
first).  When some protocols are refused, none is scored: one :class:`InvalidProtocols` lists
every bad protocol with its row (0-based position in the input) and every problem with its
item number.

numpy comes with the ``notebook`` extra (``pip install 'casework[notebook]'``).
"""

from __future__ import annotations

import operator
import struct
from collections.abc import Iterable, Iterator, Sequence
from itertools import compress, repeat
from typing import TYPE_CHECKING, Any, overload

import attrs

from casework._support import require
from casework.errors import InvalidResponses
from casework.instruments._parts import Band, Number
from casework.instruments.scoring import ScoreResult

if TYPE_CHECKING:
    from casework.instruments._compiled import _Compiled

__all__ = ["InvalidProtocols", "ScoreBatch"]

Problems = tuple[tuple[int | None, str], ...]

#: At most this many bad protocols are written out in the message (all are in ``rows``).
SHOWN = 20


class InvalidProtocols(InvalidResponses):
    """Some protocols of a batch were refused; nothing was scored.

    ``rows`` pairs each bad protocol's row (0-based position in the input) with its problems,
    each ``(item, message)`` as in :class:`~casework.errors.InvalidResponses`; ``count`` is the
    number of protocols in the batch.  ``problems`` (inherited) lists them all flat, each
    message starting with ``row <n>:``.

    .. versionadded:: 0.1.0
    """

    def __init__(
        self, instrument: str, rows: Sequence[tuple[int, Sequence[tuple[int | None, str]]]],
        count: int,
    ) -> None:  # fmt: skip
        self.instrument = instrument
        self.rows: tuple[tuple[int, Problems], ...] = tuple(
            (row, tuple(problems)) for row, problems in rows
        )
        self.count = count
        self.problems = tuple(
            (item, f"row {row}: {msg}") for row, problems in self.rows for item, msg in problems
        )
        lines = []
        for row, problems in self.rows[:SHOWN]:
            said = "; ".join(
                f"item {item}: {msg}" if item is not None else msg for item, msg in problems
            )
            lines.append(f"  - row {row}: {said}")
        if len(self.rows) > SHOWN:
            lines.append(f"  - ... and {len(self.rows) - SHOWN} more rows (see .rows)")
        listing = "\n".join(lines)
        Exception.__init__(
            self,
            f"{instrument}: {len(self.rows)} of {count} protocol(s) refused, none scored:\n"
            f"{listing}",
        )

    @property
    def bad_rows(self) -> tuple[int, ...]:
        """The rows (0-based) of the refused protocols, in order."""
        return tuple(row for row, _ in self.rows)

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle by the constructor's arguments (errors cross process boundaries)."""
        return (InvalidProtocols, (self.instrument, self.rows, self.count))


@attrs.frozen(eq=False, repr=False)
class ScoreBatch(Sequence[ScoreResult]):
    """The results of :meth:`Instrument.score_many
    <casework.instruments.Instrument.score_many>`, in input order: a read-only sequence of
    :class:`~casework.instruments.ScoreResult` (``batch[3]``, ``len(batch)``, ``list(batch)``).

    The scores and flags of every protocol are computed when the batch is made, held as
    columns; a :class:`~casework.instruments.ScoreResult` is built when it is asked for (by
    index, iteration or :attr:`results`), equal to what ``score`` gives for that protocol.
    :meth:`to_frame` gives the table without building them.  Two batches are equal when
    their results are; a batch pickles and copies with its instrument.

    .. versionadded:: 0.1.0
    """

    _compiled: _Compiled
    _raw: Any  # (protocols, scales) int64 array; a tuple of tuples for fractional weights
    _totals: Any  # (protocols,) int64 array; a tuple for fractional weights
    _valid: Any  # (protocols,) bool array
    _codes: tuple[str, ...]  # every flag score can raise, in its order
    _raised: Any  # (protocols, codes) bool array: which flags each protocol raised
    _groups: tuple[str | None, ...]
    _yes_no: Any  # (protocols, bytes) np.packbits of the answers (1 = yes) of the _fast rows
    _fast: Any  # (protocols,) bool array
    _answers: tuple[tuple[Any, ...] | None, ...]  # the other rows' answers (None where fast)
    #: The row labels of a DataFrame input (``None`` for other inputs).
    labels: tuple[Any, ...] | None = None

    @property
    def instrument(self) -> str:
        """The instrument's id."""
        return self._compiled.id

    @property
    def version(self) -> str:
        """The instrument's version."""
        return self._compiled.version

    def __len__(self) -> int:
        return len(self._valid)

    @overload
    def __getitem__(self, at: int) -> ScoreResult: ...

    @overload
    def __getitem__(self, at: slice) -> tuple[ScoreResult, ...]: ...

    def __getitem__(self, at: int | slice) -> ScoreResult | tuple[ScoreResult, ...]:
        if isinstance(at, slice):
            return self._build(range(len(self))[at])
        i = operator.index(at)
        i = i + len(self) if i < 0 else i
        if not 0 <= i < len(self):
            raise IndexError("ScoreBatch index out of range")
        return self._build(range(i, i + 1))[0]

    def __iter__(self) -> Iterator[ScoreResult]:
        step = 4096
        for start in range(0, len(self), step):
            yield from self._build(range(start, min(start + step, len(self))))

    @property
    def results(self) -> tuple[ScoreResult, ...]:
        """Every result, in input order."""
        return self._build(range(len(self)))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ScoreBatch):
            return NotImplemented
        return self.labels == other.labels and self.results == other.results

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        valid = int(sum(self._valid.tolist()))
        flagged = int(self._raised.any(axis=1).sum()) if self._codes else 0
        return (
            f"<ScoreBatch {self.instrument} v{self.version}: {len(self)} protocols, "
            f"{valid} valid, {flagged} with flags>"
        )

    def _build(self, rows: range) -> tuple[ScoreResult, ...]:
        """The results of these rows (a range), built in one pass over the columns."""
        if not rows:
            return ()
        c = self._compiled
        # A slice for forward steps; the row numbers themselves otherwise (a negative step's
        # stop can be -1, which a slice would read as the last row).
        picked: Any = slice(rows.start, rows.stop, rows.step) if rows.step > 0 else list(rows)
        raws: Sequence[tuple[Number, ...]]
        totals: Sequence[Number]
        if isinstance(self._raw, tuple):
            raws = [self._raw[i] for i in rows]
            totals = [self._totals[i] for i in rows]
        else:
            raws = list(map(tuple, self._raw[picked].tolist()))
            totals = self._totals[picked].tolist()
        valid = self._valid[picked].tolist()
        flags = _flag_tuples(self._codes, self._raised[picked])
        # The fast rows' answers: the bits as 0/1 bytes, then as True/False in one C pass.
        own = [self._answers[i] for i in rows]
        np = require("numpy", "notebook", "ScoreBatch")
        yes_no = np.unpackbits(self._yes_no[picked], axis=1, count=c.n)
        unpacked = struct.Struct(f"{c.n}?").iter_unpack(yes_no.tobytes())
        answers = [a if a is not None else u for a, u in zip(own, unpacked, strict=True)]
        band_of: dict[Number, Band | None] = {}
        bands = []
        for total in totals:
            band = band_of.get(total, _MISSING)
            if band is _MISSING:
                band = band_of[total] = next((b for b in c.bands if b.low <= total <= b.high), None)
            bands.append(band)
        groups = [self._groups[i] for i in rows]
        standards: Iterable[Any] = (
            None if g is None else c._standard((*r, t), g)
            for r, t, g in zip(raws, totals, groups, strict=True)
        )
        out = list(
            map(
                ScoreResult,
                repeat(c.id),
                repeat(c.version),
                raws,
                totals,
                valid,
                flags,
                bands,
                answers,
                groups,
                standards,
                repeat(c),
            )
        )
        return tuple(out)

    def to_frame(self) -> Any:
        """A pandas DataFrame, one row per protocol: the scale raw scores (one column per
        scale key), ``total``, ``valid``, ``band`` (its key or None), ``flags`` (a tuple of
        codes) and ``group``; indexed like the input DataFrame (0..n-1 otherwise).  Built from
        the columns, without building the results.  Needs pandas (the ``notebook`` extra).
        """
        pd = require("pandas", "notebook", "ScoreBatch.to_frame")
        c = self._compiled
        raw = self._raw if not isinstance(self._raw, tuple) else list(self._raw)
        frame = pd.DataFrame(raw, columns=list(c.scale_keys), index=_index(self.labels))
        if not len(self):
            frame = frame.astype("int64")
        totals = self._totals if not isinstance(self._totals, tuple) else list(self._totals)
        frame["total"] = totals
        frame["valid"] = self._valid
        keys: dict[Number, str | None] = {}
        for t in set(frame["total"].tolist()):
            band = next((b for b in c.bands if b.low <= t <= b.high), None)
            keys[t] = None if band is None else band.key
        frame["band"] = [keys[t] for t in frame["total"].tolist()]
        frame["flags"] = _flag_tuples(self._codes, self._raised)
        frame["group"] = list(self._groups)
        return frame


_MISSING: Any = object()


def _flag_tuples(codes: tuple[str, ...], raised: Any) -> list[tuple[str, ...]]:
    """The raised codes of each row of ``raised`` (protocols with the same flags share one)."""
    if not codes:
        return [()] * len(raised)
    if len(codes) <= 62:
        np = require("numpy", "notebook", "ScoreBatch")
        bits = np.left_shift(np.int64(1), np.arange(len(codes), dtype=np.int64))
        keys: list[Any] = (raised.astype(np.int64) @ bits).tolist()
    else:
        keys = [row.tobytes() for row in raised]
    seen: dict[Any, tuple[str, ...]] = {}
    out = []
    for row, key in enumerate(keys):
        got = seen.get(key)
        if got is None:
            got = seen[key] = tuple(compress(codes, raised[row].tolist()))
        out.append(got)
    return out


def _index(labels: tuple[Any, ...] | None) -> Any:
    return list(labels) if labels is not None else None
