"""What recording a run in the history costs: training with and without a RunRecorder.

For each config (the homework-binary preset, and homework-multiclass cut to
a few epochs), trains the same run ROUNDS times without recording and ROUNDS
times with a RunRecorder into a fresh store in a temporary folder, the two
alternating (the order swapping each round), and reports:

  plain s / recorded s   median wall time of the whole run (recorded: start,
                         every epoch, and the finish, which saves the model)
  ratio                  median of the round-by-round ratios recorded / plain
  in recorder            the time spent inside the recorder's calls as a share of
                         the recorded run's training time (median over rounds):
                         the direct measure, insensitive to the machine's noise;
                         split into its start and epochs, and its finish
  per epoch ms, finish ms  median time of one `epoch()` call, and of `finish()`
                         (which commits the epochs still waiting and saves the model)

RunRecorder commits at most every COMMIT_INTERVAL seconds; `--commit-interval 0`
measures one transaction per epoch instead.

The target is under 1 % of training time. Only ratios within one run mean
anything on a shared machine.

    python benchmarks/bench_recording.py [--rounds 7] [--epochs-multiclass 20] [--commit-interval 0.25]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time

from mlpgui.core.config import PRESETS
from mlpgui.core.data import load_mnist
from mlpgui.core.runstore import RunRecorder, RunStore
from mlpgui.core.tasks import build_task
from mlpgui.core.training import Trainer

COMMIT_INTERVAL = RunRecorder.COMMIT_INTERVAL


class TimedRecorder:
    """A RunRecorder whose calls are timed."""

    def __init__(self, store, config):
        t0 = time.perf_counter()
        self.recorder = RunRecorder(store, config, commit_interval=COMMIT_INTERVAL)
        self.start = time.perf_counter() - t0
        self.epochs: list[float] = []
        self.finish_time = 0.0

    def epoch(self, report):
        t0 = time.perf_counter()
        self.recorder.epoch(report)
        self.epochs.append(time.perf_counter() - t0)

    def finish(self, network):
        t0 = time.perf_counter()
        self.recorder.finish("finished", network, (0.1, 0.9))
        self.finish_time = time.perf_counter() - t0

    @property
    def total(self) -> float:
        return self.start + sum(self.epochs) + self.finish_time


def one_run(config, task, store=None):
    """(wall seconds, training seconds, TimedRecorder or None)."""
    t0 = time.perf_counter()
    trainer = Trainer(config, task)
    recorder = TimedRecorder(store, config) if store is not None else None
    for report in trainer.run():
        if recorder is not None:
            recorder.epoch(report)
    if recorder is not None:
        recorder.finish(trainer.network)
        assert recorder.recorder.problem is None, recorder.recorder.problem
    return time.perf_counter() - t0, trainer.elapsed, recorder


def bench(name, config, rounds, folder):
    task = build_task(config, load_mnist())
    one_run(config, task)  # warm-up: caches, threads
    plain, recorded, ratios, shares, per_epoch, finishes = [], [], [], [], [], []
    epoch_shares, finish_shares = [], []
    with RunStore.open(folder) as store:
        for i in range(rounds):
            order = (None, store) if i % 2 == 0 else (store, None)
            times = {}
            for which in order:
                wall, training, recorder = one_run(config, task, which)
                times[which is not None] = wall
                if recorder is not None:
                    shares.append(recorder.total / training)
                    epoch_shares.append((recorder.start + sum(recorder.epochs)) / training)
                    finish_shares.append(recorder.finish_time / training)
                    per_epoch.extend(recorder.epochs)
                    finishes.append(recorder.finish_time)
            plain.append(times[False])
            recorded.append(times[True])
            ratios.append(times[True] / times[False])
        assert len(store.runs()) == rounds
    row = (
        f"{name:<34} {statistics.median(plain):9.3f} {statistics.median(recorded):11.3f} "
        f"{statistics.median(ratios):7.3f} {100 * statistics.median(shares):11.2f}% "
        f"{100 * statistics.median(epoch_shares):9.2f}% {100 * statistics.median(finish_shares):9.2f}% "
        f"{1000 * statistics.median(per_epoch):13.3f} {1000 * statistics.median(finishes):9.1f}"
    )
    print(row, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--epochs-multiclass", type=int, default=20)
    parser.add_argument("--commit-interval", type=float, default=RunRecorder.COMMIT_INTERVAL)
    args = parser.parse_args()
    global COMMIT_INTERVAL
    COMMIT_INTERVAL = args.commit_interval
    configs = [
        ("homework-binary (100 epochs)", PRESETS["homework-binary"]),
        (
            f"homework-multiclass ({args.epochs_multiclass} epochs)",
            PRESETS["homework-multiclass"].replace(epochs=args.epochs_multiclass),
        ),
    ]
    print(
        f"{args.rounds} rounds each, recorded and plain alternating; medians; "
        f"commits at most every {COMMIT_INTERVAL:g} s"
    )
    print(
        f"{'config':<34} {'plain s':>9} {'recorded s':>11} {'ratio':>7} {'in recorder':>12} "
        f"{'epochs':>10} {'finish':>10} "
        f"{'per epoch ms':>13} {'finish ms':>9}"
    )
    for name, config in configs:
        with tempfile.TemporaryDirectory(prefix="bench-recording-") as folder:
            bench(name, config, args.rounds, folder)


if __name__ == "__main__":
    main()
