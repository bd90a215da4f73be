"""The value every indicator returns: a small table of plain rows with bilingual labels.

``table.rows`` is a list of plain dicts whose values are codes and numbers (``"intake"``,
``12``), never display text, so apps and tests read them without parsing.  Display (``str``,
``_repr_html_`` in Jupyter, ``to_pandas(lang=...)``) translates column keys and coded values
into Chinese or English through :mod:`casework.reporting.labels`.  pandas is optional (the
``casework[notebook]`` extra) and imported only by :meth:`Table.to_pandas`.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

import attrs

from casework._support import display_width
from casework._support import require as _require
from casework.errors import InvalidValue
from casework.reporting import labels
from casework.reporting.labels import Label

__all__ = ["PERCENT_COLUMNS", "Table", "display_width", "require"]

#: Columns holding a share (0.5 shows as 50%).
PERCENT_COLUMNS = frozenset({"rate", "on_time_rate"})


def require(module: str, purpose: str) -> Any:
    """Import ``module`` or raise ImportError naming ``pip install 'casework[notebook]'``."""
    return _require(module, "notebook", purpose)


def _pad(text: str, width: int, right: bool) -> str:
    gap = " " * max(0, width - display_width(text))
    return gap + text if right else text + gap


def _rows(value: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [dict(r) for r in value]


def _columns(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(value)


def _notes(value: Iterable[str | Label]) -> tuple[str | Label, ...]:
    return tuple(value)


def _value_labels(value: Mapping[str, Mapping[str, Label]]) -> dict[str, dict[str, Label]]:
    return {k: dict(v) for k, v in value.items()}


def _lang(instance: Any, attribute: attrs.Attribute[Any], value: str) -> None:
    labels.check_lang(value)


@attrs.frozen(eq=True, hash=False, repr=False)
class Table:
    """An indicator's result: ``name`` (its key in ``labels.INDICATORS``), columns, rows.

    ``value_labels`` maps a column to the labels of its coded values (states, service areas,
    activity kinds...); ``notes`` say what the figures rest on (a :class:`Label` is shown in
    the table's language, a string as it is); ``lang`` is the language
    ``str`` and ``_repr_html_`` use (``table.in_lang("zh")`` for the other).
    """

    name: str
    columns: tuple[str, ...] = attrs.field(converter=_columns)
    rows: list[dict[str, Any]] = attrs.field(converter=_rows)
    title: Label
    value_labels: dict[str, dict[str, Label]] = attrs.field(factory=dict, converter=_value_labels)
    notes: tuple[str | Label, ...] = attrs.field(default=(), converter=_notes)
    lang: str = attrs.field(default="en", validator=_lang)

    def __attrs_post_init__(self) -> None:
        for i, row in enumerate(self.rows):
            extra = set(row) - set(self.columns)
            if extra:
                raise InvalidValue(f"Table.rows[{i}]", f"keys not in the columns: {sorted(extra)}")

    # --- reading ----------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.rows)

    def column(self, key: str) -> list[Any]:
        """The values of one column, row by row."""
        if key not in self.columns:
            raise KeyError(key)
        return [r.get(key) for r in self.rows]

    def row(self, **match: Any) -> dict[str, Any]:
        """The one row whose values equal ``match`` (KeyError when none or several do)."""
        found = [r for r in self.rows if all(r.get(k) == v for k, v in match.items())]
        if len(found) != 1:
            raise KeyError(f"{len(found)} rows match {match!r}")
        return found[0]

    def in_lang(self, lang: str) -> Table:
        """The same table, displayed in ``lang`` (``"zh"`` or ``"en"``)."""
        return attrs.evolve(self, lang=labels.check_lang(lang))

    def note_texts(self, lang: str | None = None) -> list[str]:
        """The notes as display text in ``lang`` (default: the table's)."""
        lang = labels.check_lang(lang or self.lang)
        return [n.text(lang) if isinstance(n, Label) else str(n) for n in self.notes]

    def heading(self, key: str, lang: str | None = None) -> str:
        """The label of column ``key`` in ``lang`` (default: the table's)."""
        found = labels.COLUMNS.get(key)
        return found.text(lang or self.lang) if found is not None else key

    def display(self, key: str, value: Any, lang: str | None = None) -> str:
        """A cell as text: coded values translated, numbers formatted, ``None`` as ``-``."""
        lang = lang or self.lang
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return "-"
        known = self.value_labels.get(key, {})
        if isinstance(value, str) and value in known:
            return known[value].text(lang)
        if isinstance(value, bool):
            return str(value)
        if isinstance(value, int):
            return f"{value:,}"
        if isinstance(value, float):
            return f"{value:.0%}" if key in PERCENT_COLUMNS else f"{value:,.1f}"
        if isinstance(value, datetime):
            return f"{value:%Y-%m-%d %H:%M}"
        if isinstance(value, date):
            return value.isoformat()
        if isinstance(value, (tuple, list, frozenset, set)):
            return ", ".join(self.display(key, v, lang) for v in value)
        return str(value)

    # --- output -----------------------------------------------------------------------------

    def to_list(self) -> list[dict[str, Any]]:
        """The rows as fresh plain dicts (codes, not labels)."""
        return [dict(r) for r in self.rows]

    def to_pandas(self, lang: str | None = None) -> Any:
        """The rows as a pandas DataFrame; with ``lang``, headings and codes translated.

        Needs pandas: ``pip install 'casework[notebook]'``.
        """
        pd = require("pandas", "Table.to_pandas")
        if lang is None:
            return pd.DataFrame(self.to_list(), columns=list(self.columns))
        labels.check_lang(lang)
        rows = []
        for r in self.rows:
            row = {}
            for c in self.columns:
                v = r.get(c)
                known = self.value_labels.get(c, {})
                row[c] = known[v].text(lang) if isinstance(v, str) and v in known else v
            rows.append(row)
        frame = pd.DataFrame(rows, columns=list(self.columns))
        return frame.rename(columns={c: self.heading(c, lang) for c in self.columns})

    def _cells(self, lang: str) -> list[list[str]]:
        return [[self.display(c, r.get(c), lang) for c in self.columns] for r in self.rows]

    def _numeric(self) -> list[bool]:
        return [
            all(isinstance(r.get(c), (int, float)) or r.get(c) is None for r in self.rows)
            for c in self.columns
        ]

    def to_text(self, lang: str | None = None) -> str:
        """A plain-text table, aligned in a terminal (CJK characters count as two columns)."""
        lang = labels.check_lang(lang or self.lang)
        heads = [self.heading(c, lang) for c in self.columns]
        cells = self._cells(lang)
        numeric = self._numeric()
        widths = [
            max([display_width(h), *(display_width(row[i]) for row in cells)])
            for i, h in enumerate(heads)
        ]

        def line(values: Sequence[str]) -> str:
            parts = [_pad(v, w, right) for v, w, right in zip(values, widths, numeric, strict=True)]
            return "  ".join(parts).rstrip()

        out = [self.title.text(lang), line(heads), "  ".join("-" * w for w in widths)]
        out += [line(row) for row in cells]
        out += [f"  {n}" for n in self.note_texts(lang)]
        return "\n".join(out)

    def __str__(self) -> str:
        return self.to_text()

    def __repr__(self) -> str:
        return self.to_text()

    def to_html(self, lang: str | None = None, *, level: int = 3) -> str:
        """An HTML fragment: the title as a heading and an escaped ``<table>``."""
        lang = labels.check_lang(lang or self.lang)
        esc = html.escape
        numeric = self._numeric()
        head = "".join(f"<th>{esc(self.heading(c, lang))}</th>" for c in self.columns)
        body = []
        for row in self._cells(lang):
            tds = "".join(
                f'<td style="text-align:right">{esc(v)}</td>' if num else f"<td>{esc(v)}</td>"
                for v, num in zip(row, numeric, strict=True)
            )
            body.append(f"<tr>{tds}</tr>")
        notes = "".join(f"<p><small>{esc(n)}</small></p>" for n in self.note_texts(lang))
        return (
            f'<h{level} class="casework-title">{esc(self.title.text(lang))}</h{level}>'
            f'<table class="casework-table" data-indicator="{esc(self.name)}">'
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>{notes}"
        )

    def _repr_html_(self) -> str:
        return self.to_html()
