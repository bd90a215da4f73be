"""Fast structuring of attrs records from JSON data: one generated function per class.

cattrs' own functions (with ``detailed_validation``) check and convert each field through a
chain of hooks and collect every error with its path.  Reading a store, almost every record
is well formed, so the codec first tries a function generated here for each class, which
accepts only data that is *exactly* what the codec writes (a ``str`` where a ``str`` is
declared, a known enum value, an ISO time...) and builds the record with the same calls
cattrs makes.  Anything else (a missing key, a wrong type, a value the record's validators
refuse) makes it give up, and the codec runs cattrs' full path on the same data, which gives
the same value or the detailed error.  So the fast path changes how fast, never what.

The record's ``__init__`` always runs: converters and validators check data read back as they
checked it when it was written (a corrupt or hand-edited row cannot build an invalid record).
"""

from __future__ import annotations

import enum
import types
import typing
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import attrs

__all__ = ["Decline", "StructureFns"]


class Decline(Exception):
    """The fast path declines the data: the full (cattrs) path decides."""


_PLAIN = (str, int, bool, float)
_SEQUENCES = {tuple: "tuple", list: "list", frozenset: "frozenset", set: "set"}


def _union_members(t: Any) -> tuple[Any, ...] | None:
    origin = typing.get_origin(t)
    if origin is typing.Union or origin is types.UnionType:
        return typing.get_args(t)
    return None


class StructureFns:
    """Generated structure functions, one per attrs class, built on first use and cached.

    ``hook(t)`` is the converter's structure hook for ``t`` (fields of types this module does
    not inline use it, exactly as cattrs would); ``untyped`` decodes ``Any`` fields (tagged
    values); ``custom`` gives the decode function of types registered with encode/decode.
    """

    def __init__(
        self,
        hook: Callable[[Any], Callable[[Any, Any], Any]],
        untyped: Callable[[Any], Any],
        custom: Callable[[Any], Callable[[Any], Any] | None],
    ) -> None:
        self._hook = hook
        self._untyped = untyped
        self._custom = custom
        self._fns: dict[type[Any], Callable[[Any], Any]] = {}

    def clear(self) -> None:
        """Forget every generated function (a type was registered: hooks may have changed)."""
        self._fns.clear()

    def get(self, cls: type[Any]) -> Callable[[Any], Any]:
        """The fast structure function of the attrs class ``cls`` (raises on data it declines)."""
        fn = self._fns.get(cls)
        if fn is None:
            self._fns[cls] = lambda d: self.get(cls)(d)  # noqa: PLW0108 - a class may nest itself
            try:
                fn = self._make(cls)
            except BaseException:
                del self._fns[cls]
                raise
            self._fns[cls] = fn
        return fn

    # --- code generation ------------------------------------------------------------------

    def _make(self, cls: type[Any]) -> Callable[[Any], Any]:
        hints = typing.get_type_hints(cls)
        ns: dict[str, Any] = {"_cls": cls, "Decline": Decline}
        lines = ["def structure(d):"]
        positional: list[str] = []
        keywords: list[str] = []
        for i, field in enumerate(attrs.fields(cls)):
            if not field.init:
                continue
            out = f"a{i}"
            lines.append(f"    v = d[{field.name!r}]")
            lines.extend("    " + line for line in self._convert(hints[field.name], out, ns))
            if field.kw_only:
                keywords.append(f"{field.alias}={out}")
            else:
                positional.append(out)
        lines.append(f"    return _cls({', '.join([*positional, *keywords])})")
        source = "\n".join(lines)
        exec(compile(source, f"<casework fast structure {cls.__qualname__}>", "exec"), ns)
        return ns["structure"]  # type: ignore[no-any-return]

    def _name(self, ns: dict[str, Any], value: Any) -> str:
        name = f"_o{len(ns)}"
        ns[name] = value
        return name

    def _value_fn(self, t: Any, ns: dict[str, Any]) -> str:
        """The name of a one-value function for ``t`` (for sequence members)."""
        inner_ns: dict[str, Any] = {"Decline": Decline}
        lines = ["def one(v):"]
        lines.extend("    " + line for line in self._convert(t, "r", inner_ns))
        lines.append("    return r")
        exec(compile("\n".join(lines), "<casework fast structure member>", "exec"), inner_ns)
        return self._name(ns, inner_ns["one"])

    def _convert(self, t: Any, out: str, ns: dict[str, Any]) -> list[str]:
        """Lines that read ``v`` (JSON data) as a ``t`` into ``out``, or raise."""
        if t is Any:
            return [f"{out} = {self._name(ns, self._untyped)}(v)"]
        if t in _PLAIN:  # exactly what cattrs would return, never a coercion
            return [f"if type(v) is not {self._name(ns, t)}: raise Decline", f"{out} = v"]
        custom = self._custom(t) if isinstance(t, type) else None
        if custom is not None:
            return [f"{out} = {self._name(ns, custom)}(v)"]
        if t is datetime:
            return [f"{out} = {self._name(ns, datetime.fromisoformat)}(v)"]
        if t is date:
            return [f"{out} = {self._name(ns, date.fromisoformat)}(v)"]
        if isinstance(t, type) and issubclass(t, enum.Enum):
            by_value = {m.value: m for m in t}
            return [f"{out} = {self._name(ns, by_value)}[v]"]
        members = _union_members(t)
        if members is not None:
            others = [m for m in members if m is not type(None)]
            if len(others) < len(members) and len(others) == 1:  # X | None
                inner = self._convert(others[0], out, ns)
                return [f"if v is None: {out} = None", "else:", *("    " + x for x in inner)]
            if all(m in _PLAIN or m is type(None) for m in members):
                kinds = self._name(ns, frozenset(members))
                return [f"if type(v) not in {kinds}: raise Decline", f"{out} = v"]
        origin = typing.get_origin(t)
        if origin in _SEQUENCES:
            args = typing.get_args(t)
            member = args[0] if args else Any
            homogeneous = origin is not tuple or (len(args) == 2 and args[1] is Ellipsis)
            if homogeneous:
                make = self._name(ns, origin)
                head = ["if type(v) is not list: raise Decline"]
                if member in _PLAIN:
                    kind = self._name(ns, member)
                    return [
                        *head,
                        "for x in v:",
                        f"    if type(x) is not {kind}: raise Decline",
                        f"{out} = {make}(v)",
                    ]
                one = self._value_fn(member, ns)
                return [*head, f"{out} = {make}([{one}(x) for x in v])"]
        if attrs.has(t):
            return [f"{out} = {self._name(ns, self.get(t))}(v)"]
        hook = self._name(ns, self._hook(t))  # anything else: cattrs' own hook for the type
        return [f"{out} = {hook}(v, {self._name(ns, t)})"]
