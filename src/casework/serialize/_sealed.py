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

A store seals the events of one append together (:class:`SealBatch`): the payloads are walked
first, then each subject's key is got once (made, durably, if new) and every value encrypted,
all before any row is written.

.. versionadded:: 0.2
"""

from __future__ import annotations

import base64
import json
import json.encoder
import os
import sys
import threading
import typing
from binascii import b2a_base64
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
    "SealBatch",
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
#: A compiled walk over one value: (value, subject, journal, batch) -> the value with its
#: personal values sealed (into the batch); the very same object when nothing in it was sealed
#: (no copy is made).
_Walk = Callable[[Any, str, bool, "SealBatch"], Any]
#: A record class's compiled plan: (field, kind to seal it as, or None; walk, or None).
_Steps = tuple[tuple[str, str | None, _Walk | None], ...]
#: The JSON containers a walk descends into; any other value is left as it is.
_CONTAINERS = frozenset({dict, list})
_NONE = type(None)
_MISSING: Any = object()
#: The JSON text of a string, as ``json.dumps(s, ensure_ascii=False)`` writes it (in C).
_json_text: Callable[[str], str] = json.encoder.encode_basestring


def _value_json(value: Any) -> bytes:
    """A personal value's JSON, the plaintext sealed (a string, the usual case, in C)."""
    if type(value) is str:
        return _json_text(value).encode("utf-8")
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _walk_list(
    value: list[Any], walk: _Walk, subject: str, journal: bool, batch: SealBatch
) -> list[Any]:
    """``value`` with ``walk`` applied to each item; ``value`` itself when none changed."""
    out: list[Any] | None = None
    for i, v in enumerate(value):
        new = walk(v, subject, journal, batch)
        if new is not v:
            if out is None:
                out = list(value)
            out[i] = new
    return value if out is None else out


class SealBatch:
    """The personal values of one append, sealed together when it is closed.

    Walking the events' payloads puts a sealed value in place of each personal value, its
    ciphertext still empty (:meth:`add`); :meth:`close` then gets each subject's key once
    (in one call for all of them when the key store has ``get_or_create_many``, so a key
    file is ``fsync``-ed once for every subject new in the append), draws every nonce from
    one ``os.urandom`` call and fills the ciphertexts in.  Nothing is written before it
    closes, so every key is durable before any ciphertext under it is stored.

    ``tag`` marks the values added now (a store sets it to the event being encoded);
    after a failed :meth:`close`, ``blame`` is the tag of the first value of the subject
    whose key could not be had.
    """

    __slots__ = ("_first", "_sealer", "_values", "blame", "tag")

    def __init__(self, sealer: PayloadSealer) -> None:
        self._sealer = sealer
        self._values: list[tuple[dict[str, Any], str, bytes]] = []
        self._first: dict[str, Any] = {}  # by subject: the tag of their first value
        self.tag: Any = None
        self.blame: Any = None

    def __len__(self) -> int:
        return len(self._values)

    def add(self, value: Any, subject: str, kind: str) -> dict[str, Any]:
        """The sealed value to write for ``value`` (its ciphertext filled in by close)."""
        plain = _value_json(value)  # a value JSON cannot hold is refused now, with its event
        sealed = {SEALED: subject, "kind": kind, "data": ""}
        self._values.append((sealed, subject, plain))
        if subject not in self._first:
            self._first[subject] = self.tag
        return sealed

    def close(self) -> None:
        """Seal every value added: each subject's key got (made if new) first, then used."""
        values = self._values
        if not values:
            return
        first, sealer = self._first, self._sealer
        wanted = list(first)
        try:
            got = sealer._keys_for(wanted)
        except Exception as exc:  # SubjectErased names its subject
            named = getattr(exc, "subject", None)
            self.blame = first[named] if named in first else first[wanted[0]]
            raise
        ciphers = {}
        for subject in wanted:
            try:
                ciphers[subject] = sealer._cipher_of(subject, got)
            except Exception:
                self.blame = first[subject]
                raise
        nonces = os.urandom(12 * len(values))  # a fresh 96-bit nonce per value, sliced
        for i, (sealed, subject, plain) in enumerate(values):
            _, cipher, aad = ciphers[subject]
            nonce = nonces[12 * i : 12 * i + 12]
            data = nonce + cipher.encrypt(nonce, plain, aad)
            sealed["data"] = b2a_base64(data, newline=False).decode("ascii")
        self._values = []


class PayloadSealer:
    """Seals and opens the personal values in events' payload data, under subjects' keys.

    ``types`` are the codec's registered types by name (to know each tagged record's fields);
    ``subject_of(case_id)`` is the store's answer for a stream it already holds: the client id
    of a case, None for a journal.

    Each record class's plan (which fields to seal, which to walk into) is worked out once
    and compiled into a walk that only descends where a personal value may be and copies
    only what it changes.
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
        self._steps: dict[type[Any], _Steps] = {}
        self._tagged: dict[Any, type[Any] | None] = {}  # by tag: the class to seal, or None
        self._aeads: dict[str, tuple[bytes, Any, bytes]] = {}  # by subject: key, cipher, aad
        #: Held while plans are worked out: a plan is cached only once it is whole, so that
        #: another thread never seals by half of one.
        self._planning = threading.RLock()

    def __repr__(self) -> str:
        return f"<PayloadSealer keys={self.keys!r}>"

    def forget(self, subject: str) -> None:
        """Drop what this sealer holds in memory for ``subject`` (after their erasure)."""
        self._aeads.pop(subject, None)

    def seal_value(self, value: Any, subject: str, kind: str = "text") -> dict[str, Any]:
        """One JSON value sealed under ``subject``'s key (``kind``: "text" or "date"), as a
        payload holds it; :meth:`open` reads it back (projections seal their columns so).
        """
        batch = SealBatch(self)
        sealed = batch.add(value, subject, kind)
        batch.close()
        return sealed

    # --- sealing -------------------------------------------------------------------------

    def batch(self) -> SealBatch:
        """A batch to seal the personal values of several events together (one append's)."""
        return SealBatch(self)

    def seal(
        self,
        case_id: str,
        event_type: str,
        data: dict[str, Any],
        batch: SealBatch | None = None,
    ) -> dict[str, Any]:
        """``data`` (an event's payload as JSON-shaped data) with its personal values sealed;
        with a ``batch``, their ciphertexts are filled in when the batch is closed.
        """
        if event_type in CLEAR_EVENTS:
            return data
        if batch is None:
            batch = SealBatch(self)
            sealed = self.seal(case_id, event_type, data, batch)
            batch.close()
            return sealed
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
        untyped = self._untyped
        for k, v in data.items():
            if k in FREE_TEXT and v is not None and v != "":
                out[k] = batch.add(v, subject, "text")
            elif type(v) in _CONTAINERS:
                out[k] = untyped(v, subject, journal, batch)
            else:
                out[k] = v
        return out

    def _keys_for(self, subjects: list[str]) -> Mapping[str, bytes] | None:
        """The subjects' keys in one call (made if new: one durable write for all of them)
        when the key store offers ``get_or_create_many``; None when it does not.
        """
        many = getattr(self.keys, "get_or_create_many", None)
        if len(subjects) < 2 or not callable(many):
            return None
        got = many(subjects)
        return got if isinstance(got, Mapping) else None

    def _cipher_of(self, subject: str, got: Mapping[str, bytes] | None) -> tuple[bytes, Any, bytes]:
        """The subject's key (from ``got``, else from the key store now: made if new, refused
        for an erased subject), its cipher and associated data.
        """
        keys = self.keys
        if keys is None:  # pragma: no cover - a sealer for writing always has keys
            raise ValueError("sealing needs a key store")
        key = got.get(subject) if got is not None else None
        if key is None:
            key = keys.get_or_create(subject)
        found = self._aeads.get(subject)
        return found if found is not None and found[0] == key else self._cipher(subject, key)

    def _cipher(self, subject: str, key: bytes) -> tuple[bytes, Any, bytes]:
        """The subject's key, its AES-GCM cipher and the associated data (their id), kept."""
        found = self._aeads[subject] = (key, _aead(key), subject.encode("utf-8"))
        return found

    def _untyped(self, value: Any, subject: str, journal: bool, batch: SealBatch) -> Any:
        kind = type(value)
        if kind is list:
            if _CONTAINERS.isdisjoint(map(type, value)):  # scalars only (answers, flags...)
                return value
            return _walk_list(value, self._untyped, subject, journal, batch)
        if kind is not dict:
            return value
        tag = value.get(_TAG)
        if tag is None:
            if _CONTAINERS.isdisjoint(map(type, value.values())):
                return value
            out: dict[str, Any] | None = None
            for k, v in value.items():
                if type(v) in _CONTAINERS:
                    new = self._untyped(v, subject, journal, batch)
                    if new is not v:
                        if out is None:
                            out = dict(value)
                        out[k] = new
            return value if out is None else out
        if type(tag) is not str:
            return value
        if tag in _ITEMS_TAGS:
            items = value.get("items")
            if type(items) is not list:
                return value
            new = self._untyped(items, subject, journal, batch)
            return value if new is items else {**value, "items": new}
        cls = self._tagged.get(tag, _MISSING)
        if cls is _MISSING:
            cls = self._tagged_class(tag)
        if cls is None:
            return value
        return self._record(value, cls, subject, journal, batch)

    def _record(
        self, value: dict[str, Any], cls: type[Any], subject: str, journal: bool, batch: SealBatch
    ) -> Any:
        if journal and cls in OWN_SUBJECT:
            own = value.get(OWN_SUBJECT[cls])
            if isinstance(own, str) and own:
                subject = own
        steps = self._steps.get(cls)
        if steps is None:
            steps = self._compile(cls)
        out: dict[str, Any] | None = None
        for name, seal, walk in steps:
            v = value.get(name, _MISSING)
            if v is _MISSING:
                continue
            if seal is not None:
                if v is None or v == "":
                    continue
                new = batch.add(v, subject, seal)
            else:
                assert walk is not None
                new = walk(v, subject, journal, batch)
                if new is v:
                    continue
            if out is None:
                out = dict(value)
            out[name] = new
        return value if out is None else out

    def _tagged_class(self, tag: str) -> type[Any] | None:
        """The record class a tag names when it has something to seal (else None), cached."""
        with self._planning:
            found = self._types.get(tag)
            cls = found if found is not None and attrs.has(found) and self._plan(found) else None
            self._tagged[tag] = cls
            return cls

    def _compile(self, cls: type[Any]) -> _Steps:
        """``cls``'s plan as steps: each personal field with its kind, each field that may
        hold one with the walk its type calls for (fields with neither are skipped).
        """
        with self._planning:
            steps: list[tuple[str, str | None, _Walk | None]] = []
            for name, (what, hint) in self._plan(cls).items():
                if what == "seal":
                    steps.append((name, hint, None))
                else:
                    walk = self._walker(hint)
                    if walk is not None:
                        steps.append((name, None, walk))
            self._steps[cls] = compiled = tuple(steps)
            return compiled

    def _walker(self, hint: Any) -> _Walk | None:
        """The walk a value of type ``hint`` needs (None: it is left as it is).

        A record type is walked as its own plan says (looked up when first walked, so a
        class may nest itself); ``Any`` as untyped data, tags and all; an optional type as
        the type; a list, set or variadic tuple item by item.
        """
        if hint is Any:
            return self._untyped
        if isinstance(hint, type) and attrs.has(hint):
            untyped, record = self._untyped, self._record

            def walk_record(value: Any, subject: str, journal: bool, batch: SealBatch) -> Any:
                if type(value) is not dict:
                    return value
                if _TAG in value:
                    return untyped(value, subject, journal, batch)
                return record(value, hint, subject, journal, batch)

            return walk_record
        members = [m for m in _members(hint) if m is not _NONE]
        if len(members) == 1 and members[0] is not hint:
            return self._walker(members[0])  # every walk leaves None as it is
        origin = typing.get_origin(hint)
        if origin not in (tuple, list, frozenset, set):
            return None
        args = typing.get_args(hint)
        if origin is tuple and not (len(args) == 2 and args[1] is Ellipsis):
            return None  # a fixed-length tuple: no records casework ships hold one
        item = self._walker(args[0] if args else Any)
        if item is None:
            return None

        def walk_items(value: Any, subject: str, journal: bool, batch: SealBatch) -> Any:
            if type(value) is not list:
                return value
            return _walk_list(value, item, subject, journal, batch)

        return walk_items

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
            found = self._aeads.get(subject)
            if found is None or found[0] != key:
                found = self._cipher(subject, key)
            plain = found[1].decrypt(raw[:12], raw[12:], found[2])
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
