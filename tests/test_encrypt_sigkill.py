"""A migration SIGKILLed at random moments leaves the old layout (all clear, all there) or the
new (all sealed, all there), never a mix nor an unreadable file; running it again finishes.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from casework.encryption import encrypt_store
from casework.engine import Engine
from casework.events import Event
from casework.keys import FileKeyStore
from casework.records import Client
from casework.standard import STANDARD
from casework.store import SQLiteStore

T0 = datetime(2024, 3, 4, 9)
CASES = 4000
SURNAME = "司马"
#: The child: opens the store with the key store beside it, says "go", encrypts, says "done".
CHILD = """
import sys
from casework.keys import FileKeyStore
from casework.store import SQLiteStore
path = sys.argv[1]
with SQLiteStore(path, keys=FileKeyStore.beside(path)) as store:
    print("go", flush=True)
    store.encrypt()
print("done", flush=True)
"""


def build(path: Path) -> None:
    """A clear store of many small cases, each a name and a reason naming the client."""
    with SQLiteStore(path) as store:
        store.db.execute("PRAGMA synchronous=OFF")  # building the fixture only
        engine = Engine(STANDARD, store=store)
        for i in range(CASES):
            who = Client(f"c-{i}", "某某", date(2010, 1, 1), "female", name=f"{SURNAME}{i}")
            case = engine.open(f"C-{i}", who, at=T0, by="wu", worker="wu")
            reason = f"{SURNAME}{i} moved"
            engine.transfer(case, "li", reason=reason, at=T0 + timedelta(hours=1), by="wu")


def state(path: Path) -> tuple[int, bool]:
    """(rows holding a sealed value, the store marked sealed), read from the raw file."""
    db = sqlite3.connect(path)
    try:
        sealed = db.execute("SELECT count(*) FROM events WHERE payload LIKE '%\"$sealed\"%'")
        mark = db.execute("SELECT value FROM casework_meta WHERE key = 'sealed'").fetchone()
        return sealed.fetchone()[0], mark is not None and mark[0] == "1"
    finally:
        db.close()


def events(path: Path) -> list[Event]:
    with SQLiteStore(path, keys=FileKeyStore.beside(path)) as store:
        return list(store.stream())


def copy(template: Path, folder: Path) -> Path:
    folder.mkdir()
    shutil.copy(template, folder / template.name)
    return folder / template.name


def start(path: Path) -> tuple[subprocess.Popen[str], float]:
    """The child migrating ``path``, and the time it said "go"."""
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    line = child.stdout.readline()
    assert line == "go\n", child.stderr.read() if child.stderr else line
    return child, time.monotonic()


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "station.db"
    build(path)
    return path


def test_a_sigkilled_migration_leaves_the_old_layout_or_the_new(
    template: Path, tmp_path: Path
) -> None:
    reference = events(template)  # read in clear, before any migration
    assert len(reference) == 2 * CASES and state(template) == (0, False)
    # a full run, to know how long one takes here
    full = copy(template, tmp_path / "full")
    child, began = start(full)
    assert child.stdout is not None and child.stdout.readline() == "done\n"
    took = time.monotonic() - began
    assert child.wait() == 0
    assert state(full) == (len(reference), True)
    rng = random.Random()
    delays = sorted(rng.uniform(0.0, took * 1.2) for _ in range(4))
    for n, delay in enumerate(delays):
        path = copy(template, tmp_path / f"kill-{n}")
        child, began = start(path)
        time.sleep(max(0.0, began + delay - time.monotonic()))
        child.send_signal(signal.SIGKILL)
        child.wait()
        where = f"killed {delay:.3f} s into a {took:.3f} s migration"
        found = state(path)
        assert found in {(0, False), (len(reference), True)}, f"{where}: a mix, {found}"
        assert events(path) == reference, f"{where}: the events changed"
        done = encrypt_store(path)  # run again: it finishes
        assert done.clean and state(path) == (len(reference), True), where
        assert done.sealed + done.already == len(reference), where
        assert events(path) == reference, where
        for name in os.listdir(path.parent):
            if not name.endswith(".keys"):
                raw = (path.parent / name).read_bytes()
                assert SURNAME.encode() not in raw, f"{where}: {name} keeps a name"
