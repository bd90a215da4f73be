"""Encrypting a store written in clear, in place: each clear row sealed as a sealed append
would have written it (the same :class:`~casework.serialize._sealed.PayloadSealer`).

The SQL stores call :class:`RowSealer` inside one transaction of their own
(:meth:`SQLiteStore.encrypt <casework.store.SQLiteStore.encrypt>`); this module holds what
they share: which rows are clear, the subjects whose keys they need (made in one durable
write before any row uses them), and each row's sealed columns.

.. versionadded:: 0.2
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

import attrs

from casework.keys import KeyStore, SubjectErased, keys_for, new_key
from casework.serialize import SchemaTooNew
from casework.serialize._sealed import SEALED, PayloadSealer
from casework.store.errors import CorruptRecord, StoreError

if TYPE_CHECKING:
    from casework.store._shared import BaseStore

__all__ = [
    "Encrypted",
    "KeysRequired",
    "RowSealer",
    "StoreRow",
    "is_sealed",
]

#: A stored row as the migration reads it: global number, case id, number, then the
#: :data:`~casework.store._shared.ROW_COLUMNS` (``v, type, at, actor, state, trigger,
#: payload``).
StoreRow = tuple[Any, str, int, Any, Any, Any, Any, Any, Any, Any]
#: A row's new columns: ``v, type, at, actor, state, trigger, payload``.
NewColumns = tuple[Any, Any, Any, Any, Any, Any, Any]


class KeysRequired(StoreError):
    """The operation needs the store's key store (encrypting it, or appending to a store
    whose every row is sealed: a row written without keys would hold names in clear).
    """


@attrs.frozen
class Encrypted:
    """What encrypting a store did.

    ``sealed``: rows sealed now; ``already``: rows found sealed (written by appends with
    keys, or by an earlier run); ``clear``: rows with nothing personal, left as they were;
    ``subjects``: data subjects whose keys seal the rows (``new_keys`` of them made now);
    ``erased``: subjects whose key was destroyed before, whose clear rows are now sealed
    under a key that is thrown away (they read as erased); ``clean``: the free pages and
    the write-ahead log were cleared (False when another connection kept the log in use:
    run it again once that is closed); ``unreadable``: rows (case id, number) that cannot
    be decoded (a corrupt record kept whole by the layout-1 migration): left as they were,
    and still reported as corrupt when read; ``dropped``: the read side's projection tables
    kept in the store (their personal columns held names in clear), dropped in the same
    transaction: a projection rebuilds them from the log when next used.
    """

    sealed: int
    already: int
    clear: int
    subjects: int
    new_keys: int
    erased: tuple[str, ...]
    clean: bool
    unreadable: tuple[tuple[str, int], ...] = ()
    dropped: tuple[str, ...] = ()

    def __str__(self) -> str:
        erased = f", {len(self.erased)} erased subject(s) shredded" if self.erased else ""
        bad = f"; {len(self.unreadable)} unreadable row(s) left as they were" * bool(
            self.unreadable
        )
        gone = f"; {len(self.dropped)} projection table(s) dropped" * bool(self.dropped)
        return (
            f"{self.sealed} row(s) sealed, {self.already} already sealed, {self.clear} with "
            f"nothing personal; {self.subjects} subject(s), {self.new_keys} new key(s)"
            f"{erased}{bad}{gone}"
        )


def is_sealed(data: Any) -> bool:
    """True when JSON-shaped ``data`` holds a sealed value anywhere."""
    kind = type(data)
    if kind is list:
        return any(is_sealed(v) for v in data)
    if kind is not dict:
        return False
    return SEALED in data or any(is_sealed(v) for v in data.values())


#: The key a probing pass seals with (what it seals is thrown away).
_STAND_IN = bytes(32)


class _Keys:
    """The key store a migration's sealer sees.

    Probing (``known`` None), it records each subject asked for and answers a stand-in key
    (what is sealed then is thrown away); sealing, it answers the keys made in bulk.  An
    erased subject gets a fresh key that is never kept, so their clear values are shredded.
    """

    def __init__(self, keys: KeyStore, known: Mapping[str, bytes] | None) -> None:
        self.keys = keys
        self.known = known
        self.asked: set[str] = set()
        self.erased: dict[str, bytes] = {}

    def get(self, subject: str) -> bytes | None:
        return self.keys.get(subject)

    def get_or_create(self, subject: str) -> bytes:
        if subject in self.erased:
            return self.erased[subject]
        if self.known is not None and subject in self.known:
            return self.known[subject]
        if self.known is None and subject in self.asked:
            return _STAND_IN
        if self.keys.destroyed(subject):
            self.erased[subject] = key = new_key()
            return key
        if self.known is None:
            self.asked.add(subject)
            return _STAND_IN
        return self.keys.get_or_create(subject)  # not seen while probing: made one by one

    def destroy(self, subject: str) -> bool:  # pragma: no cover - never called by a sealer
        raise SubjectErased(subject)

    def destroyed(self, subject: str) -> bool:
        return self.keys.destroyed(subject)

    def subjects(self) -> list[str]:  # pragma: no cover - never called by a sealer
        return self.keys.subjects()


class RowSealer:
    """Seals the clear rows of ``store`` (opened with its key store): :meth:`probe` every
    row, :meth:`make_keys`, then :meth:`seal` every row again, all in one transaction.
    """

    def __init__(self, store: BaseStore) -> None:
        if store.keys is None:
            raise KeysRequired(
                "encrypting a store needs its key store: open it with keys= (a new "
                "FileKeyStore.beside(path) makes the file)"
            )
        self.store = store
        self.keys: KeyStore = store.keys
        self._probe = _Keys(self.keys, None)
        self._sealer: _Keys | None = None
        self.sealed = self.already = self.clear = 0
        self.unreadable: list[tuple[str, int]] = []

    def _payload_sealer(self, keys: _Keys) -> PayloadSealer:
        return PayloadSealer(keys, self.store.codec.types, self.store._subject_of)

    def probe(self, rows: Iterable[StoreRow]) -> None:
        """Note the subjects whose keys sealing ``rows`` needs (pass one)."""
        sealer = self._payload_sealer(self._probe)
        self._run(rows, sealer, count=False)

    def make_keys(self) -> int:
        """Make (durably, in one write where the key store can) every key pass one named;
        the number made.
        """
        before = set(self.keys.subjects())
        made = keys_for(self.keys, self._probe.asked) if self._probe.asked else {}
        self._sealer = _Keys(self.keys, made)
        self._sealer.erased = self._probe.erased  # one throwaway key per erased subject
        self._payload = self._payload_sealer(self._sealer)
        return len(set(made) - before)

    def seal(self, rows: Iterable[StoreRow]) -> list[tuple[NewColumns, Any]]:
        """The new columns and global number of each row of ``rows`` that must change."""
        if self._sealer is None:
            raise RuntimeError("make_keys() comes before seal()")  # pragma: no cover
        return self._run(rows, self._payload, count=True)

    def run(
        self,
        pages: Callable[[], Iterable[list[StoreRow]]],
        update: Callable[[list[tuple[Any, ...]]], object],
        total: int,
        progress: Callable[[int, int], None] | None = None,
    ) -> int:
        """Both passes inside the caller's transaction: probe every page of ``pages()``, make
        the keys, then seal every page again and ``update`` the rows that change (each a row's
        new columns, then its global number); the number of keys made.
        """
        for page in pages():
            self.probe(page)
        new_keys = self.make_keys()  # durable before the commit that uses them
        done = 0
        for page in pages():
            changed = self.seal(page)
            if changed:
                update([(*columns, gid) for columns, gid in changed])
            done += len(page)
            if progress is not None:
                progress(done, total)
        return new_keys

    def result(self, new_keys: int, *, clean: bool, dropped: Iterable[str] = ()) -> Encrypted:
        """What the run did."""
        return Encrypted(
            sealed=self.sealed,
            already=self.already,
            clear=self.clear,
            subjects=self.subjects,
            new_keys=new_keys,
            erased=self.erased,
            clean=clean,
            unreadable=tuple(self.unreadable),
            dropped=tuple(dropped),
        )

    @property
    def subjects(self) -> int:
        """The subjects whose keys the sealed rows use (erased ones apart)."""
        return len(self._probe.asked)

    @property
    def erased(self) -> tuple[str, ...]:
        """Erased subjects with clear rows, now sealed under a thrown-away key."""
        return tuple(sorted(self._probe.erased))

    def _run(
        self, rows: Iterable[StoreRow], sealer: PayloadSealer, *, count: bool
    ) -> list[tuple[NewColumns, Any]]:
        out: list[tuple[NewColumns, Any]] = []
        codec = self.store.codec
        json = codec.json
        for gid, case_id, seq, v, type_, at, actor, state, trigger, payload in rows:
            if type_ is None:  # a record row (layout 1): rewritten as the row an append writes
                if (
                    payload is not None
                    and SEALED in str(payload)
                    and is_sealed(_loads(json.loads, payload))
                ):
                    self.already += count
                    continue
                try:
                    event = self.store._decode(case_id, seq, payload)
                except (CorruptRecord, SchemaTooNew):
                    if count:
                        self.unreadable.append((case_id, seq))
                    continue
                new = codec.sealed(sealer).event_to_row(event)
                out.append((new, gid))
                self.sealed += count
                continue
            if payload is None:
                self.clear += count
                continue
            data = _loads(json.loads, payload)
            if type(data) is not dict:  # reported as corrupt when read: left as it is
                if count:
                    self.unreadable.append((case_id, seq))
                continue
            if SEALED in payload and is_sealed(data):
                self.already += count
                continue
            sealed = sealer.seal(case_id, type_, data)
            if sealed == data:
                self.clear += count
                continue
            out.append(((v, type_, at, actor, state, trigger, json.dumps(sealed)), gid))
            self.sealed += count
        return out


def _loads(loads: Callable[[Any], Any], text: Any) -> Any:
    try:
        return loads(text)
    except ValueError:
        return None
