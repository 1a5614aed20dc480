"""Run > Sweep...: vary one or two settings over a grid, train every point, plot what each achieved.

The grid starts from the experiment form's settings. As the values are typed
the dialog shows the grid's size and an estimate of its time (from the runs
recorded before, `seconds_per_work`); Start hands the grid to a `SweepRunner`,
which trains it through the window's session one run at a time. Every run is
recorded and tagged with the sweep's id, so the Runs dock lists them and the
plot below fills in as they end; clicking a point opens that run.
"""

from __future__ import annotations

import dataclasses

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from mlpgui.core.config import TrainConfig
from mlpgui.core.errors import MlpguiError
from mlpgui.core.progress import format_duration
from mlpgui.core.sweep import Sweep, new_sweep_id, parse_values

from .sweep_plot import FIELD_LABELS, SweepPlot, value_text
from .sweep_runner import SweepProgress, SweepRunner, config_work, seconds_per_work

NOTHING = "nothing else"
FIELD_KINDS = {
    "lr": float,
    "hidden": int,
    "epochs": int,
    "batch_size": int,
    "per_class": int,
    "seed": int,
    "scale": str,
    "dtype": str,
}


def suggested_values(field: str, base: TrainConfig) -> str:
    """Values around the form's to start from, e.g. lr 0.1 -> '0.03, 0.1, 0.3'."""
    value = getattr(base, field)
    if field == "lr":
        return ", ".join(f"{value * f:g}" for f in (0.3, 1, 3))
    if field == "hidden":
        return ", ".join(str(max(1, value * f // 4)) for f in (1, 4))
    if field == "epochs":
        return ", ".join(str(max(1, value * f)) for f in (1, 2))
    if field == "batch_size":
        return "0, 32"
    if field == "per_class":
        return ", ".join(str(n) for n in (100, 500, 1000))
    if field == "seed":
        return "0, 1, 2"
    if field == "scale":
        return "raw, unit"
    return "float32, float64"


class SweepDialog(QDialog):
    """Choose the grid, start and stop the sweep, watch its progress and result."""

    runPicked = Signal(int)  # a run clicked on the plot

    def __init__(self, session, base: TrainConfig | None, parent: QWidget | None = None):
        super().__init__(parent)
        self.session = session
        self.setWindowTitle("Sweep")
        self.base = base
        self.runner: SweepRunner | None = None
        self.sweep: Sweep | None = None
        self._grid: Sweep | None = None  # the grid the fields describe, when they are valid
        self._measured_rate: float | None = None  # seconds per unit of work, from the runs recorded before
        self._build()
        self.set_base(base)
        self.resize(860, 620)

    def _build(self) -> None:
        self.base_label = QLabel()
        self.base_label.setWordWrap(True)
        self.field_combos, self.value_edits = [], []
        grid = QGridLayout()
        for row, (text, fields) in enumerate((("&Vary", list(FIELD_LABELS)), ("&and", [NOTHING, *FIELD_LABELS]))):
            combo = QComboBox()
            for field in fields:
                combo.addItem(FIELD_LABELS.get(field, field), field)
            combo.setToolTip("The setting to vary")
            edit = QLineEdit()
            edit.setToolTip("Its values, separated by commas")
            label = QLabel(text)
            label.setBuddy(combo)
            combo.currentIndexChanged.connect(lambda _i, r=row: self._field_changed(r))
            edit.textChanged.connect(self._update_grid)
            grid.addWidget(label, row, 0)
            grid.addWidget(combo, row, 1)
            grid.addWidget(edit, row, 2)
            self.field_combos.append(combo)
            self.value_edits.append(edit)
        grid.setColumnStretch(2, 1)
        self.grid_label = QLabel()
        self.grid_label.setWordWrap(True)

        self.start_button = QPushButton("&Start sweep")
        self.start_button.setToolTip("Train every point of the grid, one run after another")
        self.start_button.clicked.connect(self.start)
        self.stop_after_button = QPushButton("Stop after this &run")
        self.stop_after_button.setToolTip("Let the run in progress end, then stop the sweep")
        self.stop_after_button.clicked.connect(self.stop_after_run)
        self.stop_now_button = QPushButton("Stop &now")
        self.stop_now_button.setToolTip("Stop the run in progress at its next epoch, and the sweep")
        self.stop_now_button.clicked.connect(self.stop_now)
        close = QPushButton("&Close")
        close.setToolTip("Hide this dialog (a sweep goes on; Run > Sweep... shows it again)")
        close.clicked.connect(self.hide)
        buttons = QHBoxLayout()
        for b in (self.start_button, self.stop_after_button, self.stop_now_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(close)

        self.progress_bar = QProgressBar()
        self.progress_bar.setRange(0, 1000)
        self.progress_bar.setTextVisible(False)
        self.progress_label = QLabel("")
        self.plot = SweepPlot()
        self.plot.runPicked.connect(self.runPicked)

        layout = QVBoxLayout(self)
        layout.addWidget(self.base_label)
        layout.addLayout(grid)
        layout.addWidget(self.grid_label)
        layout.addLayout(buttons)
        layout.addWidget(self.progress_bar)
        layout.addWidget(self.progress_label)
        layout.addWidget(self.plot, 1)
        self._sync_buttons()

    # -- the grid ---------------------------------------------------------------------------------

    def set_base(self, base: TrainConfig | None) -> None:
        """Start the grid from these settings (the experiment form's)."""
        self.base = base
        self._measured_rate = self._rate()
        if base is None:
            self.base_label.setText("Fix the experiment form's settings first: the sweep starts from them.")
        else:
            self.base_label.setText(
                f"Every run starts from the experiment form's settings: {base.describe()}, "
                f"{base.epochs} epochs, seed {base.seed}."
            )
        if not self.value_edits[0].text():
            self._field_changed(0)
        self._update_grid()

    def set_grid(self, first: str, values: str, second: str | None = None, second_values: str = "") -> None:
        """Choose the swept settings and their values (what the user does with the fields)."""
        for combo, edit, field, text in (
            (self.field_combos[0], self.value_edits[0], first, values),
            (self.field_combos[1], self.value_edits[1], second or NOTHING, second_values),
        ):
            combo.setCurrentIndex(combo.findData(field))
            edit.setText(text)

    def _field_changed(self, row: int) -> None:
        field = self.field_combos[row].currentData()
        edit = self.value_edits[row]
        edit.setEnabled(field != NOTHING)
        if field == NOTHING:
            edit.clear()
        elif self.base is not None:
            edit.setText(suggested_values(field, self.base))
        self._update_grid()

    def axes(self) -> dict[str, list]:
        """The swept fields and their values; raises MlpguiError (ConfigError) on a bad entry."""
        axes = {}
        for combo, edit in zip(self.field_combos, self.value_edits, strict=True):
            field = combo.currentData()
            if field == NOTHING:
                continue
            if field in axes:
                raise MlpguiError(f"{FIELD_LABELS[field]} is chosen twice: vary two different settings")
            axes[field] = parse_values(edit.text(), FIELD_KINDS[field])
        return axes

    def _update_grid(self) -> None:
        self._grid = None
        if self.base is None:
            self.grid_label.setText("")
            self._sync_buttons()
            return
        try:
            axes = self.axes()
            grid = Sweep(self.base, axes)
            configs = grid.configs()
        except MlpguiError as e:
            self.grid_label.setText(f"<span style='color:#b00020'>{e}</span>")
            self._sync_buttons()
            return
        self._grid = grid
        sizes = " × ".join(str(len(v)) for v in axes.values())
        n = len(configs)
        text = f"{sizes} = {n} run{'s' if n != 1 else ''}" if len(axes) == 2 else f"{n} run{'s' if n != 1 else ''}"
        text += f", {sum(c.epochs for c in configs):,} epochs in all"
        rate = self._measured_rate
        if rate is not None:
            text += f"; about {format_duration(rate * sum(config_work(c) for c in configs))} (from your earlier runs)"
        else:
            text += "; the time left is estimated once the first epochs are done"
        self.grid_label.setText(text)
        if not self.running():
            self.plot.set_results(axes, [])
        self._sync_buttons()

    def _rate(self) -> float | None:
        store = self.session.store
        if store is None:
            return None
        try:
            return seconds_per_work(store.runs(status="finished")[:20])
        except MlpguiError:
            return None

    # -- the sweep --------------------------------------------------------------------------------

    def running(self) -> bool:
        return self.runner is not None and self.runner.running()

    def start(self) -> bool:
        """Start the grid the fields describe; False if it is not valid or a run is in progress."""
        if self.running() or self._grid is None:
            return False
        if self.session.is_training():
            self.progress_label.setText("A run is in progress: stop it first, or wait for it to end.")
            return False
        store = self.session.store
        self.sweep = dataclasses.replace(self._grid, id=new_sweep_id(store.sweep_ids() if store else ()))
        configs = self.sweep.configs()
        self.runner = SweepRunner(self.session, configs, self.sweep.id, self._measured_rate, self)
        self.runner.progress.connect(self._show_progress)
        self.runner.runDone.connect(self._run_done)
        self.runner.finished.connect(self._finished)
        self.plot.set_results(self.sweep.axes, [])
        self.progress_bar.setValue(0)
        started = self.runner.start()
        self._sync_buttons()
        return started

    def stop_after_run(self) -> None:
        if self.running():
            self.runner.stop_after_run()
            self.progress_label.setText(self.progress_label.text() + "  ·  stopping after this run")
            self.stop_after_button.setEnabled(False)

    def stop_now(self) -> None:
        if self.running():
            self.runner.stop_now()
            self._sync_buttons()

    def records(self):
        """The sweep's runs as recorded in the store (newest first)."""
        store = self.session.store
        if self.sweep is None or store is None:
            return []
        try:
            return store.runs(sweep_id=self.sweep.id)
        except MlpguiError:
            return []

    def _run_done(self, _run_id: int) -> None:
        self.plot.set_results(self.sweep.axes, self.records())

    def _show_progress(self, p: SweepProgress) -> None:
        self.progress_bar.setValue(round(1000 * p.fraction))
        text = f"Run {p.run} of {p.runs}"
        if p.config is not None:
            what = ", ".join(
                f"{FIELD_LABELS[f]} {value_text(getattr(p.config, f))}" for f in (self.sweep.axes if self.sweep else {})
            )
            text += f" ({what}): epoch {p.epoch} / {p.config.epochs}"
        text += f"  ·  {format_duration(p.elapsed)} so far"
        if p.left is not None and p.fraction < 1:
            text += f", about {format_duration(p.left)} left"
        self.progress_label.setText(text)

    def _finished(self, stopped: bool, why: str) -> None:
        self._measured_rate = self._rate()
        records = self.records()
        self.plot.set_results(self.sweep.axes, records)
        n = len(records)
        if stopped:
            self.progress_label.setText(f"Sweep {self.sweep.id} {why}: {n} run{'s' if n != 1 else ''} recorded.")
        else:
            self.progress_bar.setValue(1000)
            self.progress_label.setText(
                f"Sweep {self.sweep.id} done: {n} runs recorded (tagged {self.sweep.id} in the Runs dock)."
            )
        self._sync_buttons()

    def _sync_buttons(self) -> None:
        running = self.running()
        self.start_button.setEnabled(not running and self._grid is not None)
        self.stop_after_button.setEnabled(running)
        self.stop_now_button.setEnabled(running)
        for widget in (*self.field_combos, *self.value_edits):
            widget.setEnabled(not running)
        if not running:
            self.value_edits[1].setEnabled(self.field_combos[1].currentData() != NOTHING)

    def keyPressEvent(self, event) -> None:
        if event.key() == Qt.Key.Key_Escape:  # Escape hides the dialog; a sweep goes on
            self.hide()
            return
        super().keyPressEvent(event)
