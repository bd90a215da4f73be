"""Benchmark the reporting read side against a pandas groupby over the same events.

Run from the repository root with the project's venv active::

    python bench/bench_indicators.py                   # 100,000 cases, 20,000 activities
    python bench/bench_indicators.py --cases 2000 --activities 400   # quick run

Workload (generated once, cached in ``bench/results/indicators-<cases>-<activities>.sqlite``,
reused by later runs): cases of the standard lifecycle written directly as events of valid
shape (``store.append``, one case per call), opened through 2023 (seeded random): 70 % run to
closure with 2-10 held sessions (and the odd no-show), 10 % are withdrawn, 5 % screened out,
the rest stop in an open state; a station journal with 2 projects, 2 teams, 209 volunteers and
the activities (free clinics, haircuts, health talks, group sessions: 5-150 participants, 0-4
volunteers with 1-4 hours each), appended 1,000 events per call.

Both sides compute, for the calendar year 2023 (and check that their answers agree):

* cases opened, closed (distinct cases entering ``closed``), withdrawn; cases by state at the
  year's end; held sessions per case and in all; person-times (held sessions + activity
  participants); volunteer hours by team; mean / median / quartiles of days in each open
  state (as of the year's end); the monthly series of opened, closed, sessions, activities,
  participants, person-times and volunteer hours.

* **casework**: ``Dataset.from_store(store)`` (one pass over ``store.stream()``: decode with
  the codec, replay every case and the journal), then the indicator functions
  (``case_flow``, ``cases_by_state``, ``sessions_per_case``, ``person_times``,
  ``volunteer_hours``, ``time_in_state``, ``monthly``).
* **pandas**: ``sqlite3`` select of the same JSON rows, ``json.loads`` of each, flattened into
  one DataFrame (one row per event: case, seq, type, time, state, session status and time;
  activities and volunteer hours in two small frames), then ``groupby`` / ``shift`` / ``cut``
  computations of the same figures.

Times are wall-clock seconds (``time.perf_counter``), one run, load and compute separately.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sqlite3
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from casework import STANDARD, Client, SessionPlan, SessionRecord
from casework.events import Event
from casework.journal import JOURNAL_STATE, Journal
from casework.reporting import (
    Activity,
    Dataset,
    Period,
    PlannedOutputs,
    Project,
    Volunteer,
    VolunteerHours,
    VolunteerTeam,
    case_flow,
    cases_by_state,
    monthly,
    person_times,
    sessions_per_case,
    time_in_state,
    volunteer_hours,
)
from casework.store import SQLiteStore

RESULTS = Path(__file__).resolve().parent / "results"
YEAR = Period.year(2023)
YEAR_END = datetime(2023, 12, 31, 23, 59, 59, 999999)
PATH = ("screening", "intake", "assessment", "planning", "intervention", "evaluation", "closed")
EVENT = {
    "screening": "screening_started",
    "intake": "admitted",
    "assessment": "assessment_started",
    "planning": "planning_started",
    "intervention": "intervention_started",
    "evaluation": "evaluation_started",
    "closed": "closed",
    "withdrawn": "withdrawn",
    "screened_out": "screened_out",
}
KINDS = ("free_clinic", "free_haircut", "health_consultation", "group_session")


# --- generating the workload ---------------------------------------------------------------


def case_events(i: int, rng: random.Random) -> list[Event]:
    case_id = f"C{i:07d}"
    when = datetime(2023, 1, 1, 8) + timedelta(minutes=rng.randrange(0, 330 * 24 * 60))
    client = Client(f"{case_id}-c", f"P{i}", date(2012, 1, 1) + timedelta(days=i % 3000))
    opened = {"client": client, "programme": rng.choice(("p1", "p2")), "lifecycle": STANDARD.id}
    events = [Event(case_id, 1, "case_opened", when, "sw", "referral", "open", opened)]

    def add(kind: str, state: str, payload: dict[str, Any] | None = None) -> None:
        events.append(Event(case_id, len(events) + 1, kind, when, "sw", state, kind, payload or {}))

    fate = rng.random()
    stop = len(PATH) if fate < 0.70 else rng.randrange(0, len(PATH) - 1)
    for k, state in enumerate(PATH[:stop]):
        when += timedelta(hours=rng.randrange(12, 24 * 12))
        if state == "screening" and 0.70 <= fate < 0.75:
            add("screened_out", "screened_out", {"reason": "not eligible"})
            return events
        add(EVENT[state], state, {"reason": "done"} if state == "closed" else None)
        if state == "planning":
            add("plan_set", "planning", {"plan": SessionPlan(sessions=10)})
        if state == "intervention":
            for n in range(1, rng.randrange(2, 11) + 1):
                when += timedelta(days=rng.randrange(3, 10))
                status = "no_show" if rng.random() < 0.05 else "held"
                record = (
                    SessionRecord(n, held_at=when)
                    if status == "held"
                    else SessionRecord(n, status, scheduled_at=when)
                )
                add("session_recorded", "intervention", {"session": record})
        if k == stop - 1 and stop < len(PATH) and 0.75 <= fate < 0.85:
            when += timedelta(days=rng.randrange(1, 20))
            add("withdrawn", "withdrawn", {"reason": "moved"})
    return events


def journal_events(n_activities: int, rng: random.Random) -> list[Event]:
    t0 = datetime(2022, 12, 1, 9)
    j = Journal.open("station", station="石桥镇社工站", at=t0, by="admin")
    for p in ("p1", "p2"):
        j.record(
            "project_registered",
            at=t0,
            by="admin",
            project=Project(
                p,
                p,
                "child_care",
                date(2023, 1, 1),
                date(2023, 12, 31),
                (),
                PlannedOutputs(cases=100),
            ),
        )
    for t in ("t1", "t2"):
        j.record("team_registered", at=t0, by="admin", team=VolunteerTeam(t, t))
    for v in range(209):
        j.record(
            "volunteer_registered",
            at=t0,
            by="admin",
            volunteer=Volunteer(f"v{v:03d}", ("t1", "t2")[v % 2]),
        )
    days = sorted(rng.randrange(0, 365) for _ in range(n_activities))
    for k, day in enumerate(days):
        chosen = rng.sample(range(209), rng.randrange(0, 5))
        activity = Activity(
            f"a{k:06d}",
            rng.choice(KINDS),
            date(2023, 1, 1) + timedelta(days=day),
            "activity",
            "village",
            rng.randrange(5, 151),
            rng.choice(("p1", "p2")),
            [VolunteerHours(f"v{v:03d}", rng.randrange(1, 5)) for v in chosen],
        )
        j.record(
            "activity_recorded",
            at=datetime(2023, 1, 1, 9) + timedelta(days=day),
            by="admin",
            activity=activity,
        )
    assert all(e.state == JOURNAL_STATE for e in j.history)
    return j.history


def build(path: Path, n_cases: int, n_activities: int) -> None:
    rng = random.Random(20231231)
    tmp = path.with_suffix(".partial")
    for suffix in ("", "-wal", "-shm"):
        Path(f"{tmp}{suffix}").unlink(missing_ok=True)
    started = time.perf_counter()
    with SQLiteStore(tmp) as store:
        events = journal_events(n_activities, rng)
        for k in range(0, len(events), 1000):
            store.append(events[k : k + 1000], expected_version=k)
        for i in range(n_cases):
            store.append(case_events(i, rng), expected_version=0)
            if i and i % 10000 == 0:
                print(
                    f"  {i:,} cases written ({time.perf_counter() - started:.0f} s)",
                    file=sys.stderr,
                )
    os.replace(tmp, path)
    print(f"built {path.name} in {time.perf_counter() - started:.0f} s", file=sys.stderr)


# --- casework -------------------------------------------------------------------------------


def figures(ds: Dataset) -> dict[str, Any]:
    """The twelve outputs for 2023 from any dataset (replayed, or read from a projection)."""
    flow = {r["measure"]: r["cases"] for r in case_flow(ds, YEAR).rows}
    states = {r["state"]: r["cases"] for r in cases_by_state(ds, YEAR_END).rows if r["cases"]}
    per_case = sessions_per_case(ds, YEAR)
    times = time_in_state(ds, YEAR_END)
    series = monthly(ds, YEAR)
    return {
        "opened": flow["opened"],
        "closed": flow["closed"],
        "withdrawn": flow["withdrawn"],
        "states": states,
        "sessions": per_case.row(case_id=None)["sessions_held"],
        "max_sessions_per_case": max(r["sessions_held"] for r in per_case.rows if r["case_id"]),
        "person_times": person_times(ds, YEAR).row(source="total")["person_times"],
        "hours_by_team": {
            r["team"]: r["hours"]
            for r in volunteer_hours(ds, YEAR, by="team").rows
            if r["team"] != "total"
        },
        "median_days": {r["state"]: round(r["median_days"], 6) for r in times.rows},
        "mean_days": {r["state"]: round(r["mean_days"], 6) for r in times.rows},
        "monthly_sessions": series.column("sessions"),
        "monthly_person_times": series.column("person_times"),
    }


def casework_side(path: Path) -> tuple[dict[str, Any], float, float]:
    started = time.perf_counter()
    with SQLiteStore(path) as store:
        ds = Dataset.from_store(store)
    loaded = time.perf_counter()
    out = figures(ds)
    return out, loaded - started, time.perf_counter() - loaded


# --- pandas ---------------------------------------------------------------------------------


def _raw_events(db: sqlite3.Connection) -> Any:
    """(case, seq, type, at, state, payload dict) of every event, in commit order, with
    ``json.loads``: from one JSON column (``data``) or from one column per field, whichever
    layout the store file has.
    """
    columns = {row[1] for row in db.execute("PRAGMA table_info(events)")}
    if "data" in columns:
        for (text,) in db.execute("SELECT data FROM events ORDER BY gid"):
            e = json.loads(text)
            yield e["case_id"], e["seq"], e["type"], e["at"], e["state"], e["payload"]
        return
    sql = "SELECT case_id, seq, type, at, state, payload FROM events ORDER BY gid"
    for case_id, seq, kind, at, state, payload in db.execute(sql):
        yield case_id, seq, kind, at, state, json.loads(payload) if payload else {}


def pandas_side(path: Path) -> tuple[dict[str, Any], float, float]:
    import pandas as pd

    started = time.perf_counter()
    db = sqlite3.connect(path)
    rows: list[tuple[Any, ...]] = []
    acts: list[tuple[Any, ...]] = []
    vols: list[tuple[Any, ...]] = []
    teams: dict[str, str] = {}
    for case_id, seq, kind, at, state, p in _raw_events(db):
        held_at = None
        if kind == "session_recorded" and p["session"]["status"] == "held":
            held_at = p["session"]["held_at"]
        elif kind == "activity_recorded":
            a = p["activity"]
            acts.append((a["id"], a["on"], a["kind"], a["participants"]))
            vols += [(a["on"], v["volunteer"], v["hours"]) for v in a["volunteers"]]
        elif kind == "volunteer_registered":
            teams[p["volunteer"]["id"]] = p["volunteer"]["team"]
        rows.append((case_id, seq, kind, at, state, held_at))
    db.close()
    ev = pd.DataFrame(rows, columns=["case_id", "seq", "type", "at", "state", "held_at"])
    ev["at"] = pd.to_datetime(ev["at"], format="ISO8601")
    ev["held_at"] = pd.to_datetime(ev["held_at"], format="ISO8601")
    act = pd.DataFrame(acts, columns=["id", "on", "kind", "participants"])
    act["on"] = pd.to_datetime(act["on"])
    vol = pd.DataFrame(vols, columns=["on", "volunteer", "hours"])
    vol["on"] = pd.to_datetime(vol["on"])
    loaded = time.perf_counter()

    ev = ev[ev["state"] != "journal"].sort_values(["case_id", "seq"])
    lo, hi = pd.Timestamp(YEAR.start_at), pd.Timestamp(YEAR.end_at)
    in_year = (ev["at"] >= lo) & (ev["at"] < hi)
    entered = ev["state"] != ev.groupby("case_id")["state"].shift()
    opened = int((in_year & (ev["type"] == "case_opened")).sum())
    entries = ev[entered & in_year]
    closed = entries.loc[entries["state"] == "closed", "case_id"].nunique()
    withdrawn = entries.loc[entries["state"] == "withdrawn", "case_id"].nunique()
    at_end = ev[ev["at"] <= pd.Timestamp(YEAR_END)].groupby("case_id")["state"].last()
    states = at_end.value_counts().to_dict()
    held = ev[(ev["held_at"] >= lo) & (ev["held_at"] < hi)]
    per_case = held.groupby("case_id").size()
    act_year = act[(act["on"] >= lo) & (act["on"] < hi)]
    vol_year = vol[(vol["on"] >= lo) & (vol["on"] < hi)].copy()
    vol_year["team"] = vol_year["volunteer"].map(teams)
    hours_by_team = vol_year.groupby("team")["hours"].sum().round(6).to_dict()
    # time in state: each event's time until the next event of the case (or the year's end)
    upto = ev[ev["at"] <= pd.Timestamp(YEAR_END)].copy()
    nxt = upto.groupby("case_id")["at"].shift(-1).fillna(pd.Timestamp(YEAR_END))
    upto["days"] = (nxt - upto["at"]) / pd.Timedelta(days=1)
    per_state = upto.groupby(["case_id", "state"])["days"].sum().reset_index()
    open_states = [s.name for s in STANDARD.states if s.category.value == "open"]
    per_state = per_state[per_state["state"].isin(open_states)]
    stats = per_state.groupby("state")["days"].agg(["mean", "median"])
    month = held["held_at"].dt.to_period("M")
    sessions_by_month = (
        held.groupby(month)
        .size()
        .reindex(pd.period_range("2023-01", "2023-12", freq="M"), fill_value=0)
    )
    part_by_month = act_year.groupby(act_year["on"].dt.to_period("M"))["participants"].sum()
    part_by_month = part_by_month.reindex(sessions_by_month.index, fill_value=0)
    out = {
        "opened": opened,
        "closed": int(closed),
        "withdrawn": int(withdrawn),
        "states": {k: int(v) for k, v in states.items()},
        "sessions": len(held),
        "max_sessions_per_case": int(per_case.max()),
        "person_times": int(len(held) + act_year["participants"].sum()),
        "hours_by_team": {k: float(v) for k, v in hours_by_team.items()},
        "median_days": {k: round(float(v), 6) for k, v in stats["median"].items()},
        "mean_days": {k: round(float(v), 6) for k, v in stats["mean"].items()},
        "monthly_sessions": [int(v) for v in sessions_by_month],
        "monthly_person_times": [
            int(a + b) for a, b in zip(sessions_by_month, part_by_month, strict=True)
        ],
    }
    return out, loaded - started, time.perf_counter() - loaded


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--activities", type=int, default=20_000)
    args = parser.parse_args()
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"indicators-{args.cases}-{args.activities}.sqlite"
    if not path.exists():
        build(path, args.cases, args.activities)
    with sqlite3.connect(path) as db:
        n_events = db.execute("SELECT count(*) FROM events").fetchone()[0]
    ours, our_load, our_compute = casework_side(path)
    theirs, pd_load, pd_compute = pandas_side(path)
    diffs = {k: (ours[k], theirs[k]) for k in ours if ours[k] != theirs[k]}
    print(f"machine: {platform.platform()}, {os.cpu_count()} cores")
    print(f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}")
    print(f"workload: {args.cases:,} cases, {args.activities:,} activities, {n_events:,} events")
    print(f"{'side':<10}{'load s':>10}{'compute s':>12}{'total s':>10}")
    for name, load, compute in (
        ("casework", our_load, our_compute),
        ("pandas", pd_load, pd_compute),
    ):
        print(f"{name:<10}{load:>10.2f}{compute:>12.2f}{load + compute:>10.2f}")
    print("answers agree" if not diffs else f"answers DIFFER: {diffs}")
    print(
        f"2023: opened {ours['opened']:,}, closed {ours['closed']:,}, "
        f"sessions {ours['sessions']:,}, person-times {ours['person_times']:,}"
    )
    return 0 if not diffs else 1


if __name__ == "__main__":
    sys.exit(main())
