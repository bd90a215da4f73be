"""Sealed personal fields: encrypted under their data subject's key inside a store's rows.

A store opened with a key store gives its codec a :class:`PayloadSealer`; the codec then seals
an event's payload data (the JSON-shaped data it already wrote) on the way into a row and
opens it on the way out.  Only the personal values are sealed; everything else (states, times,
counts, scores, flags, ids, pseudonyms) stays in clear, so replay, projections and indicators
work without any key.

What is personal:

* every attrs field marked ``metadata={"personal": True}`` in the records a payload carries,
  at any depth (a client's name and birth date, a guardian's name, a session's notes, a
  worker's or volunteer's name, an activity's notes, a volunteer service's description);
* a payload's own free-text entries :data:`FREE_TEXT` (``reason``, ``note``, ``notes``,
  ``description``, ``comment``): a worker's reasons and notes may name people.

Empty values (None, ``""``) are left as they are: there is nothing to hide in them.

Whose key: in a case, the case's client (``client.id`` of its ``case_opened``), so a
client's guardians, sessions' notes and reasons are erased with the client; in a station
journal, each person's own record under their own id (a volunteer, a member of staff; a
volunteer's hours under the volunteer; an activity's notes under the activity's id; a
resident of the outreach register, and the notes of visits to them, under the resident's id),
and the journal's free text under the journal's id.

A sealed value is ``{"$sealed": subject, "kind": "text" | "date", "data": base64}``: AES-GCM
(``cryptography``) with a fresh 96-bit nonce, the subject id as associated data, over the
value's JSON.  When it cannot be opened (no key store given, the key destroyed, or the
ciphertext does not authenticate under the key) it reads as a marker the records accept:
:data:`ERASED` or :data:`UNAVAILABLE` for text, :data:`ERASED_DATE` for a date.

.. versionadded:: 0.2
"""

from __future__ import annotations

import base64
import json
import os
import sys
import typing
from collections.abc import Callable, Mapping
from datetime import date
from types import UnionType
from typing import Any

import attrs

from casework._support import require
from casework.keys import KeyStore
from casework.outreach import OutreachVisit, Resident
from casework.records import Worker
from casework.station import Activity, Volunteer, VolunteerService

__all__ = [
    "ERASED",
    "ERASED_DATE",
    "FREE_TEXT",
    "SEALED",
    "UNAVAILABLE",
    "PayloadSealer",
    "is_erased",
    "open_payload",
]

#: The key that marks a sealed value in a row's JSON.
SEALED = "$sealed"
#: What a personal text reads as once its subject's key was destroyed.
ERASED = "[erased]"
#: What a personal text reads as when the store was opened without its keys.
UNAVAILABLE = "[unavailable]"
#: What a personal date (a birth date) reads as when it cannot be read: 1 January of year 1.
ERASED_DATE = date(1, 1, 1)
#: A payload's own entries that are free text, so personal (sealed under the case's subject).
FREE_TEXT = frozenset({"reason", "note", "notes", "description", "comment"})
#: Event types whose payload is never sealed (it carries no personal data by design).
CLEAR_EVENTS = frozenset({"personal_data_erased"})

#: Station records that are about a person of their own, and the field naming that person.
OWN_SUBJECT: Mapping[type, str] = {
    Volunteer: "id",
    Worker: "id",
    VolunteerService: "volunteer",
    Activity: "id",
    Resident: "id",  # the outreach register: each resident under their own key
    OutreachVisit: "resident",
}

_TAG = "$type"
_ITEMS_TAGS = frozenset({"tuple", "set", "frozenset", "dict"})


def is_erased(value: Any) -> bool:
    """True when ``value`` is one of the markers a sealed value reads as without its key."""
    return value in (ERASED, UNAVAILABLE) or (type(value) is date and value == ERASED_DATE)


_PURPOSE = "Encrypting personal fields"


def _aead(key: bytes) -> Any:
    aead = require("cryptography.hazmat.primitives.ciphers.aead", "crypto", _PURPOSE)
    return aead.AESGCM(key)


def _invalid_tag() -> type[Exception]:
    exceptions = require("cryptography.exceptions", "crypto", _PURPOSE)
    return exceptions.InvalidTag  # type: ignore[no-any-return]


_Plan = dict[str, tuple[str, Any]]


class PayloadSealer:
    """Seals and opens the personal values in events' payload data, under subjects' keys.

    ``types`` are the codec's registered types by name (to know each tagged record's fields);
    ``subject_of(case_id)`` is the store's answer for a stream it already holds: the client id
    of a case, None for a journal.
    """

    def __init__(
        self,
        keys: KeyStore | None,
        types: Mapping[str, type[Any]],
        subject_of: Callable[[str], str | None],
    ) -> None:
        if keys is not None:  # a missing extra shows when the store opens, not on a write
            require("cryptography.hazmat.primitives.ciphers.aead", "crypto", _PURPOSE)
        self.keys = keys
        self._types = dict(types)
        self._subject_of = subject_of
        self._subjects: dict[str, str | None] = {}
        self._plans: dict[type[Any], _Plan] = {}
        self._aeads: dict[str, tuple[bytes, Any]] = {}  # by subject: (key, cipher)

    def __repr__(self) -> str:
        return f"<PayloadSealer keys={self.keys!r}>"

    def forget(self, subject: str) -> None:
        """Drop what this sealer holds in memory for ``subject`` (after their erasure)."""
        self._aeads.pop(subject, None)

    def seal_value(self, value: Any, subject: str, kind: str = "text") -> dict[str, Any]:
        """One JSON value sealed under ``subject``'s key (``kind``: "text" or "date"), as a
        payload holds it; :meth:`open` reads it back (projections seal their columns so).
        """
        return self._seal_value(value, subject, kind)

    # --- sealing -------------------------------------------------------------------------

    def seal(self, case_id: str, event_type: str, data: dict[str, Any]) -> dict[str, Any]:
        """``data`` (an event's payload as JSON-shaped data) with its personal values sealed."""
        if event_type in CLEAR_EVENTS:
            return data
        if event_type == "case_opened":
            client = data.get("client")
            subject = client.get("id") if isinstance(client, dict) else None
            self._subjects[case_id] = subject if isinstance(subject, str) else None
        elif event_type == "journal_opened":
            self._subjects[case_id] = None
        if case_id not in self._subjects:
            self._subjects[case_id] = self._subject_of(case_id)
        client = self._subjects[case_id]
        journal = client is None
        subject = case_id if journal else client
        assert subject is not None
        out: dict[str, Any] = {}
        for k, v in data.items():
            if k in FREE_TEXT and v not in (None, ""):
                out[k] = self._seal_value(v, subject, "text")
            else:
                out[k] = self._untyped(v, subject, journal)
        return out

    def _seal_value(self, value: Any, subject: str, kind: str) -> dict[str, Any]:
        if self.keys is None:  # pragma: no cover - a sealer for writing always has keys
            raise ValueError("sealing needs a key store")
        key = self.keys.get_or_create(subject)
        nonce = os.urandom(12)
        plain = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        sealed = nonce + self._aead(subject, key).encrypt(nonce, plain, subject.encode("utf-8"))
        return {SEALED: subject, "kind": kind, "data": base64.b64encode(sealed).decode("ascii")}

    def _aead(self, subject: str, key: bytes) -> Any:
        found = self._aeads.get(subject)
        if found is None or found[0] != key:
            found = self._aeads[subject] = (key, _aead(key))
        return found[1]

    def _untyped(self, value: Any, subject: str, journal: bool) -> Any:
        kind = type(value)
        if kind is list:
            return [self._untyped(v, subject, journal) for v in value]
        if kind is not dict:
            return value
        tag = value.get(_TAG)
        if tag is None:
            return {k: self._untyped(v, subject, journal) for k, v in value.items()}
        if tag in _ITEMS_TAGS and type(value.get("items")) is list:
            return {**value, "items": self._untyped(value["items"], subject, journal)}
        cls = self._types.get(tag) if isinstance(tag, str) else None
        if cls is not None and attrs.has(cls) and self._plan(cls):
            return self._record(value, cls, subject, journal)
        return value

    def _record(self, value: dict[str, Any], cls: type[Any], subject: str, journal: bool) -> Any:
        if journal and cls in OWN_SUBJECT:
            own = value.get(OWN_SUBJECT[cls])
            if isinstance(own, str) and own:
                subject = own
        out = dict(value)
        for name, (what, hint) in self._plan(cls).items():
            if name not in value:
                continue
            v = value[name]
            if what == "seal":
                if v not in (None, ""):
                    out[name] = self._seal_value(v, subject, hint)
            else:
                out[name] = self._typed(v, hint, subject, journal)
        return out

    def _plan(self, cls: type[Any]) -> _Plan:
        plan = self._plans.get(cls)
        if plan is None:
            try:
                hints = typing.get_type_hints(cls)
            except Exception:  # some annotation cannot be resolved: field by field
                hints = {f.name: _hint(cls, f.type) for f in attrs.fields(cls)}
            self._plans[cls] = plan = {}  # (a class that nests itself adds nothing more)
            for f in attrs.fields(cls):
                hint = hints.get(f.name, Any)
                if f.metadata.get("personal", False):
                    plan[f.name] = ("seal", "date" if date in _members(hint) else "text")
                elif self._reaches(hint):  # only what may hold personal data is walked
                    plan[f.name] = ("walk", hint)
        return plan

    def _reaches(self, hint: Any) -> bool:
        """True when a value of type ``hint`` may hold a personal value somewhere inside."""
        if hint is Any:
            return True
        if isinstance(hint, type) and attrs.has(hint):
            return bool(self._plan(hint))
        args = typing.get_args(hint)
        return any(self._reaches(a) for a in args if a is not Ellipsis)

    def _typed(self, value: Any, hint: Any, subject: str, journal: bool) -> Any:
        if value is None:
            return None
        if hint is Any:
            return self._untyped(value, subject, journal)
        if isinstance(hint, type) and attrs.has(hint) and type(value) is dict:
            if _TAG in value:
                return self._untyped(value, subject, journal)
            return self._record(value, hint, subject, journal)
        members = [m for m in _members(hint) if m is not type(None)]
        if len(members) == 1 and members[0] is not hint:
            return self._typed(value, members[0], subject, journal)
        origin = typing.get_origin(hint)
        if origin in (tuple, list, frozenset, set) and type(value) is list:
            args = typing.get_args(hint)
            member = args[0] if args else Any
            if origin is tuple and not (len(args) == 2 and args[1] is Ellipsis):
                return value  # a fixed-length tuple: no records casework ships hold one
            return [self._typed(v, member, subject, journal) for v in value]
        return value

    # --- opening -------------------------------------------------------------------------

    def open(self, data: Any) -> Any:
        """``data`` with every sealed value opened (or read as its marker)."""
        return open_payload(data, self._open_value)

    def _open_value(self, sealed: Mapping[str, Any]) -> Any:
        subject = sealed.get(SEALED)
        kind = sealed.get("kind")
        keys = self.keys
        if keys is None or not isinstance(subject, str):
            return _marker(kind, UNAVAILABLE)
        key = keys.get(subject)
        if key is None:
            self._aeads.pop(subject, None)  # a destroyed key is not kept in memory either
            return _marker(kind, ERASED if keys.destroyed(subject) else UNAVAILABLE)
        try:
            raw = base64.b64decode(str(sealed.get("data", "")), validate=True)
            aad = subject.encode("utf-8")
            plain = self._aead(subject, key).decrypt(raw[:12], raw[12:], aad)
        except (ValueError, _invalid_tag()):
            return _marker(kind, UNAVAILABLE)
        return json.loads(plain)


def _hint(cls: type[Any], annotation: Any) -> Any:
    """One field's annotation resolved in its class's module; Any (walked) when it cannot be."""
    if not isinstance(annotation, str):
        return annotation
    try:
        return eval(annotation, dict(vars(sys.modules[cls.__module__])))
    except Exception:
        return Any


def _members(hint: Any) -> tuple[Any, ...]:
    origin = typing.get_origin(hint)
    if origin is typing.Union or origin is UnionType:
        return typing.get_args(hint)
    return (hint,)


def _marker(kind: Any, text: str) -> Any:
    return ERASED_DATE.isoformat() if kind == "date" else text


def _no_key(sealed: Mapping[str, Any]) -> Any:
    return _marker(sealed.get("kind"), UNAVAILABLE)


def open_payload(data: Any, opener: Callable[[Mapping[str, Any]], Any] = _no_key) -> Any:
    """``data`` with each sealed value replaced by what ``opener`` makes of it (default: its
    marker, as a store opened without its keys reads it).
    """
    kind = type(data)
    if kind is list:
        return [open_payload(v, opener) for v in data]
    if kind is not dict:
        return data
    if SEALED in data:
        return opener(data)
    return {k: open_payload(v, opener) for k, v in data.items()}
