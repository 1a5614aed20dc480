"""The run history: every training run, from the window or `mlpgui train`, kept in one SQLite file.

`RunStore` is the database `runs.sqlite3` in the data folder (`paths.data_dir()`),
with each run's model beside it as `models/run-<id>.npz`. A run is a row of
`runs` (its config as JSON, data source, times, status, final metrics, note,
sweep id, soft-delete flag) with its epochs in `epochs` and its tags in `tags`.
`RunRecorder` is what a training loop holds: it starts the run, records each
epoch, finishes it, and never raises once built, so a broken store costs the
history, never the training. (It commits at most every quarter second; see
its docstring for why.)

Durability and sharing, as several windows and command lines may record at once:
- WAL journal with synchronous=NORMAL: a process killed at any point (kill -9)
  leaves every committed epoch; a power cut may lose the last few commits but
  never corrupts the file. Readers never block the writer.
- Every write is one short `BEGIN IMMEDIATE` transaction (an epoch, or the
  epochs of the last quarter second, is an insert and an update), and the busy timeout (`BUSY_TIMEOUT`) makes a writer
  wait its turn instead of failing.
- A run says which process records it (host name, pid, and the process's start
  time from /proc, which tells a reused pid apart). Opening the store marks the
  "running" runs of this host whose process is gone as "interrupted".
- The schema has a version (`schema_version`) and one migration per version
  (`MIGRATIONS`), applied in order inside one transaction, from version 1 on.

Every failure reaches the caller as `RunStoreError` with a one-line message
(damaged file, locked, unwritable folder, unknown run).
"""

from __future__ import annotations

import csv
import errno
import json
import math
import os
import secrets
import socket
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from .config import TrainConfig, validate
from .errors import MlpguiError, ModelFileError
from .network import Network
from .paths import data_dir
from .training import EpochReport

STATUSES = ("running", "finished", "stopped", "diverged", "failed", "interrupted")
FILE_NAME = "runs.sqlite3"
MODELS_FOLDER = "models"
BUSY_TIMEOUT = 5.0  # seconds a write waits for another process's transaction to end
DEFAULT_DATA_SOURCE = "MNIST (shipped)"
SOURCES = ("window", "cli")
MAX_TAG = 100  # characters
MAX_NOTE = 10_000
# The per-epoch values an export writes, one row each (the long format: run, epoch, metric, value).
EXPORT_METRICS = ("loss", "train_accuracy", "test_loss", "test_accuracy", "elapsed")

# MIGRATIONS[v] takes the schema from version v to v + 1; a new file runs them all.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    # version 1: runs and their epochs
    (
        "CREATE TABLE schema_version (version INTEGER NOT NULL)",
        "INSERT INTO schema_version VALUES (0)",
        """CREATE TABLE runs (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            started TEXT NOT NULL,
            ended TEXT,
            updated TEXT NOT NULL,
            status TEXT NOT NULL,
            config TEXT NOT NULL,
            data_source TEXT NOT NULL,
            source TEXT NOT NULL,
            host TEXT NOT NULL,
            pid INTEGER NOT NULL,
            pid_started INTEGER,
            epochs_done INTEGER NOT NULL DEFAULT 0,
            final_loss REAL,
            final_train_accuracy REAL,
            final_test_loss REAL,
            final_test_accuracy REAL
        )""",
        """CREATE TABLE epochs (
            run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
            epoch INTEGER NOT NULL,
            planned INTEGER NOT NULL,
            loss REAL,
            train_accuracy REAL,
            elapsed REAL,
            test_loss REAL,
            test_accuracy REAL,
            PRIMARY KEY (run_id, epoch)
        ) WITHOUT ROWID""",
        "CREATE INDEX runs_by_status ON runs (status)",
    ),
    # version 2: tags, a note, sweeps, soft delete (undo in the window), and the trainer's thread count
    (
        "ALTER TABLE runs ADD COLUMN note TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE runs ADD COLUMN sweep_id TEXT",
        "ALTER TABLE runs ADD COLUMN deleted INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE runs ADD COLUMN threads INTEGER",
        """CREATE TABLE tags (
            run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
            tag TEXT NOT NULL,
            PRIMARY KEY (run_id, tag)
        ) WITHOUT ROWID""",
        "CREATE INDEX tags_by_tag ON tags (tag)",
        "CREATE INDEX runs_by_sweep ON runs (sweep_id)",
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)


class RunStoreError(MlpguiError):
    """The run history can't be used (damaged, locked, unwritable) or has no such run; one line."""


class ModelNotKept(RunStoreError):
    """A run's end was recorded, but its model file could not be written."""


@dataclass(frozen=True)
class RunRecord:
    """One run as the history lists it. Times are timezone-aware (UTC)."""

    id: int
    name: str  # "run 12"
    started: datetime
    ended: datetime | None
    status: str  # one of STATUSES
    config: TrainConfig
    data_source: str
    source: str  # "window" or "cli"
    epochs_done: int
    final_loss: float | None  # of the last recorded epoch
    final_train_accuracy: float | None
    final_test_loss: float | None  # measured at the end, or the last epoch that measured it
    final_test_accuracy: float | None
    tags: tuple[str, ...]
    note: str
    sweep_id: str | None
    model_path: Path | None  # the run's model file, when it exists
    # Threads the trainer ran on (None: not recorded). The same config on the same number of
    # threads repeats a run bit for bit; another count sums in another order.
    threads: int | None = None


# -- which process records a run ------------------------------------------------------


def process_start(pid: int) -> int | None:
    """The start time of process `pid` (clock ticks after boot, from /proc); None if gone or a zombie."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            data = f.read()
    except OSError:
        return None
    # Field 2, the command name, is in parentheses and may hold spaces or ')': split after the last ')'.
    fields = data[data.rindex(b")") + 2 :].split()
    if fields[0] in (b"Z", b"X"):  # exited, not yet reaped
        return None
    return int(fields[19])  # field 22, starttime


def process_alive(pid: int, started: int | None) -> bool:
    """Whether the process that had `pid` and start time `started` is still running (on this host)."""
    if os.path.isdir("/proc/self"):
        now = process_start(pid)
        return now is not None and (started is None or now == started)
    try:  # no /proc: the pid alone says it
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


_HOST = socket.gethostname()


# -- helpers -----------------------------------------------------------------------


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def _time(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def _number(value) -> float | None:
    """A value for a REAL column: None for missing or non-finite (SQLite would store NaN as NULL anyway)."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _os_reason(exc: OSError) -> str:
    if isinstance(exc, PermissionError) or exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return "permission denied"
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return "the disk is full"
    if exc.errno in (errno.ENOTDIR, errno.EEXIST):
        return "a file is in the way"
    return exc.strerror or str(exc)


def _store_error(exc: sqlite3.Error, path: Path) -> RunStoreError:
    """One line for the user from an sqlite3 error."""
    name = getattr(exc, "sqlite_errorname", "") or ""
    text = " ".join(str(exc).split())
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "locked" in text:
        return RunStoreError(f"the run history {path} is locked by another program")
    if name.startswith(("SQLITE_NOTADB", "SQLITE_CORRUPT")):
        return RunStoreError(f"the run history {path} is damaged ({text}); move it aside to start a new one")
    if name.startswith("SQLITE_FULL"):
        return RunStoreError(f"can't write the run history {path}: the disk is full")
    if name.startswith(("SQLITE_READONLY", "SQLITE_PERM")):
        return RunStoreError(f"can't write the run history {path}: permission denied ({text})")
    if name.startswith("SQLITE_CANTOPEN"):
        why = "a folder is in the way" if path.is_dir() else text
        return RunStoreError(f"can't open the run history {path}: {why}")
    return RunStoreError(f"the run history {path} can't be used: {text}")


def clean_tags(tags: Iterable[str]) -> tuple[str, ...]:
    """Tags stripped of surrounding space, without repeats, in the order given; RunStoreError on a bad one.

    A tag is one word (no spaces or commas), at most MAX_TAG characters.
    """
    if isinstance(tags, str):
        tags = (tags,)
    result: list[str] = []
    for tag in tags:
        if not isinstance(tag, str):
            raise RunStoreError(f"a tag is text, not {tag!r}")
        tag = tag.strip()
        if not tag:
            raise RunStoreError("a tag can't be empty")
        if len(tag) > MAX_TAG:
            raise RunStoreError(f"a tag is at most {MAX_TAG} characters (got {len(tag)})")
        # One word, so that lists of tags (comma-joined) and the command line's tables stay unambiguous.
        if any(ch.isspace() or ch == "," or not ch.isprintable() for ch in tag):
            raise RunStoreError(f"a tag is one word, without spaces or commas: {tag!r}")
        if tag not in result:
            result.append(tag)
    return tuple(result)


# -- the store ----------------------------------------------------------------------


class RunStore:
    """The run history in `<folder>/runs.sqlite3`; one connection, usable from any thread (a lock guards it)."""

    def __init__(self, connection: sqlite3.Connection, path: Path):
        self._db = connection
        self._lock = threading.RLock()
        self.path = path

    @classmethod
    def open(cls, folder: Path | str | None = None, *, timeout: float = BUSY_TIMEOUT) -> RunStore:
        """Open (create, migrate) the history in `folder` (default: the data folder); RunStoreError if it can't."""
        folder = Path(folder) if folder is not None else data_dir()
        path = folder / FILE_NAME
        try:
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as exc:
            raise RunStoreError(f"can't keep the run history in {folder}: {_os_reason(exc)}") from None
        try:
            connection = sqlite3.connect(path, timeout=timeout, isolation_level=None, check_same_thread=False)
        except sqlite3.Error as exc:
            raise _store_error(exc, path) from None
        store = cls(connection, path)
        try:
            store._prepare()
        except sqlite3.Error as exc:
            connection.close()
            raise _store_error(exc, path) from None
        except BaseException:
            connection.close()
            raise
        return store

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> RunStore:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- opening -------------------------------------------------------------------

    def _prepare(self) -> None:
        db = self._db
        # WAL is a property of the file: set once, then every connection uses it.
        db.execute("PRAGMA journal_mode=WAL").fetchone()
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("PRAGMA foreign_keys=ON")
        self._migrate()
        self._mark_interrupted()

    def _version(self) -> int:
        tables = {row[0] for row in self._db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "schema_version" not in tables:
            if tables - {"sqlite_sequence"}:
                raise RunStoreError(f"{self.path} is not an mlpgui run history; move it aside to start a new one")
            return 0
        row = self._db.execute("SELECT version FROM schema_version").fetchone()
        if row is None or not isinstance(row[0], int):
            raise RunStoreError(f"the run history {self.path} is damaged (no schema version); move it aside")
        return row[0]

    def _migrate(self) -> None:
        if self._version() == SCHEMA_VERSION:
            return
        with self._write():
            version = self._version()  # another process may have migrated while we waited
            if version > SCHEMA_VERSION:
                raise RunStoreError(
                    f"the run history {self.path} was written by a newer mlpgui (schema version {version}); "
                    "update mlpgui to use it"
                )
            for v in range(version, SCHEMA_VERSION):
                for statement in MIGRATIONS[v]:
                    self._db.execute(statement)
            self._db.execute("UPDATE schema_version SET version = ?", (SCHEMA_VERSION,))

    def _mark_interrupted(self) -> None:
        """Runs of this host still "running" whose process is gone died without a word: interrupted."""
        rows = self._db.execute(
            "SELECT id, pid, pid_started FROM runs WHERE status = 'running' AND host = ?", (_HOST,)
        ).fetchall()
        dead = [run_id for run_id, pid, started in rows if not process_alive(pid, started)]
        if not dead:
            return
        with self._write() as db:
            db.executemany(
                "UPDATE runs SET status = 'interrupted', ended = updated WHERE id = ? AND status = 'running'",
                [(run_id,) for run_id in dead],
            )

    # -- transactions ------------------------------------------------------------------

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, taking the write lock at once (a deferred one could fail mid-way as busy)."""
        with self._lock:
            db = self._db
            try:
                db.execute("BEGIN IMMEDIATE")
                yield db
                db.execute("COMMIT")
            except BaseException as exc:
                if db.in_transaction:
                    try:
                        db.execute("ROLLBACK")
                    except sqlite3.Error:
                        pass
                if isinstance(exc, sqlite3.Error):
                    raise _store_error(exc, self.path) from None
                raise

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                yield self._db
            except sqlite3.Error as exc:
                raise _store_error(exc, self.path) from None

    # -- recording a run -----------------------------------------------------------------

    def start_run(
        self,
        config: TrainConfig,
        data_source: str = DEFAULT_DATA_SOURCE,
        source: str = "cli",
        tags: Iterable[str] = (),
        sweep_id: str | None = None,
        threads: int | None = None,
    ) -> int:
        """A new "running" run of this process; returns its id. The sweep id is also one of its tags."""
        validate(config)
        if source not in SOURCES:
            raise ValueError(f"source must be one of {SOURCES}")
        tags = clean_tags((*tags, sweep_id) if sweep_id else tags)
        now = _now()
        with self._write() as db:
            cursor = db.execute(
                "INSERT INTO runs (started, updated, status, config, data_source, source, host, pid, pid_started,"
                " sweep_id, threads) VALUES (?, ?, 'running', ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    now,
                    now,
                    json.dumps(config.to_dict()),
                    str(data_source),
                    source,
                    _HOST,
                    os.getpid(),
                    process_start(os.getpid()),
                    sweep_id,
                    None if threads is None else int(threads),
                ),
            )
            run_id = int(cursor.lastrowid)
            db.executemany("INSERT INTO tags (run_id, tag) VALUES (?, ?)", [(run_id, t) for t in tags])
        return run_id

    def record_epoch(self, run_id: int, report: EpochReport) -> None:
        """Add one epoch's metrics (and make them the run's latest), in one short transaction."""
        self.record_epochs(run_id, [report])

    def record_epochs(self, run_id: int, reports: list[EpochReport]) -> None:
        """Add several epochs (in order) in one short transaction; the last becomes the run's latest."""
        if not reports:
            return
        rows = [
            (
                run_id,
                int(r.epoch),
                int(r.epochs),
                _number(r.loss),
                _number(r.train_accuracy),
                _number(r.elapsed),
                _number(r.test_loss),
                _number(r.test_accuracy),
            )
            for r in reports
        ]
        tested = [row for row in rows if row[7] is not None]
        test_loss, test_accuracy = (tested[-1][6], tested[-1][7]) if tested else (None, None)
        last = rows[-1]
        with self._write() as db:
            db.executemany(
                "INSERT OR REPLACE INTO epochs (run_id, epoch, planned, loss, train_accuracy, elapsed, test_loss,"
                " test_accuracy) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
            cursor = db.execute(
                "UPDATE runs SET epochs_done = ?, updated = ?, final_loss = ?, final_train_accuracy = ?,"
                " final_test_loss = COALESCE(?, final_test_loss),"
                " final_test_accuracy = COALESCE(?, final_test_accuracy) WHERE id = ?",
                (last[1], _now(), last[3], last[4], test_loss, test_accuracy, run_id),
            )
            if cursor.rowcount == 0:
                raise RunStoreError(f"no run {run_id}")

    def finish_run(
        self,
        run_id: int,
        status: str,
        network: Network | None = None,
        final_test: tuple[float, float] | None = None,
    ) -> None:
        """End a run with `status`; keep `network` (if it trained at all) as models/run-<id>.npz.

        `final_test` is (test loss, test accuracy) measured at the end. The
        status is recorded even when the model can't be saved; that failure
        is raised afterwards as RunStoreError.
        """
        if status not in STATUSES or status == "running":
            raise ValueError(f"a finished run's status is one of {STATUSES[1:]}, not {status!r}")
        model_problem = None
        if network is not None and network.epochs_trained > 0:
            model_problem = self._save_model(run_id, network)
        test_loss, test_accuracy = (None, None) if final_test is None else (_number(v) for v in final_test)
        with self._write() as db:
            cursor = db.execute(
                "UPDATE runs SET status = ?, ended = ?, updated = ?, final_test_loss = COALESCE(?, final_test_loss),"
                " final_test_accuracy = COALESCE(?, final_test_accuracy) WHERE id = ?",
                (status, _now(), _now(), test_loss, test_accuracy, run_id),
            )
            if cursor.rowcount == 0:
                raise RunStoreError(f"no run {run_id}")
        if model_problem:
            raise ModelNotKept(f"run {run_id} is recorded, but its model was not kept: {model_problem}")

    def model_file(self, run_id: int) -> Path:
        """Where run `run_id`'s model is kept (whether or not it exists)."""
        return self.path.parent / MODELS_FOLDER / f"run-{int(run_id)}.npz"

    def _save_model(self, run_id: int, network: Network) -> str | None:
        from .model_io import save_model  # model_io imports little, but only runs with a model need it

        path = self.model_file(run_id)
        try:
            path.parent.mkdir(mode=0o700, exist_ok=True)
            save_model(network, path, history=self.epochs(run_id))
        except OSError as exc:
            return f"can't create {path.parent}: {_os_reason(exc)}"
        except (ModelFileError, RunStoreError) as exc:
            return str(exc)
        return None

    # -- reading -------------------------------------------------------------------------

    _COLUMNS = (
        "id, started, ended, status, config, data_source, source, epochs_done, final_loss, final_train_accuracy,"
        " final_test_loss, final_test_accuracy, note, sweep_id, threads"
    )

    def sweep_ids(self) -> set[str]:
        """Every sweep id a run in the store carries (deleted runs too): a new sweep takes another."""
        return {r.sweep_id for r in self.runs(include_deleted=True) if r.sweep_id}

    def runs(
        self,
        tag: str | None = None,
        status: str | None = None,
        sweep_id: str | None = None,
        include_deleted: bool = False,
    ) -> list[RunRecord]:
        """The runs that match every filter given, newest first (soft-deleted ones only when asked)."""
        where, args = [], []
        if not include_deleted:
            where.append("deleted = 0")
        if tag is not None:
            where.append("id IN (SELECT run_id FROM tags WHERE tag = ?)")
            args.append(tag)
        if status is not None:
            where.append("status = ?")
            args.append(status)
        if sweep_id is not None:
            where.append("sweep_id = ?")
            args.append(sweep_id)
        sql = f"SELECT {self._COLUMNS} FROM runs"
        if where:
            sql += " WHERE " + " AND ".join(where)
        with self._read() as db:
            rows = db.execute(sql + " ORDER BY id DESC", args).fetchall()
            tags = self._tags(db, [row[0] for row in rows])
        records = []
        for row in rows:
            try:
                records.append(self._record(row, tags.get(row[0], ())))
            except MlpguiError:  # settings a newer mlpgui wrote: not listed here
                continue
        return records

    def run(self, run_id: int) -> RunRecord:
        """One run (also when soft-deleted); RunStoreError("no run 99") if there is none."""
        with self._read() as db:
            row = db.execute(f"SELECT {self._COLUMNS} FROM runs WHERE id = ?", (int(run_id),)).fetchone()
            if row is None:
                raise RunStoreError(f"no run {run_id}")
            tags = self._tags(db, [row[0]])
        try:
            return self._record(row, tags.get(row[0], ()))
        except MlpguiError as exc:
            raise RunStoreError(f"run {run_id}'s settings can't be read: {exc}") from None

    def epochs(self, run_id: int) -> list[EpochReport]:
        """The run's recorded epochs, in order."""
        with self._read() as db:
            self._check_runs(db, [run_id])
            rows = db.execute(
                "SELECT epoch, planned, loss, train_accuracy, elapsed, test_loss, test_accuracy FROM epochs"
                " WHERE run_id = ? ORDER BY epoch",
                (int(run_id),),
            ).fetchall()
        return [
            EpochReport(epoch, planned, _nan(loss), _nan(acc), elapsed or 0.0, test_loss, test_acc)
            for epoch, planned, loss, acc, elapsed, test_loss, test_acc in rows
        ]

    def _tags(self, db: sqlite3.Connection, ids: list[int]) -> dict[int, tuple[str, ...]]:
        if not ids:
            return {}
        found: dict[int, list[str]] = {}
        # Small id lists ask for theirs; a long listing reads the whole (small) tags table.
        if len(ids) <= 500:
            marks = ",".join("?" * len(ids))
            rows = db.execute(f"SELECT run_id, tag FROM tags WHERE run_id IN ({marks})", ids)
        else:
            rows = db.execute("SELECT run_id, tag FROM tags")
        for run_id, tag in rows:
            found.setdefault(run_id, []).append(tag)
        return {k: tuple(sorted(v)) for k, v in found.items()}

    def _record(self, row, tags: tuple[str, ...]) -> RunRecord:
        (run_id, started, ended, status, config, data_source, source, epochs_done) = row[:8]
        final_loss, final_train, final_test_loss, final_test_acc, note, sweep_id, threads = row[8:]
        try:
            config = TrainConfig.from_dict(json.loads(config))
        except (ValueError, TypeError) as exc:
            raise MlpguiError(str(exc)) from None
        model = self.model_file(run_id)
        return RunRecord(
            id=run_id,
            name=f"run {run_id}",
            started=_time(started),
            ended=_time(ended),
            status=status,
            config=config,
            data_source=data_source,
            source=source,
            epochs_done=epochs_done,
            final_loss=final_loss,
            final_train_accuracy=final_train,
            final_test_loss=final_test_loss,
            final_test_accuracy=final_test_acc,
            tags=tags,
            note=note,
            sweep_id=sweep_id,
            model_path=model if model.is_file() else None,
            threads=threads,
        )

    def _check_runs(self, db: sqlite3.Connection, run_ids: Iterable[int]) -> list[int]:
        ids = [int(i) for i in run_ids]
        for run_id in ids:
            if db.execute("SELECT 1 FROM runs WHERE id = ?", (run_id,)).fetchone() is None:
                raise RunStoreError(f"no run {run_id}")
        return ids

    # -- editing -------------------------------------------------------------------------

    def set_tags(self, run_id: int, tags: Iterable[str]) -> None:
        """Replace the run's tags."""
        tags = clean_tags(tags)
        with self._write() as db:
            self._check_runs(db, [run_id])
            db.execute("DELETE FROM tags WHERE run_id = ?", (int(run_id),))
            db.executemany("INSERT INTO tags (run_id, tag) VALUES (?, ?)", [(int(run_id), t) for t in tags])

    def set_note(self, run_id: int, note: str) -> None:
        if not isinstance(note, str):
            raise RunStoreError(f"a note is text, not {note!r}")
        if len(note) > MAX_NOTE:
            raise RunStoreError(f"a note is at most {MAX_NOTE:,} characters (got {len(note):,})")
        with self._write() as db:
            self._check_runs(db, [run_id])
            db.execute("UPDATE runs SET note = ? WHERE id = ?", (note, int(run_id)))

    def delete(self, run_ids: Iterable[int]) -> None:
        """Hide runs from `runs()` (soft delete); `restore` brings them back, `purge` removes them."""
        self._set_deleted(run_ids, 1)

    def restore(self, run_ids: Iterable[int]) -> None:
        self._set_deleted(run_ids, 0)

    def _set_deleted(self, run_ids: Iterable[int], deleted: int) -> None:
        with self._write() as db:
            ids = self._check_runs(db, run_ids)
            db.executemany("UPDATE runs SET deleted = ? WHERE id = ?", [(deleted, i) for i in ids])

    def purge(self, run_ids: Iterable[int]) -> None:
        """Remove runs for good: their rows, epochs, tags and model files.

        A run another live process on this host is still recording is refused.
        """
        with self._write() as db:
            ids = self._check_runs(db, run_ids)
            for run_id in ids:
                row = db.execute("SELECT status, host, pid, pid_started FROM runs WHERE id = ?", (run_id,)).fetchone()
                status, host, pid, started = row
                if status == "running" and host == _HOST and process_alive(pid, started):
                    raise RunStoreError(f"run {run_id} is still running; stop it first")
            db.executemany("DELETE FROM runs WHERE id = ?", [(i,) for i in ids])
        for run_id in ids:
            try:
                os.unlink(self.model_file(run_id))
            except FileNotFoundError:
                pass
            except OSError as exc:
                raise RunStoreError(f"run {run_id} is removed, but not its model file: {_os_reason(exc)}") from None

    # -- exporting -----------------------------------------------------------------------

    def export_csv(self, run_ids: Iterable[int], path: Path | str) -> None:
        """The runs' curves as one CSV in long format (run, epoch, metric, value), written atomically.

        A value that was not measured (the test set is measured every few
        epochs) has no row.
        """
        ids = list(dict.fromkeys(int(i) for i in run_ids))
        with self._read() as db:
            self._check_runs(db, ids)
        curves = {run_id: self.epochs(run_id) for run_id in ids}
        path = Path(path)
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
        try:
            with open(tmp, "x", newline="", encoding="utf-8") as f:
                out = csv.writer(f)
                out.writerow(("run", "epoch", "metric", "value"))
                for run_id, reports in curves.items():
                    for r in reports:
                        for metric in EXPORT_METRICS:
                            value = getattr(r, metric)
                            if value is not None and math.isfinite(value):
                                out.writerow((run_id, r.epoch, metric, repr(float(value))))
            os.replace(tmp, path)
        except OSError as exc:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            reason = "it is a folder" if path.is_dir() else _os_reason(exc)
            if isinstance(exc, FileNotFoundError):
                reason = "the folder does not exist"
            raise RunStoreError(f"can't write {path}: {reason}") from None


def _nan(value) -> float:
    return math.nan if value is None else value


def open_store_or_none(folder: Path | str | None = None) -> tuple[RunStore | None, str | None]:
    """(store, None), or (None, "not recording runs: <why>") when the history can't be opened."""
    try:
        return RunStore.open(folder), None
    except RunStoreError as exc:
        return None, f"not recording runs: {exc}"


class RunRecorder:
    """Records one run into a store for a training loop; never raises once built.

    With no store (recording off, or the store failed to open) it does
    nothing. When the store fails mid-run it stops recording and says why in
    `problem` ("not recording runs: ..."), which the caller shows once; the
    training goes on either way.

    Each epoch is committed in a transaction of its own as it arrives, except
    that commits come at most every `commit_interval` seconds: epochs that
    arrive sooner wait for the next commit (or `flush()`, or `finish()`).
    A commit costs 0.1-0.3 ms on a loaded machine, a small homework epoch
    15-35 ms, so without the interval recording would cost 1-2 % of such a run
    (benchmarks/bench_recording.py); with it, a process killed outright loses
    at most the last `commit_interval` seconds of epochs.
    """

    COMMIT_INTERVAL = 0.25  # seconds

    def __init__(
        self,
        store: RunStore | None,
        config: TrainConfig,
        data_source: str = DEFAULT_DATA_SOURCE,
        source: str = "cli",
        tags: Iterable[str] = (),
        sweep_id: str | None = None,
        threads: int | None = None,
        commit_interval: float = COMMIT_INTERVAL,
    ):
        self.store = store
        self.run_id: int | None = None
        self.problem: str | None = None
        self.commit_interval = commit_interval
        self._done = False
        self._pending: list[EpochReport] = []
        self._last_commit = -math.inf
        if store is None:
            return
        try:
            self.run_id = store.start_run(config, data_source, source, tags, sweep_id, threads)
        except Exception as exc:  # recording must never stop a run
            self._give_up(exc)

    @property
    def recording(self) -> bool:
        return self.run_id is not None and self.problem is None and not self._done

    def epoch(self, report: EpochReport) -> None:
        if not self.recording:
            return
        self._pending.append(report)
        if time.monotonic() - self._last_commit >= self.commit_interval:
            self.flush()

    def flush(self) -> None:
        """Commit the epochs that are waiting (say, before a run is paused)."""
        if not self.recording or not self._pending:
            return
        try:
            self.store.record_epochs(self.run_id, self._pending)
        except Exception as exc:
            self._give_up(exc)
        self._pending = []
        self._last_commit = time.monotonic()

    def finish(
        self, status: str, network: Network | None = None, final_test: tuple[float, float] | None = None
    ) -> None:
        """End the run (once; later calls do nothing)."""
        if not self.recording:
            return
        self.flush()
        if not self.recording:
            return
        self._done = True
        try:
            self.store.finish_run(self.run_id, status, network, final_test)
        except ModelNotKept as exc:
            self.problem = str(exc)
        except Exception as exc:
            self._give_up(exc)

    def _give_up(self, exc: Exception) -> None:
        reason = str(exc) if isinstance(exc, MlpguiError) else f"{type(exc).__name__}: {exc}"
        self.problem = f"not recording runs: {' '.join(reason.split())}"
