"""Assessments in payloads: the administered instrument and its frozen score, by name.

A :class:`~casework.instruments.ScoreResult` keeps a reference to its instrument's compiled
tables (for labels and scale views); that reference is not data.  It is written without them
and, on reading, re-attached from the instrument of the same id *and version* the codec was
given, so a stored score is never recomputed and never silently read with another version's
labels.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from casework.assessment import SHIPPED_INSTRUMENTS, Administration, Assessment, Phase
from casework.instruments import Instrument, ScoreResult
from casework.instruments.model import Band, Direction, FlagKind
from casework.serialize._codec import Codec

__all__ = ["register_assessment_types"]

_TUPLES = ("raw", "flags", "answers")


def _tuple(value: Any, where: str) -> tuple[Any, ...]:
    if not isinstance(value, list):
        raise ValueError(f"ScoreResult.{where}: expected a list, got {value!r}")
    return tuple(value)


def _finite(numbers: Iterable[Any], where: str) -> None:
    for n in numbers:
        if type(n) is float and not math.isfinite(n):
            raise ValueError(f"ScoreResult.{where}: {n!r} has no JSON form")


def register_assessment_types(
    codec: Codec, instruments: Mapping[str, Instrument] = SHIPPED_INSTRUMENTS
) -> Codec:
    """Register assessments, score results and their enums on ``codec`` (returned).

    ``instruments`` are those whose results the codec can read back (by id and version).
    """
    known = {(i.id, i.version): i for i in instruments.values()}
    band = codec.converter.get_unstructure_hook(Band)
    band_in = codec.converter.get_structure_hook(Band)

    def encode(r: ScoreResult) -> dict[str, Any]:
        _finite(r.raw, "raw")
        _finite((r.total,), "total")
        _finite(r.standard or (), "standard")
        return {
            "instrument": r.instrument,
            "version": r.version,
            "raw": list(r.raw),
            "total": r.total,
            "valid": r.valid,
            "flags": list(r.flags),
            "band": None if r.band is None else band(r.band),
            "answers": list(r.answers),
            "group": r.group,
            "standard": None if r.standard is None else list(r.standard),
        }

    def decode(d: Any) -> ScoreResult:
        if not isinstance(d, dict):
            raise ValueError(f"ScoreResult: expected an object, got {d!r}")
        key = (d.get("instrument"), d.get("version"))
        instrument = known.get(key)  # type: ignore[arg-type]
        if instrument is None:
            raise ValueError(
                f"ScoreResult of instrument {key[0]!r} version {key[1]!r}: the codec was not "
                f"given that instrument (register_assessment_types(codec, instruments))"
            )
        std = d.get("standard")
        return ScoreResult(
            key[0],  # type: ignore[arg-type]
            key[1],  # type: ignore[arg-type]
            _tuple(d.get("raw"), "raw"),
            d["total"],
            d["valid"],
            _tuple(d.get("flags"), "flags"),
            None if d.get("band") is None else band_in(d["band"], Band),
            _tuple(d.get("answers"), "answers"),
            d.get("group"),
            None if std is None else _tuple(std, "standard"),
            instrument._compiled,
        )

    encode._json_safe = True  # type: ignore[attr-defined]  # its numbers are checked above
    codec.register(ScoreResult, encode=encode, decode=decode)
    for cls in (Phase, FlagKind, Direction, Band, Administration, Assessment):
        codec.register(cls)
    return codec
