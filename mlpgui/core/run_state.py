"""What the window's training session knows: where a run is (`RunState`) and which model is current (`ModelState`).

Plain frozen values, no Qt: the session in `mlpgui.qt.session` replaces them
as a run goes on and sends them to the views, which draw them; the texts the
status bar and the progress line show are made here, so they can be tested
without a window.
"""

from __future__ import annotations

import enum
import os
from dataclasses import dataclass

from .network import Network
from .progress import format_duration, progress_text
from .tasks import TaskData
from .training import EpochReport


class RunPhase(enum.Enum):
    IDLE = "idle"
    PREPARING = "preparing"  # started, no epoch finished yet
    TRAINING = "training"
    PAUSED = "paused"
    STOPPING = "stopping"  # stop requested: ends at the next epoch (mini-batch) boundary


@dataclass(frozen=True)
class RunState:
    """Where the current (or last) run is; IDLE keeps the last run's numbers for the progress bar."""

    phase: RunPhase = RunPhase.IDLE
    epochs_done: int = 0
    epochs_planned: int = 0
    elapsed: float = 0.0  # seconds of training so far
    note: str = ""  # why the last run ended, when that needs saying

    @property
    def running(self) -> bool:
        return self.phase is not RunPhase.IDLE

    def describe(self) -> str:
        """The run part of the status bar ("" when idle)."""
        where = f"epoch {self.epochs_done} / {self.epochs_planned}"
        return {
            RunPhase.IDLE: "",
            RunPhase.PREPARING: f"Training: {where}",
            RunPhase.TRAINING: f"Training: {where}",
            RunPhase.PAUSED: f"Paused at {where}",
            RunPhase.STOPPING: f"Stopping: {where}",
        }[self.phase]

    def progress_line(self) -> str:
        """The line under the progress bar: what the run is doing, its time, and (while it runs) the time left.

        Idle, there is no estimate: a stopped run will not go on, so no time is left.
        """
        if self.phase is RunPhase.PREPARING:
            return "Preparing the data..."
        if self.phase is RunPhase.STOPPING:
            return self.note or "Stopping after this epoch..."
        if self.note:
            return self.note
        if not self.epochs_done:
            return ""
        if self.phase is RunPhase.IDLE:
            return f"{format_duration(self.elapsed)} of training" if self.elapsed > 0 else ""
        return progress_text(self.epochs_done, self.epochs_planned, self.elapsed)


class ModelOrigin(enum.Enum):
    NONE = "none"  # no model yet
    TRAINING = "training"  # a snapshot of the run in progress
    TRAINED = "trained"  # a run that did all its epochs
    STOPPED = "stopped"  # a run that ended early (stopped, or rolled back after diverging)
    OPENED = "opened"  # read from a model file
    RESTORED = "restored"  # the model kept from the last session


@dataclass(frozen=True)
class ModelState:
    """The model every view shows, with what is known about it."""

    network: Network | None = None
    task: TaskData | None = None
    history: tuple[EpochReport, ...] = ()
    test_accuracy: float | None = None  # None: not measured (yet)
    origin: ModelOrigin = ModelOrigin.NONE
    path: str | None = None  # the file it was opened from or last saved to
    saved: bool = True  # False: closing would lose it (a copy is kept in the data folder)

    @property
    def trained(self) -> bool:
        return self.network is not None and self.network.epochs_trained > 0

    def describe(self) -> str:
        """The model part of the status bar, e.g. 'Trained: 5 epochs, test accuracy 91.2% (not saved)'."""
        if self.network is None:
            return "Untrained: choose a preset and press Start"
        n = self.network.epochs_trained
        how = {
            ModelOrigin.TRAINING: "Trained",
            ModelOrigin.TRAINED: "Trained",
            ModelOrigin.STOPPED: "Stopped early",
            ModelOrigin.OPENED: f"Opened {os.path.basename(self.path or '')}",
            ModelOrigin.RESTORED: "Restored from the last session",
        }.get(self.origin, "Model")
        accuracy = "" if self.test_accuracy is None else f", test accuracy {100 * self.test_accuracy:.1f}%"
        return f"{how}: {n} epoch{'s' if n != 1 else ''}{accuracy}" + ("" if self.saved else " (not saved)")
