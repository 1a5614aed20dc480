"""What a training session knows, as named states: the run's phase and progress, the model and its origin."""

import pytest

from mlpgui.core.config import PRESETS
from mlpgui.core.run_state import ModelOrigin, ModelState, RunPhase, RunState
from mlpgui.core.tasks import build_task
from mlpgui.core.training import EpochReport, evaluation_interval


@pytest.mark.parametrize("name, k", [("homework-binary", 10), ("homework-multiclass", 10), ("fast", 2)])
def test_evaluation_interval_keeps_test_measurements_rare(mnist, name, k):
    task = build_task(PRESETS[name], mnist)
    assert evaluation_interval(task.n_train, len(task.test_labels)) == k


def test_evaluation_interval_is_at_least_one_and_grows_with_the_test_set():
    assert evaluation_interval(60_000, 100) == 1
    assert evaluation_interval(500, 10_000) == 200


def test_a_run_state_says_where_the_run_is():
    assert not RunState().running and RunState().describe() == ""
    assert RunState(RunPhase.TRAINING, 3, 10).describe() == "Training: epoch 3 / 10"
    assert RunState(RunPhase.PAUSED, 3, 10).describe() == "Paused at epoch 3 / 10"
    assert RunState(RunPhase.STOPPING, 3, 10).describe() == "Stopping: epoch 3 / 10"
    assert all(RunState(phase).running for phase in RunPhase if phase is not RunPhase.IDLE)


def test_a_model_state_says_where_the_model_came_from_and_whether_it_is_saved(multi):
    network, task = multi
    assert ModelState().describe().startswith("Untrained") and not ModelState().trained
    trained = ModelState(network, task, (EpochReport(5, 5, 0.1, 0.9, 1.0),), 0.875, ModelOrigin.TRAINED, saved=False)
    assert trained.trained
    assert trained.describe() == f"Trained: {network.epochs_trained} epochs, test accuracy 87.5% (not saved)"
    opened = ModelState(network, task, (), None, ModelOrigin.OPENED, "/some/where/model.npz")
    assert opened.describe() == f"Opened model.npz: {network.epochs_trained} epochs"
    stopped = ModelState(network, task, (), 0.5, ModelOrigin.STOPPED, saved=True)
    assert stopped.describe().startswith("Stopped early:") and "(not saved)" not in stopped.describe()
