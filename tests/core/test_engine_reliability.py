"""Issue 6 in the engine: the memory estimate that refuses runs up front is not an underestimate,
and a wide (512-hidden) model file opens whatever the form had."""

import tracemalloc

import numpy as np
import pytest

from mlpgui.core.config import TrainConfig
from mlpgui.core.data import load_mnist
from mlpgui.core.model_io import load_model_with_history, save_model
from mlpgui.core.tasks import build_task, estimate_memory
from mlpgui.core.training import Trainer


@pytest.mark.parametrize("config", [
    TrainConfig(task="multiclass", per_class=300, hidden=512, epochs=1, dtype="float64"),
    TrainConfig(task="binary", per_class=1000, hidden=1024, epochs=1, dtype="float64"),
    TrainConfig(task="multiclass", per_class=200, hidden=256, epochs=2, batch_size=64, lr=0.5, scale="unit",
                dtype="float32"),
], ids=lambda c: c.describe())
def test_the_memory_estimate_covers_what_a_run_really_allocates(mnist, config):
    """check_fits refuses runs from estimate_memory: if it underestimated, a run it let through could
    still run out of memory. Measure the peak of what building the task and training allocate."""
    tracemalloc.start()
    try:
        task = build_task(config, mnist)
        trainer = Trainer(config, task)
        for _ in trainer.run(evaluate_every=1):
            pass
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    need = estimate_memory(config, task.n_train, len(task.test_labels))
    assert peak <= need, f"the run allocated {peak / 2**20:.0f} MiB, the estimate said {need / 2**20:.0f} MiB"
    assert need < 4 * peak + 64 * 2**20, "the estimate is so high it would refuse runs that fit"


def test_a_512_hidden_model_round_trips(mnist, tmp_path):
    config = TrainConfig(task="multiclass", per_class=50, hidden=512, epochs=2, lr=0.5, scale="unit",
                         dtype="float32")
    task = build_task(config, mnist)
    trainer = Trainer(config, task)
    history = trainer.train()
    path = tmp_path / "wide.npz"
    save_model(trainer.network, path, history)
    network, saved_history = load_model_with_history(path)
    assert network.hidden == 512 and network.W1.shape == (784, 512) and network.config == config
    X = task.inputs("test")
    np.testing.assert_array_equal(network.predict_proba(X), trainer.network.predict_proba(X))
    assert list(saved_history["loss"]) == [r.loss for r in history]
