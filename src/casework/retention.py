"""Retention rules as data: how long a subject's personal data is kept after their case closed.

A :class:`RetentionRule` is a definition like a due-work rule (:mod:`casework.due`): a frozen
value, validated when built, printable, comparable, and read from a plain dict (JSON or TOML,
``[[retention]]`` tables).  Rules live in the :class:`~casework.catalogue.Catalogue`
(``retention=``), which checks the lifecycles they watch; :func:`casework.erasure.due_erasures`
and the agenda read them.

A rule is due, for a client whose cases it watches are all closed, on the later of

* ``after_closure_years`` years after the latest closure (when given), and
* the day the client turns ``after_age`` plus ``years`` more years (when ``after_age`` is
  given: "for a child, N years after turning 18" is ``after_age=18, years=N``).

No rule is shipped: how long records are kept is the station's decision under the law and
its funders' contracts, and an erasure cannot be undone, so casework never guesses a period.

.. versionadded:: 0.2
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

import attrs

from casework.due import read_tables
from casework.errors import DefinitionError

__all__ = [
    "RETENTION_RULE",
    "RetentionRule",
    "check_retention",
    "retention_from_dict",
    "retention_to_dict",
]

#: The rule id of the agenda's items for erasures coming due.
RETENTION_RULE: Final = "retention"


def _names(value: Any) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value)


@attrs.frozen
class RetentionRule:
    """One retention rule; ``zh`` and ``en`` name it (in the erasure's reason, on the agenda).

    ``lifecycles`` are the lifecycle ids whose cases it watches (empty: every lifecycle).
    ``notice`` is how many days before the erasure date the agenda shows it.

    .. versionadded:: 0.2
    """

    id: str
    zh: str
    en: str
    after_closure_years: int | None = None
    after_age: int | None = None
    years: int = 0
    lifecycles: tuple[str, ...] = attrs.field(default=(), converter=_names)
    notice: int = 30

    def __attrs_post_init__(self) -> None:
        problems = list(_problems(self))
        if problems:
            raise DefinitionError(self.id if isinstance(self.id, str) else "<rule>", problems)

    def label(self, lang: str = "en") -> str:
        """The rule's name in ``lang`` (``"zh"`` or ``"en"``)."""
        return self.zh if lang == "zh" else self.en

    def to_dict(self) -> dict[str, Any]:
        """A plain dict of the rule; :func:`retention_from_dict` reads it back."""
        out: dict[str, Any] = {"id": self.id, "zh": self.zh, "en": self.en}
        if self.after_closure_years is not None:
            out["after_closure_years"] = self.after_closure_years
        if self.after_age is not None:
            out["after_age"] = self.after_age
        out.update(years=self.years, lifecycles=list(self.lifecycles), notice=self.notice)
        return out


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _problems(rule: RetentionRule) -> Iterable[str]:
    if not isinstance(rule.id, str) or not rule.id.isidentifier():
        yield f"a rule id is an identifier, got {rule.id!r}"
    for lang in ("zh", "en"):
        value = getattr(rule, lang)
        if not isinstance(value, str) or not value.strip():
            yield f"{lang}: name the rule, got {value!r}"
    if rule.after_closure_years is None and rule.after_age is None:
        yield "give after_closure_years, after_age (with years), or both"
    for name in ("after_closure_years", "after_age"):
        value = getattr(rule, name)
        if value is not None and not _whole(value):
            yield f"{name}: a whole number of years >= 0, got {value!r}"
    if not _whole(rule.years):
        yield f"years: a whole number of years >= 0, got {rule.years!r}"
    elif rule.years and rule.after_age is None:
        yield "years counts from after_age: give after_age (or use after_closure_years)"
    if not _whole(rule.notice):
        yield f"notice: a whole number of days >= 0, got {rule.notice!r}"
    if not all(isinstance(n, str) and n for n in rule.lifecycles):
        yield f"lifecycles: lifecycle ids, got {rule.lifecycles!r}"


_KEYS: Final = frozenset(
    {"id", "zh", "en", "after_closure_years", "after_age", "years", "lifecycles", "notice"}
)


def retention_from_dict(
    data: Mapping[str, Any] | Sequence[Mapping[str, Any]],
) -> tuple[RetentionRule, ...]:
    """Rules from plain data: a list of rule dicts, or a mapping with a ``retention`` list
    (a TOML file's ``[[retention]]`` tables).  Every problem of every rule is reported at once.
    """
    required = frozenset({"id", "zh", "en"})
    return read_tables(data, key="retention", build=RetentionRule, keys=_KEYS, required=required)


def retention_to_dict(rules: Iterable[RetentionRule]) -> dict[str, list[dict[str, Any]]]:
    """``{"retention": [...]}``: what :func:`retention_from_dict` reads back."""
    return {"retention": [r.to_dict() for r in rules]}


def check_retention(rules: Sequence[RetentionRule], lifecycle_ids: Iterable[str]) -> list[str]:
    """Every problem of ``rules`` in a catalogue of these lifecycles (empty when they fit)."""
    problems: list[str] = []
    seen: dict[str, RetentionRule] = {}
    ids = set(lifecycle_ids)
    for r in rules:
        if not isinstance(r, RetentionRule):
            problems.append(f"{r!r} is a {type(r).__name__}, not a RetentionRule")
            continue
        if r.id in seen and seen[r.id] != r:
            problems.append(f"two different retention rules are both {r.id!r}")
            continue
        seen.setdefault(r.id, r)
        unknown = [n for n in r.lifecycles if n not in ids]
        if unknown:
            problems.append(
                f"retention rule {r.id!r}: no lifecycle {', '.join(map(repr, unknown))}"
            )
    return problems
