"""The training worker: runs on its own QThread, reports every epoch, stops, pauses, fails cleanly."""

import os
import sys
from pathlib import Path

import numpy as np
import pytest

from mlpgui.core.config import TrainConfig
from mlpgui.core.errors import TrainingDiverged
from mlpgui.core.tasks import build_task
from mlpgui.core.training import Trainer, default_threads
from mlpgui.qt import worker as training

TINY = TrainConfig(task="multiclass", per_class=50, hidden=32, epochs=5, lr=0.5, scale="unit", dtype="float32")


def run_worker(qtbot, worker, timeout=60_000):
    """Start `worker` on its thread; return (reports, snapshots, failures, finished args)."""
    reports, snapshots, failures = [], [], []
    worker.epochDone.connect(reports.append)
    worker.snapshot.connect(snapshots.append)
    worker.failed.connect(failures.append)
    with qtbot.waitSignal(worker.finished, timeout=timeout) as blocker:
        thread = training.start(worker)
    qtbot.waitUntil(lambda: not training.running_threads(), timeout=10_000)
    assert thread not in training.running_threads()
    return reports, snapshots, failures, blocker.args


def test_worker_reports_every_epoch_the_same_numbers_as_the_engine(qtbot, mnist):
    task = build_task(TINY, mnist)
    reports, snapshots, failures, (network, stopped) = run_worker(qtbot, training.TrainingWorker(TINY, task))
    expected = Trainer(TINY, task).train()
    assert not failures and not stopped
    assert [r.epoch for r in reports] == [1, 2, 3, 4, 5]
    assert [r.loss for r in reports] == pytest.approx([r.loss for r in expected], rel=1e-6)
    assert reports[-1].test_accuracy is not None  # the last epoch is always measured
    assert network.epochs_trained == 5
    assert snapshots and all(s.epochs_trained < 5 for s in snapshots)


def test_snapshots_are_throttled_and_are_copies(qtbot, mnist):
    task = build_task(TINY.replace(epochs=40), mnist)
    worker = training.TrainingWorker(task.config, task, snapshot_interval=10.0)
    reports, snapshots, _, (network, _) = run_worker(qtbot, worker)
    assert len(reports) == 40
    assert len(snapshots) == 1  # the first epoch's; the next would be due 10 s later
    assert snapshots[0].epochs_trained == 1
    assert not np.array_equal(snapshots[0].W1, network.W1)  # training went on without touching the copy


def test_stop_before_the_first_epoch_gives_no_model(qtbot, mnist):
    task = build_task(TINY, mnist)
    worker = training.TrainingWorker(TINY, task)
    worker.stop()
    reports, _, failures, (network, stopped) = run_worker(qtbot, worker)
    assert reports == [] and failures == []
    assert network is None and stopped


def test_stop_keeps_the_weights_of_the_last_finished_epoch(qtbot, mnist):
    config = TINY.replace(epochs=100_000)
    task = build_task(config, mnist)
    worker = training.TrainingWorker(config, task)
    worker.epochDone.connect(lambda r: worker.stop() if r.epoch == 3 else None)
    reports, _, _, (network, stopped) = run_worker(qtbot, worker)
    assert stopped
    n = network.epochs_trained
    assert 3 <= n < 100_000 and n == reports[-1].epoch
    reference = Trainer(config.replace(epochs=n), task)
    reference.train()
    np.testing.assert_allclose(network.W1, reference.network.W1, rtol=1e-5, atol=1e-7)
    labels = network.predict(task.inputs("test", network.dtype))
    assert labels.shape == (len(task.test_labels),) and set(np.unique(labels)) <= set(range(10))


def test_pause_holds_the_run_until_resumed(qtbot, mnist):
    config = TINY.replace(epochs=6)
    task = build_task(config, mnist)
    worker = training.TrainingWorker(config, task)
    worker.epochDone.connect(lambda r: worker.pause() if r.epoch == 2 else None)
    reports = []
    worker.epochDone.connect(reports.append)
    with qtbot.waitSignal(worker.epochDone, timeout=30_000, check_params_cb=lambda r: r.epoch == 2):
        training.start(worker)
    assert worker.paused
    with qtbot.assertNotEmitted(worker.epochDone, wait=300):
        pass
    assert len(reports) == 2
    with qtbot.waitSignal(worker.finished, timeout=30_000) as blocker:
        worker.resume()
    qtbot.waitUntil(lambda: not training.running_threads(), timeout=10_000)
    assert [r.epoch for r in reports] == [1, 2, 3, 4, 5, 6]
    assert blocker.args[1] is False


def thread_nice_values() -> dict[str, list[int]]:
    """Linux: the nice value of each thread of this process, by thread name."""
    out: dict[str, list[int]] = {}
    for task in Path(f"/proc/{os.getpid()}/task").iterdir():
        try:
            name = (task / "comm").read_text().strip()
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # the thread ended meanwhile
            continue
        out.setdefault(name, []).append(int(fields[16]))
    return out


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread priority is Linux's")
def test_training_threads_yield_the_cpu_to_the_gui_thread(qtbot, mnist):
    config = TINY.replace(epochs=4)  # full batch: the sparse core runs an OpenMP team
    worker = training.TrainingWorker(config, build_task(config, mnist))
    worker.epochDone.connect(lambda r: worker.pause() if r.epoch == 2 else None)
    with qtbot.waitSignal(worker.epochDone, timeout=30_000, check_params_cb=lambda r: r.epoch == 2):
        training.start(worker)
    nice = thread_nice_values()
    with qtbot.waitSignal(worker.finished, timeout=30_000):
        worker.resume()
    qtbot.waitUntil(lambda: not training.running_threads(), timeout=10_000)
    trainers = nice.get("mlpgui-training", [])
    assert len(trainers) >= default_threads(), f"expected the worker and its OpenMP team, found {nice}"
    gui = os.getpriority(os.PRIO_PROCESS, 0)  # this (the GUI) thread's; tests may run under `nice`
    assert all(n == max(gui, training.BACKGROUND_NICE) for n in trainers)


def test_divergence_reports_a_message_and_returns_the_rolled_back_model(qtbot, mnist, monkeypatch):
    real_run = Trainer.run

    def diverging_run(self, stop=None, evaluate_every=0):
        for report in real_run(self, stop, evaluate_every):
            yield report
            if report.epoch == 2:
                raise TrainingDiverged("the loss became inf at epoch 3; the model was rolled back to epoch 2")

    monkeypatch.setattr(Trainer, "run", diverging_run)
    task = build_task(TINY, mnist)
    reports, _, failures, (network, stopped) = run_worker(qtbot, training.TrainingWorker(TINY, task))
    assert failures == ["the loss became inf at epoch 3; the model was rolled back to epoch 2"]
    assert len(reports) == 2 and stopped
    assert network is not None and network.epochs_trained == 2 and network.is_finite()


def test_a_bug_in_training_becomes_a_message_not_a_crash(qtbot, mnist, monkeypatch, capsys):
    def broken_run(self, stop=None, evaluate_every=0):
        raise RuntimeError("boom")
        yield  # pragma: no cover

    monkeypatch.setattr(Trainer, "run", broken_run)
    task = build_task(TINY, mnist)
    _, _, failures, (network, stopped) = run_worker(qtbot, training.TrainingWorker(TINY, task))
    assert len(failures) == 1 and "boom" in failures[0]
    assert network is None
    assert "RuntimeError: boom" in capsys.readouterr().err  # a trace for the bug report


def test_the_accuracy_worker_measures_a_model_off_the_gui_thread(qtbot, multi):
    from mlpgui.core.metrics import Evaluation

    network, task = multi
    worker = training.AccuracyWorker(network, task)
    with qtbot.waitSignal(worker.finished, timeout=30_000) as blocker:
        training.start(worker)
    qtbot.waitUntil(lambda: not training.running_threads(), timeout=10_000)
    measured, accuracy = blocker.args
    assert measured is network
    assert accuracy == Evaluation.compute(network, task, "test").accuracy


def test_the_accuracy_worker_reports_none_for_a_model_that_does_not_fit_the_data(qtbot, multi, binary):
    network, _ = multi
    _, binary_task = binary
    worker = training.AccuracyWorker(network, binary_task)
    with qtbot.waitSignal(worker.finished, timeout=30_000) as blocker:
        training.start(worker)
    qtbot.waitUntil(lambda: not training.running_threads(), timeout=10_000)
    assert blocker.args[1] is None
