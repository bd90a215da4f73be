"""The catalogue: every definition an app uses, found by name, built once and passed around.

One value holds the lifecycles (every version of each), the instruments, the app's own payload
types, and the named guards and hooks that definition files refer to.  The engine, the stores,
the codec, reporting, simulation and the command line all take a catalogue instead of separate
lists, so an app's own process is known everywhere exactly as the shipped ones are.  The
shipped definitions are in every catalogue unless ``shipped=False``.
"""

from __future__ import annotations

import importlib
import json
import sys
import tomllib
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

import attrs

from casework._support import callable_name
from casework.assessment import SHIPPED_INSTRUMENTS
from casework.due import SHIPPED_DUE_RULES, DueRule, check_rules, rules_from_dict
from casework.errors import DefinitionError, UnknownDefinition
from casework.guards import BUILTIN
from casework.instruments import Instrument
from casework.lifecycle import Guard, Hook, Lifecycle
from casework.retention import RetentionRule, check_retention, retention_from_dict
from casework.standard import MHT_LIFECYCLE, MHT_SUPERVISED, STANDARD

__all__ = ["DEFAULT_CATALOGUE", "PROJECT_FILE", "Catalogue", "Unavailable"]

#: The project file the command line reads from the working directory.
PROJECT_FILE = "casework.toml"


@attrs.frozen
class Unavailable:
    """Stands in for a named guard or hook whose code this process does not have.

    Reading a store (show, export, report) never runs a guard, so the command line can load
    an app's definition files without the app's code; a command fired through such a
    lifecycle is refused by this guard, naming what is missing.
    """

    name: str

    def __call__(self, *args: Any) -> str:
        return f"{self.name!r} is not available here (the app's code was not loaded)"


def _read(path: Path) -> Any:
    """The data in a TOML or JSON definition file (by its suffix)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise DefinitionError(str(path), [f"cannot read the file: {exc.strerror or exc}"]) from exc
    try:
        if path.suffix.lower() == ".json":
            return json.loads(text)
        return tomllib.loads(text)
    except (ValueError, tomllib.TOMLDecodeError) as exc:
        raise DefinitionError(str(path), [f"not valid {path.suffix[1:].upper()}: {exc}"]) from exc


def _read_rules(path: str | Path, build: Callable[[Any], tuple[Any, ...]]) -> tuple[Any, ...]:
    """Rules built by ``build`` from a TOML or JSON file; a problem names the file once."""
    path = Path(path)
    data = _read(path)  # a file that cannot be read already names itself
    try:
        return build(data)
    except DefinitionError as exc:
        raise DefinitionError(f"{path}: {exc.name}", exc.problems) from exc


def _unique(kind: str, items: Iterable[Any], key: Callable[[Any], tuple[str, Any]]) -> list[Any]:
    """``items`` without repeats; two different definitions under one key are refused."""
    found: dict[tuple[str, Any], Any] = {}
    problems = []
    for item in items:
        k = key(item)
        if k in found and found[k] != item:
            problems.append(f"two different {kind}s are both {k[0]!r} version {k[1]!r}")
        found.setdefault(k, item)
    if problems:
        raise DefinitionError("catalogue", problems)
    return list(found.values())


def _named(kind: str, value: Mapping[str, Any] | Iterable[Callable[..., Any]]) -> dict[str, Any]:
    items = dict(value) if isinstance(value, Mapping) else {callable_name(f): f for f in value}
    problems = [f"{kind} {name!r} is not callable" for name, f in items.items() if not callable(f)]
    if problems:
        raise DefinitionError("catalogue", problems)
    return items


@attrs.frozen(init=False, repr=False)
class Catalogue:
    """Every definition an app uses: lifecycles (all versions), instruments, payload types,
    and the named guards and hooks its definition files refer to.

    Build it once, at start-up, and pass it to whatever needs it::

        catalogue = Catalogue(lifecycles=[ELDERLY], guards=[aged_60_or_over])
        store = SQLiteStore("station.sqlite", catalogue=catalogue)
        engine = Engine("qingnuan-xiyang", store=store)

    ``due_rules`` are the due-work rules the agenda reads (:mod:`casework.due`), checked
    against the lifecycles they watch; ``retention`` the retention rules
    (:mod:`casework.retention`; none shipped).  The shipped definitions (the standard lifecycles,
    the shipped instruments, built-in guards and due-work rules) are included unless
    ``shipped=False``.  Definitions are checked as the catalogue
    is built: two different lifecycles with one id and version, two guards under one name,
    two due rules with one id, or a rule about states or triggers its lifecycles do not have,
    are a :class:`~casework.errors.DefinitionError`.
    """

    lifecycles: tuple[Lifecycle, ...]
    instruments: tuple[Instrument, ...]
    guards: Mapping[str, Guard] = attrs.field(eq=attrs.cmp_using(eq=lambda a, b: a == b))
    hooks: Mapping[str, Hook] = attrs.field(eq=attrs.cmp_using(eq=lambda a, b: a == b))
    payload_types: tuple[type, ...]
    due_rules: tuple[DueRule, ...]
    retention: tuple[RetentionRule, ...]
    _by_version: dict[tuple[str, int], Lifecycle] = attrs.field(eq=False, hash=False)
    _latest: dict[str, Lifecycle] = attrs.field(eq=False, hash=False)
    _instrument: dict[str, Instrument] = attrs.field(eq=False, hash=False)

    def __init__(
        self,
        *,
        lifecycles: Iterable[Lifecycle] = (),
        instruments: Iterable[Instrument] | Mapping[str, Instrument] = (),
        guards: Mapping[str, Guard] | Iterable[Guard] = (),
        hooks: Mapping[str, Hook] | Iterable[Hook] = (),
        payload_types: Iterable[type] = (),
        due_rules: Iterable[DueRule] = (),
        retention: Iterable[RetentionRule] = (),
        shipped: bool = True,
    ) -> None:
        if isinstance(instruments, Mapping):
            instruments = instruments.values()
        lcs = list(lifecycles)
        instrs = list(instruments)
        problems = [
            f"lifecycles[{i}] is a {type(lc).__name__}, not a Lifecycle"
            for i, lc in enumerate(lcs)
            if not isinstance(lc, Lifecycle)
        ] + [
            f"instruments[{i}] is a {type(x).__name__}, not an Instrument"
            for i, x in enumerate(instrs)
            if not isinstance(x, Instrument)
        ]
        if problems:
            raise DefinitionError("catalogue", problems)
        own_guards = _named("guard", guards)
        rules = list(due_rules)
        if shipped:
            rules = [*SHIPPED_DUE_RULES, *rules]
            lcs = [STANDARD, MHT_LIFECYCLE, MHT_SUPERVISED, *lcs]
            instrs = [*SHIPPED_INSTRUMENTS.values(), *instrs]
            clash = [
                f"guard {n!r} is one of casework's built-in guards: give yours another name"
                for n, f in own_guards.items()
                if n in BUILTIN and BUILTIN[n] != f
            ]
            if clash:
                raise DefinitionError("catalogue", clash)
            own_guards = {**BUILTIN, **own_guards}
        lcs = sorted(
            _unique("lifecycle", lcs, lambda lc: (lc.id, lc.version)),
            key=lambda lc: (lc.id, lc.version),
        )
        instrs = _unique("instrument", instrs, lambda i: (i.id, i.version))
        kept = list(retention)
        rule_problems = check_rules(rules, lcs) + check_retention(kept, {lc.id for lc in lcs})
        if rule_problems:
            raise DefinitionError("catalogue", rule_problems)
        rules = list({r.id: r for r in rules}.values())
        by_version = {(lc.id, lc.version): lc for lc in lcs}
        latest: dict[str, Lifecycle] = {}
        for lc in lcs:  # sorted: the last of each id is its newest version
            latest[lc.id] = lc
        self.__attrs_init__(
            tuple(lcs),
            tuple(instrs),
            MappingProxyType(own_guards),
            MappingProxyType(_named("hook", hooks)),
            tuple(dict.fromkeys(payload_types)),
            tuple(rules),
            tuple({r.id: r for r in kept}.values()),
            by_version,
            latest,
            {i.id: i for i in instrs},
        )

    def __repr__(self) -> str:
        names = ", ".join(f"{lc.id} v{lc.version}" for lc in self.lifecycles)
        return f"<Catalogue: {names}; {len(self.instruments)} instruments>"

    def __reduce__(self) -> tuple[Any, ...]:
        return (
            _rebuild,
            (
                self.lifecycles,
                self.instruments,
                dict(self.guards),
                dict(self.hooks),
                self.payload_types,
                self.due_rules,
                self.retention,
            ),
        )

    # --- finding definitions -------------------------------------------------------------------

    def lifecycle(self, id: str, version: int | None = None) -> Lifecycle:
        """The lifecycle ``id`` at ``version`` (default: its newest version)."""
        found = self._latest.get(id) if version is None else self._by_version.get((id, version))
        if found is None:
            raise UnknownDefinition("lifecycle", id, version, self._known(id))
        return found

    def versions(self, id: str) -> tuple[int, ...]:
        """The versions of lifecycle ``id`` the catalogue holds, oldest first."""
        return tuple(lc.version for lc in self.lifecycles if lc.id == id)

    def knows(self, lifecycle: Lifecycle) -> bool:
        """True when ``lifecycle`` (this very definition) is in the catalogue."""
        return self._by_version.get((lifecycle.id, lifecycle.version)) == lifecycle

    def due_rule(self, id: str) -> DueRule:
        """The due-work rule ``id``."""
        for rule in self.due_rules:
            if rule.id == id:
                return rule
        raise UnknownDefinition("due rule", id, None, tuple(r.id for r in self.due_rules))

    def instrument(self, id: str) -> Instrument:
        """The instrument ``id``."""
        found = self._instrument.get(id)
        if found is None:
            raise UnknownDefinition("instrument", id, None, tuple(sorted(self._instrument)))
        return found

    @property
    def instruments_by_id(self) -> Mapping[str, Instrument]:
        """The instruments by id, as engines and scoring hooks look them up."""
        return MappingProxyType(self._instrument)

    def _known(self, id: str) -> tuple[str, ...]:
        same = [f"{id} v{v}" for v in self.versions(id)]
        return tuple(same) or tuple(self._latest)

    # --- building -------------------------------------------------------------------------------

    def extended(
        self,
        *,
        lifecycles: Iterable[Lifecycle] = (),
        instruments: Iterable[Instrument] = (),
        guards: Mapping[str, Guard] | Iterable[Guard] = (),
        hooks: Mapping[str, Hook] | Iterable[Hook] = (),
        payload_types: Iterable[type] = (),
        due_rules: Iterable[DueRule] = (),
        retention: Iterable[RetentionRule] = (),
    ) -> Catalogue:
        """A new catalogue with these definitions added to this one's."""
        return Catalogue(
            lifecycles=(*self.lifecycles, *lifecycles),
            instruments=(*self.instruments, *instruments),
            guards={**self.guards, **_named("guard", guards)},
            hooks={**self.hooks, **_named("hook", hooks)},
            payload_types=(*self.payload_types, *payload_types),
            due_rules=(*self.due_rules, *due_rules),
            retention=(*self.retention, *retention),
            shipped=False,
        )

    def load_retention(self, path: str | Path) -> tuple[RetentionRule, ...]:
        """Read retention rules from a TOML (``[[retention]]`` tables) or JSON file.

        .. versionadded:: 0.2
        """
        return _read_rules(path, retention_from_dict)

    def with_retention(self, paths: Iterable[str | Path]) -> Catalogue:
        """This catalogue plus the retention rules in ``paths`` (TOML or JSON).

        .. versionadded:: 0.2
        """
        loaded = [r for p in paths for r in self.load_retention(p)]
        return self.extended(retention=loaded)

    def load_due_rules(self, path: str | Path) -> tuple[DueRule, ...]:
        """Read due-work rules from a TOML (``[[due_rules]]`` tables) or JSON file."""
        return _read_rules(path, rules_from_dict)

    def with_due_rules(self, paths: Iterable[str | Path]) -> Catalogue:
        """This catalogue plus the due-work rules in ``paths`` (TOML or JSON)."""
        loaded = [r for p in paths for r in self.load_due_rules(p)]
        return self.extended(due_rules=loaded)

    def lifecycle_from_dict(self, data: Mapping[str, Any]) -> Lifecycle:
        """Build a lifecycle from a plain dict, its guard and hook names resolved here."""
        return Lifecycle.from_dict(data, guards=self.guards, hooks=self.hooks)

    def load_lifecycle(self, path: str | Path, *, placeholders: bool = False) -> Lifecycle:
        """Read a lifecycle from a TOML or JSON file, its names resolved in this catalogue.

        With ``placeholders``, a guard or hook name the catalogue does not know becomes an
        :class:`Unavailable` stand-in, enough for reading stores (never for firing commands).
        """
        path = Path(path)
        data = _read(path)
        guards: Mapping[str, Any] = self.guards
        hooks: Mapping[str, Any] = self.hooks
        if placeholders and isinstance(data, Mapping):
            wanted = _names_in(data)
            guards = {**{n: Unavailable(n) for n in wanted["guards"]}, **guards}
            hooks = {**{n: Unavailable(n) for n in wanted["hooks"]}, **hooks}
        try:
            return Lifecycle.from_dict(data, guards=guards, hooks=hooks)
        except DefinitionError as exc:
            raise DefinitionError(f"{path}: {exc.name}", exc.problems) from exc

    def with_files(self, paths: Iterable[str | Path], *, placeholders: bool = False) -> Catalogue:
        """This catalogue plus the lifecycles in ``paths`` (TOML or JSON, any versions)."""
        loaded = [self.load_lifecycle(p, placeholders=placeholders) for p in paths]
        return self.extended(lifecycles=loaded)

    def with_project(self, path: str | Path, *, placeholders: bool = False) -> Catalogue:
        """This catalogue plus what a project file (``casework.toml``) lists.

        The project file's ``[casework]`` table names the lifecycle files (paths relative to
        the project file) and, optionally, the app's guards and hooks as ``module:name``
        (imported with the project's folder on the path)::

            [casework]
            lifecycles = ["processes/elderly-v1.toml", "processes/elderly-v2.toml"]
            guards = { aged_60_or_over = "shiqiao_rules:aged_60_or_over" }
            hooks = { tell_family = "shiqiao_rules:tell_family" }

        With ``placeholders``, names that are not given (or cannot be imported) get stand-ins,
        enough to read stores.
        """
        path = Path(path)
        data = _read(path)
        table = data.get("casework") if isinstance(data, Mapping) else None
        if not isinstance(table, Mapping):
            raise DefinitionError(str(path), ["needs a [casework] table"])
        problems = []
        known = {"lifecycles", "guards", "hooks", "due_rules", "retention"}
        unknown = sorted(set(table) - known)
        if unknown:
            problems.append(
                f"[casework]: unknown keys {unknown} (known: {', '.join(sorted(known))})"
            )
        retention_files = table.get("retention", [])
        if not isinstance(retention_files, list) or not all(
            isinstance(f, str) for f in retention_files
        ):
            problems.append("[casework].retention must be a list of file names")
        rule_files = table.get("due_rules", [])
        if not isinstance(rule_files, list) or not all(isinstance(f, str) for f in rule_files):
            problems.append("[casework].due_rules must be a list of file names")
        files = table.get("lifecycles", [])
        if not isinstance(files, list) or not all(isinstance(f, str) for f in files):
            problems.append("[casework].lifecycles must be a list of file names")
        imported: dict[str, dict[str, Any]] = {"guards": {}, "hooks": {}}
        for kind, found in imported.items():
            names = table.get(kind, {})
            if not isinstance(names, Mapping):
                problems.append(f'[casework].{kind} must be a table of name = "module:name"')
                continue
            for name, target in names.items():
                try:
                    found[name] = _import(target, path.parent)
                except (ImportError, AttributeError, ValueError) as exc:
                    if not placeholders:
                        problems.append(f"[casework].{kind}.{name}: {exc}")
        if problems:
            raise DefinitionError(str(path), problems)
        own = self.extended(guards=imported["guards"], hooks=imported["hooks"])
        own = own.with_files([path.parent / f for f in files], placeholders=placeholders)
        own = own.with_due_rules([path.parent / f for f in rule_files])
        return own.with_retention([path.parent / f for f in retention_files])


def _import(target: Any, folder: Path) -> Any:
    """The object ``module:name`` names, imported with ``folder`` first on the path."""
    if not isinstance(target, str) or ":" not in target:
        raise ValueError(f'expected "module:name", got {target!r}')
    module_name, _, attr = target.partition(":")
    sys.path.insert(0, str(folder))
    try:
        module = importlib.import_module(module_name)
    finally:
        sys.path.remove(str(folder))
    return getattr(module, attr)


def _names_in(data: Mapping[str, Any]) -> dict[str, set[str]]:
    """Every guard and hook name a lifecycle dict refers to."""
    found: dict[str, set[str]] = {"guards": set(), "hooks": set()}

    def add(kind: str, value: Any) -> None:
        for v in (value,) if isinstance(value, str) else value if isinstance(value, list) else ():
            if isinstance(v, str):
                found[kind].add(v)

    for item in data.get("states", ()) if isinstance(data.get("states"), list) else ():
        if isinstance(item, Mapping):
            add("hooks", item.get("on_enter"))
            add("hooks", item.get("on_exit"))
    for item in data.get("transitions", ()) if isinstance(data.get("transitions"), list) else ():
        if isinstance(item, Mapping):
            add("guards", item.get("guards"))
            add("hooks", item.get("before"))
            add("hooks", item.get("after"))
    return found


def _rebuild(  # noqa: PLR0917 - pickle passes the fields positionally
    lifecycles: tuple[Lifecycle, ...],
    instruments: tuple[Instrument, ...],
    guards: dict[str, Guard],
    hooks: dict[str, Hook],
    payload_types: tuple[type, ...],
    due_rules: tuple[DueRule, ...] = (),
    retention: tuple[RetentionRule, ...] = (),
) -> Catalogue:
    return Catalogue(
        lifecycles=lifecycles,
        instruments=instruments,
        guards=guards,
        hooks=hooks,
        payload_types=payload_types,
        due_rules=due_rules,
        retention=retention,
        shipped=False,
    )


#: The shipped definitions alone: what every part of casework uses when given no catalogue.
DEFAULT_CATALOGUE = Catalogue()
