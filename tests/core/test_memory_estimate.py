"""The memory estimate that refuses runs up front covers what a run really allocates, without refusing runs that fit."""

import json
import os
import subprocess
import sys
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


# Trains one epoch of a config (given as JSON) with the given layout, evaluates the training and the
# test set as `mlpgui train` does, and prints the peak resident memory the run added to the process.
# The peak is VmHWM, not getrusage's ru_maxrss: Linux carries ru_maxrss over exec, so a child of a
# large pytest process would report the parent's size.
MEASURE = """
import json, sys
from mlpgui.core.config import TrainConfig
from mlpgui.core.data import load_mnist
from mlpgui.core.metrics import Evaluation
from mlpgui.core.tasks import build_task
from mlpgui.core.training import Trainer

def resident(field):
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith(field + ":")) * 1024

config = TrainConfig.from_dict(json.loads(sys.argv[1]))
mnist = load_mnist()
import mlpgui.core.network, mlpgui.core.model_io  # everything a run imports, before the baseline
before = resident("VmRSS")
task = build_task(config, mnist)
trainer = Trainer(config, task, layout=sys.argv[2])
for _ in trainer.run():
    pass
for which in ("train", "test"):
    Evaluation.compute(trainer.network, task, which)
print(resident("VmHWM") - before, task.n_train, task.n_test)
"""


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="reads the peak resident size from /proc")
@pytest.mark.parametrize("layout", ["sparse", "dense"])
@pytest.mark.parametrize(
    "config",
    [
        TrainConfig(task="multiclass", per_class=2000, hidden=2048, epochs=1, lr=0.5, scale="unit", dtype="float32"),
        TrainConfig(task="binary", per_class=1000, hidden=4096, epochs=1, dtype="float64"),
    ],
    ids=lambda c: c.describe(),
)
def test_the_memory_estimate_is_within_twice_the_measured_peak(config, layout):
    """Run in a fresh process each, as the peak resident size only grows."""
    argv = [sys.executable, "-c", MEASURE, json.dumps(config.to_dict()), layout]
    result = subprocess.run(argv, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    peak, n_train, n_test = map(int, result.stdout.split())
    need = estimate_memory(config, n_train, n_test, layout)
    assert peak / 2 <= need <= 2 * peak, f"{layout}: estimated {need / 2**20:.0f} MiB, peak {peak / 2**20:.0f} MiB"
