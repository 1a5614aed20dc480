"""A sweep in the window: the grid's configs through the session's worker, one run at a time.

`SweepRunner` starts each config with `TrainingSession._on_view_start` (so every
run is recorded like any other, tagged with the sweep's id) and the next one when
the session reports the run finished. It never trains itself and never touches a
widget; its `progress` carries the overall fraction done and an estimate of the
time left, from the time the finished work took (`config_work` weighs a config
by the arithmetic an epoch does, so a grid of unequal runs is estimated fairly).

Stopping: `stop_after_run` lets the run in progress end and starts no other;
`stop_now` also stops that run at its next epoch (mini-batch). Pressing Stop in
the experiment panel does the same as `stop_now`.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass

from PySide6.QtCore import QObject, QTimer, Signal

from mlpgui.core.config import TrainConfig
from mlpgui.core.run_state import RunState
from mlpgui.core.runstore import RunRecord

# Training images per class when per_class is 0 (all): MNIST's split, roughly per class.
ALL_PER_CLASS = 6000


def config_work(config: TrainConfig) -> float:
    """The multiply-adds of a whole run, roughly: epochs x images x hidden units (x outputs + inputs)."""
    classes = 2 if config.task == "binary" else 10
    per_class = config.per_class or ALL_PER_CLASS
    return float(config.epochs) * per_class * classes * config.hidden * (784 + config.n_outputs)


def seconds_per_work(records: list[RunRecord]) -> float | None:
    """Seconds per unit of `config_work`, the median over finished runs (None without any)."""
    rates = []
    for r in records:
        if r.status != "finished" or r.ended is None or r.epochs_done <= 0:
            continue
        seconds = (r.ended - r.started).total_seconds()
        if seconds > 0:
            rates.append(seconds / config_work(r.config))
    return statistics.median(rates) if rates else None


@dataclass(frozen=True)
class SweepProgress:
    run: int  # 1-based: the run in progress (or the last one)
    runs: int  # in the grid
    config: TrainConfig | None  # of the run in progress
    epoch: int  # epochs done in the run in progress
    fraction: float  # of the whole grid's work, 0..1
    elapsed: float  # seconds since the sweep started
    left: float | None  # seconds, estimated (None until something has been measured)


class SweepRunner(QObject):
    """Runs `configs` one after another through `session`, each tagged with `sweep_id`."""

    progress = Signal(object)  # SweepProgress
    runDone = Signal(int)  # a grid point's run id in the store, when that run has ended
    finished = Signal(bool, str)  # (stopped early, why it ended: "" when every run was trained)

    def __init__(
        self,
        session,
        configs: list[TrainConfig],
        sweep_id: str,
        rate: float | None = None,
        parent: QObject | None = None,
    ):
        """`rate`: seconds per unit of `config_work` measured before (`seconds_per_work`), for the first estimate."""
        super().__init__(parent)
        self._rate = rate
        self.session = session
        self.configs = list(configs)
        self.sweep_id = sweep_id
        self.run_ids: list[int | None] = []  # one per started run, in grid order
        self._index = -1
        self._active = False
        self._stop = False
        self._work = [config_work(c) for c in self.configs]
        self._started_at = 0.0
        self._epoch = 0

    def running(self) -> bool:
        return self._active

    def start(self) -> bool:
        """Start the first run; False (nothing started) when the session is busy."""
        if self._active or self.session.is_training():
            return False
        self._active, self._stop = True, False
        self._started_at = time.monotonic()
        self.session.runFinished.connect(self._on_run_finished)
        self.session.runStateChanged.connect(self._on_run_state)
        self._start_next()
        return self._active

    def stop_after_run(self) -> None:
        """Let the run in progress end; start no other."""
        self._stop = True

    def stop_now(self) -> None:
        """Stop the run in progress at its next epoch (mini-batch) boundary, and the sweep with it."""
        self._stop = True
        if self._active:
            self.session._on_view_stop()

    # -- driving the session ---------------------------------------------------------------------

    def _start_next(self) -> None:
        if not self._active:
            return
        if self.session.closing:
            self._end(True, "the window closed")
            return
        if self._stop:
            self._end(True, "stopped")
            return
        self._index += 1
        if self._index >= len(self.configs):
            self._end(False, "")
            return
        self._epoch = 0
        config = self.configs[self._index]
        if not self.session._on_view_start(config, tags=(self.sweep_id,), sweep_id=self.sweep_id):
            self._end(True, f"run {self._index + 1} could not start")
            return
        self.run_ids.append(self.session.current_run_id())
        self._emit_progress()

    def _on_run_state(self, state: RunState) -> None:
        if self._active and state.running:
            self._epoch = state.epochs_done
            self._emit_progress()

    def _on_run_finished(self, _network, stopped: bool) -> None:
        if not self._active:
            return
        run_id = self.run_ids[-1] if self.run_ids else None
        if run_id is not None:
            self.runDone.emit(run_id)
        if stopped and not self._stop:  # Stop pressed in the experiment panel: the sweep stops too
            self._stop = True
        self._epoch = self.configs[self._index].epochs
        self._emit_progress()
        # After the session has finished with this run (it emits runFinished mid-way).
        QTimer.singleShot(0, self._start_next)

    def _end(self, stopped: bool, why: str) -> None:
        self._active = False
        self.session.runFinished.disconnect(self._on_run_finished)
        self.session.runStateChanged.disconnect(self._on_run_state)
        self.finished.emit(stopped, why)

    # -- progress ------------------------------------------------------------------------------------

    def _emit_progress(self) -> None:
        index = max(self._index, 0)
        config = self.configs[index] if index < len(self.configs) else None
        total = sum(self._work) or 1.0
        done = sum(self._work[:index])
        if config is not None:
            done += self._work[index] * min(self._epoch, config.epochs) / config.epochs
        fraction = min(done / total, 1.0)
        elapsed = time.monotonic() - self._started_at
        if fraction > 0:
            left = elapsed * (1 - fraction) / fraction
        else:
            left = self._rate * total if self._rate is not None else None
        self.progress.emit(SweepProgress(index + 1, len(self.configs), config, self._epoch, fraction, elapsed, left))
