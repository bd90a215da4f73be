"""Code run in child processes by the concurrency and crash tests (importable by ``spawn``)."""

from __future__ import annotations

import os
from datetime import date, datetime
from typing import Any

from casework.events import Event
from casework.records import Client
from casework.store import ConflictError, SQLiteStore, Store

T0 = datetime(2023, 3, 6, 9, 0)
CLIENT = Client("c-1", "京京", date(2012, 6, 3), "male")


def open_spec(spec: tuple[Any, ...]) -> Store:
    """Open the store a backend spec names, in this process."""
    if spec[0] == "sqlite":
        return SQLiteStore(spec[1])
    from casework.store.postgres import PostgresStore

    return PostgresStore(spec[1], schema=spec[2])


def opening(case_id: str) -> Event:
    data = {"client": CLIENT, "worker": "wu", "programme": None, "lifecycle": "standard"}
    return Event(case_id, 1, "case_opened", T0, "wu", "referral", "open", data)


def note(case_id: str, seq: int, token: str) -> Event:
    return Event(case_id, seq, "noted", T0, "wu", "referral", "note", {"token": token})


def contend(  # noqa: PLR0917 - a process target takes its arguments positionally
    spec: tuple[Any, ...], me: int, shared: str, own: str, rounds: int, barrier: Any, out: Any
) -> None:
    """Each round: read the shared case's version, wait for everyone, then all append at once.

    Also append to this worker's own case each round (no one else writes it).  Reports the
    acknowledged ``(case, seq, token)`` and the number of conflicts on ``out``.
    """
    store = open_spec(spec)
    acked: list[tuple[str, int, str]] = []
    conflicts = own_conflicts = 0
    try:
        for r in range(rounds):
            v = store.summary(shared).version
            barrier.wait(timeout=30)
            token = f"{me}:{r}"
            try:
                store.append([note(shared, v + 1, token)], expected_version=v)
                acked.append((shared, v + 1, token))
            except ConflictError:
                conflicts += 1
            ov = store.summary(own).version
            try:
                store.append([note(own, ov + 1, token)], expected_version=ov)
                acked.append((own, ov + 1, token))
            except ConflictError:
                own_conflicts += 1
        out.put((me, acked, conflicts, own_conflicts, None))
    except BaseException as exc:  # report, so the test fails with the reason, not a timeout
        out.put((me, acked, conflicts, own_conflicts, repr(exc)))
    finally:
        store.close()


def write_until_killed(path: str, ack_path: str, cases: list[str], run: int) -> None:
    """Append to ``cases`` round-robin forever; after each append returns, log it to
    ``ack_path`` (one ``case seq token`` line per event).  Every third append is a batch of
    three events, to check that a batch is all there or not at all.
    """
    store = SQLiteStore(path)
    fd = os.open(ack_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    versions = {}
    for case_id in cases:
        try:
            versions[case_id] = store.summary(case_id).version
        except LookupError:
            store.append([opening(case_id)], expected_version=0)
            versions[case_id] = 1
    n = 0
    while True:
        for case_id in cases:
            v = versions[case_id]
            size = 3 if n % 3 == 0 else 1
            batch = [note(case_id, v + i + 1, f"{run}-{n}/{size}") for i in range(size)]
            store.append(batch, expected_version=v)
            versions[case_id] = v + size
            lines = "".join(f"{case_id} {e.seq} {e.payload['token']}\n" for e in batch)
            os.write(fd, lines.encode())
            n += 1


def retry_one_command(  # noqa: PLR0917 - a process target takes its arguments positionally
    spec: tuple[Any, ...], me: int, case_id: str, command_id: str, barrier: Any, out: Any
) -> None:
    """Everyone fires the same command (one command id) at once, reloading and retrying on a
    conflict as an app would; then appends an event under that id behind the engine's back.
    Reports ``(me, seq of the event the engine returned, what the raw append raised)``.
    """
    from casework.engine import Engine
    from casework.standard import STANDARD
    from casework.store import DuplicateCommandId

    store = open_spec(spec)
    try:
        engine = Engine(STANDARD, store=store)
        case = store.load(case_id)
        barrier.wait(timeout=30)
        for _ in range(20):
            try:
                event = engine.fire(
                    case, "transfer", at=T0, by="wu", to="li", reason="leave", command_id=command_id
                )
                break
            except ConflictError:  # another writer got there first: reload, retry
                case = store.load(case_id)
        else:
            raise AssertionError("no answer after 20 retries")
        v = store.summary(case_id).version
        barrier.wait(timeout=30)
        raw = Event(
            case_id, v + 1, "noted", T0, "wu", event.state, "note", {"command_id": command_id}
        )
        try:
            store.append([raw], expected_version=v)
            refused = None
        except DuplicateCommandId as exc:
            refused = ("duplicate", exc.seq)
        except ConflictError:
            refused = ("conflict", None)
        out.put((me, event.seq, refused, None))
    except BaseException as exc:
        out.put((me, None, None, repr(exc)))
    finally:
        store.close()
