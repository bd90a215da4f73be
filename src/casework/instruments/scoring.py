"""Scoring: which responses are accepted, and the frozen results with their flags (the
compiled lookup tables and the scoring loop are in :mod:`casework.instruments._compiled`).

Accepted responses are a sequence (item 1 first) or a mapping ``item number -> answer`` (int
keys, or decimal strings as JSON gives them).  An answer is an option's value (``True``/``False``
for yes/no items, ``0``-``3`` for the Likert items shipped), its zh or en label (case and
surrounding spaces ignored), one of its aliases, ``1``/``0`` for yes/no, or a value's decimal
string; a number equal to a value (``2.0``) counts as that value.  Anything else, a missing
answer included, is refused: every problem is reported in one
:class:`~casework.errors.InvalidResponses`; casework never guesses an answer.

Flags are strings, in report order: validity, safety (crisis items), then the total, then the
scales.  ``validity_doubtful``, ``crisis_item:85``, ``total_high``, ``scale_high:phobia``...
:attr:`ScoreResult.flag_details` gives each as a :class:`Flag` with its kind and labels.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any

import attrs

from casework.errors import InvalidValue
from casework.instruments._parts import TOTAL, Band, Direction, FlagKind, Number, accepted_inputs

if TYPE_CHECKING:
    from casework.instruments._compiled import _Compiled
    from casework.instruments._parts import Answer

__all__ = ["Flag", "ScaleScore", "ScaleScores", "ScoreResult", "accepted_inputs"]


@attrs.frozen
class Flag:
    """A raised flag with what it means: ``code`` as in :attr:`ScoreResult.flags`, its kind,
    the scale it concerns (``"total"``, a scale key, or ``None`` for an item) and its labels.
    """

    code: str
    kind: FlagKind
    target: str | None
    zh: str
    en: str


@attrs.frozen
class ScaleScore:
    """One scale's score in a result: raw score, range, standard score (``None`` without a
    norm table for the group) and the flags raised on it.
    """

    key: str
    zh: str
    en: str
    raw: Number
    min: Number
    max: Number
    better: Direction
    standard: Number | None = None
    flags: tuple[str, ...] = ()


class ScaleScores(Mapping[str, ScaleScore]):
    """The scale scores of a result by key, in the instrument's order (read-only)."""

    __slots__ = ("_by_key",)

    def __init__(self, scores: Sequence[ScaleScore]) -> None:
        self._by_key = {s.key: s for s in scores}

    def __getitem__(self, key: str) -> ScaleScore:
        return self._by_key[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_key)

    def __len__(self) -> int:
        return len(self._by_key)

    def __repr__(self) -> str:
        return "{" + ", ".join(f"{k}: {s.raw}/{s.max}" for k, s in self._by_key.items()) + "}"


@attrs.frozen(repr=False)
class ScoreResult:
    """The scores of one protocol.  Frozen; equal results compare equal.

    ``raw`` holds the scale raw scores in the instrument's scale order (``scales`` gives them by
    key with labels), ``standard`` the standard scores (scales then total) when a group was
    given, and ``answers`` the normalised answers.
    """

    instrument: str
    version: str
    raw: tuple[Number, ...]
    total: Number
    valid: bool
    flags: tuple[str, ...]
    band: Band | None
    answers: tuple[Answer, ...]
    group: str | None
    standard: tuple[Number | None, ...] | None
    compiled: _Compiled = attrs.field(eq=False, hash=False)

    @cached_property
    def scales(self) -> ScaleScores:
        """Scale scores by key: ``result.scales["phobia"].raw``."""
        c = self.compiled
        out = []
        for i, (key, zh, en, lo, hi, better) in enumerate(c.scale_info):
            std = self.standard[i] if self.standard is not None else None
            own = tuple(f for f in self.flags if c.flag_targets.get(f) == key)
            out.append(ScaleScore(key, zh, en, self.raw[i], lo, hi, better, std, own))
        return ScaleScores(out)

    @cached_property
    def item_scores(self) -> tuple[Number, ...]:
        """Each item's score: its weight for the answer given."""
        return self.compiled.item_scores(self.answers)

    @property
    def total_min(self) -> Number:
        """The lowest possible total."""
        return self.compiled.total_range[0]

    @property
    def total_max(self) -> Number:
        """The highest possible total."""
        return self.compiled.total_range[1]

    @property
    def total_standard(self) -> Number | None:
        """The total's standard score, when a norm table for it and the group exists."""
        return self.standard[-1] if self.standard is not None else None

    @property
    def better(self) -> Direction:
        """Which direction is better for the total."""
        return self.compiled.total_better

    @property
    def flag_details(self) -> tuple[Flag, ...]:
        """The raised flags as :class:`Flag` objects, in report order."""
        return tuple(self.compiled.flag_info[f] for f in self.flags)

    def has(self, prefix: str) -> bool:
        """Whether a flag with this code, or starting with ``prefix:``, was raised."""
        return any(f == prefix or f.startswith(prefix + ":") for f in self.flags)

    def value(self, target: str = TOTAL) -> Number:
        """The raw score of a scale, or of the total (``"total"``)."""
        if target == TOTAL:
            return self.total
        if target not in self.scales:
            raise InvalidValue("scale", f"{self.instrument} has no scale {target!r}")
        return self.scales[target].raw

    def interpretation(self, lang: str = "zh") -> tuple[str, ...]:
        """Report lines in the reference order: validity, safety, total (with band), scales."""
        if lang not in ("zh", "en"):
            raise InvalidValue("lang", f"expected 'zh' or 'en', got {lang!r}")
        c = self.compiled
        details = self.flag_details
        sep = "：" if lang == "zh" else ": "
        first = (FlagKind.VALIDITY, FlagKind.SAFETY)
        lines = [getattr(f, lang) for f in details if f.kind in first]
        total_line = f"{getattr(c, 'total_' + lang)}{sep}{self.total}/{self.total_max}"
        if self.band is not None:
            total_line += f" ({getattr(self.band, lang)})"
        lines.append(total_line)
        values = {s.key: s.raw for s in self.scales.values()} | {TOTAL: self.total}
        for f in details:
            if f.kind not in first:
                score = f"{sep}{values[f.target]}" if f.target in values else ""
                lines.append(getattr(f, lang) + score)
        return tuple(lines)

    def to_dict(self) -> dict[str, Any]:
        """Plain data for reports and exports (str/int/float/bool/None/list/dict).

        To rebuild a result, score ``answers`` again (with ``group``) with the same definition:
        a result is derived data, its answers are the fact.
        """
        return {
            "instrument": self.instrument,
            "version": self.version,
            "scales": {
                key: raw for key, raw in zip(self.compiled.scale_keys, self.raw, strict=True)
            },
            "total": self.total,
            "valid": self.valid,
            "flags": list(self.flags),
            "band": self.band.key if self.band is not None else None,
            "answers": list(self.answers),
            "group": self.group,
            "standard": list(self.standard) if self.standard is not None else None,
        }

    def __repr__(self) -> str:
        scales = ", ".join(
            f"{k}={v}" for k, v in zip(self.compiled.scale_keys, self.raw, strict=True)
        )
        band = f", band {self.band.key}" if self.band is not None else ""
        return (
            f"<ScoreResult {self.instrument} v{self.version}: total {self.total}/{self.total_max}"
            f"{band}, {'valid' if self.valid else 'NOT VALID'}, "
            f"flags [{', '.join(self.flags)}]; {scales}>"
        )
