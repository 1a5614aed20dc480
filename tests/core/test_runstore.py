"""The run history: what a run leaves in the store, and how the store survives crashes, sharing and damage."""

import csv
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from mlpgui.core.config import TrainConfig
from mlpgui.core.data import load_mnist
from mlpgui.core.model_io import load_model_with_history
from mlpgui.core.runstore import (
    FILE_NAME,
    SCHEMA_VERSION,
    STATUSES,
    RunRecorder,
    RunStore,
    RunStoreError,
    open_store_or_none,
)
from mlpgui.core.tasks import build_task
from mlpgui.core.training import EpochReport, Trainer

TINY = TrainConfig(task="binary", per_class=20, hidden=8, epochs=3, lr=0.5, scale="unit", seed=1)
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def store(tmp_path):
    with RunStore.open(tmp_path) as s:
        yield s


def report(epoch, epochs=3, loss=0.5, test=None):
    return EpochReport(epoch, epochs, loss, 0.75, 0.01 * epoch, *(test or (None, None)))


def train_recorded(store, config=TINY, **recorder_args):
    """Train `config` with a recorder, as the command line does; returns (recorder, trainer)."""
    trainer = Trainer(config, build_task(config, load_mnist()), n_threads=1)
    recorder = RunRecorder(store, config, threads=trainer.n_threads, **recorder_args)
    for r in trainer.run():
        recorder.epoch(r)
    return recorder, trainer


def run_python(code: str, **kwargs) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(ROOT), MLPGUI_THREADS="1")
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,
    )


# -- a run's record ---------------------------------------------------------------------


def test_a_finished_run_keeps_its_config_epochs_final_metrics_and_model(store):
    recorder, trainer = train_recorded(store, tags=["homework"])
    recorder.finish("finished", trainer.network, final_test=(0.42, 0.875))
    assert recorder.problem is None
    run = store.run(recorder.run_id)
    assert (run.status, run.config, run.source, run.tags) == ("finished", TINY, "cli", ("homework",))
    assert run.name == f"run {run.id}" and run.epochs_done == 3
    assert run.started <= run.ended
    last = trainer.history[-1]
    assert (run.final_loss, run.final_train_accuracy) == (last.loss, last.train_accuracy)
    assert (run.final_test_loss, run.final_test_accuracy) == (0.42, 0.875)
    assert store.epochs(run.id) == trainer.history
    network, history = load_model_with_history(run.model_path)
    assert run.model_path.parent == store.path.parent / "models"
    assert np.array_equal(network.W1, trainer.network.W1) and network.epochs_trained == 3
    assert list(history["loss"]) == [r.loss for r in trainer.history]


@pytest.mark.parametrize("status", [s for s in STATUSES if s != "running"])
def test_every_way_a_run_ends_is_recorded(store, status):
    recorder = RunRecorder(store, TINY, source="window")
    assert store.run(recorder.run_id).status == "running"
    recorder.epoch(report(1))
    recorder.finish(status)
    recorder.finish("finished")  # a second finish changes nothing
    run = store.run(recorder.run_id)
    assert (run.status, run.epochs_done, run.source, run.model_path) == (status, 1, "window", None)
    assert [r.status for r in store.runs(status=status)] == [status]


def test_a_finish_that_is_not_an_end_is_refused(store):
    run_id = store.start_run(TINY)
    for status in ("running", "done"):
        with pytest.raises(ValueError):
            store.finish_run(run_id, status)


def test_runs_are_listed_newest_first_and_filtered_by_tag_status_and_sweep(store):
    a = store.start_run(TINY, tags=["lr"])
    b = store.start_run(TINY, tags=["lr", "big"], sweep_id="sweep-1")
    c = store.start_run(TINY.replace(hidden=4))
    store.finish_run(a, "finished")
    assert [r.id for r in store.runs()] == [c, b, a]
    assert [r.id for r in store.runs(tag="lr")] == [b, a]
    assert [r.id for r in store.runs(tag="sweep-1")] == [b]
    assert [r.id for r in store.runs(sweep_id="sweep-1")] == [b]
    assert [r.id for r in store.runs(status="running")] == [c, b]
    assert [r.id for r in store.runs(tag="lr", status="finished")] == [a]
    assert store.run(b).tags == ("big", "lr", "sweep-1") and store.run(b).sweep_id == "sweep-1"


def test_tags_and_note_can_be_edited_and_bad_tags_are_refused(store):
    run_id = store.start_run(TINY, tags=[" a ", "a", "b"])
    assert store.run(run_id).tags == ("a", "b")
    store.set_tags(run_id, ["best"])
    store.set_note(run_id, "lr 0.5 overshoots\nat first")
    run = store.run(run_id)
    assert (run.tags, run.note) == (("best",), "lr 0.5 overshoots\nat first")
    for bad in ([""], ["two\nlines"], ["week 3"], ["a,b"], ["x" * 101]):
        with pytest.raises(RunStoreError):
            store.set_tags(run_id, bad)
    assert store.run(run_id).tags == ("best",)


def test_an_unknown_run_is_named_in_the_message(store):
    for call in (store.run, store.epochs, lambda i: store.delete([i]), lambda i: store.purge([i])):
        with pytest.raises(RunStoreError, match="^no run 99$"):
            call(99)


# -- delete, undo, purge -------------------------------------------------------------


def test_deleted_runs_are_hidden_until_restored(store):
    keep, gone = store.start_run(TINY), store.start_run(TINY)
    store.delete([gone])
    assert [r.id for r in store.runs()] == [keep]
    assert [r.id for r in store.runs(include_deleted=True)] == [gone, keep]
    assert store.epochs(gone) == [] and store.run(gone).id == gone
    store.restore([gone])
    assert [r.id for r in store.runs()] == [gone, keep]


def test_purge_removes_the_run_its_epochs_and_its_model(store):
    recorder, trainer = train_recorded(store)
    recorder.finish("finished", trainer.network)
    model = store.run(recorder.run_id).model_path
    assert model.is_file()
    store.purge([recorder.run_id])
    assert store.runs(include_deleted=True) == [] and not model.exists()
    db = sqlite3.connect(store.path)
    assert db.execute("SELECT COUNT(*) FROM epochs").fetchone() == (0,)
    db.close()


def test_a_run_this_process_is_still_recording_is_not_purged(store):
    run_id = store.start_run(TINY)
    with pytest.raises(RunStoreError, match="still running"):
        store.purge([run_id])
    assert store.run(run_id).status == "running"


# -- export -------------------------------------------------------------------------------


def test_export_writes_every_measured_value_in_long_format(store, tmp_path):
    first = RunRecorder(store, TINY)
    for e in (1, 2):
        first.epoch(report(e, 2, loss=1.0 / e, test=(0.3, 0.9) if e == 2 else None))
    second = RunRecorder(store, TINY)
    second.epoch(report(1, 1, loss=0.1))
    first.flush()
    out = tmp_path / "curves.csv"
    store.export_csv([second.run_id, first.run_id], out)
    with open(out, newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["run", "epoch", "metric", "value"]
    got = {(int(r), int(e), m): float(v) for r, e, m, v in rows[1:]}
    s, f1 = second.run_id, first.run_id
    assert got == {
        (s, 1, "loss"): 0.1,
        (s, 1, "train_accuracy"): 0.75,
        (s, 1, "elapsed"): 0.01,
        (f1, 1, "loss"): 1.0,
        (f1, 1, "train_accuracy"): 0.75,
        (f1, 1, "elapsed"): 0.01,
        (f1, 2, "loss"): 0.5,
        (f1, 2, "train_accuracy"): 0.75,
        (f1, 2, "elapsed"): 0.02,
        (f1, 2, "test_loss"): 0.3,
        (f1, 2, "test_accuracy"): 0.9,
    }
    assert [int(r[0]) for r in rows[1:4]] == [s, s, s]  # runs in the order asked


def test_a_failed_export_leaves_the_old_file_and_no_temporary_file(store, tmp_path):
    run_id = store.start_run(TINY)
    out = tmp_path / "curves.csv"
    out.write_text("old\n")
    with pytest.raises(RunStoreError, match="no run 7"):
        store.export_csv([run_id, 7], out)
    with pytest.raises(RunStoreError, match="can't write .*: the folder does not exist"):
        store.export_csv([run_id], tmp_path / "missing" / "x.csv")
    with pytest.raises(RunStoreError, match="it is a folder"):
        store.export_csv([run_id], tmp_path)
    assert out.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix == ".tmp") == []


# -- processes that die, processes side by side ---------------------------------------------

RECORD_UNTIL_KILLED = """
    import sys
    from mlpgui.core.config import TrainConfig
    from mlpgui.core.data import load_mnist
    from mlpgui.core.runstore import RunRecorder, RunStore
    from mlpgui.core.tasks import build_task
    from mlpgui.core.training import Trainer

    config = TrainConfig(task="binary", per_class=20, hidden=8, epochs=100000, lr=0.5, scale="unit")
    trainer = Trainer(config, build_task(config, load_mnist()))
    recorder = RunRecorder(RunStore.open(sys.argv[1]), config)
    for report in trainer.run():
        recorder.epoch(report)
        if report.epoch == 3:
            print(recorder.run_id, flush=True)
"""


def test_a_killed_process_leaves_an_interrupted_run_with_every_epoch_it_recorded(tmp_path):
    proc = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(RECORD_UNTIL_KILLED), str(tmp_path)],
        env=dict(os.environ, PYTHONPATH=str(ROOT), MLPGUI_THREADS="1"),
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        run_id = int(proc.stdout.readline())
        with RunStore.open(tmp_path) as store:  # the recorder commits every COMMIT_INTERVAL: wait for epoch 3
            deadline = time.monotonic() + 30
            while store.run(run_id).epochs_done < 3 and time.monotonic() < deadline:
                time.sleep(0.05)
            assert store.run(run_id).status == "running"  # its process is alive: not marked
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        proc.stdout.close()
    with RunStore.open(tmp_path) as store:
        run = store.run(run_id)
        epochs = store.epochs(run_id)
    assert run.status == "interrupted" and run.ended is not None
    assert len(epochs) >= 3 and run.epochs_done == len(epochs)
    assert [e.epoch for e in epochs] == list(range(1, len(epochs) + 1))


def test_a_run_whose_pid_now_belongs_to_another_process_is_interrupted(store):
    alive = store.start_run(TINY)
    reused = store.start_run(TINY)
    db = sqlite3.connect(store.path)
    with db:
        db.execute("UPDATE runs SET pid_started = pid_started + 1 WHERE id = ?", (reused,))
    db.close()
    with RunStore.open(store.path.parent) as again:
        assert again.run(alive).status == "running"  # this process is still recording it
        assert again.run(reused).status == "interrupted"


RECORD_MANY = """
    import sys
    from mlpgui.core.config import TrainConfig
    from mlpgui.core.runstore import RunRecorder, RunStore
    from mlpgui.core.training import EpochReport

    n = int(sys.argv[2])
    recorder = RunRecorder(RunStore.open(sys.argv[1]), TrainConfig(epochs=n), commit_interval=0)
    for e in range(1, n + 1):
        recorder.epoch(EpochReport(e, n, 1.0 / e, 0.5, 0.0))
    recorder.finish("finished")
    print(recorder.run_id, recorder.problem)
"""


def test_two_processes_recording_at_once_lose_nothing(tmp_path):
    RunStore.open(tmp_path).close()  # both find the schema made
    n = 300
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", textwrap.dedent(RECORD_MANY), str(tmp_path), str(n)],
            env=dict(os.environ, PYTHONPATH=str(ROOT)),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    assert [err for _, err in outputs] == ["", ""]
    ids = [int(out.split()[0]) for out, _ in outputs]
    assert [out.split()[1] for out, _ in outputs] == ["None", "None"]  # no recording problem
    with RunStore.open(tmp_path) as store:
        for run_id in ids:
            assert store.run(run_id).status == "finished"
            assert [e.epoch for e in store.epochs(run_id)] == list(range(1, n + 1))


# -- damage, locks and old files ---------------------------------------------------------


def test_a_damaged_file_is_reported_in_one_line_and_left_alone(tmp_path):
    damaged = b"this is not a database\n" * 200
    (tmp_path / FILE_NAME).write_bytes(damaged)
    with pytest.raises(RunStoreError) as caught:
        RunStore.open(tmp_path)
    message = str(caught.value)
    assert "damaged" in message and str(tmp_path / FILE_NAME) in message and "\n" not in message
    store, problem = open_store_or_none(tmp_path)
    assert store is None and problem.startswith("not recording runs: the run history")
    assert (tmp_path / FILE_NAME).read_bytes() == damaged


def test_a_database_of_another_program_is_not_taken_over(tmp_path):
    db = sqlite3.connect(tmp_path / FILE_NAME)
    db.execute("CREATE TABLE accounts (name TEXT)")
    db.commit()
    db.close()
    with pytest.raises(RunStoreError, match="not an mlpgui run history"):
        RunStore.open(tmp_path)


def test_a_folder_that_cannot_hold_the_history_is_reported(tmp_path):
    (tmp_path / "file").write_text("")
    with pytest.raises(RunStoreError, match="can't keep the run history in .*file/sub"):
        RunStore.open(tmp_path / "file" / "sub")


def test_a_locked_store_stops_the_recording_not_the_run(tmp_path):
    store = RunStore.open(tmp_path, timeout=0.05)
    other = sqlite3.connect(tmp_path / FILE_NAME, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        recorder = RunRecorder(store, TINY)
        assert recorder.run_id is None
        assert recorder.problem == f"not recording runs: the run history {store.path} is locked by another program"
        recorder.epoch(report(1))  # still no exception
        recorder.finish("finished")
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert store.runs() == []
    assert store.start_run(TINY) == 1  # usable again once the other program lets go
    store.close()


def test_a_file_another_program_holds_locked_is_named_at_open(tmp_path):
    other = sqlite3.connect(tmp_path / FILE_NAME, isolation_level=None)
    other.execute("CREATE TABLE theirs (x)")
    other.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(RunStoreError, match=r"^the run history .* is locked by another program$"):
            RunStore.open(tmp_path, timeout=0.05)
    finally:
        other.execute("ROLLBACK")
        other.close()


def test_a_store_that_fails_mid_run_is_said_once_and_the_loop_goes_on(tmp_path):
    store = RunStore.open(tmp_path)
    recorder = RunRecorder(store, TINY)
    recorder.epoch(report(1))
    store.close()  # as if the file went away under us
    recorder.epoch(report(2))
    recorder.finish("finished")
    assert recorder.problem.startswith("not recording runs:")
    with RunStore.open(tmp_path) as again:
        assert again.run(recorder.run_id).epochs_done == 1


def test_epochs_are_committed_at_most_every_commit_interval_and_all_by_the_finish(store):
    recorder = RunRecorder(store, TINY, commit_interval=3600)
    recorder.epoch(report(1))  # the first at once: the run shows it has started
    recorder.epoch(report(2))
    recorder.epoch(report(3, test=(0.4, 0.8)))
    assert [e.epoch for e in store.epochs(recorder.run_id)] == [1]
    recorder.flush()
    assert [e.epoch for e in store.epochs(recorder.run_id)] == [1, 2, 3]
    assert store.run(recorder.run_id).final_test_accuracy == 0.8
    recorder.epoch(report(4, epochs=4))
    recorder.finish("finished")
    run = store.run(recorder.run_id)
    assert (run.epochs_done, run.final_test_accuracy, run.status) == (4, 0.8, "finished")
    eager = RunRecorder(store, TINY, commit_interval=0)
    for e in (1, 2):
        eager.epoch(report(e))
        assert store.run(eager.run_id).epochs_done == e  # one transaction per epoch


def test_no_store_means_no_recording_and_no_problem():
    recorder = RunRecorder(None, TINY)
    recorder.epoch(report(1))
    recorder.finish("finished")
    assert (recorder.run_id, recorder.problem, recorder.recording) == (None, None, False)


# The schema as version 1 wrote it, frozen here: a file from then must open and keep its runs.
VERSION_1 = """
CREATE TABLE schema_version (version INTEGER NOT NULL);
INSERT INTO schema_version VALUES (1);
CREATE TABLE runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT, started TEXT NOT NULL, ended TEXT, updated TEXT NOT NULL,
    status TEXT NOT NULL, config TEXT NOT NULL, data_source TEXT NOT NULL, source TEXT NOT NULL,
    host TEXT NOT NULL, pid INTEGER NOT NULL, pid_started INTEGER, epochs_done INTEGER NOT NULL DEFAULT 0,
    final_loss REAL, final_train_accuracy REAL, final_test_loss REAL, final_test_accuracy REAL
);
CREATE TABLE epochs (
    run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE, epoch INTEGER NOT NULL,
    planned INTEGER NOT NULL, loss REAL, train_accuracy REAL, elapsed REAL, test_loss REAL,
    test_accuracy REAL, PRIMARY KEY (run_id, epoch)
) WITHOUT ROWID;
CREATE INDEX runs_by_status ON runs (status);
INSERT INTO runs VALUES (1, '2026-01-05T10:00:00.000+00:00', '2026-01-05T10:01:00.000+00:00',
    '2026-01-05T10:01:00.000+00:00', 'finished', '{"task": "multiclass", "hidden": 64, "epochs": 2}',
    'MNIST (shipped)', 'cli', 'elsewhere', 1, 1, 2, 0.25, 0.9, 0.3, 0.88);
INSERT INTO epochs VALUES (1, 1, 2, 0.5, 0.8, 1.5, NULL, NULL), (1, 2, 2, 0.25, 0.9, 3.0, 0.3, 0.88);
"""


def test_a_version_1_file_is_migrated_and_keeps_its_runs(tmp_path):
    db = sqlite3.connect(tmp_path / FILE_NAME)
    db.executescript(VERSION_1)
    db.close()
    with RunStore.open(tmp_path) as store:
        (run,) = store.runs()
        assert (run.id, run.status, run.config.task, run.config.hidden, run.final_test_accuracy) == (
            1,
            "finished",
            "multiclass",
            64,
            0.88,
        )
        assert (run.tags, run.note, run.sweep_id) == ((), "", None)
        assert [(e.epoch, e.loss, e.test_accuracy) for e in store.epochs(1)] == [(1, 0.5, None), (2, 0.25, 0.88)]
        store.set_tags(1, ["old"])
        new = store.start_run(TINY)
        assert new == 2 and store.run(1).tags == ("old",)
    db = sqlite3.connect(tmp_path / FILE_NAME)
    assert db.execute("SELECT version FROM schema_version").fetchall() == [(SCHEMA_VERSION,)]
    db.close()


def test_a_file_from_a_newer_mlpgui_is_left_alone(tmp_path):
    RunStore.open(tmp_path).close()
    db = sqlite3.connect(tmp_path / FILE_NAME)
    with db:
        db.execute("UPDATE schema_version SET version = ?", (SCHEMA_VERSION + 1,))
    db.close()
    with pytest.raises(RunStoreError, match="newer mlpgui"):
        RunStore.open(tmp_path)


def test_the_store_is_in_wal_mode_and_waits_for_busy_writers(store):
    db = sqlite3.connect(store.path)
    assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    db.close()
    assert store._db.execute("PRAGMA busy_timeout").fetchone()[0] >= 1000


# -- reproducibility ------------------------------------------------------------------------


def test_training_again_from_a_recorded_config_repeats_every_loss_bit_for_bit(tmp_path):
    """What "Run again" does: the stored config, on the stored number of threads."""
    config = TrainConfig(task="multiclass", per_class=20, hidden=8, epochs=4, lr=0.5, dtype="float64", batch_size=0)
    with RunStore.open(tmp_path) as store:
        recorder, first = train_recorded(store, config)
        recorder.finish("finished", first.network)
        run_id = recorder.run_id
    with RunStore.open(tmp_path) as store:  # as a later session finds it
        record = store.run(run_id)
        recorded = [e.loss for e in store.epochs(run_id)]
        kept, _ = load_model_with_history(record.model_path)
    assert record.config == config
    assert record.threads == 1  # summing in another order (on other threads) changes the last bits
    again = Trainer(record.config, build_task(record.config, load_mnist()), n_threads=record.threads)
    losses = [r.loss for r in again.run()]
    assert np.array_equal(np.array(losses), np.array(recorded)) and len(losses) == 4
    assert recorded == [r.loss for r in first.history]
    assert np.array_equal(again.network.W1, kept.W1) and np.array_equal(again.network.W2, kept.W2)
