"""The training session: requests in, named states out, and the model kept, without any window."""

import numpy as np
import pytest

from mlpgui.core import model_io
from mlpgui.core.config import TrainConfig
from mlpgui.core.metrics import Evaluation
from mlpgui.core.run_state import ModelOrigin, RunPhase
from mlpgui.core.tasks import TaskCache
from mlpgui.qt import worker as training
from mlpgui.qt.session import TrainingSession

TINY = TrainConfig(task="multiclass", per_class=50, hidden=32, epochs=5, lr=0.5, scale="unit", dtype="float32")
RUN_TIMEOUT = 60_000


@pytest.fixture
def session(qtbot, tmp_path, mnist):
    s = TrainingSession(TaskCache(mnist), tmp_path / "data")
    runs, models = [], []
    s.runStateChanged.connect(runs.append)
    s.modelChanged.connect(models.append)
    s.seen = (runs, models)
    yield s
    s.shutdown()
    qtbot.waitUntil(lambda: not training.running_threads(), timeout=10_000)


def run_to_end(qtbot, session, config=TINY):
    with qtbot.waitSignal(session.runFinished, timeout=RUN_TIMEOUT) as blocker:
        assert session._on_view_start(config)
    return blocker.args


def test_a_run_goes_from_preparing_to_idle_and_leaves_a_trained_unsaved_model(qtbot, session):
    runs, models = session.seen
    network, stopped = run_to_end(qtbot, session)
    assert not stopped and network.epochs_trained == TINY.epochs
    assert runs[0].phase is RunPhase.PREPARING and runs[-1].phase is RunPhase.IDLE
    assert (runs[-1].epochs_done, runs[-1].epochs_planned) == (TINY.epochs, TINY.epochs)
    model = session.model
    assert model is models[-1] and model.network is network and model.origin is ModelOrigin.TRAINED
    assert not model.saved and session.should_ask_to_save()
    assert [r.epoch for r in model.history] == list(range(1, TINY.epochs + 1))
    assert model.test_accuracy == model.history[-1].test_accuracy is not None
    qtbot.waitUntil(lambda: not training.running_threads(), timeout=10_000)  # the copy is written off-thread
    assert session.last_model_path().is_file()  # kept for the next session


def test_pause_resume_and_stop_show_in_the_run_state(qtbot, session):
    runs, _ = session.seen
    long = TINY.replace(epochs=100_000)
    with qtbot.waitSignal(session.epochReported, timeout=RUN_TIMEOUT):
        session._on_view_start(long)
    session._on_view_pause(True)
    assert session.run_state.phase is RunPhase.PAUSED
    session._on_view_pause(False)
    assert session.run_state.phase is RunPhase.TRAINING
    with qtbot.waitSignal(session.runFinished, timeout=RUN_TIMEOUT) as blocker:
        session._on_view_stop()
        assert session.run_state.phase is RunPhase.STOPPING
    network, stopped = blocker.args
    assert stopped and session.model.origin is ModelOrigin.STOPPED and session.model.network is network
    assert runs[-1].phase is RunPhase.IDLE and runs[-1].epochs_done == network.epochs_trained
    assert session.model.test_accuracy is not None  # measured on the stopped model by the worker


def test_an_opened_model_without_a_measured_accuracy_gets_it_off_the_gui_thread(qtbot, session, tmp_path, multi):
    _, models = session.seen
    network, task = multi
    path = tmp_path / "bare.npz"
    model_io.save_model(network, path)  # no history: no accuracy in the file
    with qtbot.waitSignal(
        session.modelChanged, timeout=30_000, check_params_cb=lambda state: state.test_accuracy is not None
    ):
        assert session.open_model(path)
        assert models[-1].test_accuracy is None  # at once: the model, its accuracy still to come
    model = session.model
    assert model.origin is ModelOrigin.OPENED and model.saved and model.path == str(path)
    assert model.test_accuracy == Evaluation.compute(model.network, task).accuracy
    np.testing.assert_array_equal(model.network.W1, network.W1)


def test_an_opened_model_takes_its_accuracy_from_its_history(qtbot, session, tmp_path):
    run_to_end(qtbot, session)
    trained = session.model
    path = tmp_path / "with-history.npz"
    assert session.save_model(path) and session.model.saved
    _, models = session.seen
    before = len(models)
    assert session.open_model(path)
    qtbot.wait(200)
    assert len(models) == before + 1  # one change: nothing measured afterwards
    assert session.model.test_accuracy == trained.test_accuracy
    assert not training.running_threads()


def test_a_run_that_learns_nothing_sound_gives_the_earlier_model_back(qtbot, session):
    run_to_end(qtbot, session)
    earlier = session.model
    failures = []
    session.failed.connect(lambda title, text: failures.append(text))
    network, _ = run_to_end(qtbot, session, TINY.replace(lr=1e6, scale="raw", dtype="float64"))
    assert network is None and session.model is earlier
    assert failures and "diverged" in failures[-1]


def test_opening_during_a_run_stops_it_then_opens(qtbot, session, tmp_path, multi):
    network, _ = multi
    path = tmp_path / "model.npz"
    model_io.save_model(network, path)
    with qtbot.waitSignal(session.epochReported, timeout=RUN_TIMEOUT):
        session._on_view_start(TINY.replace(epochs=100_000))
    with qtbot.waitSignal(
        session.modelChanged, timeout=RUN_TIMEOUT, check_params_cb=lambda state: state.origin is ModelOrigin.OPENED
    ):
        assert not session.open_model(path)  # not yet: the run stops first
    assert not session.is_training() and session.run_state.phase is RunPhase.IDLE
