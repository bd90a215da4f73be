"""Whole-definition checks of an instrument: every problem found, as one readable line each."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from casework.instruments._parts import OPS, TOTAL, Number, accepted_inputs

if TYPE_CHECKING:
    from casework.instruments.model import Instrument


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _dupes(values: Iterable[Any]) -> list[Any]:
    return [v for v, n in Counter(values).items() if n > 1]


def problems(inst: Instrument) -> list[str]:
    """Every problem of the definition (an empty list when it is sound)."""
    out: list[str] = []
    for name in ("id", "version", "zh", "en"):
        value = getattr(inst, name)
        if not isinstance(value, str) or not value.strip():
            out.append(f"{name} must be a non-empty string, got {value!r}")
    formats = _formats(inst, out)
    ranges = _items(inst, formats, out)
    scale_ranges = _scales(inst, ranges, out)
    _total(inst, scale_ranges, out)
    _rules(inst, formats, scale_ranges, out)
    return out


def _formats(inst: Instrument, out: list[str]) -> dict[str, list[Any]]:
    formats: dict[str, list[Any]] = {}
    for fmt in inst.formats:
        if fmt.key in formats:
            out.append(f"format {fmt.key!r} is defined twice")
        values = [o.value for o in fmt.options]
        formats[fmt.key] = values
        if len(values) < 2:
            out.append(f"format {fmt.key!r} needs at least two options")
        bad = [v for v in values if not isinstance(v, bool | int | str)]
        if bad:
            out.append(f"format {fmt.key!r}: option values must be bool, int or str, got {bad}")
        elif _dupes(values):
            out.append(f"format {fmt.key!r}: option values repeat: {_dupes(values)}")
        else:
            out.extend(dict.fromkeys(accepted_inputs(fmt)[2]))
    return formats


def _items(
    inst: Instrument, formats: dict[str, list[Any]], out: list[str]
) -> dict[int, tuple[Number, Number]]:
    """Check the items; return each sound item's lowest and highest weight."""
    if not inst.items:
        out.append("an instrument needs at least one item")
    ranges: dict[int, tuple[Number, Number]] = {}
    for position, item in enumerate(inst.items, start=1):
        if item.number != position:
            out.append(
                f"items must be numbered 1, 2, 3...: item {position} is numbered {item.number!r}"
            )
            continue
        if item.format not in formats:
            out.append(f"item {item.number}: unknown format {item.format!r}")
            continue
        n_options = len(formats[item.format])
        if len(item.weights) != n_options:
            out.append(
                f"item {item.number}: the key has {len(item.weights)} weights for "
                f"{n_options} options of format {item.format!r} (one weight per option)"
            )
        elif not all(_is_number(w) for w in item.weights):
            out.append(f"item {item.number}: weights must be numbers, got {item.weights!r}")
        else:
            ranges[item.number] = (min(item.weights), max(item.weights))
    return ranges


def _scales(
    inst: Instrument, ranges: dict[int, tuple[Number, Number]], out: list[str]
) -> dict[str, tuple[Number, Number]]:
    """Check the scales; return each scale's declared range."""
    keys = [s.key for s in inst.scales]
    if not keys:
        out.append("an instrument needs at least one scale")
    for key in _dupes(keys):
        out.append(f"scale {key!r} is defined twice")
    if TOTAL in keys:
        out.append(f"{TOTAL!r} is reserved for the total and cannot name a scale")
    used: set[int] = set()
    declared: dict[str, tuple[Number, Number]] = {}
    for s in inst.scales:
        declared[s.key] = (s.min, s.max)
        unknown = [n for n in s.items if not (isinstance(n, int) and 1 <= n <= len(inst.items))]
        if unknown:
            out.append(f"scale {s.key!r}: no such item(s) {unknown}")
        if not s.items:
            out.append(f"scale {s.key!r} has no items")
        twice = _dupes(s.items)
        if twice:
            out.append(f"scale {s.key!r}: item(s) {sorted(twice)} listed more than once")
        used.update(s.items)
        if not (_is_number(s.min) and _is_number(s.max)):
            out.append(f"scale {s.key!r}: min and max must be numbers")
        elif not unknown and all(n in ranges for n in s.items):
            lo = sum(ranges[n][0] for n in s.items)
            hi = sum(ranges[n][1] for n in s.items)
            if (s.min, s.max) != (lo, hi):
                out.append(
                    f"scale {s.key!r}: declared range {s.min}-{s.max} but its items give {lo}-{hi}"
                )
    unscored = [n for n in range(1, len(inst.items) + 1) if n not in used]
    if unscored:
        out.append(f"item(s) {unscored} belong to no scale")
    return declared


def _total(inst: Instrument, scales: dict[str, tuple[Number, Number]], out: list[str]) -> None:
    t = inst.total
    unknown = [k for k in t.scales if k not in scales]
    if unknown:
        out.append(f"total: no such scale(s) {unknown}")
    if not t.scales:
        out.append("total: needs at least one scale")
    if _dupes(t.scales):
        out.append(f"total: scale(s) {_dupes(t.scales)} listed more than once")
    counted = Counter(n for s in inst.scales if s.key in t.scales for n in set(s.items))
    shared = sorted(n for n, c in counted.items() if c > 1)
    if shared:
        out.append(f"total: item(s) {shared} are counted in more than one of its scales")
    if not (_is_number(t.min) and _is_number(t.max)):
        out.append("total: min and max must be numbers")
    elif not unknown:
        lo = sum(scales[k][0] for k in t.scales)
        hi = sum(scales[k][1] for k in t.scales)
        if (t.min, t.max) != (lo, hi):
            out.append(f"total: declared range {t.min}-{t.max} but its scales give {lo}-{hi}")


def _rules(
    inst: Instrument,
    formats: dict[str, list[Any]],
    scales: dict[str, tuple[Number, Number]],
    out: list[str],
) -> None:
    t_lo, t_hi = inst.total.min, inst.total.max
    for key in _dupes(b.key for b in inst.bands):
        out.append(f"band {key!r} is defined twice")
    bands = sorted(inst.bands, key=lambda b: (b.low, b.high))
    for b in bands:
        if not (_is_number(b.low) and _is_number(b.high)) or b.low > b.high:
            out.append(f"band {b.key!r}: needs numbers low <= high, got {b.low!r}-{b.high!r}")
        elif b.low < t_lo or b.high > t_hi:
            out.append(
                f"band {b.key!r}: {b.low}-{b.high} lies outside the total's range {t_lo}-{t_hi}"
            )
    for a, b in itertools.pairwise(bands):
        if b.low <= a.high:
            out.append(
                f"bands {a.key!r} ({a.low}-{a.high}) and {b.key!r} ({b.low}-{b.high}) overlap"
            )
    targets = scales | {TOTAL: (t_lo, t_hi)}
    for name in _dupes(t.name for t in inst.thresholds):
        out.append(f"threshold {name!r} is defined twice")
    for t in inst.thresholds:
        where = f"threshold {t.name!r}"
        if t.op not in OPS:
            out.append(f"{where}: op must be one of {', '.join(OPS)}, got {t.op!r}")
        if not t.targets:
            out.append(f"{where}: needs at least one target")
        if len(t.targets) > 1 and not t.per_target:
            out.append(f"{where}: several targets need per_target=True so that their flags differ")
        if not _is_number(t.value):
            out.append(f"{where}: value must be a number, got {t.value!r}")
            continue
        for target in t.targets:
            if target not in targets:
                out.append(f"{where}: no such scale {target!r}")
            elif not targets[target][0] <= t.value <= targets[target][1]:
                lo, hi = targets[target]
                out.append(f"{where}: value {t.value} lies outside {target!r}'s range {lo}-{hi}")
    for item in _dupes(c.item for c in inst.crisis_items):
        out.append(f"crisis item {item} is listed twice")
    for c in inst.crisis_items:
        if not isinstance(c.item, int) or not 1 <= c.item <= len(inst.items):
            out.append(f"crisis item {c.item!r}: no such item")
            continue
        options = formats.get(inst.items[c.item - 1].format, [])
        if not c.answers:
            out.append(f"crisis item {c.item}: lists no answers")
        wrong = [
            a for a in c.answers if a not in options or type(a) not in {type(o) for o in options}
        ]
        if wrong:
            out.append(f"crisis item {c.item}: {wrong} are not options of the item ({options})")
    _norms(inst, targets, out)


def _norms(inst: Instrument, targets: dict[str, tuple[Number, Number]], out: list[str]) -> None:
    for scale, group in _dupes((n.scale, n.group) for n in inst.norms):
        out.append(f"norm table for {scale!r}, group {group!r} is given twice")
    for n in inst.norms:
        where = f"norm table {n.scale!r}/{n.group!r}"
        if not isinstance(n.group, str) or not n.group.strip():
            out.append(f"{where}: group must be a non-empty string")
        if n.scale not in targets:
            out.append(f"{where}: no such scale")
            continue
        raws = [r for r, _ in n.points]
        if not all(_is_number(r) and _is_number(s) for r, s in n.points):
            out.append(f"{where}: raw and standard scores must be numbers")
            continue
        if _dupes(raws):
            out.append(f"{where}: raw score(s) {_dupes(raws)} given twice")
        lo, hi = targets[n.scale]
        if isinstance(lo, int) and isinstance(hi, int):
            missing = [r for r in range(lo, hi + 1) if r not in raws]
            if missing:
                out.append(f"{where}: no standard score for raw score(s) {missing}")
        outside = [r for r in raws if not lo <= r <= hi]
        if outside:
            out.append(f"{where}: raw score(s) {outside} lie outside the range {lo}-{hi}")
