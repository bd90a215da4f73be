"""JSON text: the standard library's ``json``, or ``orjson`` when installed (``casework[fast]``).

Both give the same values back.  orjson is used only where it agrees with the standard library;
where it does not, the standard library decides:

* writing: integers beyond 64 bits (which orjson refuses) are written by ``json``; non-finite
  floats never reach either (the codec refuses them first: orjson would write ``null``);
* reading: orjson reads integers beyond 64 bits as floats, silently.  So what orjson reads is
  kept only when orjson writes it back as exactly the text it read (true of every text orjson
  wrote, which is every text without such integers); any other text (one the standard
  library wrote, with ``1e-05`` for ``0.00001`` or a huge integer) is read again by ``json``.
  A text orjson refuses is tried with ``json`` too, so whatever ``json`` accepts is still
  read (and its error message is the one reported).

Texts may differ in how a float is spelt (``1e-05`` or ``0.00001``); the values are equal.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from casework.serialize._errors import DecodeError, EncodeError

__all__ = ["JSON_BACKENDS", "JsonBackend", "json_backend"]

#: The names :func:`json_backend` takes ("auto": orjson when installed, else the stdlib).
JSON_BACKENDS = ("auto", "stdlib", "orjson")


def _std_dumps(data: Any) -> str:
    try:
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except ValueError as exc:
        raise EncodeError("$", str(exc)) from None


def _std_loads(text: str | bytes) -> Any:
    try:
        return json.loads(text)
    except (TypeError, ValueError) as exc:  # JSONDecodeError and UnicodeDecodeError included
        raise DecodeError("$", f"malformed JSON: {exc}") from None


class JsonBackend:
    """How a codec turns JSON-shaped data into text and back (see the module's notes)."""

    def __init__(
        self, name: str, dumps: Callable[[Any], str], loads: Callable[[str | bytes], Any]
    ) -> None:
        self.name = name
        self.dumps = dumps
        self.loads = loads

    def __repr__(self) -> str:
        return f"<JsonBackend {self.name}>"


STDLIB = JsonBackend("stdlib", _std_dumps, _std_loads)


def _orjson_backend() -> JsonBackend:
    import orjson

    o_dumps, o_loads = orjson.dumps, orjson.loads
    o_encode_error, o_decode_error = orjson.JSONEncodeError, orjson.JSONDecodeError

    def dumps(data: Any) -> str:
        try:
            return o_dumps(data).decode()
        except o_encode_error:  # e.g. an integer beyond 64 bits: json writes it exactly
            return _std_dumps(data)

    def loads(text: str | bytes) -> Any:
        if type(text) is str:
            raw = text.encode("utf-8", "surrogatepass")
        elif type(text) is bytes:
            raw = text
        else:
            return _std_loads(text)
        try:
            data = o_loads(raw)
        except o_decode_error:
            return _std_loads(text)  # json decides: it may accept it (NaN, 1e400), or says why not
        try:
            if o_dumps(data) == raw:  # what orjson wrote: read exactly
                return data
        except o_encode_error:
            pass
        return _std_loads(text)

    return JsonBackend("orjson", dumps, loads)


def json_backend(name: str = "auto") -> JsonBackend:
    """The backend called ``name``: ``"stdlib"``, ``"orjson"`` (ImportError when it is not
    installed) or ``"auto"`` (orjson when installed, else the stdlib).
    """
    if name == "stdlib":
        return STDLIB
    if name == "orjson":
        try:
            return _orjson_backend()
        except ImportError as exc:
            raise ImportError(
                "the orjson JSON backend needs orjson: pip install 'casework[fast]'"
            ) from exc
    if name == "auto":
        try:
            return _orjson_backend()
        except ImportError:
            return STDLIB
    raise ValueError(f"unknown JSON backend {name!r}: choose one of {', '.join(JSON_BACKENDS)}")
