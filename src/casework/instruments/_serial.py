"""Instruments to and from plain data (JSON/TOML-shaped: str, int, float, bool, list, dict).

``to_dict`` writes one canonical form (item ``text`` and option ``aliases`` only when present);
``from_dict`` reads it back, reporting every shape problem with its path (``$.items[3].weights``)
in one :class:`~casework.errors.DefinitionError` before the definition itself is checked.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from casework.errors import CaseworkError, DefinitionError
from casework.instruments._parts import (
    Band,
    CrisisItem,
    Item,
    NormTable,
    Option,
    ResponseFormat,
    Scale,
    Threshold,
    Total,
)

if TYPE_CHECKING:
    from casework.instruments.model import Instrument

__all__ = ["instrument_fields", "instrument_to_dict"]

_SCALAR = (bool, int, float, str)


class _Reader:
    """Reads fields out of nested plain data, noting every problem with its path."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def field(
        self,
        data: Mapping[str, Any],
        key: str,
        path: str,
        kinds: tuple[type, ...],
        default: Any = ...,
    ) -> Any:
        if key not in data:
            if default is not ...:
                return default
            self.problems.append(f"{path}.{key}: missing")
            return None
        value = data[key]
        ok = isinstance(value, kinds) and not (isinstance(value, bool) and bool not in kinds)
        if not ok:
            names = " or ".join(k.__name__ for k in kinds)
            self.problems.append(f"{path}.{key}: expected {names}, got {value!r}")
            return None
        return value

    def objects(
        self,
        data: Mapping[str, Any],
        key: str,
        path: str,
        build: Callable[[Mapping[str, Any], str], Any],
        default: Any = ...,
    ) -> list[Any]:
        values = self.field(data, key, path, (list,), default)
        out = []
        for i, value in enumerate(values or ()):
            made = self.one(value, f"{path}.{key}[{i}]", build)
            if made is not None:
                out.append(made)
        return out

    def one(self, value: Any, where: str, build: Callable[[Mapping[str, Any], str], Any]) -> Any:
        if not isinstance(value, Mapping):
            self.problems.append(f"{where}: expected a table/dict, got {value!r}")
            return None
        unknown = sorted(set(value) - set(_FIELDS[build]))
        if unknown:
            self.problems.append(f"{where}: unknown field(s) {unknown}")
        before = len(self.problems)
        try:
            return build(value, where)
        except CaseworkError as e:  # a bad enum value (better, kind) refused by a class
            if len(self.problems) == before:
                self.problems.append(f"{where}: {e}")
            return None

    def scalars(
        self,
        data: Mapping[str, Any],
        key: str,
        path: str,
        kinds: tuple[type, ...],
        default: Any = ...,
    ) -> list[Any]:
        values = self.field(data, key, path, (list,), default) or []
        for i, v in enumerate(values):
            if not isinstance(v, kinds) or (isinstance(v, bool) and bool not in kinds):
                names = " or ".join(k.__name__ for k in kinds)
                self.problems.append(f"{path}.{key}[{i}]: expected {names}, got {v!r}")
        return list(values)


_NUM = (int, float)
_STR = (str,)
_FIELDS: dict[Any, tuple[str, ...]] = {}


def _reads(*fields: str) -> Callable[[Any], Any]:
    def register(fn: Any) -> Any:
        _FIELDS[fn] = fields
        return fn

    return register


def instrument_fields(data: Mapping[str, Any]) -> dict[str, Any]:
    """The constructor arguments of an instrument read from plain data (see the module
    docstring); :meth:`Instrument.from_dict <casework.instruments.Instrument.from_dict>` builds
    (and so validates) the instrument from them.
    """
    if not isinstance(data, Mapping):
        raise DefinitionError("instrument", [f"$: expected a dict, got {type(data).__name__}"])
    r = _Reader()
    name = data.get("id") if isinstance(data.get("id"), str) else "instrument"
    known = {
        "id",
        "version",
        "zh",
        "en",
        "formats",
        "items",
        "scales",
        "total",
        "bands",
        "thresholds",
        "crisis_items",
        "norms",
    }
    unknown = sorted(set(data) - known)
    if unknown:
        r.problems.append(f"$: unknown field(s) {unknown}")

    @_reads("key", "options")
    def fmt(d: Mapping[str, Any], p: str) -> Any:
        return ResponseFormat(r.field(d, "key", p, _STR), r.objects(d, "options", p, option))

    @_reads("value", "zh", "en", "aliases")
    def option(d: Mapping[str, Any], p: str) -> Any:
        return Option(
            r.field(d, "value", p, (bool, int, str)),
            r.field(d, "zh", p, _STR),
            r.field(d, "en", p, _STR),
            r.scalars(d, "aliases", p, (bool, int, str), default=[]),
        )

    @_reads("number", "format", "weights", "text")
    def item(d: Mapping[str, Any], p: str) -> Any:
        return Item(
            r.field(d, "number", p, (int,)),
            r.field(d, "format", p, _STR),
            r.scalars(d, "weights", p, _NUM),
            r.field(d, "text", p, _STR, default=None),
        )

    @_reads("key", "zh", "en", "items", "min", "max", "better")
    def scale(d: Mapping[str, Any], p: str) -> Any:
        return Scale(
            r.field(d, "key", p, _STR),
            r.field(d, "zh", p, _STR),
            r.field(d, "en", p, _STR),
            r.scalars(d, "items", p, (int,)),
            r.field(d, "min", p, _NUM),
            r.field(d, "max", p, _NUM),
            r.field(d, "better", p, _STR),
        )

    @_reads("key", "low", "high", "zh", "en")
    def band(d: Mapping[str, Any], p: str) -> Any:
        return Band(
            r.field(d, "key", p, _STR),
            r.field(d, "low", p, _NUM),
            r.field(d, "high", p, _NUM),
            r.field(d, "zh", p, _STR),
            r.field(d, "en", p, _STR),
        )

    @_reads("name", "targets", "op", "value", "kind", "zh", "en", "per_target")
    def threshold(d: Mapping[str, Any], p: str) -> Any:
        return Threshold(
            r.field(d, "name", p, _STR),
            r.scalars(d, "targets", p, _STR),
            r.field(d, "op", p, _STR),
            r.field(d, "value", p, _NUM),
            r.field(d, "kind", p, _STR),
            r.field(d, "zh", p, _STR),
            r.field(d, "en", p, _STR),
            r.field(d, "per_target", p, (bool,)),
        )

    @_reads("item", "answers", "zh", "en")
    def crisis(d: Mapping[str, Any], p: str) -> Any:
        return CrisisItem(
            r.field(d, "item", p, (int,)),
            r.scalars(d, "answers", p, (bool, int, str)),
            r.field(d, "zh", p, _STR),
            r.field(d, "en", p, _STR),
        )

    @_reads("scale", "group", "points")
    def norm(d: Mapping[str, Any], p: str) -> Any:
        points = r.field(d, "points", p, (list,)) or []
        pairs = []
        for i, pt in enumerate(points):
            ok = (
                isinstance(pt, list)
                and len(pt) == 2
                and all(isinstance(x, _NUM) and not isinstance(x, bool) for x in pt)
            )
            if not ok:
                r.problems.append(f"{p}.points[{i}]: expected [raw, standard], got {pt!r}")
            else:
                pairs.append((pt[0], pt[1]))
        return NormTable(r.field(d, "scale", p, _STR), r.field(d, "group", p, _STR), pairs)

    @_reads("scales", "min", "max", "better", "zh", "en")
    def total(d: Mapping[str, Any], p: str) -> Any:
        return Total(
            r.scalars(d, "scales", p, _STR),
            r.field(d, "min", p, _NUM),
            r.field(d, "max", p, _NUM),
            r.field(d, "better", p, _STR),
            r.field(d, "zh", p, _STR),
            r.field(d, "en", p, _STR),
        )

    header = [r.field(data, k, "$", _STR) for k in ("id", "version", "zh", "en")]
    parts: dict[str, Any] = {
        "formats": r.objects(data, "formats", "$", fmt),
        "items": r.objects(data, "items", "$", item),
        "scales": r.objects(data, "scales", "$", scale),
        "bands": r.objects(data, "bands", "$", band, default=[]),
        "thresholds": r.objects(data, "thresholds", "$", threshold, default=[]),
        "crisis_items": r.objects(data, "crisis_items", "$", crisis, default=[]),
        "norms": r.objects(data, "norms", "$", norm, default=[]),
    }
    total_data = r.field(data, "total", "$", (dict,))
    made_total = r.one(total_data, "$.total", total) if total_data is not None else None
    if r.problems or made_total is None:
        raise DefinitionError(str(name), r.problems or ["$.total: missing"])
    return {
        "id": header[0],
        "version": header[1],
        "zh": header[2],
        "en": header[3],
        "total": made_total,
        **parts,
    }


def _option(o: Option) -> dict[str, Any]:
    d: dict[str, Any] = {"value": o.value, "zh": o.zh, "en": o.en}
    if o.aliases:
        d["aliases"] = list(o.aliases)
    return d


def _item(i: Item) -> dict[str, Any]:
    d: dict[str, Any] = {"number": i.number, "format": i.format, "weights": list(i.weights)}
    if i.text is not None:
        d["text"] = i.text
    return d


def instrument_to_dict(inst: Instrument) -> dict[str, Any]:
    """Plain data for ``inst``, in the canonical form :func:`instrument_from_dict` reads."""
    t = inst.total
    return {
        "id": inst.id,
        "version": inst.version,
        "zh": inst.zh,
        "en": inst.en,
        "formats": [
            {"key": f.key, "options": [_option(o) for o in f.options]} for f in inst.formats
        ],
        "items": [_item(i) for i in inst.items],
        "scales": [
            {
                "key": s.key,
                "zh": s.zh,
                "en": s.en,
                "items": list(s.items),
                "min": s.min,
                "max": s.max,
                "better": s.better.value,
            }
            for s in inst.scales
        ],
        "total": {
            "scales": list(t.scales),
            "min": t.min,
            "max": t.max,
            "better": t.better.value,
            "zh": t.zh,
            "en": t.en,
        },
        "bands": [
            {"key": b.key, "low": b.low, "high": b.high, "zh": b.zh, "en": b.en} for b in inst.bands
        ],
        "thresholds": [
            {
                "name": t.name,
                "targets": list(t.targets),
                "op": t.op,
                "value": t.value,
                "kind": t.kind.value,
                "zh": t.zh,
                "en": t.en,
                "per_target": t.per_target,
            }
            for t in inst.thresholds
        ],
        "crisis_items": [
            {"item": c.item, "answers": list(c.answers), "zh": c.zh, "en": c.en}
            for c in inst.crisis_items
        ],
        "norms": [
            {"scale": n.scale, "group": n.group, "points": [list(p) for p in n.points]}
            for n in inst.norms
        ],
    }
