"""An instrument compiled once into lookup tables, so that scoring a protocol is a few C-level
passes (map over a dict, slices, compress) instead of a Python loop per item.

The fast path handles the common case (a list or tuple of exact answers); anything else goes
through the careful path, which collects every problem with its item number.
"""

from __future__ import annotations

import itertools
import operator
import struct
from collections.abc import Callable, Mapping, Sequence
from itertools import chain
from typing import TYPE_CHECKING, Any

from casework.errors import InvalidResponses, InvalidValue
from casework.instruments._parts import TOTAL, FlagKind, Number, accepted_inputs
from casework.instruments.scoring import Flag, ScoreResult

if TYPE_CHECKING:
    from casework.instruments.model import Instrument

_OPS: dict[str, Callable[[Any, Any], bool]] = {
    ">=": operator.ge,
    ">": operator.gt,
    "<=": operator.le,
    "<": operator.lt,
}
_MISS = object()
Getter = Callable[[Sequence[Number]], Any]


def _slice(indices: Sequence[int]) -> slice | None:
    """The slice picking these positions, when they are evenly spaced."""
    if len(indices) == 1:
        return slice(indices[0], indices[0] + 1)
    step = indices[1] - indices[0]
    if step > 0 and all(b - a == step for a, b in itertools.pairwise(indices)):
        return slice(indices[0], indices[-1] + 1, step)
    return None


def _getter(indices: Sequence[int]) -> Getter:
    """A C-level picker of these positions (a slice when they are evenly spaced)."""
    picked = _slice(indices)
    if picked is not None:
        return operator.itemgetter(picked)
    return operator.itemgetter(*indices)


def _raised(
    rules: Sequence[tuple[str, Callable[[Any, Any], bool], Number]], score: Number
) -> list[str]:
    return [code for code, op, value in rules if op(score, value)]


class _Compiled:
    """The lookup tables of one instrument and the scoring loop over them."""

    def __init__(self, inst: Instrument) -> None:
        self.instrument = inst
        self.id, self.version, self.n = inst.id, inst.version, len(inst.items)
        self._answers(inst)
        self._scales(inst)
        self._rules(inst)

    def __reduce__(self) -> tuple[Callable[[Instrument], _Compiled], tuple[Instrument]]:
        """Pickle as the definition; unpickling compiles it again (lookup tables do not pickle)."""
        return _compiled_of, (self.instrument,)

    def _answers(self, inst: Instrument) -> None:
        formats = {f.key: (f, *accepted_inputs(f)[:2]) for f in inst.formats}
        self.answer_t: list[dict[Any, Any]] = []
        self.weight_t: list[dict[Any, Number]] = []
        self.folded_t: list[dict[str, tuple[Any, Number]]] = []
        self.expect: list[str] = []
        strict: list[bool] = []
        for item in inst.items:
            fmt, exact, folded = formats[item.format]
            values = [o.value for o in fmt.options]
            self.answer_t.append({k: values[i] for k, i in exact.items()})
            self.weight_t.append({k: item.weights[i] for k, i in exact.items()})
            self.folded_t.append({k: (values[i], item.weights[i]) for k, i in folded.items()})
            strict.append(not any(isinstance(v, bool) for v in values))
            self.expect.append(fmt.describe())
        self.strict, self.any_strict = tuple(strict), any(strict)
        self.item_weights = tuple(item.weights for item in inst.items)
        self.whole = all(isinstance(w, int) for ws in self.item_weights for w in ws)
        # Fast path: one format for every item -> one dict input -> option index; the weights
        # are then picked per item (or from one dict when every item has the same key).
        self.one_format = len({i.format for i in inst.items}) == 1
        self.identity = False
        self.weight_of: dict[Any, Number] | None = None
        if self.one_format:
            fmt, exact, _ = formats[inst.items[0].format]
            self.index_of = exact
            self.values = tuple(o.value for o in fmt.options)
            self.answer_of = self.answer_t[0]
            same_key = len(set(self.item_weights)) == 1
            self.weight_of = self.weight_t[0] if same_key else None
            # When every weight equals its option's value (yes=1/no=0, Likert 0-3), the
            # normalised answers are the item scores: no second pass is needed.
            self.identity = all(
                isinstance(v, int) and w == v
                for ws in self.item_weights
                for w, v in zip(ws, self.values, strict=True)
            )
        yes_no = self.one_format and {type(v) for v in self.values} == {bool}
        self.unpack = struct.Struct(f"{self.n}?").unpack if yes_no and self.identity else None
        self.score_of = tuple(
            {a: ws[i] for i, a in enumerate(f)}
            for ws, f in zip(self.item_weights, self._values_per_item(inst), strict=True)
        )

    @staticmethod
    def _values_per_item(inst: Instrument) -> list[tuple[Any, ...]]:
        options = {f.key: tuple(o.value for o in f.options) for f in inst.formats}
        return [options[item.format] for item in inst.items]

    def item_scores(self, answers: Sequence[Any]) -> tuple[Number, ...]:
        """Each item's score (its weight for the answer given)."""
        return tuple(map(dict.__getitem__, self.score_of, answers))

    def _scales(self, inst: Instrument) -> None:
        self.scale_keys = tuple(s.key for s in inst.scales)
        self.scale_info = tuple((s.key, s.zh, s.en, s.min, s.max, s.better) for s in inst.scales)
        self.getters = tuple(_getter([i - 1 for i in s.items]) for s in inst.scales)
        slices = [_slice([i - 1 for i in s.items]) for s in inst.scales]
        self.slices = tuple(x for x in slices if x is not None) if None not in slices else None
        self.scale_items: dict[str, tuple[int, ...]] = {s.key: s.items for s in inst.scales}
        self.scale_items[TOTAL] = tuple(
            sorted({n for s in inst.scales if s.key in inst.total.scales for n in s.items})
        )
        self.index = {k: i for i, k in enumerate(self.scale_keys)} | {TOTAL: len(self.scale_keys)}
        self.total_columns = tuple(self.index[k] for k in inst.total.scales)
        self.total_getter = _getter(self.total_columns)
        self.total_range = (inst.total.min, inst.total.max)
        self.total_better = inst.total.better
        self.total_zh, self.total_en = inst.total.zh, inst.total.en

    def _rules(self, inst: Instrument) -> None:
        labels = {s.key: (s.zh, s.en) for s in inst.scales}
        labels[TOTAL] = (inst.total.zh, inst.total.en)
        self.flag_info: dict[str, Flag] = {}
        self.flag_targets: dict[str, str] = {}
        rank = {FlagKind.VALIDITY: 0, FlagKind.SAFETY: 1}
        ordered = sorted(
            enumerate(inst.thresholds),
            key=lambda it: (rank.get(it[1].kind, 2), TOTAL not in it[1].targets, it[0]),
        )
        validity: list[tuple[int, str, Callable[[Any, Any], bool], Number]] = []
        checks: list[tuple[int, str, Callable[[Any, Any], bool], Number]] = []
        for _, t in ordered:
            for target in t.targets:
                code = t.code(target)
                zh, en = (
                    label.replace("{target}", labels[target][i]).replace("{value}", str(t.value))
                    for i, label in enumerate((t.zh, t.en))
                )
                self.flag_info[code] = Flag(code, t.kind, target, zh, en)
                self.flag_targets[code] = target
                rule = (self.index[target], code, _OPS[t.op], t.value)
                (validity if t.kind is FlagKind.VALIDITY else checks).append(rule)
        # Checks grouped by target: the total first, then the scales in order.
        order = sorted({r[0] for r in checks}, key=lambda i: (i != self.index[TOTAL], i))
        self.validity = self._lookups(inst, sorted({r[0] for r in validity}), validity)
        self.checks = self._lookups(inst, order, checks)
        # The same tables as one C-level pass: pick the checked scores, look each up.
        self.check_pick = _getter(order) if order else None
        self.check_tables = tuple(table for _, table, _ in self.checks)
        self.crisis = tuple((c.item - 1, frozenset(c.answers), c.code) for c in inst.crisis_items)
        for c in inst.crisis_items:
            zh, en = (label.replace("{item}", str(c.item)) for label in (c.zh, c.en))
            self.flag_info[c.code] = Flag(c.code, FlagKind.SAFETY, None, zh, en)
        self.bands = inst.bands
        self.norms: dict[str, dict[int, dict[Number, Number]]] = {}
        for table in inst.norms:
            self.norms.setdefault(table.group, {})[self.index[table.scale]] = dict(table.points)

    def _lookups(
        self,
        inst: Instrument,
        targets: Sequence[int],
        rules: Sequence[tuple[int, str, Callable[[Any, Any], bool], Number]],
    ) -> tuple[tuple[int, dict[Any, tuple[str, ...]], tuple[Any, ...]], ...]:
        """Per target, the codes raised by every possible score, precomputed when the scores
        are whole numbers (other scores are checked rule by rule).
        """
        ranges = [(s.min, s.max) for s in inst.scales] + [(inst.total.min, inst.total.max)]
        out: list[tuple[int, dict[Any, tuple[str, ...]], tuple[Any, ...]]] = []
        for at in targets:
            mine = tuple((code, op, value) for i, code, op, value in rules if i == at)
            lo, hi = ranges[at]
            scores = range(int(lo), int(hi) + 1) if self.whole else range(0)
            table = {v: tuple(code for code, op, value in mine if op(v, value)) for v in scores}
            out.append((at, table, mine))
        return tuple(out)

    # -- responses ----------------------------------------------------------------------------

    def normalise(self, responses: Any) -> tuple[tuple[Any, ...], Sequence[Any]]:
        """Answers and item scores of a protocol, or one InvalidResponses with every problem."""
        cls = responses.__class__
        if (
            (cls is list or cls is tuple)
            and len(responses) == self.n
            and self.one_format
            and not (self.any_strict and any(a.__class__ is bool for a in responses))
        ):
            if self.unpack is not None:
                # Yes/no keyed yes=1, no=0 (the MHT): bytes() accepts exactly bools and small
                # ints; once the bytes are all 0 or 1 they are the item scores, and struct
                # turns them into the canonical True/False answers in one C call.
                try:
                    scores = bytes(responses)
                    if not scores.translate(None, b"\x00\x01"):
                        return self.unpack(scores), scores
                except (TypeError, ValueError):  # labels, None, floats...: the general path
                    pass
            # A miss gives None, which makes getitem here or the scale sums raise TypeError;
            # an unhashable answer raises it at once.  Both lead to the careful path.
            lookup: Callable[[Any], Any] = self.answer_of.get
            try:
                answers = tuple(map(lookup, responses))
                if self.identity:
                    return answers, answers
                if self.weight_of is not None:
                    lookup = self.weight_of.get
                    return answers, list(map(lookup, responses))
                lookup = self.index_of.get
                pick: Callable[[Any, Any], Any] = operator.getitem
                return answers, list(map(pick, self.item_weights, map(lookup, responses)))
            except TypeError:
                pass
        problems: list[tuple[int | None, str]] = []
        if isinstance(responses, Mapping):
            seq: Sequence[Any] = self._from_mapping(responses, problems)
        elif isinstance(responses, Sequence) and not isinstance(responses, str | bytes):
            seq = responses
            if len(seq) != self.n:
                problems.append((None, f"expected {self.n} answers, got {len(seq)}"))
        else:
            kind = type(responses).__name__
            why = f"expected a list of answers or a mapping item -> answer, got {kind}"
            raise InvalidResponses(self.id, [(None, why)])
        return self._careful(seq, problems)

    def _from_mapping(
        self, responses: Mapping[Any, Any], problems: list[tuple[int | None, str]]
    ) -> list[Any]:
        seq: list[Any] = [_MISS] * self.n
        for key, answer in responses.items():
            number = key if isinstance(key, int) and not isinstance(key, bool) else None
            if isinstance(key, str) and key.strip().isdecimal():
                number = int(key)
            if number is None:
                problems.append((None, f"{key!r} is not an item number"))
            elif not 1 <= number <= self.n:
                problems.append((number, f"no such item ({self.id} has items 1-{self.n})"))
            elif seq[number - 1] is not _MISS:
                problems.append((number, "answered twice"))
            else:
                seq[number - 1] = answer
        return seq

    def _careful(
        self, seq: Sequence[Any], problems: list[tuple[int | None, str]]
    ) -> tuple[tuple[Any, ...], list[Number]]:
        answers: list[Any] = []
        scores: list[Number] = []
        for i in range(self.n):
            number = i + 1
            a = seq[i] if i < len(seq) else _MISS
            if a is _MISS or a is None:
                problems.append((number, "no answer (every item must be answered)"))
                continue
            try:
                hit = self.answer_t[i].get(a, _MISS)
            except TypeError:
                hit = _MISS
            if hit is not _MISS and a.__class__ is bool and self.strict[i]:
                why = f"{a!r} is a yes/no answer; expected one of {self.expect[i]}"
                problems.append((number, why))
            elif hit is not _MISS:
                answers.append(hit)
                scores.append(self.weight_t[i][a])
            else:
                pair = self.folded_t[i].get(a.strip().casefold()) if isinstance(a, str) else None
                if pair is None:
                    why = f"{a!r} is not an answer; expected one of {self.expect[i]}"
                    problems.append((number, why))
                else:
                    answers.append(pair[0])
                    scores.append(pair[1])
        if len(seq) > self.n:
            extra = ", ".join(str(n) for n in range(self.n + 1, len(seq) + 1))
            problems.append((None, f"there is no item {extra} ({self.id} has {self.n} items)"))
        if problems:
            problems.sort(key=lambda p: (p[0] is not None, p[0] or 0))
            raise InvalidResponses(self.id, problems)
        return tuple(answers), scores

    # -- scores -------------------------------------------------------------------------------

    def score(self, responses: Any, group: str | None) -> ScoreResult:
        """Score one protocol (see :mod:`casework.instruments.scoring`)."""
        answers, scores = self.normalise(responses)
        try:
            raw = self._raw(scores)
        except TypeError:  # a None from the fast path: a miss, which the careful path
            answers, scores = self._careful(responses, [])  # resolves or reports in full
            raw = self._raw(scores)
        total = sum(self.total_getter(raw))
        values = (*raw, total)
        flags: list[str] = []
        for at, table, rules in self.validity:
            raised = table.get(values[at])
            flags += raised if raised is not None else _raised(rules, values[at])
        valid = not flags
        for at, hits, code in self.crisis:
            if answers[at] in hits:
                flags.append(code)
        if self.check_pick is not None:
            try:
                picked = self.check_pick(values)
                flags += chain.from_iterable(map(operator.getitem, self.check_tables, picked))
            except KeyError:  # a score with no precomputed entry (fractional weights)
                for at, _, rules in self.checks:
                    flags += _raised(rules, values[at])
        band = None
        for b in self.bands:
            if b.low <= total <= b.high:
                band = b
                break
        standard = None if group is None else self._standard(values, group)
        return ScoreResult(
            self.id, self.version, raw, total, valid, tuple(flags), band, answers,
            group, standard, self,
        )  # fmt: skip

    def _raw(self, scores: Sequence[Any]) -> tuple[Number, ...]:
        if self.slices is not None:
            return tuple([sum(scores[s]) for s in self.slices])
        return tuple([sum(g(scores)) for g in self.getters])

    def _standard(self, values: Sequence[Number], group: str) -> tuple[Number | None, ...]:
        tables = self.norms.get(group)
        if tables is None:
            known = ", ".join(sorted(self.norms)) or "none"
            raise InvalidValue(
                "group", f"{self.id} has no norm table for group {group!r} (known: {known})"
            )
        return tuple(tables[i].get(v) if i in tables else None for i, v in enumerate(values))


def _compiled_of(inst: Instrument) -> _Compiled:
    """The compiled tables of ``inst`` (for unpickling)."""
    return inst._compiled
