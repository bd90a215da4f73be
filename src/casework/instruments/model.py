"""Instrument definitions as frozen data: answer formats, items and their keys, scales, a total
and the rules read off the scores (bands, thresholds, crisis items, norm tables).

A definition is a value: it prints briefly, compares and hashes by content, serialises to a
plain dict, and is checked as a whole when it is built (every problem in one
:class:`~casework.errors.DefinitionError`).  Scoring tables are compiled once, at construction.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any

import attrs

from casework.errors import DefinitionError, InvalidValue

if TYPE_CHECKING:
    from casework.instruments._compiled import _Compiled
    from casework.instruments.scoring import ScoreResult

__all__ = [
    "TOTAL",
    "Band",
    "CrisisItem",
    "Direction",
    "FlagKind",
    "Instrument",
    "Item",
    "NormTable",
    "Option",
    "ResponseFormat",
    "Scale",
    "Threshold",
    "Total",
]

#: The reserved target name of the total score in thresholds and norm tables.
TOTAL = "total"

Answer = bool | int | str
Number = int | float
OPS = (">=", ">", "<=", "<")


class Direction(enum.StrEnum):
    """Which way is better on a scale: the MHT is ``lower`` (less anxiety), the RSES ``higher``."""

    LOWER = "lower"
    HIGHER = "higher"


class FlagKind(enum.StrEnum):
    """What a raised flag means: doubt about the protocol, a safety alert, a clinical signal, or
    a note for the worker (a low scale).
    """

    VALIDITY = "validity"
    SAFETY = "safety"
    CLINICAL = "clinical"
    INFO = "info"


def _tuple(value: Iterable[Any]) -> tuple[Any, ...]:
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise InvalidValue("definition", f"expected a list, got {value!r}")
    return tuple(value)


def _ints(value: Iterable[Any]) -> tuple[int, ...]:
    return _tuple(value)


def _pairs(value: Iterable[Any]) -> tuple[tuple[Number, Number], ...]:
    return tuple((raw, std) for raw, std in _tuple(value))


def _direction(value: Any) -> Direction:
    try:
        return Direction(value)
    except ValueError:
        raise InvalidValue("better", f"{value!r} is not 'lower' or 'higher'") from None


def _kind(value: Any) -> FlagKind:
    try:
        return FlagKind(value)
    except ValueError:
        kinds = ", ".join(k.value for k in FlagKind)
        raise InvalidValue("kind", f"{value!r} is not one of: {kinds}") from None


@attrs.frozen
class Option:
    """One answer an item offers: its stored ``value``, zh/en labels and other accepted inputs."""

    value: Answer
    zh: str
    en: str
    aliases: tuple[Answer, ...] = attrs.field(default=(), converter=_tuple)


@attrs.frozen
class ResponseFormat:
    """A named list of options shared by items (yes/no, a 0-3 Likert scale...)."""

    key: str
    options: tuple[Option, ...] = attrs.field(converter=_tuple)

    def describe(self) -> str:
        """The options as ``value (zh/en)``, for error messages."""
        return ", ".join(f"{o.value!r} ({o.zh}/{o.en})" for o in self.options)


@attrs.frozen
class Item:
    """An item: its 1-based number, its answer format and its key (one weight per option, in
    the format's order).  A reverse-keyed item simply has its weights reversed.
    """

    number: int
    format: str
    weights: tuple[Number, ...] = attrs.field(converter=_tuple)
    text: str | None = None

    def reversed(self) -> Item:
        """This item with its key reversed (weights in the opposite order)."""
        return attrs.evolve(self, weights=self.weights[::-1])


@attrs.frozen
class Scale:
    """A scale: the items it sums, its score range and which direction is better."""

    key: str
    zh: str
    en: str
    items: tuple[int, ...] = attrs.field(converter=_ints)
    min: Number
    max: Number
    better: Direction = attrs.field(default=Direction.LOWER, converter=_direction)


@attrs.frozen
class Total:
    """The total score: the sum of some scales (the MHT leaves its validity scale out)."""

    scales: tuple[str, ...] = attrs.field(converter=_tuple)
    min: Number
    max: Number
    better: Direction = attrs.field(default=Direction.LOWER, converter=_direction)
    zh: str = "总分"
    en: str = "total"


@attrs.frozen
class Band:
    """A labelled range of the total, both ends included (PHQ-9 ``10-14``: moderate)."""

    key: str
    low: Number
    high: Number
    zh: str
    en: str

    def contains(self, score: Number) -> bool:
        """Whether ``score`` falls in this band."""
        return self.low <= score <= self.high


@attrs.frozen
class Threshold:
    """A rule raising a flag when a score compares to ``value`` (``op`` is >=, >, <= or <).

    ``targets`` are scale keys or ``"total"``.  The flag's code is ``name``, or
    ``name:<target>`` when ``per_target`` is set (needed when there are several targets).  A
    ``validity`` threshold marks the result as not valid.  ``zh``/``en`` may contain
    ``{target}`` and ``{value}``, replaced by the target's label and the threshold's value.
    """

    name: str
    targets: tuple[str, ...] = attrs.field(converter=_tuple)
    op: str
    value: Number
    kind: FlagKind = attrs.field(converter=_kind)
    zh: str
    en: str
    per_target: bool = False

    def code(self, target: str) -> str:
        """The flag code this rule raises for ``target``."""
        return f"{self.name}:{target}" if self.per_target else self.name


@attrs.frozen
class CrisisItem:
    """An item whose listed answers raise an immediate safety flag ``crisis_item:<number>``.

    ``zh``/``en`` may contain ``{item}``, replaced by the item number.
    """

    item: int
    answers: tuple[Answer, ...] = attrs.field(converter=_tuple)
    zh: str = "第{item}题为危机条目，请立即评估安全"
    en: str = "crisis item {item}: assess safety now"

    @property
    def code(self) -> str:
        """The flag code, ``crisis_item:<number>``."""
        return f"crisis_item:{self.item}"


@attrs.frozen
class NormTable:
    """A user-supplied conversion from raw to standard scores for one scale and one group.

    ``points`` pairs every raw score of the scale's range with its standard score.
    """

    scale: str
    group: str
    points: tuple[tuple[Number, Number], ...] = attrs.field(converter=_pairs)


@attrs.frozen(cache_hash=True, repr=False)
class Instrument:
    """A questionnaire as data, validated when built and compiled once for fast scoring."""

    id: str
    version: str
    zh: str
    en: str
    formats: tuple[ResponseFormat, ...] = attrs.field(converter=_tuple)
    items: tuple[Item, ...] = attrs.field(converter=_tuple)
    scales: tuple[Scale, ...] = attrs.field(converter=_tuple)
    total: Total
    bands: tuple[Band, ...] = attrs.field(default=(), converter=_tuple)
    thresholds: tuple[Threshold, ...] = attrs.field(default=(), converter=_tuple)
    crisis_items: tuple[CrisisItem, ...] = attrs.field(default=(), converter=_tuple)
    norms: tuple[NormTable, ...] = attrs.field(default=(), converter=_tuple)

    def __attrs_post_init__(self) -> None:
        from casework.instruments._validate import problems

        found = problems(self)
        if found:
            raise DefinitionError(str(self.id), found)
        _ = self._compiled  # compile now, so a definition that builds also scores

    @cached_property
    def _compiled(self) -> _Compiled:
        from casework.instruments._compiled import _Compiled

        return _Compiled(self)

    def __repr__(self) -> str:
        scales = ", ".join(s.key for s in self.scales)
        rules = [f"{len(self.bands)} bands"] if self.bands else []
        rules += [t.name for t in self.thresholds]
        rules += [c.code for c in self.crisis_items]
        if self.norms:
            rules.append(f"{len(self.norms)} norm tables")
        return (
            f"<Instrument {self.id} v{self.version} ({self.en}): {len(self.items)} items; "
            f"scales {scales}; total {self.total.min}-{self.total.max} "
            f"({self.total.better} is better); rules: {', '.join(rules) or 'none'}>"
        )

    # -- looking things up ------------------------------------------------------------------

    def scale(self, key: str) -> Scale:
        """The scale called ``key``."""
        for s in self.scales:
            if s.key == key:
                return s
        raise InvalidValue("scale", f"{self.id} has no scale {key!r}")

    def item(self, number: int) -> Item:
        """Item ``number`` (1-based)."""
        if not 1 <= number <= len(self.items):
            raise InvalidValue("item", f"{self.id} has no item {number!r}")
        return self.items[number - 1]

    def threshold(self, name: str) -> Threshold:
        """The threshold rule called ``name``."""
        for t in self.thresholds:
            if t.name == name:
                return t
        raise InvalidValue("threshold", f"{self.id} has no threshold {name!r}")

    # -- scoring ------------------------------------------------------------------------------

    def score(self, responses: Any, *, group: str | None = None) -> ScoreResult:
        """Score one protocol; see :mod:`casework.instruments.scoring` for accepted answers."""
        return self._compiled.score(responses, group)

    # -- changing (every change returns a new, re-validated instrument) ---------------------

    def evolve(self, **changes: Any) -> Instrument:
        """A copy with some fields replaced, validated again."""
        return attrs.evolve(self, **changes)

    def with_rules(
        self,
        *,
        bands: Sequence[Band] | None = None,
        thresholds: Sequence[Threshold] | None = None,
        crisis_items: Sequence[CrisisItem] | None = None,
    ) -> Instrument:
        """A copy with some rule lists replaced (``None`` keeps the current list)."""
        changes: dict[str, Any] = {}
        if bands is not None:
            changes["bands"] = bands
        if thresholds is not None:
            changes["thresholds"] = thresholds
        if crisis_items is not None:
            changes["crisis_items"] = crisis_items
        return self.evolve(**changes)

    def with_thresholds(self, **values: Number) -> Instrument:
        """A copy with named thresholds set to new values: ``with_thresholds(total_high=60)``."""
        known = {t.name for t in self.thresholds}
        unknown = sorted(set(values) - known)
        if unknown:
            raise InvalidValue(
                "thresholds", f"no threshold named {', '.join(unknown)} (known: {sorted(known)})"
            )
        return self.evolve(
            thresholds=[
                attrs.evolve(t, value=values[t.name]) if t.name in values else t
                for t in self.thresholds
            ]
        )

    def with_weights(self, weights: Mapping[int, Sequence[Number]]) -> Instrument:
        """A copy with some items re-keyed: ``{82: (0, 1)}`` makes a "no" score on item 82."""
        bad = [n for n in weights if not isinstance(n, int) or not 1 <= n <= len(self.items)]
        if bad:
            raise InvalidValue("weights", f"no such item(s): {bad}")
        return self.evolve(
            items=[
                attrs.evolve(i, weights=tuple(weights[i.number])) if i.number in weights else i
                for i in self.items
            ]
        )

    def with_texts(self, texts: Mapping[int, str]) -> Instrument:
        """A copy carrying item texts supplied by the user (casework ships none)."""
        bad = [n for n in texts if not isinstance(n, int) or not 1 <= n <= len(self.items)]
        if bad:
            raise InvalidValue("texts", f"no such item(s): {bad}")
        return self.evolve(
            items=[
                attrs.evolve(i, text=texts[i.number]) if i.number in texts else i
                for i in self.items
            ]
        )

    def with_norms(self, tables: Iterable[NormTable]) -> Instrument:
        """A copy with these norm tables added to the ones it has."""
        return self.evolve(norms=self.norms + tuple(tables))

    # -- plain data ---------------------------------------------------------------------------

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Instrument:
        """Build from plain (JSON/TOML-shaped) data; every problem is reported at once."""
        from casework.instruments._serial import instrument_from_dict

        return instrument_from_dict(data)

    def to_dict(self) -> dict[str, Any]:
        """Plain data (str/int/float/bool/list/dict only) that :meth:`from_dict` reads back."""
        from casework.instruments._serial import instrument_to_dict

        return instrument_to_dict(self)
