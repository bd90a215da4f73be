"""The codec: exact round trips for every value and event, schema versions, migrations, errors."""

from __future__ import annotations

import json
import math
import sys
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from casework.demo import run_xuzhuang
from casework.events import Event
from casework.records import Client, Consent, ConsentGiver, Guardian, Sex
from casework.serialize import (
    SCHEMA_VERSION,
    Codec,
    DecodeError,
    EncodeError,
    Migrations,
    SchemaTooNew,
    UnsupportedSchema,
    default_codec,
    v0_to_v1,
)

sys.path.insert(0, str(Path(__file__).resolve().parent / "store"))
import codec_strategies as cs

try:
    import orjson  # noqa: F401 - only whether it is installed
except ImportError:  # the tests still run, and say why the orjson half is skipped
    HAS_ORJSON = False
else:
    HAS_ORJSON = True

#: Every test runs with each JSON backend: the results must be the same.
BACKENDS = [
    "stdlib",
    pytest.param(
        "orjson", marks=pytest.mark.skipif(not HAS_ORJSON, reason="orjson is not installed")
    ),
]
pytestmark = pytest.mark.parametrize("json_name", BACKENDS)
CODECS = {"stdlib": default_codec(json="stdlib")}
if HAS_ORJSON:
    CODECS["orjson"] = default_codec(json="orjson")


def same(a: Any, b: Any) -> bool:
    """Equal, and of the same types all the way down (True == 1 would hide a lost bool)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, datetime):
        return a == b and a.utcoffset() == b.utcoffset()
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(v, b[k]) for k, v in a.items())
    if isinstance(a, (set, frozenset)):
        return a == b and sorted(map(repr, a)) == sorted(map(repr, b))
    return bool(a == b)


def through_json(value: Any, json_name: str) -> Any:
    """``value`` written as a document and read back, with the backend's own JSON."""
    codec = CODECS[json_name]
    return codec.loads(codec.dumps(value))


# --- round trips ------------------------------------------------------------------------------


@given(cs.records)
def test_every_record_round_trips_exactly(json_name: str, value: Any) -> None:
    back = through_json(value, json_name)
    assert same(back, value)
    assert attrs.asdict(back, recurse=False).keys() == attrs.asdict(value, recurse=False).keys()


@given(cs.enums)
def test_enums_come_back_as_their_enum(json_name: str, value: Any) -> None:
    back = through_json(value, json_name)
    assert type(back) is type(value) and back is value


@given(cs.any_times)
def test_naive_and_aware_times_round_trip_with_their_offset(
    json_name: str, value: datetime
) -> None:
    back = through_json(value, json_name)
    assert same(back, value)
    assert (back.tzinfo is None) == (value.tzinfo is None)


@given(cs.payload_values)
def test_any_payload_value_round_trips_exactly(json_name: str, value: Any) -> None:
    assert same(through_json(value, json_name), value)


@settings(max_examples=200)
@given(cs.events())
def test_events_round_trip_through_one_json_line(json_name: str, event: Event) -> None:
    CODEC = CODECS[json_name]  # noqa: N806
    line = CODEC.dumps_event(event)
    assert "\n" not in line
    back = CODEC.loads_event(line)
    assert back == event
    assert same(dict(back.payload), dict(event.payload))
    assert json.loads(line)["v"] == SCHEMA_VERSION


def test_the_demo_events_round_trip_and_replay(json_name: str) -> None:
    CODEC = CODECS[json_name]  # noqa: N806
    _, cases = run_xuzhuang()
    for case in cases:
        lines = [CODEC.dumps_event(e) for e in case.history]
        back = [CODEC.loads_event(line) for line in lines]
        assert back == case.history
        assert type(back[0].payload["client"]) is Client
        assessed = [e for e in back if e.type == "assessment_recorded"]
        assert assessed, "the demo records MHT assessments"
        originals = [e for e in case.history if e.type == "assessment_recorded"]
        for ev, orig in zip(assessed, originals, strict=True):
            result = ev.payload["assessment"].result
            assert result.interpretation("zh") == orig.payload["assessment"].result.interpretation(
                "zh"
            )


def test_a_score_of_an_instrument_version_the_codec_lacks_is_refused(json_name: str) -> None:
    CODEC = CODECS[json_name]  # noqa: N806
    _, cases = run_xuzhuang()
    ev = next(e for e in cases[0].history if e.type == "assessment_recorded")
    record = CODEC.event_to_record(ev)
    record["payload"]["assessment"]["result"]["version"] = "2099"
    with pytest.raises(DecodeError, match="version '2099'"):
        CODEC.event_from_record(record)


def test_typed_values_use_cattrs_without_tags(json_name: str) -> None:
    CODEC = CODECS[json_name]  # noqa: N806
    client = Client("c-1", "京京", date(2012, 6, 3), Sex.MALE, [Guardian("g", "mother")])
    data = CODEC.unstructure(client)
    assert data["birth_date"] == "2012-06-03" and "$type" not in data
    assert CODEC.structure(data, Client) == client


def test_documents_carry_a_version(json_name: str) -> None:
    CODEC = CODECS[json_name]  # noqa: N806
    text = CODEC.dumps((1, date(2020, 1, 1)))
    assert json.loads(text)["v"] == SCHEMA_VERSION
    assert CODEC.loads(text) == (1, date(2020, 1, 1))


# --- registration -----------------------------------------------------------------------------


@attrs.frozen
class Referral:
    agency: str
    at: datetime
    extra: Any = None


class Money:
    def __init__(self, cents: int) -> None:
        self.cents = cents

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Money) and other.cents == self.cents

    def __hash__(self) -> int:
        return hash(self.cents)


def test_apps_register_their_own_types_on_their_own_codec(json_name: str) -> None:
    codec = default_codec()
    codec.register(Referral)
    codec.register(Money, encode=lambda m: m.cents, decode=Money)
    value = Referral("district", datetime(2023, 1, 1), extra=(Money(5), date(2023, 1, 2)))
    data = codec.encode(value)
    assert data["$type"] == "Referral"
    assert codec.decode(json.loads(json.dumps(data))) == value
    with pytest.raises(EncodeError, match="Referral is not registered"):
        default_codec().encode(value)  # other codecs are not affected: no global registry


def test_a_name_or_type_cannot_be_registered_twice(json_name: str) -> None:
    codec = default_codec()
    with pytest.raises(ValueError, match="already taken"):
        codec.register(Referral, "Client")
    with pytest.raises(ValueError, match="already registered"):
        codec.register(Client, "Other")
    with pytest.raises(ValueError, match="already taken"):
        codec.register(Referral, "tuple")
    with pytest.raises(ValueError, match="attrs class nor an enum"):
        codec.register(Money)


# --- personal fields --------------------------------------------------------------------------


def test_without_personal_leaves_out_names_birth_dates_and_notes(json_name: str) -> None:
    CODEC = CODECS[json_name]  # noqa: N806
    client = Client(
        "c-1", "京京", date(2012, 6, 3), guardians=[Guardian("g", "mother", "王芳")], name="王京"
    )
    data = CODEC.without_personal().encode(client)
    assert "birth_date" not in data and "name" not in data
    assert "name" not in data["guardians"][0]
    assert data["pseudonym"] == "京京"
    assert "birth_date" in CODEC.encode(client)  # the original codec is unchanged


# --- errors -----------------------------------------------------------------------------------


def test_unregistered_values_are_refused_with_their_path(json_name: str) -> None:
    CODEC = CODECS[json_name]  # noqa: N806
    event = Event("c", 2, "noted", datetime(2023, 1, 1), "wu", "intake", "", {"x": [1, object()]})
    with pytest.raises(EncodeError) as info:
        CODEC.dumps_event(event)
    assert info.value.path == "$.payload.x[1]"


@pytest.mark.parametrize("value", [float("nan"), float("inf")])
def test_non_finite_floats_are_refused(json_name: str, value: float) -> None:
    CODEC = CODECS[json_name]  # noqa: N806
    with pytest.raises(EncodeError, match="no JSON form"):
        CODEC.encode({"score": value})


@pytest.mark.parametrize(
    ("text", "path"),
    [
        ('{"v": 1, "case_id": "c"', "$"),
        ("not json", "$"),
        ("[1, 2]", "$"),
        ('{"v": 1, "case_id": 5}', "$.case_id"),
    ],
)
def test_malformed_records_raise_decode_errors(json_name: str, text: str, path: str) -> None:
    CODEC = CODECS[json_name]  # noqa: N806
    with pytest.raises(DecodeError) as info:
        CODEC.loads_event(text)
    assert info.value.path == path


def test_bad_fields_inside_a_record_are_reported_with_their_path(json_name: str) -> None:
    CODEC = CODECS[json_name]  # noqa: N806
    event = Event(
        "c", 3, "consent_recorded", datetime(2023, 1, 1), "wu", "intake", "record_consent",
        {"consent": Consent(ConsentGiver.CLIENT, datetime(2023, 1, 1))},
    )  # fmt: skip
    record = CODEC.event_to_record(event)
    record["payload"]["consent"]["given_at"] = "not a time"
    with pytest.raises(DecodeError) as info:
        CODEC.event_from_record(record)
    assert info.value.path.startswith("$.payload.consent")
    assert "given_at" in str(info.value)
    record["payload"]["consent"]["$type"] = "Nope"
    with pytest.raises(DecodeError, match="unknown type 'Nope'"):
        CODEC.event_from_record(record)


# --- schema versions and migrations -----------------------------------------------------------


def demo_record() -> dict[str, Any]:
    _, cases = run_xuzhuang()
    return CODECS["stdlib"].event_to_record(cases[0].history[2])


def test_records_from_a_newer_casework_are_refused(json_name: str) -> None:
    CODEC = CODECS[json_name]  # noqa: N806
    record = {**demo_record(), "v": SCHEMA_VERSION + 1}
    with pytest.raises(SchemaTooNew) as info:
        CODEC.event_from_record(record)
    assert info.value.found == SCHEMA_VERSION + 1
    assert "upgrade casework" in str(info.value)


def test_a_first_release_record_without_a_version_is_migrated_on_load(json_name: str) -> None:
    CODEC = CODECS[json_name]  # noqa: N806
    record = demo_record()
    v0 = {k: v for k, v in record.items() if k != "v"}  # the shape before records had "v"
    assert v0_to_v1(v0) == record
    assert CODEC.event_from_record(v0) == CODEC.event_from_record(record)


def test_migrations_run_as_a_chain_in_order(json_name: str) -> None:
    """A (test-only) version 2 renames ``actor`` to ``by``: v0 and v1 records are upgraded."""

    def v1_to_v2(r: dict[str, Any]) -> dict[str, Any]:
        r = {**r, "v": 2, "by": r["actor"]}
        del r["actor"]
        return r

    chain = Migrations(2, {0: v0_to_v1, 1: v1_to_v2})
    record = demo_record()
    v0 = {k: v for k, v in record.items() if k != "v"}
    assert chain.upgrade(v0) == chain.upgrade(record) == v1_to_v2(record)
    assert chain.supported == range(0, 3)
    with pytest.raises(SchemaTooNew):
        chain.upgrade({**record, "v": 3})


def test_a_chain_with_a_gap_is_refused_when_built(json_name: str) -> None:
    with pytest.raises(ValueError, match="without gaps"):
        Migrations(3, {0: v0_to_v1, 2: v0_to_v1})


def test_versions_older_than_the_chain_are_refused(json_name: str) -> None:
    codec = Codec(migrations=Migrations(1, {}))  # a casework that dropped version 0
    with pytest.raises(UnsupportedSchema, match="older than any"):
        codec.event_from_record({k: v for k, v in demo_record().items() if k != "v"})


@pytest.mark.parametrize("v", ["1", 1.0, True, None])
def test_a_non_integer_version_is_a_decode_error(json_name: str, v: Any) -> None:
    CODEC = CODECS[json_name]  # noqa: N806
    with pytest.raises(DecodeError, match="schema version"):
        CODEC.event_from_record({**demo_record(), "v": v})


def test_named_zones_come_back_as_their_fixed_offset(json_name: str) -> None:
    """Documented limit: a ZoneInfo is written as its offset at that instant."""
    from zoneinfo import ZoneInfo

    t = datetime(2023, 3, 6, 9, tzinfo=ZoneInfo("Asia/Shanghai"))
    back = through_json(t, json_name)
    assert back == t and back.tzinfo == timezone(timedelta(hours=8))


@given(st.dictionaries(st.sampled_from(["$type", "$v", "a"]), st.integers(), max_size=3))
def test_dicts_with_dollar_keys_are_not_mistaken_for_tags(
    json_name: str, value: dict[str, int]
) -> None:
    assert same(through_json(value, json_name), value)


# --- store rows, the fast path, and the JSON backends -----------------------------------------


@settings(max_examples=200)
@given(cs.events())
def test_events_round_trip_through_a_store_row(json_name: str, event: Event) -> None:
    codec = CODECS[json_name]
    row = codec.event_to_row(event)
    assert row[0] == SCHEMA_VERSION
    assert (row[-1] is None) == (not event.payload)  # empty payloads are not written at all
    back = codec.event_from_row(event.case_id, event.seq, *row)
    assert back == event
    assert same(dict(back.payload), dict(event.payload))
    for other in CODECS.values():  # every backend reads what any backend wrote
        assert other.event_from_row(event.case_id, event.seq, *row) == back


def test_an_older_row_is_migrated_like_a_record(json_name: str) -> None:
    codec = CODECS[json_name]
    ev = demo_event()
    row = codec.event_to_row(ev)
    assert codec.event_from_row(ev.case_id, ev.seq, 0, *row[1:]) == ev  # v0 -> v1
    with pytest.raises(SchemaTooNew):
        codec.event_from_row(ev.case_id, ev.seq, SCHEMA_VERSION + 1, *row[1:])


@given(cs.records)
def test_the_fast_path_builds_what_cattrs_builds(json_name: str, value: Any) -> None:
    codec = CODECS[json_name]
    data = json.loads(codec.json.dumps(codec.encode(value)))
    fast = codec._fast.get(type(value))(data)  # the generated function itself
    assert same(fast, value)
    assert same(codec.converter.structure(data, type(value)), fast)


def test_the_fast_path_leaves_bad_data_to_cattrs_errors(json_name: str) -> None:
    codec = CODECS[json_name]
    ev = demo_event("session_recorded")
    record = codec.event_to_record(ev)
    session = record["payload"]["session"]
    for bad in ({"number": 0}, {"number": "x"}, {"status": "lost"}, {"held_at": None}):
        broken = {**record, "payload": {"session": {**session, **bad}}}
        with pytest.raises(DecodeError) as info:
            codec.event_from_record(broken)
        assert info.value.path.startswith("$.payload.session"), bad
    missing = {k: v for k, v in session.items() if k != "notes"}  # a default: cattrs fills it
    back = codec.event_from_record({**record, "payload": {"session": missing}})
    assert back.payload["session"].notes == ""
    coerced = {**session, "number": "1", "techniques": [7]}  # what cattrs always accepted
    back = codec.event_from_record({**record, "payload": {"session": coerced}})
    assert (back.payload["session"].number, back.payload["session"].techniques) == (1, ("7",))


@pytest.mark.parametrize("n", [2**63, 2**64, 2**70, -(2**63) - 1, -(2**80)])
def test_integers_beyond_64_bits_come_back_exact(json_name: str, n: int) -> None:
    codec = CODECS[json_name]
    back = through_json({"n": n, "t": (n,)}, json_name)
    assert same(back, {"n": n, "t": (n,)})
    ev = attrs.evolve(demo_event(), payload={"n": n})
    assert codec.event_from_row(ev.case_id, ev.seq, *codec.event_to_row(ev)).payload["n"] == n


def test_texts_either_backend_wrote_read_the_same(json_name: str) -> None:
    codec = CODECS[json_name]
    data = {"f": 1e-05, "g": 1e16, "s": '京\n"', "n": [2**70, -0.0, 0.1]}
    for text in (json.dumps(data, ensure_ascii=False), json.dumps(data), codec.json.dumps(data)):
        assert same(codec.json.loads(text), data)
    with pytest.raises(DecodeError, match="malformed JSON"):
        codec.json.loads('{"a": ')


def test_non_finite_floats_in_typed_fields_are_refused(json_name: str) -> None:
    from casework.instruments.model import Band

    codec = CODECS[json_name]
    with pytest.raises(EncodeError, match="no JSON form"):
        codec.encode(Band("x", float("nan"), 1.0, "x", "x"))
    with pytest.raises(EncodeError, match="no JSON form"):
        codec.dumps_event(attrs.evolve(demo_event(), payload={"b": Band("x", 0, math.inf, "", "")}))


def test_an_apps_encoder_cannot_write_a_non_finite_float(json_name: str) -> None:
    codec = default_codec(json=json_name)
    codec.register(Money, encode=lambda m: m.cents / 0.0 if m.cents else math.nan, decode=Money)
    with pytest.raises(EncodeError, match="no JSON form"):
        codec.encode(Money(0))


def test_an_unknown_json_backend_is_refused(json_name: str) -> None:
    with pytest.raises(ValueError, match="unknown JSON backend"):
        default_codec(json="simdjson")
    assert CODECS[json_name].json.name == json_name


def demo_event(kind: str | None = None) -> Event:
    _, cases = run_xuzhuang()
    events = cases[0].history
    return next(e for e in events if e.type == kind) if kind else events[2]


def test_without_orjson_the_stdlib_is_used(json_name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from casework.serialize import json_backend

    monkeypatch.setitem(sys.modules, "orjson", None)  # as if it were not installed
    assert json_backend("auto").name == "stdlib"
    assert default_codec().json.name == "stdlib"
    with pytest.raises(ImportError, match=r"casework\[fast\]"):
        json_backend("orjson")
