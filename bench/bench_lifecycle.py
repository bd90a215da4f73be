"""Benchmark casework's lifecycle engine against bare ``transitions`` and plain Python.

Run from the repository root with the project's venv active::

    python bench/bench_lifecycle.py                 # 100,000 cases (a few minutes)
    python bench/bench_lifecycle.py --cases 5000    # quick run

Every measurement runs in its own fresh Python process (this script re-invokes itself with
``--child NAME``), one after another, so no measurement inherits another's heap, garbage-collector
state or logging configuration.  Within a child the workload is: build the (shared, immutable)
inputs, warm up on a few hundred throwaway cases, ``gc.collect()``, then time the whole loop over
all cases with the garbage collector left on, as an app would run.  Figures are CPU time of the
measuring process (``time.process_time``), which other work on a shared machine disturbs less
than wall time; wall time is kept in the JSON as ``wall_seconds``.

The workload is the full standard path of ``casework.demo``: open, screen, record_consent x2,
admit, assess, plan, set_plan, start_intervention, 10 x record_session, evaluate, close, i.e.
one opening plus 20 commands = 21 events per case.  "Per command" below is the time per case
divided by those 21 operations.  Inputs that are values (clients, consents, plans, session
records, timestamps) are built once for five demo-like variants and shared by all cases, so the
figures measure the engine and what each case itself holds, not the cost of building inputs.

Baselines, all driving the same 21 operations over the same standard lifecycle:

* (a1) a bare ``transitions`` machine shared by all cases (``model=None``,
  ``auto_transitions=False``, ``send_event=True``), ``machine.events[name].trigger(model)`` on
  a slotted attrs record, with no callbacks at all;
* (a2) the same machine with casework's guard functions as conditions and one after-callback
  that appends an audit tuple and applies the command's data effect (what an app would write
  with ``transitions`` directly; the fair comparison for the 1.5x target);
* (b) a plain-Python dict table ``state -> trigger -> (destinations, guards, event type)``
  doing the same checks and appending the same events as tuples.

The script prints a markdown table and writes JSON to ``bench/results/`` (gitignored).
"""

from __future__ import annotations

import argparse
import gc
import json
import logging
import os
import platform
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import attrs
from dateutil import rrule

WARMUP_CASES = 300
OPS_PER_CASE = 21  # open + 20 commands, each recording one event
LEAD, COUNSELLOR = "wu-chao", "xinqiao-counsellor-1"
RESULTS_DIR = Path(__file__).resolve().parent / "results"


# --- shared inputs ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Variant:
    """The inputs of one demo-like case: values shared by every case built from this variant."""

    client: Any
    steps: tuple[tuple[str, datetime, str, dict[str, Any]], ...]  # (trigger, at, actor, payload)
    opened_at: datetime


#: The demo's five children (case id, pseudonym, birth date, sex, guardian), copied here so the
#: benchmark's workload does not change when the demo does.
DEMO_CHILDREN = (
    ("XZ-2023-01", "京京", date(2012, 6, 3), "male", "mother"),
    ("XZ-2023-02", "朵朵", date(2013, 2, 17), "female", "grandmother"),
    ("XZ-2023-03", "乐乐", date(2011, 9, 28), "male", "father"),
    ("XZ-2023-04", "小雨", date(2012, 11, 9), "female", "mother"),
    ("XZ-2023-05", "阳阳", date(2014, 4, 21), "male", "grandfather"),
)
TECHNIQUES = ("imagery_dialogue", "drawing_therapy")


def make_variants() -> list[Variant]:
    """Five variants shaped like ``casework.demo.run_xuzhuang`` (one per demo child)."""
    from casework.plan import SessionMode, SessionPlan, SessionRecord
    from casework.records import Client, Consent, ConsentGiver, Guardian, TargetGroup

    variants = []
    for i, (case_id, pseudonym, born, sex, relation) in enumerate(DEMO_CHILDREN):
        guardian = Guardian(f"{case_id}-g1", relation)
        client = Client(
            f"{case_id}-c", pseudonym, born, sex, [guardian], [TargetGroup.CHILD_IN_DIFFICULTY]
        )
        day = datetime(2023, 3, 6 + i, 9, 0)
        consent_day = day + timedelta(days=3)
        plan = SessionPlan.recurring(
            date(2023, 3, 25), byweekday=rrule.SA, goals=("reduce anxiety", "build confidence")
        )
        steps: list[tuple[str, datetime, str, dict[str, Any]]] = [
            ("screen", day + timedelta(days=1), LEAD, {}),
            (
                "record_consent",
                consent_day,
                LEAD,
                {"consent": Consent(ConsentGiver.CLIENT, consent_day)},
            ),
            (
                "record_consent",
                consent_day,
                LEAD,
                {"consent": Consent(ConsentGiver.GUARDIAN, consent_day, giver_id=guardian.id)},
            ),
            ("admit", consent_day, LEAD, {}),
            ("assess", consent_day + timedelta(days=2), LEAD, {}),
            ("plan", consent_day + timedelta(days=5), LEAD, {}),
            ("set_plan", consent_day + timedelta(days=5), LEAD, {"plan": plan}),
            ("start_intervention", consent_day + timedelta(days=6), LEAD, {}),
        ]
        for n, when in enumerate(plan.schedule, start=1):
            session = SessionRecord(
                n,
                held_at=when.replace(hour=9 + i),
                scheduled_at=when,
                mode=SessionMode.HOME_VISIT,
                duration_minutes=60,
                techniques=TECHNIQUES,
                worker=COUNSELLOR,
            )
            steps.append(("record_session", session.held_at, COUNSELLOR, {"session": session}))
        end = plan.schedule[-1] + timedelta(days=7)
        steps.append(("evaluate", end, LEAD, {}))
        steps.append(("close", end + timedelta(days=3), LEAD, {"reason": "goals met"}))
        variants.append(Variant(client, tuple(steps), day))
    assert len(variants[0].steps) + 1 == OPS_PER_CASE
    return variants


def case_ids(n: int, prefix: str = "C") -> list[str]:
    """Unique case ids, built before timing starts."""
    return [f"{prefix}{i:07d}" for i in range(n)]


# --- casework driver ----------------------------------------------------------------------------


def drive_casework(engine: Any, case_id: str, v: Variant) -> Any:
    """Open one case and drive it through the full standard path with the public API (as demo)."""
    case = engine.open(case_id, v.client, at=v.opened_at, by=LEAD, worker=LEAD)
    fire = engine.fire
    for trigger, at, by, payload in v.steps:
        if trigger == "record_consent":
            engine.record_consent(case, payload["consent"], by=by)
        elif trigger == "record_session":
            engine.record_session(case, payload["session"], by=by)
        elif trigger == "set_plan":
            engine.set_plan(case, payload["plan"], at=at, by=by)
        else:
            fire(case, trigger, at=at, by=by, **payload)
    return case


# --- baselines: a slotted attrs record, same fields as casework's Case --------------------------


@attrs.define(slots=True, eq=False)
class Record:
    """The baseline case: a slotted attrs class with Case's fields, events as plain tuples."""

    id: str
    client: Any
    lifecycle: Any
    state: str
    worker: str | None = None
    programme: str | None = None
    previous_state: str | None = None
    plan: Any = None
    sessions: tuple[Any, ...] = ()
    held_sessions: int = 0
    consents: tuple[Any, ...] = ()
    assessments: tuple[Any, ...] = ()
    history: list[tuple[Any, ...]] = attrs.Factory(list)

    @property
    def planned_sessions(self) -> int | None:
        """Sessions in the plan (read by casework's guards)."""
        return self.plan.sessions if self.plan else None

    def consent_active(self, giver: Any, at: datetime, scope: str = "casework") -> bool:
        """Same rule as ``Case.consent_active`` (read by casework's guards)."""
        return any(c.giver == giver and c.scope == scope and c.active_on(at) for c in self.consents)


@attrs.define(slots=True)
class Cmd:
    """The baseline command: what casework's guards read (trigger, at, actor, payload)."""

    trigger: str
    at: datetime
    actor: str
    payload: dict[str, Any]


def _consent(rec: Record, p: Mapping[str, Any]) -> None:
    rec.consents = (*rec.consents, p["consent"])


def _plan(rec: Record, p: Mapping[str, Any]) -> None:
    rec.plan = p["plan"]
    rec.held_sessions = 0


def _session(rec: Record, p: Mapping[str, Any]) -> None:
    s = p["session"]
    rec.sessions = (*rec.sessions, s)
    if s.held:
        rec.held_sessions += 1


EFFECTS: dict[str, Callable[[Record, Mapping[str, Any]], None]] = {
    "consent_recorded": _consent,
    "plan_set": _plan,
    "session_recorded": _session,
}


def open_record(lc: Any, case_id: str, v: Variant) -> Record:
    """Open a baseline record with the same opening event (as a tuple) casework records."""
    rec = Record(case_id, v.client, lc, lc.initial.name, worker=LEAD)
    payload = {
        "client": v.client,
        "worker": LEAD,
        "programme": None,
        "lifecycle": lc.id,
        "lifecycle_version": lc.version,
    }
    rec.history.append((case_id, 1, "case_opened", v.opened_at, LEAD, rec.state, "open", payload))
    return rec


def bare_machine(lc: Any, *, callbacks: bool) -> Any:
    """A shared ``transitions`` machine for ``lc``, optionally with guards and an audit callback."""
    from transitions import Machine

    def condition(guard: Callable[[Any, Any], str | None]) -> Callable[[Any], bool]:
        def check(ed: Any) -> bool:
            return guard(ed.model, ed.args[0]) is None

        return check

    def audit(ed: Any) -> None:
        rec: Record = ed.model
        cmd: Cmd = ed.args[0]
        source = ed.transition.source
        if rec.state != source:
            rec.previous_state = source
        etype = lc._event_of[cmd.trigger]
        effect = EFFECTS.get(etype)
        if effect is not None:
            effect(rec, cmd.payload)
        rec.history.append(
            (
                rec.id,
                len(rec.history) + 1,
                etype,
                cmd.at,
                cmd.actor,
                rec.state,
                cmd.trigger,
                cmd.payload,
            )
        )

    transitions = []
    for t in lc.transitions:
        for src in lc.sources(t):
            for dest in lc.destinations(src, t.trigger):
                spec: dict[str, Any] = {
                    "trigger": t.trigger,
                    "source": src,
                    "dest": None if t.dest is None else dest,
                }
                if callbacks:
                    spec["conditions"] = [condition(g) for g in t.guards]
                    spec["after"] = [audit]
                transitions.append(spec)
    return Machine(
        model=None,
        states=[s.name for s in lc.states],
        initial=lc.initial.name,
        transitions=transitions,
        auto_transitions=False,
        send_event=True,
    )


def drive_bare_nocb(machine: Any, lc: Any, case_id: str, v: Variant) -> Record:
    """(a1) bare shared machine, no callbacks: only the state moves, nothing is recorded."""
    rec = Record(case_id, v.client, lc, lc.initial.name, worker=LEAD)
    events = machine.events
    for trigger, _at, _by, _payload in v.steps:
        if not events[trigger].trigger(rec):
            raise RuntimeError(f"{trigger} refused")
    return rec


def drive_bare_cb(machine: Any, lc: Any, case_id: str, v: Variant) -> Record:
    """(a2) bare shared machine with guards as conditions and an audit after-callback."""
    rec = open_record(lc, case_id, v)
    events = machine.events
    for trigger, at, by, payload in v.steps:
        if not events[trigger].trigger(rec, Cmd(trigger, at, by, dict(payload))):
            raise RuntimeError(f"{trigger} refused")
    return rec


def dict_table(
    lc: Any,
) -> dict[str, dict[str, tuple[tuple[str, ...] | None, tuple[Any, ...], str]]]:
    """(b) ``state -> trigger -> (destinations or None for internal, guards, event type)``."""
    table: dict[str, dict[str, tuple[tuple[str, ...] | None, tuple[Any, ...], str]]] = {}
    for t in lc.transitions:
        for src in lc.sources(t):
            dests = None if t.dest is None else lc.destinations(src, t.trigger)
            table.setdefault(src, {})[t.trigger] = (dests, tuple(t.guards), t.event_type)
    return table


def drive_table(table: Any, lc: Any, case_id: str, v: Variant) -> Record:
    """(b) plain Python: look up the transition, run the guards, move, record a tuple."""
    rec = open_record(lc, case_id, v)
    for trigger, at, by, payload in v.steps:
        cmd = Cmd(trigger, at, by, dict(payload))
        entry = table[rec.state].get(trigger)
        if entry is None:
            raise RuntimeError(f"{trigger} not allowed from {rec.state}")
        dests, guards, etype = entry
        for guard in guards:
            if guard(rec, cmd) is not None:
                raise RuntimeError(f"{trigger} refused")
        if dests is not None:
            dest = dests[0] if len(dests) == 1 else rec.previous_state
            if dest != rec.state:
                rec.previous_state, rec.state = rec.state, dest
        effect = EFFECTS.get(etype)
        if effect is not None:
            effect(rec, cmd.payload)
        rec.history.append(
            (case_id, len(rec.history) + 1, etype, at, by, rec.state, trigger, cmd.payload)
        )
    return rec


# --- child measurements -------------------------------------------------------------------------


def _rss_bytes() -> int:
    """Resident set size now (Linux ``/proc/self/statm``), 0 where unavailable."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return 0


def _timed_loop(n: int, one: Callable[[str, Variant], Any], prefix: str = "C") -> dict[str, Any]:
    """Warm up, then time ``one(case_id, variant)`` for ``n`` cases, keeping every case alive."""
    variants = make_variants()
    for i, cid in enumerate(case_ids(WARMUP_CASES, "W")):
        one(cid, variants[i % 5])
    ids = case_ids(n, prefix)
    gc.collect()
    rss0 = _rss_bytes()
    kept = []
    append = kept.append
    w0, t0 = time.perf_counter(), time.process_time()
    for i, cid in enumerate(ids):
        append(one(cid, variants[i % 5]))
    elapsed = time.process_time() - t0
    wall = time.perf_counter() - w0
    rss = _rss_bytes() - rss0
    return {
        "cases": n,
        "seconds": elapsed,
        "wall_seconds": wall,
        "us_per_case": elapsed / n * 1e6,
        "us_per_op": elapsed / (n * OPS_PER_CASE) * 1e6,
        "rss_per_case_bytes": rss / n,
    }


def child_casework(n: int) -> dict[str, Any]:
    """(1) casework: open and drive ``n`` cases through the full standard path."""
    from casework.engine import Engine
    from casework.standard import STANDARD

    engine = Engine(STANDARD)
    result = _timed_loop(n, lambda cid, v: drive_casework(engine, cid, v))
    result["transitions_logger_levels"] = {
        name: logging.getLevelName(logging.getLogger(name).level)
        for name in ("transitions", "transitions.core")
    }
    return result


def child_bare_nocb(n: int) -> dict[str, Any]:
    """(a1) bare shared transitions machine, no callbacks."""
    from casework.standard import STANDARD

    m = bare_machine(STANDARD, callbacks=False)
    return _timed_loop(n, lambda cid, v: drive_bare_nocb(m, STANDARD, cid, v))


def child_bare_cb(n: int) -> dict[str, Any]:
    """(a2) bare shared transitions machine, same guards plus an audit after-callback."""
    from casework.standard import STANDARD

    m = bare_machine(STANDARD, callbacks=True)
    return _timed_loop(n, lambda cid, v: drive_bare_cb(m, STANDARD, cid, v))


def child_table(n: int) -> dict[str, Any]:
    """(b) plain-Python dict table."""
    from casework.standard import STANDARD

    table = dict_table(STANDARD)
    return _timed_loop(n, lambda cid, v: drive_table(table, STANDARD, cid, v))


def child_memory(n: int) -> dict[str, Any]:
    """(4) retained memory per case (tracemalloc): casework cases, then attrs records.

    Each side is built, measured and released before the other, in the same process.
    """
    from casework.engine import Engine
    from casework.standard import STANDARD

    engine = Engine(STANDARD)
    table = dict_table(STANDARD)
    variants = make_variants()
    for i, cid in enumerate(case_ids(50, "W")):  # import and cache everything before tracing
        drive_casework(engine, cid, variants[i % 5])
        drive_table(table, STANDARD, cid, variants[i % 5])
    out: dict[str, Any] = {"cases": n}
    for name, one in (
        ("casework", lambda cid, v: drive_casework(engine, cid, v)),
        ("attrs_records", lambda cid, v: drive_table(table, STANDARD, cid, v)),
    ):
        ids = case_ids(n)  # ids are allocated before tracing: both sides hold the same strings
        gc.collect()
        tracemalloc.start()
        base = tracemalloc.get_traced_memory()[0]
        kept = [one(cid, variants[i % 5]) for i, cid in enumerate(ids)]
        gc.collect()
        size = tracemalloc.get_traced_memory()[0] - base
        tracemalloc.stop()
        out[name] = {"bytes_per_case": size / n, "events_per_case": len(kept[0].history)}
        del kept
    return out


def child_replay(n: int) -> dict[str, Any]:
    """(5) rebuild ``n`` cases from their events: ``Case.replay`` vs executing them again.

    Both rebuild from the same logs.  Re-firing opens the case from its first event and runs
    each later event as a command through ``Engine.execute`` (guards, hooks, chronology).
    """
    from casework.case import Case
    from casework.engine import Engine
    from casework.events import Command
    from casework.standard import STANDARD

    engine = Engine(STANDARD)
    variants = make_variants()
    logs = [
        tuple(drive_casework(engine, cid, variants[i % 5]).history)
        for i, cid in enumerate(case_ids(n))
    ]

    def replay_all(batch: list[tuple[Any, ...]]) -> list[Any]:
        return [Case.replay(events, STANDARD) for events in batch]

    def refire_all(batch: list[tuple[Any, ...]]) -> list[Any]:
        rebuilt = []
        execute = engine.execute
        for events in batch:
            case = Case.opened(events[0], STANDARD)
            for ev in events[1:]:
                execute(case, Command(ev.trigger, ev.at, ev.actor, ev.payload))
            rebuilt.append(case)
        return rebuilt

    out: dict[str, Any] = {"cases": n}
    for name, fn in (("replay", replay_all), ("refire", refire_all)):
        fn(logs[:WARMUP_CASES])
        gc.collect()
        w0, t0 = time.perf_counter(), time.process_time()
        rebuilt = fn(logs)
        elapsed = time.process_time() - t0
        wall = time.perf_counter() - w0
        same = all(r.history == list(log) for r, log in zip(rebuilt[:100], logs, strict=False))
        out[name] = {
            "seconds": elapsed,
            "wall_seconds": wall,
            "us_per_case": elapsed / n * 1e6,
            "us_per_event": elapsed / (n * OPS_PER_CASE) * 1e6,
            "matches_log": same,
        }
        del rebuilt
        gc.collect()
    return out


def child_open(n: int) -> dict[str, Any]:
    """(6) ``engine.open`` for ``n`` cases, all kept alive: cost per case."""
    from casework.engine import Engine
    from casework.standard import STANDARD

    engine = Engine(STANDARD)
    return _timed_loop(
        n, lambda cid, v: engine.open(cid, v.client, at=v.opened_at, by=LEAD, worker=LEAD)
    )


def child_add_model(n: int) -> dict[str, Any]:
    """Contrast for (6): one shared machine with ``add_model`` per case (O(N) list scan each)."""
    from transitions import Machine

    from casework.standard import STANDARD

    m = Machine(
        model=None,
        states=[s.name for s in STANDARD.states],
        initial=STANDARD.initial.name,
        auto_transitions=False,
        send_event=True,
    )

    class Model:
        def __init__(self, case_id: str) -> None:
            self.id = case_id

    def one(cid: str, v: Variant) -> Any:
        model = Model(cid)
        m.add_model(model)
        return model

    return _timed_loop(n, one)


def _logging_child(n: int, *, app_info: bool, transitions_info: bool) -> dict[str, Any]:
    """(7) casework under an app's logging configuration; log output goes to os.devnull."""
    if app_info:
        sink = open(os.devnull, "w")  # noqa: SIM115 (the app's log file, open for the run)
        logging.basicConfig(level=logging.INFO, stream=sink, force=True)
    if transitions_info:
        logging.getLogger("transitions").setLevel(logging.INFO)
    result = child_casework(n)
    result["transitions_effective_level"] = logging.getLevelName(
        logging.getLogger("transitions.core").getEffectiveLevel()
    )
    return result


CHILDREN: dict[str, Callable[[int], dict[str, Any]]] = {
    "casework": child_casework,
    "bare_nocb": child_bare_nocb,
    "bare_cb": child_bare_cb,
    "table": child_table,
    "memory": child_memory,
    "replay": child_replay,
    "open": child_open,
    "add_model": child_add_model,
    "log_default": lambda n: _logging_child(n, app_info=False, transitions_info=False),
    "log_app_info": lambda n: _logging_child(n, app_info=True, transitions_info=False),
    "log_transitions_info": lambda n: _logging_child(n, app_info=True, transitions_info=True),
}


# --- orchestration ------------------------------------------------------------------------------


def run_child(name: str, n: int) -> dict[str, Any]:
    """Run one measurement in a fresh interpreter and return its JSON result."""
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, __file__, "--child", name, "--cases", str(n)],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise SystemExit(f"child {name} failed:\n{proc.stderr}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    print(f"  {name:<22} n={n:<7} {time.perf_counter() - t0:6.1f} s wall", file=sys.stderr)
    return result


def machine_info() -> dict[str, Any]:
    """Where the figures were measured."""
    model = ""
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
        model = next(
            (ln.split(":", 1)[1].strip() for ln in out.splitlines() if "Model name" in ln), ""
        )
    except OSError:
        pass
    import transitions

    return {
        "nproc": os.cpu_count(),
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpu": model,
        "transitions": transitions.__version__,
        "attrs": attrs.__version__,
        "loadavg_start": os.getloadavg(),
    }


def main(argv: list[str] | None = None) -> int:
    """Parse arguments; run one child measurement, or all of them and print the table."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--cases", type=int, default=100_000, help="cases per measurement")
    ap.add_argument(
        "--memory-cases",
        type=int,
        default=20_000,
        help="cases for the tracemalloc measurement (capped at --cases)",
    )
    ap.add_argument(
        "--logging-cases",
        type=int,
        default=10_000,
        help="cases for the logging measurements (capped at --cases)",
    )
    ap.add_argument("--no-json", action="store_true", help="do not write bench/results/*.json")
    ap.add_argument("--child", choices=sorted(CHILDREN), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        print(json.dumps(CHILDREN[args.child](args.cases)))
        return 0

    n = args.cases
    info = machine_info()
    print(f"bench_lifecycle: {n} cases; each measurement in a fresh process", file=sys.stderr)
    r: dict[str, Any] = {"machine": info, "cases": n, "ops_per_case": OPS_PER_CASE}
    for name in ("casework", "bare_nocb", "bare_cb", "table"):
        r[name] = run_child(name, n)
    r["memory"] = run_child("memory", min(n, args.memory_cases))
    r["replay"] = run_child("replay", n)
    sizes = [s for s in (1_000, 10_000, 100_000) if s <= n] or [n]
    r["open"] = {str(s): run_child("open", s) for s in sizes}
    r["add_model"] = {str(s): run_child("add_model", s) for s in sizes if s <= 10_000}
    nl = min(n, args.logging_cases)
    r["logging"] = {
        k: run_child(k, nl) for k in ("log_default", "log_app_info", "log_transitions_info")
    }
    info["loadavg_end"] = os.getloadavg()
    print(render(r))
    if not args.no_json:
        RESULTS_DIR.mkdir(exist_ok=True)
        path = RESULTS_DIR / f"lifecycle-{time.strftime('%Y%m%d-%H%M%S')}-{n}.json"
        path.write_text(json.dumps(r, indent=2))
        print(f"\nJSON: {path}", file=sys.stderr)
    return 0


def render(r: dict[str, Any]) -> str:
    """The results as markdown tables: absolute figures and ratios against baselines."""
    cw, a1, a2, b = r["casework"], r["bare_nocb"], r["bare_cb"], r["table"]
    m = r["machine"]
    lines = [
        f"Machine: {m['nproc']} cores, Python {m['python']}, {m['machine']}, {m['cpu']}; "
        f"transitions {m['transitions']}, attrs {m['attrs']}; load average "
        f"{m['loadavg_start'][0]:.2f} at start, {m['loadavg_end'][0]:.2f} at end.",
        f"{r['cases']:,} cases x {r['ops_per_case']} operations (open + 20 commands).",
        "",
        "| measurement | µs per command | µs per case | ratio | target |",
        "|---|---:|---:|---|---|",
    ]

    def row(label: str, res: dict[str, Any], ratio: str, target: str = "") -> None:
        lines.append(
            f"| {label} | {res['us_per_op']:.2f} | {res['us_per_case']:.0f} | {ratio} | {target} |"
        )

    ok = cw["us_per_op"] <= 1.5 * a2["us_per_op"]
    row("casework (Engine, full standard path)", cw, "1.00 (reference)")
    row(
        "(a1) bare shared transitions, no callbacks",
        a1,
        f"casework / a1 = {cw['us_per_op'] / a1['us_per_op']:.2f}x",
    )
    row(
        "(a2) bare shared transitions, guards + audit callback",
        a2,
        f"casework / a2 = {cw['us_per_op'] / a2['us_per_op']:.2f}x",
        f"<= 1.5x: {'met' if ok else 'missed'}",
    )
    row("(b) plain-Python dict table", b, f"casework / b = {cw['us_per_op'] / b['us_per_op']:.2f}x")

    mem = r["memory"]
    mc, ma = mem["casework"]["bytes_per_case"], mem["attrs_records"]["bytes_per_case"]
    lines += [
        "",
        f"Memory retained per case (tracemalloc, {mem['cases']:,} cases, "
        f"{mem['casework']['events_per_case']} events each; shared inputs excluded):",
        "",
        "| what | bytes per case | ratio |",
        "|---|---:|---|",
        f"| casework Case + Event log | {mc:,.0f} | {mc / ma:.2f}x the attrs records |",
        f"| slotted attrs record + tuple events | {ma:,.0f} | 1.00 |",
        f"| casework, RSS delta at {cw['cases']:,} cases | {cw['rss_per_case_bytes']:,.0f} | "
        f"{cw['rss_per_case_bytes'] / max(b['rss_per_case_bytes'], 1):.2f}x the (b) records' "
        f"RSS delta ({b['rss_per_case_bytes']:,.0f}) |",
    ]

    rp = r["replay"]
    speed = rp["refire"]["seconds"] / rp["replay"]["seconds"]
    lines += [
        "",
        f"Rebuilding {rp['cases']:,} cases from their logs:",
        "",
        "| how | µs per event | µs per case | ratio | target |",
        "|---|---:|---:|---|---|",
        f"| `Case.replay` (apply events) | {rp['replay']['us_per_event']:.2f} | "
        f"{rp['replay']['us_per_case']:.0f} | {speed:.1f}x faster than re-firing | "
        f">= 5x: {'met' if speed >= 5 else 'missed'} |",
        f"| re-fire through `Engine.execute` | {rp['refire']['us_per_event']:.2f} | "
        f"{rp['refire']['us_per_case']:.0f} | 1.00 | |",
    ]

    opens = r["open"]
    first = opens[min(opens, key=int)]["us_per_case"]
    lines += [
        "",
        "Attaching the lifecycle: `engine.open` per case, all cases kept alive "
        "(contrast: `Machine.add_model` per case):",
        "",
        "| cases | engine.open µs per case | ratio to the smallest run | add_model µs per case |",
        "|---:|---:|---|---:|",
    ]
    flat = True
    for size, res in opens.items():
        ratio = res["us_per_case"] / first
        flat = flat and ratio < 1.5
        am = r["add_model"].get(size)
        lines.append(
            f"| {int(size):,} | {res['us_per_case']:.2f} | {ratio:.2f}x | {am['us_per_case']:.1f} |"
            if am
            else f"| {int(size):,} | {res['us_per_case']:.2f} | {ratio:.2f}x | (not run) |"
        )
    lines.append(f"\nConstant-time attach target: {'met' if flat else 'missed'}.")

    lg = r["logging"]
    base = lg["log_default"]["us_per_op"]
    lines += [
        "",
        f"Logging ({lg['log_default']['cases']:,} cases each; log output to os.devnull):",
        "",
        "| app configuration | µs per command | ratio | `transitions.core` effective level |",
        "|---|---:|---|---|",
    ]
    for key, label in (
        ("log_default", "no logging configured"),
        ("log_app_info", "`logging.basicConfig(level=INFO)`"),
        ("log_transitions_info", "basicConfig INFO + `getLogger('transitions').setLevel(INFO)`"),
    ):
        res = lg[key]
        lines.append(
            f"| {label} | {res['us_per_op']:.2f} | {res['us_per_op'] / base:.2f}x | "
            f"{res['transitions_effective_level']} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
