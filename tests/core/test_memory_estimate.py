"""The memory estimate that refuses runs up front covers what a run really allocates, without refusing runs that fit."""

import tracemalloc

import pytest

from mlpgui.core.config import TrainConfig
from mlpgui.core.tasks import build_task, estimate_memory
from mlpgui.core.training import Trainer


@pytest.mark.parametrize(
    "config",
    [
        TrainConfig(task="multiclass", per_class=300, hidden=512, epochs=1, dtype="float64"),
        TrainConfig(task="binary", per_class=1000, hidden=1024, epochs=1, dtype="float64"),
        TrainConfig(
            task="multiclass", per_class=200, hidden=256, epochs=2, batch_size=64, lr=0.5, scale="unit", dtype="float32"
        ),
    ],
    ids=lambda c: c.describe(),
)
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
