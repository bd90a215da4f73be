"""Instrument definitions: :class:`Instrument`, the whole questionnaire as a frozen value, and
(re-exported from :mod:`casework.instruments._parts`) the parts it is made of.

A definition is a value: it prints briefly, compares and hashes by content, serialises to a
plain dict, and is checked as a whole when it is built (every problem in one
:class:`~casework.errors.DefinitionError`).  Scoring tables are compiled once, at construction.

Layers (no module imports one above it): the parts (:mod:`._parts`, pure data) at the bottom;
the results (:mod:`.scoring`, :mod:`.batch`), the checks (:mod:`._validate`), the compiler
(:mod:`._compiled`, and :mod:`._vector` for batches) and plain-data reading and writing
(:mod:`._serial`) on the parts; :class:`Instrument` on top of them, so that building one
validates and compiles it without any registry or late import.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from functools import cached_property
from typing import Any

import attrs

from casework.errors import DefinitionError, InvalidValue
from casework.instruments._compiled import _Compiled
from casework.instruments._parts import (  # OPS, Answer: still importable from here
    OPS,  # noqa: F401
    TOTAL,
    Answer,  # noqa: F401
    Band,
    CrisisItem,
    Direction,
    FlagKind,
    Item,
    NormTable,
    Number,
    Option,
    ResponseFormat,
    Scale,
    Threshold,
    Total,
    _tuple,
)
from casework.instruments._serial import instrument_fields, instrument_to_dict
from casework.instruments._validate import problems
from casework.instruments._vector import score_many
from casework.instruments.batch import ScoreBatch
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
        found = problems(self)
        if found:
            raise DefinitionError(str(self.id), found)
        _ = self._compiled  # compile now, so a definition that builds also scores

    @cached_property
    def _compiled(self) -> _Compiled:
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

    def score_many(
        self, protocols: Any, *, group: str | Sequence[str | None] | None = None
    ) -> ScoreBatch:
        """Score many protocols at once, vectorised with numpy (the ``notebook`` extra).

        ``protocols`` is a list of protocols (each as :meth:`score` accepts), a 2-D numpy
        array or a pandas DataFrame (columns named by item number); ``group`` is one norm
        group for all or one per protocol.  The :class:`~casework.instruments.ScoreBatch`
        holds, in order, results equal to ``[self.score(p, group=g) for p in protocols]``.
        Bad protocols raise one :class:`~casework.instruments.InvalidProtocols` listing
        every one with its row and item numbers.  See :mod:`casework.instruments.batch`.

        .. versionadded:: 0.1.0
        """
        return score_many(self._compiled, protocols, group)

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
        return cls(**instrument_fields(data))

    def to_dict(self) -> dict[str, Any]:
        """Plain data (str/int/float/bool/list/dict only) that :meth:`from_dict` reads back."""
        return instrument_to_dict(self)
