"""The parts of an instrument definition as frozen data: answer formats and their options,
items and their keys, scales, the total and the rules read off the scores (bands, thresholds,
crisis items, norm tables), with the vocabulary they share (``TOTAL``, :class:`Direction`,
:class:`FlagKind`).

This is the bottom of :mod:`casework.instruments`: it imports nothing else from the package.
Everything else (validation, the compiler, the results, serialisation and the
:class:`~casework.instruments.model.Instrument` that ties them together) imports it.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from typing import Any

import attrs

from casework.errors import InvalidValue

__all__ = [
    "OPS",
    "TOTAL",
    "Answer",
    "Band",
    "CrisisItem",
    "Direction",
    "FlagKind",
    "Item",
    "NormTable",
    "Number",
    "Option",
    "ResponseFormat",
    "Scale",
    "Threshold",
    "Total",
    "accepted_inputs",
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


def accepted_inputs(fmt: ResponseFormat) -> tuple[dict[Any, int], dict[str, int], list[str]]:
    """Every input an answer format accepts: exact inputs and folded strings -> option index.

    Also returns the collisions (one input meaning two options), which make a broken format.
    """
    exact: dict[Any, int] = {}
    folded: dict[str, int] = {}
    clashes: list[str] = []
    for index, opt in enumerate(fmt.options):
        inputs: list[Any] = [opt.value, opt.zh, opt.en, *opt.aliases]
        if isinstance(opt.value, bool):
            inputs.append(str(int(opt.value)))
        elif isinstance(opt.value, int):
            inputs.append(str(opt.value))
        for raw in inputs:
            targets: list[tuple[dict[Any, int], Any]] = [(exact, raw)]
            if isinstance(raw, str):
                targets.append((folded, raw.strip().casefold()))
            for table, key in targets:
                if table.get(key, index) != index:
                    clashes.append(f"format {fmt.key!r}: input {raw!r} means two options")
                table[key] = index
    return exact, folded, clashes


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
