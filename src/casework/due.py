"""Due-work rules as data: when work becomes due, what clears it, and when it is late.

A :class:`DueRule` is a definition like a lifecycle: a frozen value, validated when built,
printable, comparable, and read from a plain dict (JSON or TOML).  Rules live in the
:class:`~casework.catalogue.Catalogue` beside the lifecycles they watch (``due_rules=``),
which checks them against those lifecycles; the agenda (:mod:`casework.reporting.agenda`)
reads them.

Every rule measures from an **anchor** (:class:`Anchor`): the time the case entered the
rule's states, the plan's date for the next or the last session, the latest consent of each
giver, or a watched person's registration or latest visit.  The work is **due** ``after``
days later (for a person under watch: after the person's own ``visit_every``); it appears on
the agenda ``notice`` days before it is due, and it is **late** (overdue) from the day after.

What clears it, ``clears``, names triggers or event types.  A one-off rule's item is cleared
by such an event dated on or after the day the item appeared (with ``phase``, an assessment
clears it only if of that phase); a ``repeat`` rule starts again from its latest clearing
event (a review every 30 days).  The next session, consent renewal and visit rules move by
themselves: a held session, a new consent or a visit gives the next due date.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

import attrs

from casework.errors import DefinitionError
from casework.records import Phase

__all__ = [
    "CASE_ANCHORS",
    "SHIPPED_DUE_RULES",
    "VISIT_COMMAND",
    "Anchor",
    "DueRule",
    "check_rules",
    "rules_from_dict",
    "rules_to_dict",
]

#: The register's command that records an outreach visit (:func:`casework.register.record_visit`).
VISIT_COMMAND: Final = "record_visit"


class Anchor(enum.StrEnum):
    """What a rule measures from."""

    #: When the case entered (the current run of) the rule's states.
    ENTERED = "entered"
    #: The plan's date for the next session not yet held.
    NEXT_SESSION = "next_session"
    #: The plan's date for its last session (else when the last planned session was held).
    LAST_SESSION = "last_session"
    #: When each giver's latest consent in force was given (client, each guardian).
    CONSENT = "consent"
    #: A person under watch: registered, or visited last (the outreach register).
    VISIT = "visit"


#: Anchors read off a case (the others read the outreach register).
CASE_ANCHORS: Final = frozenset(a for a in Anchor if a is not Anchor.VISIT)


def _names(value: Any) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value)


def _anchor(value: Any) -> Anchor | Any:
    try:
        return Anchor(value)
    except ValueError:
        return value  # reported by the rule's check, with the others


def _phase(value: Any) -> Phase | Any:
    if value is None:
        return None
    try:
        return Phase(value)
    except ValueError:
        return value


@attrs.frozen
class DueRule:
    """One due-work rule; ``zh`` and ``en`` say what to do (shown on the agenda).

    ``states`` are the states in which the rule applies (a case rule); ``lifecycles`` the
    lifecycle ids it watches (empty: every lifecycle of the catalogue that has its states).
    """

    id: str
    zh: str
    en: str
    anchor: Anchor = attrs.field(converter=_anchor)
    clears: tuple[str, ...] = attrs.field(converter=_names)
    after: int = 0
    notice: int = 0
    states: tuple[str, ...] = attrs.field(default=(), converter=_names)
    lifecycles: tuple[str, ...] = attrs.field(default=(), converter=_names)
    repeat: bool = False
    phase: Phase | None = attrs.field(default=None, converter=_phase)

    def __attrs_post_init__(self) -> None:
        problems = list(_problems(self))
        if problems:
            raise DefinitionError(self.id if isinstance(self.id, str) else "<rule>", problems)

    @property
    def on_cases(self) -> bool:
        """True for a rule about cases (False: about people under watch)."""
        return self.anchor in CASE_ANCHORS

    def label(self, lang: str = "en") -> str:
        """What to do, in ``lang`` (``"zh"`` or ``"en"``)."""
        return self.zh if lang == "zh" else self.en

    def to_dict(self) -> dict[str, Any]:
        """A plain dict of the rule (for JSON or TOML); :func:`rules_from_dict` reads it."""
        out: dict[str, Any] = {
            "id": self.id,
            "zh": self.zh,
            "en": self.en,
            "anchor": self.anchor.value,
            "clears": list(self.clears),
            "after": self.after,
            "notice": self.notice,
            "states": list(self.states),
            "lifecycles": list(self.lifecycles),
            "repeat": self.repeat,
        }
        if self.phase is not None:
            out["phase"] = self.phase.value
        return out


def _days(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _problems(rule: DueRule) -> Iterable[str]:
    if not isinstance(rule.id, str) or not rule.id.isidentifier():
        yield f"a rule id is an identifier, got {rule.id!r}"
    for lang in ("zh", "en"):
        value = getattr(rule, lang)
        if not isinstance(value, str) or not value.strip():
            yield f"{lang}: say what to do, got {value!r}"
    if not isinstance(rule.anchor, Anchor):
        yield f"anchor: {rule.anchor!r} is not one of {', '.join(a.value for a in Anchor)}"
    if not rule.clears or not all(isinstance(c, str) and c.isidentifier() for c in rule.clears):
        yield f"clears: name the triggers or event types that clear it, got {rule.clears!r}"
    for name in ("after", "notice"):
        if not _days(getattr(rule, name)):
            yield f"{name}: a whole number of days >= 0, got {getattr(rule, name)!r}"
    if not isinstance(rule.repeat, bool):
        yield f"repeat: true or false, got {rule.repeat!r}"
    if rule.phase is not None and not isinstance(rule.phase, Phase):
        yield f"phase: {rule.phase!r} is not one of {', '.join(p.value for p in Phase)}"
    if rule.anchor is Anchor.VISIT:
        if rule.states or rule.lifecycles:
            yield "a visit rule is about people under watch: it names no states or lifecycles"
        if set(rule.clears) - {VISIT_COMMAND}:
            yield f"a visit rule is cleared by {VISIT_COMMAND!r}, got {list(rule.clears)}"
        if rule.after:
            yield "a visit rule's interval is each person's visit_every: leave after at 0"
    elif isinstance(rule.anchor, Anchor):
        if not rule.states:
            yield "a case rule names the states in which it applies"
        if rule.repeat and rule.anchor is not Anchor.ENTERED:
            yield f"repeat: only an {Anchor.ENTERED.value!r} rule repeats"


_KEYS = frozenset(
    {"id", "zh", "en", "anchor", "clears", "after", "notice", "states", "lifecycles", "repeat"}
    | {"phase"}
)


def read_tables(
    data: Mapping[str, Any] | Sequence[Mapping[str, Any]],
    *,
    key: str,
    build: Any,
    keys: frozenset[str],
    required: frozenset[str],
) -> tuple[Any, ...]:
    """Definitions built with ``build`` from plain data: a list of dicts, or a mapping with a
    ``key`` list (a TOML file's ``[[key]]`` tables).  Every problem of every item is reported
    at once, in one :class:`DefinitionError` named ``key``.
    """
    items: Any = data.get(key) if isinstance(data, Mapping) else data
    if not isinstance(items, Sequence) or isinstance(items, str):
        raise DefinitionError(key, [f"expected a list of rules (TOML: [[{key}]])"])
    built, problems = [], []
    for i, raw in enumerate(items):
        where = f"{key}[{i}]"
        if not isinstance(raw, Mapping):
            problems.append(f"{where}: expected a table, got {type(raw).__name__}")
            continue
        where = f"{where} ({raw.get('id', '?')})"
        extra = sorted(set(raw) - keys)
        if extra:
            problems.append(f"{where}: unknown keys {extra}")
        missing = sorted(required - set(raw))
        if missing:
            problems.append(f"{where}: missing {missing}")
        if extra or missing:
            continue
        try:
            built.append(build(**raw))
        except DefinitionError as exc:
            problems.extend(f"{where}: {p}" for p in exc.problems)
        except TypeError as exc:
            problems.append(f"{where}: {exc}")
    if problems:
        raise DefinitionError(key, problems)
    return tuple(built)


def rules_from_dict(data: Mapping[str, Any] | Sequence[Mapping[str, Any]]) -> tuple[DueRule, ...]:
    """Rules from plain data: a list of rule dicts, or a mapping with a ``due_rules`` list
    (a TOML file's ``[[due_rules]]`` tables).  Every problem of every rule is reported at once.
    """
    required = frozenset({"id", "zh", "en", "anchor", "clears"})
    return read_tables(data, key="due_rules", build=DueRule, keys=_KEYS, required=required)


def rules_to_dict(rules: Iterable[DueRule]) -> dict[str, list[dict[str, Any]]]:
    """``{"due_rules": [...]}``: what :func:`rules_from_dict` reads back."""
    return {"due_rules": [r.to_dict() for r in rules]}


def check_rules(rules: Sequence[DueRule], lifecycles: Sequence[Any]) -> list[str]:
    """Every problem of ``rules`` against ``lifecycles`` (empty when they fit).

    Ids are unique; a rule's lifecycles exist, each with at least one version that has all
    the rule's states (the rule watches those versions: a version that renamed a state is
    not watched); each name in ``clears`` is a trigger or an event type of one of them.
    """
    problems: list[str] = []
    seen: dict[str, DueRule] = {}
    for r in rules:
        if not isinstance(r, DueRule):
            problems.append(f"{r!r} is a {type(r).__name__}, not a DueRule")
            continue
        if r.id in seen and seen[r.id] != r:
            problems.append(f"two different due rules are both {r.id!r}")
        seen.setdefault(r.id, r)
    ids = {lc.id for lc in lifecycles}
    for r in seen.values():
        if not r.on_cases:
            continue
        unknown = [name for name in r.lifecycles if name not in ids]
        if unknown:
            problems.append(f"due rule {r.id!r}: no lifecycle {', '.join(map(repr, unknown))}")
            continue
        having = [lc for lc in lifecycles if all(map(lc.has_state, r.states))]
        targets = [lc for lc in having if lc.id in r.lifecycles] if r.lifecycles else having
        lacking = [n for n in r.lifecycles if n not in {lc.id for lc in targets}]
        if lacking or not targets:
            names = ", ".join(map(repr, lacking)) or "of the catalogue"
            problems.append(
                f"due rule {r.id!r}: no version of lifecycle {names} has all the states "
                f"{', '.join(r.states)}"
            )
            continue
        known = {n for lc in targets for t in lc.triggers for n in (t, lc.event_type(t))}
        strange = [c for c in r.clears if c not in known]
        if strange:
            problems.append(
                f"due rule {r.id!r}: {', '.join(map(repr, strange))} is no trigger or event "
                "of the lifecycles it watches"
            )
    return problems


_STANDARD: Final = ("standard", "standard_mht", "standard_mht_supervised")
_WORKING: Final = ("screening", "intake", "assessment", "planning", "intervention", "evaluation")
_OPEN: Final = ("referral", *_WORKING, "suspended")
_CONTACT: Final = ("record_session", "record_assessment", "record_consent")
_FOLLOWED: Final = ("follow_up", "record_assessment")

#: The rules shipped for the standard lifecycles (``standard``, ``standard_mht`` and
#: ``standard_mht_supervised``).
SHIPPED_DUE_RULES: Final[tuple[DueRule, ...]] = (
    DueRule(
        "referral_screening", "筛选转介对象（7天内）", "screen the referral (within 7 days)",
        Anchor.ENTERED, ("screen", "screen_out"), after=7, notice=7,
        states="referral", lifecycles=_STANDARD,
    ),
    DueRule(
        "next_session", "按计划开展并记录下一次服务", "hold and record the next planned session",
        Anchor.NEXT_SESSION, "record_session", after=0, notice=7,
        states="intervention", lifecycles=_STANDARD,
    ),
    DueRule(
        "post_assessment", "末次服务后14天内完成后测",
        "post assessment within 14 days of the last planned session",
        Anchor.LAST_SESSION, "record_assessment", after=14, notice=14,
        states=("intervention", "evaluation"), lifecycles=_STANDARD, phase=Phase.POST,
    ),
    DueRule(
        "follow_up_30", "结案后30天回访", "follow-up visit 30 days after closure",
        Anchor.ENTERED, _FOLLOWED, after=30, notice=7,
        states=("closed", "follow_up"), lifecycles=_STANDARD, phase=Phase.FOLLOW_UP,
    ),
    DueRule(
        "follow_up_90", "结案后90天回访", "follow-up visit 90 days after closure",
        Anchor.ENTERED, _FOLLOWED, after=90, notice=7,
        states=("closed", "follow_up"), lifecycles=_STANDARD, phase=Phase.FOLLOW_UP,
    ),
    DueRule(
        "suspension_review", "暂停个案每30天复核", "review the suspended case (every 30 days)",
        Anchor.ENTERED, ("resume", "withdraw", "refer_out"), after=30, notice=0,
        states="suspended", lifecycles=_STANDARD, repeat=True,
    ),
    DueRule(
        "consent_renewal", "每年更新知情同意", "renew the consent (yearly)",
        Anchor.CONSENT, "record_consent", after=365, notice=30,
        states=_OPEN, lifecycles=_STANDARD,
    ),
    DueRule(
        "no_contact", "在案个案21天未接触", "contact the client (none for 21 days)",
        Anchor.ENTERED, _CONTACT, after=21, notice=0,
        states=_WORKING, lifecycles=_STANDARD, repeat=True,
    ),
    DueRule(
        "register_visit", "按走访周期入户走访", "visit the person under watch (their rhythm)",
        Anchor.VISIT, VISIT_COMMAND, notice=7,
    ),
)  # fmt: skip
