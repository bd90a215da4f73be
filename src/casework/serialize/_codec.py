"""The codec: domain values and events to JSON-shaped data and back, exactly, with cattrs.

Two layers, one converter:

* **typed** fields (a :class:`~casework.records.Consent`'s ``given_at``, a plan's ``schedule``)
  are handled by a ``cattrs`` converter, which knows each field's type from its annotation;
* **untyped** places (an event's ``payload``, attrs fields annotated ``Any``) carry tags, so a
  tuple comes back a tuple and a date a date: ``{"$type": "Consent", "giver": ...}``,
  ``{"$type": "datetime", "value": "2023-03-06T09:00:00+08:00"}``.

Payload types are registered on the codec by name (no module-level registry): callers build
the codec they need, usually with :func:`casework.serialize.default_codec`, and pass it around.
"""

from __future__ import annotations

import copy
import enum
import math
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from types import MappingProxyType
from typing import Any, TypeVar

import attrs
import cattrs
from cattrs.gen import make_dict_unstructure_fn, override
from cattrs.preconf.json import make_converter
from cattrs.v import format_exception

from casework.events import EMPTY_PAYLOAD, Event
from casework.serialize._errors import DecodeError, EncodeError, SerializationError
from casework.serialize._fast import StructureFns
from casework.serialize._json import JsonBackend, json_backend
from casework.serialize._migrations import Migrations, default_migrations
from casework.serialize._sealed import SEALED, PayloadSealer, open_payload

__all__ = ["TAG", "Codec", "EventRow"]

#: An event as a store row, apart from its case id and number: schema version, type, time
#: (ISO 8601), actor, state, trigger, and the payload as JSON text (None when empty).
EventRow = tuple[int, str, str, str, str, str, str | None]

T = TypeVar("T")

#: The key that names a tagged value's type.
TAG = "$type"
#: Tags the codec itself uses; registered names may not take them.
BUILTIN_TAGS = frozenset({"tuple", "set", "frozenset", "dict", "datetime", "date", "timedelta"})

_PLAIN = (str, int, bool, type(None))
_EVENT_TEXT_FIELDS = ("case_id", "type", "actor", "state", "trigger")


class _Fail(Exception):
    """Internal: a problem deep in a value; the path is collected on the way out."""

    def __init__(self, problem: str) -> None:
        self.problem = problem
        self.parts: list[str] = []


def _key_part(key: Any) -> str:
    return f".{key}" if isinstance(key, str) and key.isidentifier() else f"[{key!r}]"


def _sorted(items: Iterable[Any]) -> list[Any]:
    """Set members in a stable order when they can be ordered (so output is reproducible)."""
    items = list(items)
    try:
        return sorted(items)
    except TypeError:
        return items


def _format(exc: BaseException, kind: type[Any] | None) -> str:
    """cattrs' wording, except that our own messages (and validators') are kept whole."""
    if isinstance(exc, ValueError) and str(exc):
        return str(exc)
    return format_exception(exc, kind)


def _problems(exc: cattrs.BaseValidationError, path: str = "$") -> str:
    return "; ".join(cattrs.transform_error(exc, path=path, format_exception=_format))


def _personal(field: attrs.Attribute[Any]) -> bool:
    return bool(field.metadata.get("personal", False))


class Codec:
    """Turns casework values and events into JSON-shaped data and back, exactly.

    ``personal=False`` builds a codec that leaves out every attrs field marked
    ``metadata={"personal": True}`` (names, birth dates, session notes) when writing: for
    exports; what it writes cannot be read back into the original records.
    ``detailed_validation`` is cattrs' option: errors carry the path of every bad field.
    ``json`` names the JSON backend: ``"auto"`` (orjson when installed, the ``casework[fast]``
    extra; else the standard library), ``"stdlib"`` or ``"orjson"``; both read and write
    the same values.
    """

    def __init__(
        self,
        *,
        migrations: Migrations | None = None,
        personal: bool = True,
        detailed_validation: bool = True,
        json: str | JsonBackend = "auto",
    ) -> None:
        self.migrations = migrations if migrations is not None else default_migrations()
        self.personal = personal
        self.detailed_validation = detailed_validation
        self.json = json if isinstance(json, JsonBackend) else json_backend(json)
        self._types: dict[str, type[Any]] = {}
        self._names: dict[type[Any], str] = {}
        self._custom: dict[str, tuple[Callable[[Any], Any], Callable[[Any], Any]]] = {}
        self._encoders: dict[type[Any], Callable[[Any], Any]] = {
            float: self._enc_float,
            list: self._enc_list,
            dict: self._enc_dict,
            tuple: self._enc_tuple,
            frozenset: self._enc_frozenset,
            set: self._enc_set,
            datetime: self._enc_datetime,
            date: self._enc_date,
            timedelta: self._enc_timedelta,
        }
        self._decoders: dict[str, Callable[[dict[str, Any]], Any]] = {
            "tuple": lambda d: tuple(self._dec_items(d)),
            "set": lambda d: set(self._dec_items(d)),
            "frozenset": lambda d: frozenset(self._dec_items(d)),
            "dict": self._dec_pairs,
            "datetime": lambda d: datetime.fromisoformat(self._text(d)),
            "date": self._dec_date,
            "timedelta": lambda d: timedelta(microseconds=self._whole(d)),
        }
        #: Seals personal values in store rows (set by :meth:`sealed`; None: rows in clear).
        self.sealer: PayloadSealer | None = None
        self.converter = self._make_converter()
        self._fast = StructureFns(
            self.converter.get_structure_hook, self._dec, self._custom_decoder
        )

    def __repr__(self) -> str:
        extra = "" if self.personal else ", without personal fields"
        return f"<Codec v{self.migrations.current}: {len(self._types)} types{extra}>"

    # --- configuration -----------------------------------------------------------------------

    def _make_converter(self) -> cattrs.Converter:
        conv = make_converter(detailed_validation=self.detailed_validation)
        conv.register_unstructure_hook(datetime, datetime.isoformat)
        conv.register_structure_hook(datetime, lambda v, _: datetime.fromisoformat(v))
        conv.register_unstructure_hook(date, date.isoformat)
        conv.register_structure_hook(date, lambda v, _: date.fromisoformat(v))
        conv.register_unstructure_hook(frozenset, _sorted)
        conv.register_unstructure_hook(set, _sorted)
        # orjson would write a non-finite float as null: refuse it in typed fields too
        conv.register_unstructure_hook(float, _finite)
        # ``Any`` fields are untyped places: tag them like payload values
        conv.register_unstructure_hook_func(lambda t: t is Any, self.encode)
        conv.register_structure_hook_func(lambda t: t is Any, lambda v, _: self.decode(v))
        if not self.personal:
            conv.register_unstructure_hook_factory(attrs.has, self._omit_personal)
        return conv

    def _omit_personal(self, cls: type[Any]) -> Callable[[Any], Any]:
        omit = {f.name: override(omit=True) for f in attrs.fields(cls) if _personal(f)}
        return make_dict_unstructure_fn(cls, self.converter, **omit)  # type: ignore[arg-type]

    def register(
        self,
        cls: type[Any],
        name: str | None = None,
        *,
        encode: Callable[[Any], Any] | None = None,
        decode: Callable[[Any], Any] | None = None,
    ) -> None:
        """Make ``cls`` writable in payloads, tagged ``{"$type": name}`` (default: its name).

        attrs classes and enums need nothing more; any other type needs ``encode`` (to plain
        JSON data) and ``decode`` (back), which are then used for fields of that type too
        (an attrs class whose annotations cannot be resolved can be registered this way).
        A name or a class can be registered once.
        """
        name = name or cls.__name__
        if name in BUILTIN_TAGS or name in self._types:
            raise ValueError(f"the type name {name!r} is already taken")
        if cls in self._names:
            raise ValueError(f"{cls.__name__} is already registered as {self._names[cls]!r}")
        if (encode is None) != (decode is None):
            raise ValueError("give both encode and decode, or neither")
        if encode is not None and decode is not None:
            self._custom[name] = (encode, decode)
            # what an app's encoder returns is checked (a non-finite float has no JSON form)
            checked = _checked(encode) if not getattr(encode, "_json_safe", False) else encode
            # function hooks: cattrs would otherwise resolve an attrs class's annotations
            self.converter.register_unstructure_hook_func(lambda t: t is cls, checked)
            self.converter.register_structure_hook_func(lambda t: t is cls, lambda v, _: decode(v))
            self._encoders[cls] = lambda v: {TAG: name, "value": checked(v)}
            self._decoders[name] = lambda d: decode(d.get("value"))
        elif isinstance(cls, type) and issubclass(cls, enum.Enum):
            self._encoders[cls] = lambda v: {TAG: name, "value": v.value}
            self._decoders[name] = lambda d: cls(d.get("value"))
        elif attrs.has(cls):
            unstructure = self.converter.get_unstructure_hook(cls)

            def enc(value: Any) -> Any:
                return {TAG: name, **unstructure(value)}

            self._encoders[cls] = enc
            self._decoders[name] = self._record_decoder(cls)
        else:
            raise ValueError(f"{cls!r} is neither an attrs class nor an enum: give encode/decode")
        self._types[name] = cls
        self._names[cls] = name
        self._fast.clear()  # hooks may have changed: generate again on first use

    def _custom_decoder(self, cls: type[Any]) -> Callable[[Any], Any] | None:
        name = self._names.get(cls)
        found = self._custom.get(name) if name is not None else None
        return found[1] if found is not None else None

    def _record_decoder(self, cls: type[Any]) -> Callable[[dict[str, Any]], Any]:
        """Tagged data to a ``cls``: the generated fast function, else cattrs' full path
        (which gives the same value, or the error with every bad field's path).
        """
        structure = self.converter.get_structure_hook(cls)
        fast = self._fast

        def dec(data: dict[str, Any]) -> Any:
            try:
                return fast.get(cls)(data)
            except Exception:
                return structure(data, cls)

        return dec

    @property
    def types(self) -> Mapping[str, type[Any]]:
        """Every registered type, by name."""
        return dict(self._types)

    def without_personal(self) -> Codec:
        """A codec with the same types that leaves out personal fields (for exports)."""
        other = Codec(
            migrations=self.migrations,
            personal=False,
            detailed_validation=self.detailed_validation,
            json=self.json,
        )
        for name, cls in self._types.items():
            encode, decode = self._custom.get(name, (None, None))
            other.register(cls, name, encode=encode, decode=decode)
        return other

    def sealed(self, sealer: PayloadSealer) -> Codec:
        """This codec (sharing its types) writing store rows with personal values sealed by
        ``sealer``, and opening them on reading (see :mod:`casework.serialize._sealed`).

        Only rows are sealed (:meth:`event_to_row`); documents and records (exports) are
        written in clear.

        .. versionadded:: 0.2
        """
        other = copy.copy(self)
        other.sealer = sealer
        return other

    # --- untyped values ----------------------------------------------------------------------

    def encode(self, value: Any) -> Any:
        """``value`` as JSON-shaped data, tagged where its type would otherwise be lost."""
        try:
            return self._enc(value)
        except _Fail as fail:
            raise EncodeError("$" + "".join(reversed(fail.parts)), fail.problem) from None

    def decode(self, data: Any) -> Any:
        """The value :meth:`encode` wrote as ``data``."""
        try:
            return self._dec(data)
        except _Fail as fail:
            raise DecodeError("$" + "".join(reversed(fail.parts)), fail.problem) from None

    def _enc(self, value: Any) -> Any:
        if type(value) in _PLAIN:
            return value
        encoder = self._encoders.get(type(value))
        if encoder is None:
            if isinstance(value, Mapping):
                encoder = self._enc_dict
            else:
                raise _Fail(
                    f"{type(value).__qualname__} is not registered on the codec "
                    f"(register it, or give a plain JSON value)"
                )
        try:
            return encoder(value)
        except _Fail:
            raise
        except SerializationError as exc:
            raise _Fail(str(exc)) from None
        except Exception as exc:
            raise _Fail(f"{type(exc).__name__}: {exc}") from None

    def _enc_float(self, value: float) -> float:
        if not math.isfinite(value):
            raise _Fail(f"{value!r} has no JSON form")
        return value

    def _enc_seq(self, values: Iterable[Any]) -> list[Any]:
        out = []
        for i, v in enumerate(values):
            try:
                out.append(self._enc(v))
            except _Fail as fail:
                fail.parts.append(f"[{i}]")
                raise
        return out

    def _enc_list(self, value: list[Any]) -> list[Any]:
        return self._enc_seq(value)

    def _enc_tuple(self, value: tuple[Any, ...]) -> dict[str, Any]:
        return {TAG: "tuple", "items": self._enc_seq(value)}

    def _enc_frozenset(self, value: frozenset[Any]) -> dict[str, Any]:
        return {TAG: "frozenset", "items": self._enc_seq(_sorted(value))}

    def _enc_set(self, value: set[Any]) -> dict[str, Any]:
        return {TAG: "set", "items": self._enc_seq(_sorted(value))}

    def _enc_dict(self, value: Mapping[Any, Any]) -> dict[str, Any]:
        plain = all(isinstance(k, str) and not k.startswith("$") for k in value)
        if not plain:  # keys JSON objects cannot hold as they are: write pairs
            pairs = self._enc_seq([k, v] for k, v in value.items())
            return {TAG: "dict", "items": pairs}
        out = {}
        for k, v in value.items():
            try:
                out[k] = self._enc(v)
            except _Fail as fail:
                fail.parts.append(_key_part(k))
                raise
        return out

    def _enc_datetime(self, value: datetime) -> dict[str, Any]:
        return {TAG: "datetime", "value": value.isoformat()}

    def _enc_date(self, value: date) -> dict[str, Any]:
        return {TAG: "date", "value": value.isoformat()}

    def _enc_timedelta(self, value: timedelta) -> dict[str, Any]:
        return {TAG: "timedelta", "value": value // timedelta(microseconds=1)}

    def _dec(self, data: Any) -> Any:
        kind = type(data)
        if kind in _PLAIN:
            return data
        if kind is float:
            return data
        if kind is list:
            out = []
            for i, v in enumerate(data):
                try:
                    out.append(self._dec(v))
                except _Fail as fail:
                    fail.parts.append(f"[{i}]")
                    raise
            return out
        if kind is not dict:
            raise _Fail(f"{kind.__name__} is not JSON data")
        tag = data.get(TAG)
        if tag is None:
            result = {}
            for k, v in data.items():
                try:
                    result[k] = self._dec(v)
                except _Fail as fail:
                    fail.parts.append(_key_part(k))
                    raise
            return result
        decoder = self._decoders.get(tag) if isinstance(tag, str) else None
        if decoder is None:
            raise _Fail(f"unknown type {tag!r} (is it registered on the codec?)")
        try:
            return decoder(data)
        except _Fail:
            raise
        except cattrs.BaseValidationError as exc:
            raise _Fail(_problems(exc, tag)) from None
        except Exception as exc:
            raise _Fail(f"{tag}: {exc}") from None

    def _dec_items(self, data: dict[str, Any]) -> list[Any]:
        items = data.get("items")
        if type(items) is not list:
            raise _Fail(f"{data.get(TAG)}: expected a list of items")
        try:
            decoded = self._dec(items)
        except _Fail as fail:
            fail.parts.append(".items")
            raise
        return decoded  # type: ignore[no-any-return]

    def _dec_pairs(self, data: dict[str, Any]) -> dict[Any, Any]:
        out = {}
        for pair in self._dec_items(data):
            if not isinstance(pair, list) or len(pair) != 2:
                raise _Fail("dict: expected [key, value] pairs")
            key, value = pair
            out[key] = value
        return out

    @staticmethod
    def _text(data: dict[str, Any]) -> str:
        value = data.get("value")
        if not isinstance(value, str):
            raise _Fail(f"{data.get(TAG)}: expected a string value, got {value!r}")
        return value

    @staticmethod
    def _whole(data: dict[str, Any]) -> int:
        value = data.get("value")
        if isinstance(value, bool) or not isinstance(value, int):
            raise _Fail(f"{data.get(TAG)}: expected a whole number, got {value!r}")
        return value

    def _dec_date(self, data: dict[str, Any]) -> date:
        text = self._text(data)
        if "T" in text or " " in text:
            raise _Fail(f"date: {text!r} is not a plain date")
        return date.fromisoformat(text)

    # --- typed values ------------------------------------------------------------------------

    def unstructure(self, value: Any, as_type: Any = None) -> Any:
        """``value`` as JSON-shaped data, by its (or ``as_type``'s) annotations (no top tag)."""
        try:
            return self.converter.unstructure(value, unstructure_as=as_type)
        except SerializationError:
            raise
        except Exception as exc:
            raise EncodeError("$", f"{type(exc).__name__}: {exc}") from exc

    def structure(self, data: Any, cls: type[T]) -> T:
        """``data`` read as a ``cls``; every bad field is reported with its path."""
        try:
            return self.converter.structure(data, cls)
        except cattrs.BaseValidationError as exc:
            raise DecodeError("$", _problems(exc)) from exc
        except SerializationError:
            raise
        except Exception as exc:
            raise DecodeError("$", f"{type(exc).__name__}: {exc}") from exc

    # --- documents -----------------------------------------------------------------------------

    def dumps(self, value: Any) -> str:
        """``value`` as a JSON document ``{"v": ..., "value": ...}``."""
        return self.json.dumps({"v": self.migrations.current, "value": self.encode(value)})

    def loads(self, text: str | bytes) -> Any:
        """The value in a document :meth:`dumps` wrote; refuses documents from a newer casework."""
        doc = self.json.loads(text)
        if not isinstance(doc, dict) or "value" not in doc:
            raise DecodeError("$", "expected a document {'v': ..., 'value': ...}")
        doc = self.migrations.upgrade(doc)
        return self.decode(doc["value"])

    # --- events --------------------------------------------------------------------------------

    def event_to_record(self, event: Event) -> dict[str, Any]:
        """An event as a plain dict, with the schema version under ``"v"``."""
        if not isinstance(event, Event):
            raise EncodeError("$", f"expected an Event, got {type(event).__name__}")
        payload = self._payload_data(event.payload)
        at = event.at
        if not isinstance(at, datetime):
            raise EncodeError("$.at", f"expected a datetime, got {at!r}")
        return {
            "v": self.migrations.current,
            "case_id": event.case_id,
            "seq": event.seq,
            "type": event.type,
            "at": at.isoformat(),
            "actor": event.actor,
            "state": event.state,
            "trigger": event.trigger,
            "payload": payload,
        }

    def event_from_record(self, record: Any) -> Event:
        """The event a record holds, upgraded from an older schema version if need be."""
        if not isinstance(record, dict):
            raise DecodeError("$", f"expected an event record (an object), got {record!r}")
        record = self.migrations.upgrade(record)
        for key in _EVENT_TEXT_FIELDS:
            if type(record.get(key)) is not str:
                raise DecodeError(f"$.{key}", f"expected a string, got {record.get(key)!r}")
        seq = record.get("seq")
        if type(seq) is not int or seq < 1:
            raise DecodeError("$.seq", f"expected a positive whole number, got {seq!r}")
        at = record.get("at")
        try:
            when = datetime.fromisoformat(at)
        except (TypeError, ValueError):
            raise DecodeError("$.at", f"expected an ISO 8601 datetime, got {at!r}") from None
        raw = record.get("payload")
        if type(raw) is not dict:
            raise DecodeError("$.payload", f"expected an object, got {raw!r}")
        payload = {}
        for k, v in raw.items():
            try:
                payload[k] = self._dec(v)
            except _Fail as fail:
                path = "$.payload" + _key_part(k) + "".join(reversed(fail.parts))
                raise DecodeError(path, fail.problem) from None
        return Event(
            record["case_id"],
            seq,
            record["type"],
            when,
            record["actor"],
            record["state"],
            record["trigger"],
            payload,
        )

    def dumps_event(self, event: Event) -> str:
        """An event as one line of JSON."""
        return self.json.dumps(self.event_to_record(event))

    def loads_event(self, text: str | bytes) -> Event:
        """The event in a line :meth:`dumps_event` wrote."""
        return self.event_from_record(self.json.loads(text))

    def _payload_data(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        out = {}
        for k, v in payload.items():
            if type(k) is not str:
                raise EncodeError("$.payload", f"payload keys must be strings, got {k!r}")
            try:
                out[k] = self._enc(v)
            except _Fail as fail:
                path = "$.payload" + _key_part(k) + "".join(reversed(fail.parts))
                raise EncodeError(path, fail.problem) from None
        return out

    # --- events as store rows --------------------------------------------------------------

    def event_to_row(self, event: Event) -> EventRow:
        """An event as a store row (see :data:`EventRow`): the envelope in columns, the payload
        alone as JSON text, None when it is empty (as many are).
        """
        return self.events_to_rows([event])[0]

    def events_to_rows(
        self,
        events: Sequence[Event],
        refused: Callable[[Event, Exception], Exception] | None = None,
    ) -> list[EventRow]:
        """Each event as :meth:`event_to_row` writes it; with a sealer, the personal values of
        all of them are sealed together (each subject's key got once, nonces drawn at once:
        see :class:`~casework.serialize._sealed.SealBatch`), before any row is returned.

        A failure is raised as it is, or as ``refused(event, error)`` says (a store names the
        event in its own error).

        .. versionadded:: 0.2
        """
        sealer = self.sealer
        dumps = self.json.dumps
        if sealer is None:
            rows = []
            for event in events:
                try:
                    envelope, data = self._row_parts(event)
                    rows.append((*envelope, dumps(data) if data else None))
                except Exception as exc:
                    if refused is None:
                        raise
                    raise refused(event, exc) from exc
            return rows
        batch = sealer.batch()
        parts = []
        for event in events:
            try:
                envelope, data = self._row_parts(event)
                if data:
                    batch.tag = event
                    data = sealer.seal(event.case_id, event.type, data, batch)
            except Exception as exc:
                if refused is None:
                    raise
                raise refused(event, exc) from exc
            parts.append((event, envelope, data))
        try:
            batch.close()
        except Exception as exc:
            if refused is None:
                raise
            raise refused(batch.blame or events[0], exc) from exc
        rows = []
        for event, envelope, data in parts:
            try:
                rows.append((*envelope, dumps(data) if data else None))
            except Exception as exc:
                if refused is None:
                    raise
                raise refused(event, exc) from exc
        return rows

    def _row_parts(
        self, event: Event
    ) -> tuple[tuple[int, str, str, str, str, str], dict[str, Any] | None]:
        """A row's envelope columns, and its payload as JSON-shaped data (None when empty)."""
        if not isinstance(event, Event):
            raise EncodeError("$", f"expected an Event, got {type(event).__name__}")
        for key in _ROW_TEXT_FIELDS:
            value = getattr(event, key)
            if type(value) is not str:
                raise EncodeError(f"$.{key}", f"expected a string, got {value!r}")
        at = event.at
        if not isinstance(at, datetime):
            raise EncodeError("$.at", f"expected a datetime, got {at!r}")
        payload = event.payload
        data = self._payload_data(payload) if payload else None
        envelope = (
            self.migrations.current,
            event.type,
            at.isoformat(),
            event.actor,
            event.state,
            event.trigger,
        )
        return envelope, data

    def event_from_row(  # noqa: PLR0917 - the row's columns, in order
        self,
        case_id: str,
        seq: int,
        v: Any,
        type_: Any,
        at: Any,
        actor: Any,
        state: Any,
        trigger: Any,
        payload: Any,
    ) -> Event:
        """The event a store row holds (the row's case id and number are trusted: they are its
        key); a row of an older schema version goes through the migrations as a record.
        Text fields are interned: millions of events share a few types, states and actors.
        """
        if v != self.migrations.current or type(v) is not int:
            record = self._row_record(case_id, seq, v, type_, at, actor, state, trigger, payload)
            return self.event_from_record(record)
        intern = sys.intern
        if type(type_) is not str:
            raise DecodeError("$.type", f"expected a string, got {type_!r}")
        if type(actor) is not str:
            raise DecodeError("$.actor", f"expected a string, got {actor!r}")
        if type(state) is not str:
            raise DecodeError("$.state", f"expected a string, got {state!r}")
        if type(trigger) is not str:
            raise DecodeError("$.trigger", f"expected a string, got {trigger!r}")
        try:
            when = datetime.fromisoformat(at)
        except (TypeError, ValueError):
            raise DecodeError("$.at", f"expected an ISO 8601 datetime, got {at!r}") from None
        data = EMPTY_PAYLOAD if payload is None else self._payload_from_text(payload)
        return Event(
            case_id,
            seq,
            intern(type_),
            when,
            intern(actor),
            intern(state),
            intern(trigger),
            data,
        )

    def _payload_from_text(self, text: Any) -> Mapping[str, Any]:
        if type(text) is not str:
            raise DecodeError("$.payload", f"expected JSON text, got {type(text).__name__}")
        raw = self.json.loads(text)
        if type(raw) is not dict:
            raise DecodeError("$.payload", f"expected an object, got {raw!r}")
        if SEALED in text:  # personal values sealed under their subject's key
            raw = self.sealer.open(raw) if self.sealer is not None else open_payload(raw)
        if not raw:
            return EMPTY_PAYLOAD
        out = {}
        dec = self._dec
        for k, v in raw.items():
            try:
                out[k] = dec(v)
            except _Fail as fail:
                path = "$.payload" + _key_part(k) + "".join(reversed(fail.parts))
                raise DecodeError(path, fail.problem) from None
        return MappingProxyType(out)  # nothing else holds ``out``: Event keeps it as it is

    def _row_record(  # noqa: PLR0917
        self,
        case_id: str,
        seq: int,
        v: Any,
        type_: Any,
        at: Any,
        actor: Any,
        state: Any,
        trigger: Any,
        payload: Any,
    ) -> dict[str, Any]:
        """A row as the record :meth:`event_to_record` would write (for migrations)."""
        if payload is None:
            data: Any = {}
        elif isinstance(payload, str):
            data = self.json.loads(payload)
            if SEALED in payload:
                data = self.sealer.open(data) if self.sealer is not None else open_payload(data)
        else:
            raise DecodeError("$.payload", f"expected JSON text, got {type(payload).__name__}")
        return {
            "v": v,
            "case_id": case_id,
            "seq": seq,
            "type": type_,
            "at": at,
            "actor": actor,
            "state": state,
            "trigger": trigger,
            "payload": data,
        }


_ROW_TEXT_FIELDS = ("type", "actor", "state", "trigger")


def _finite(value: float) -> float:
    if not math.isfinite(value):
        raise EncodeError("$", f"{value!r} has no JSON form")
    return value


def _json_safe(data: Any) -> None:
    """Refuse what JSON cannot hold exactly in data an app's encoder returned."""
    kind = type(data)
    if kind is float:
        _finite(data)
    elif kind is list or kind is tuple:
        for item in data:
            _json_safe(item)
    elif kind is dict:
        for item in data.values():
            _json_safe(item)


def _checked(encode: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def checked(value: Any) -> Any:
        data = encode(value)
        _json_safe(data)
        return data

    return checked
