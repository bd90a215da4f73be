"""Answer formats and item builders shared by the shipped instruments."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from casework.instruments._parts import Item, Number, Option, ResponseFormat

__all__ = ["FREQUENCY", "YES_NO", "items", "weight_range"]

#: 是 / 不是 (yes / no); also accepts 1/0, "y"/"n" and 否.
YES_NO = ResponseFormat(
    "yes_no",
    (
        Option(True, "是", "yes", aliases=("y",)),
        Option(False, "不是", "no", aliases=("否", "n")),
    ),
)

#: Over the last two weeks, how often (PHQ-9, GAD-7): 0-3.
FREQUENCY = ResponseFormat(
    "frequency",
    (
        Option(0, "完全不会", "not at all"),
        Option(1, "好几天", "several days"),
        Option(2, "一半以上的天数", "more than half the days"),
        Option(3, "几乎每天", "nearly every day"),
    ),
)


def items(
    count: int,
    fmt: ResponseFormat,
    weights: Sequence[Number],
    overrides: Mapping[int, Sequence[Number]] | None = None,
) -> tuple[Item, ...]:
    """``count`` items of one format keyed ``weights``, some of them keyed ``overrides``."""
    special = overrides or {}
    return tuple(Item(n, fmt.key, tuple(special.get(n, weights))) for n in range(1, count + 1))


def weight_range(all_items: Sequence[Item], numbers: Iterable[int]) -> tuple[Number, Number]:
    """The lowest and highest sums of the weights of these items (for declaring a scale)."""
    chosen = [all_items[n - 1].weights for n in numbers]
    return sum(min(w) for w in chosen), sum(max(w) for w in chosen)
