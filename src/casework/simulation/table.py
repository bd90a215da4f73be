"""A small result table: plain rows (a list of dicts) that print, render in notebooks, and
become a pandas DataFrame when pandas is installed (the ``casework[notebook]`` extra).
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs

from casework._support import display_width
from casework.simulation._deps import require

__all__ = ["Table"]


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return "-" if math.isnan(value) else f"{value:.3g}"
    return str(value)


def _columns(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(value)


def _rows(value: Iterable[Mapping[str, Any]]) -> tuple[Mapping[str, Any], ...]:
    return tuple(value)


@attrs.frozen(repr=False)
class Table:
    """Rows of equal keys (``columns`` in order), with an optional title."""

    columns: tuple[str, ...] = attrs.field(converter=_columns)
    rows: tuple[Mapping[str, Any], ...] = attrs.field(converter=_rows)
    title: str = ""

    def to_list(self) -> list[dict[str, Any]]:
        """The rows as a list of plain dicts."""
        return [dict(r) for r in self.rows]

    def to_pandas(self) -> Any:
        """The rows as a pandas DataFrame (needs ``pip install 'casework[notebook]'``)."""
        pd = require("pandas", "notebook", "Table.to_pandas")
        return pd.DataFrame(self.to_list(), columns=list(self.columns))

    def __str__(self) -> str:
        cells = [[_cell(r.get(c, "")) for c in self.columns] for r in self.rows]
        widths = [
            max([display_width(c), *(display_width(row[i]) for row in cells)])
            for i, c in enumerate(self.columns)
        ]

        def line(values: Sequence[str]) -> str:
            return "  ".join(
                v + " " * (w - display_width(v)) for v, w in zip(values, widths, strict=True)
            )

        out = [self.title] if self.title else []
        out.append(line(self.columns).rstrip())
        out.append("  ".join("-" * w for w in widths))
        out += [line(row).rstrip() for row in cells]
        return "\n".join(out)

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        head = "".join(f"<th>{html.escape(c)}</th>" for c in self.columns)
        body = "".join(
            "<tr>"
            + "".join(f"<td>{html.escape(_cell(r.get(c, '')))}</td>" for c in self.columns)
            + "</tr>"
            for r in self.rows
        )
        caption = f"<caption>{html.escape(self.title)}</caption>" if self.title else ""
        return f"<table>{caption}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
