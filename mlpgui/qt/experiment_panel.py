"""The experiment panel (left dock): what to train, Start/Pause/Stop, progress, the data.

Every setting of `TrainConfig` has a field with a tooltip. The form is checked
on every change by the engine itself (`config.validate`, then `build_task` and
`check_fits` for what depends on the data and the machine); a refused value
shows the engine's message in red under its field and Start stays disabled.
The panel never trains: it emits `startRequested(config)`, `pauseToggled` and
`stopRequested` for the training session, and shows the session's `RunState`
(`show_run_state`): it enables its own buttons and fields from it.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from mlpgui.core.config import PRESETS, TrainConfig
from mlpgui.core.errors import ConfigError, MlpguiError
from mlpgui.core.run_state import RunPhase, RunState
from mlpgui.core.tasks import TaskCache, TaskData, first_of_each_class

from .sample_strip import SampleStrip

PRESET_TITLES = {"homework-binary": "Homework binary", "homework-multiclass": "Homework multiclass", "fast": "Fast"}
CUSTOM = "custom"
DEFAULT_PRESET = "homework-binary"
INT_MAX = 2_147_483_647
ERROR_STYLE = "color: #c62828;"
# The Run menu's shortcuts (the window's actions), named in the buttons' tooltips.
START_KEY, PAUSE_KEY, STOP_KEY = "Ctrl+R", "Ctrl+P", "Ctrl+."
FOCUS_STYLE = "QPushButton:focus { border: 2px solid palette(highlight); border-radius: 4px; padding: 4px 6px; }"
# The form fits a 250-pixel dock (a 1024-pixel screen with both docks open): fields shrink to this
# many pixels (a spin box still shows a seven-digit number), combo boxes to this many characters.
FIELD_MIN_WIDTH = 64
COMBO_MIN_CHARS = 4
MARGIN = 4  # around the form and inside its boxes (Qt's default is 9)
BUTTON_MIN_WIDTH = 60  # "Resume" still fits

TOOLTIPS = {
    "preset": "Fill every field from a known recipe: the two homework runs, or a fast run on all 60,000 "
    "images. Changing any field makes it Custom.",
    "task": "Binary: tell two digits apart with one sigmoid output (the homework's first part).\n"
    "Multiclass: recognise all ten digits with ten softmax outputs.",
    "digits": "The two digits to tell apart. The first is label 0, the second label 1.",
    "per_class": "Training images per class, the first ones in file order (0 = all of them). The homework uses 1000.",
    "hidden": "Sigmoid units in the hidden layer. More can learn more, but train slower.",
    "epochs": "Passes over the whole training set.",
    "lr": "Learning rate: the gradient-descent step size. Too small learns slowly, too large diverges.",
    "batch_size": "Images per gradient step (0 = full batch: one step per epoch, as the homework). "
    "Mini-batches take many smaller steps per epoch.",
    "scale": "Raw feeds pixels 0..255 as the homework does; unit divides them by 255 (trains better "
    "with larger learning rates).",
    "dtype": "Arithmetic precision: float64 as the homework, or float32 (about twice as fast).",
    "seed": "Seed of the random initial weights (and the mini-batch order): the same seed gives the same run.",
}
LABELS = {
    "task": "Task",
    "digits": "Digits",
    "per_class": "Images per class",
    "hidden": "Hidden units",
    "epochs": "Epochs",
    "lr": "Learning rate",
    "batch_size": "Batch size",
    "scale": "Input scaling",
    "dtype": "Precision",
    "seed": "Seed",
}


def _narrow(widget: QWidget) -> None:
    """Let a field shrink below its natural width (a combo box elides its text, a spin box scrolls it)."""
    if isinstance(widget, QComboBox):
        widget.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        widget.setMinimumContentsLength(COMBO_MIN_CHARS)
    else:
        widget.setMinimumWidth(FIELD_MIN_WIDTH)


class ExperimentPanel(QWidget):
    """The form, the run buttons, the progress and the sample strip."""

    startRequested = Signal(object)  # the valid TrainConfig
    stopRequested = Signal()
    pauseToggled = Signal(bool)  # True: pause, False: resume
    configChanged = Signal(object)  # the TrainConfig when valid, else None

    def __init__(self, tasks: TaskCache | None, data_error: str = "", parent: QWidget | None = None):
        super().__init__(parent)
        self.tasks = tasks
        self._filling = False
        self._run = RunState()
        self._config: TrainConfig | None = None
        self._task: TaskData | None = None
        self._strip_key = None
        self._data_error = data_error or "no MNIST data could be loaded"
        self._build()
        self.set_preset(DEFAULT_PRESET)

    # -- building ---------------------------------------------------------------------

    def _build(self) -> None:
        self.preset_combo = QComboBox()
        for key, title in PRESET_TITLES.items():
            self.preset_combo.addItem(title, key)
        self.preset_combo.addItem("Custom", CUSTOM)
        self.preset_combo.setToolTip(TOOLTIPS["preset"])
        _narrow(self.preset_combo)
        self.preset_combo.activated.connect(self._preset_picked)

        task = QComboBox()
        task.addItem("Binary", "binary")
        task.addItem("Multiclass", "multiclass")
        task.currentIndexChanged.connect(self._field_edited)

        digit_a, digit_b = QSpinBox(), QSpinBox()
        for spin in (digit_a, digit_b):
            spin.setRange(0, 9)
            spin.valueChanged.connect(self._field_edited)
        digits = QWidget()
        row = QHBoxLayout(digits)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(digit_a)
        row.addWidget(QLabel("vs"))
        row.addWidget(digit_b)
        row.addStretch(1)
        self.digit_spins = (digit_a, digit_b)
        digit_a.setAccessibleName("First digit (label 0)")
        digit_b.setAccessibleName("Second digit (label 1)")

        def spin(lo, hi, special=None, step=1):
            box = QSpinBox()
            box.setRange(lo, hi)
            box.setSingleStep(step)
            box.setGroupSeparatorShown(True)
            if special:
                box.setSpecialValueText(special)
            box.valueChanged.connect(self._field_edited)
            box.lineEdit().textEdited.connect(self._field_edited)  # an emptied box is refused too
            box.editingFinished.connect(self._field_edited)  # ...until leaving it puts a number back
            return box

        lr = QLineEdit()
        lr.setPlaceholderText("e.g. 0.01")
        lr.textChanged.connect(self._field_edited)

        scale = QComboBox()
        scale.addItem("raw: 0-255", "raw")
        scale.addItem("unit: 0-1", "unit")
        scale.currentIndexChanged.connect(self._field_edited)
        dtype = QComboBox()
        dtype.addItem("float64", "float64")
        dtype.addItem("float32 (fast)", "float32")
        dtype.currentIndexChanged.connect(self._field_edited)

        self.fields: dict[str, QWidget] = {
            "task": task,
            "digits": digits,
            "per_class": spin(0, 10_000_000, "all", 100),
            # 0 is typeable, so the engine's check refuses it with a message (a spin box's own
            # minimum would silently put the previous value back).
            "hidden": spin(0, 10_000_000, step=16),
            "epochs": spin(0, 1_000_000_000, step=10),
            "lr": lr,
            "batch_size": spin(0, 10_000_000, "full batch", 16),
            "scale": scale,
            "dtype": dtype,
            "seed": spin(0, INT_MAX),
        }
        self.errors: dict[str | None, QLabel] = {}
        self.form = QFormLayout()
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
        self._rows: dict[str, QWidget] = {}
        for spin_box in self.digit_spins:
            spin_box.setMinimumWidth(40)
        for name, widget in self.fields.items():
            widget.setToolTip(TOOLTIPS[name])
            if name != "digits":
                _narrow(widget)
            error = self._error_label()
            self.errors[name] = error
            cell = QWidget()
            box = QVBoxLayout(cell)
            box.setContentsMargins(0, 0, 0, 0)
            box.setSpacing(2)
            box.addWidget(widget)
            box.addWidget(error)
            label = QLabel(LABELS[name])
            label.setToolTip(TOOLTIPS[name])
            label.setBuddy(widget)
            self.form.addRow(label, cell)
            self._rows[name] = cell
        self.form.setContentsMargins(MARGIN, MARGIN, MARGIN, MARGIN)
        settings = QGroupBox("Settings")
        settings.setLayout(self.form)

        self.errors[None] = self._error_label()

        self.start_button = QPushButton("Start")
        self.start_button.setToolTip(f"Train a fresh network with these settings ({START_KEY})")
        self.start_button.setDefault(True)
        self.pause_button = QPushButton("Pause")
        self.pause_button.setCheckable(True)
        self.pause_button.setToolTip(f"Hold the run after the current epoch; press again to resume ({PAUSE_KEY})")
        self.stop_button = QPushButton("Stop")
        self.stop_button.setToolTip(
            f"End the run after the current epoch (mini-batch), keeping the model it has learnt so far ({STOP_KEY})"
        )
        for button in (self.start_button, self.pause_button, self.stop_button):
            button.setStyleSheet(FOCUS_STYLE)  # where the keyboard is must show
            button.setMinimumWidth(BUTTON_MIN_WIDTH)
        self.start_button.clicked.connect(self._start_clicked)
        self.stop_button.clicked.connect(self.stopRequested)
        self.pause_button.toggled.connect(self._pause_toggled)
        buttons = QHBoxLayout()
        for button in (self.start_button, self.pause_button, self.stop_button):
            buttons.addWidget(button)

        self.progress_bar = QProgressBar()
        self.progress_bar.setFormat("epoch %v / %m")
        self.progress_bar.setRange(0, 1)
        self.progress_bar.setValue(0)
        self.progress_bar.setTextVisible(True)
        self.time_label = QLabel("")
        self.time_label.setStyleSheet("color: palette(placeholder-text);")

        self.strip = SampleStrip()
        self.dataset_label = QLabel("")
        self.dataset_label.setWordWrap(True)
        data_box = QGroupBox("First images of each class")
        data_box.setToolTip("The first training images of each class of this task, in file order")
        data_layout = QVBoxLayout(data_box)
        data_layout.setContentsMargins(MARGIN, MARGIN, MARGIN, MARGIN)
        data_layout.addWidget(self.strip)
        data_layout.addWidget(self.dataset_label)

        preset_row = QFormLayout()
        preset_label = QLabel("Preset")
        preset_label.setToolTip(TOOLTIPS["preset"])
        preset_row.addRow(preset_label, self.preset_combo)

        content = QWidget()
        layout = QVBoxLayout(content)
        layout.setContentsMargins(MARGIN, MARGIN, MARGIN, MARGIN)
        layout.addLayout(preset_row)
        layout.addWidget(settings)
        layout.addWidget(self.errors[None])
        layout.addLayout(buttons)
        layout.addWidget(self.progress_bar)
        layout.addWidget(self.time_label)
        layout.addWidget(data_box)
        layout.addStretch(1)

        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(content)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)
        self.setMinimumWidth(250)
        self._update_buttons()

    @staticmethod
    def _error_label() -> QLabel:
        label = QLabel("")
        label.setWordWrap(True)
        label.setStyleSheet(ERROR_STYLE)
        label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        label.hide()
        return label

    # -- the form <-> a TrainConfig ------------------------------------------------------

    def set_preset(self, key: str) -> None:
        """Fill the form from PRESETS[key] ("custom" leaves the fields as they are)."""
        if key != CUSTOM:
            self.set_config(PRESETS[key])

    def set_config(self, config: TrainConfig) -> None:
        """Fill every field from `config`; the preset shows which preset it is, or Custom."""
        self._filling = True
        try:
            f = self.fields
            f["task"].setCurrentIndex(f["task"].findData(config.task))
            self.digit_spins[0].setValue(int(config.digits[0]))
            self.digit_spins[1].setValue(int(config.digits[1]))
            for name in ("per_class", "hidden", "epochs", "batch_size", "seed"):
                f[name].setValue(min(int(getattr(config, name)), f[name].maximum()))
            f["lr"].setText(f"{config.lr:g}")
            f["scale"].setCurrentIndex(f["scale"].findData(config.scale))
            f["dtype"].setCurrentIndex(f["dtype"].findData(config.dtype))
        finally:
            self._filling = False
        self._field_edited()

    def _read_form(self) -> TrainConfig:
        f = self.fields
        for name in ("per_class", "hidden", "epochs", "batch_size", "seed"):
            if not f[name].hasAcceptableInput():
                raise ConfigError(f"enter the {LABELS[name].lower()} as a whole number", name)
        text = f["lr"].text().strip()
        if not text:
            raise ConfigError("enter a learning rate, e.g. 0.01", "lr")
        try:
            lr = float(text.replace(",", "."))
        except ValueError:
            raise ConfigError(f"learning rate must be a number such as 0.01 or 1e-3, not {text!r}", "lr") from None
        return TrainConfig(
            task=f["task"].currentData(),
            digits=(self.digit_spins[0].value(), self.digit_spins[1].value()),
            per_class=f["per_class"].value(),
            hidden=f["hidden"].value(),
            epochs=f["epochs"].value(),
            lr=lr,
            batch_size=f["batch_size"].value(),
            scale=f["scale"].currentData(),
            dtype=f["dtype"].currentData(),
            seed=f["seed"].value(),
        )

    def _preset_picked(self, index: int) -> None:
        self.set_preset(self.preset_combo.itemData(index))

    def _field_edited(self, *_args) -> None:
        if self._filling:
            return
        binary = self.fields["task"].currentData() == "binary"
        self.form.setRowVisible(self._rows["digits"], binary)
        self._revalidate()

    def _revalidate(self) -> None:
        for label in self.errors.values():
            label.hide()
        config = task = None
        try:
            config = self._read_form()
            if self.tasks is None:
                raise ConfigError(self._data_error)
            task = self.tasks.get(config)
        except ConfigError as e:
            self._show_error(e.field, str(e))
            config = None
        except MlpguiError as e:
            self._show_error(None, str(e))
            config = None
        self._config, self._task = config, task
        self._show_preset_of(config)
        if task is not None:
            self._show_samples(task)
        self._update_buttons()
        if config is not None and not self._run.running and not self._run.epochs_done:
            self._show_progress(0, max(config.epochs, 1))  # before any run: the planned epochs
        self.configChanged.emit(config)

    def _show_error(self, field: str | None, message: str) -> None:
        label = self.errors.get(field if field in self.errors else None)
        label.setText(message[:1].upper() + message[1:])
        label.show()
        # Once shown, a message keeps its room when it hides again: fixing and breaking a value
        # while typing (an emptied learning rate, then 0.5) must not make the form below jump.
        policy = label.sizePolicy()
        policy.setRetainSizeWhenHidden(True)
        label.setSizePolicy(policy)

    def _show_preset_of(self, config: TrainConfig | None) -> None:
        key = next((k for k, p in PRESETS.items() if p == config), CUSTOM) if config is not None else CUSTOM
        if key in PRESET_TITLES or key == CUSTOM:
            self.preset_combo.setCurrentIndex(self.preset_combo.findData(key))

    def _show_samples(self, task: TaskData) -> None:
        c = task.config
        key = (c.task, tuple(c.digits), c.per_class)
        if key != self._strip_key:
            self._strip_key = key
            shown = first_of_each_class(task.train_labels)
            self.strip.set_images(task.train_images[shown], [str(task.classes[y]) for y in task.train_labels[shown]])
        self.dataset_label.setText(task.describe())

    # -- reading it ------------------------------------------------------------------------

    def config(self) -> TrainConfig | None:
        """The form's config when it is valid (and fits the data and the machine), else None."""
        return self._config

    def task(self) -> TaskData | None:
        """The training and test data of the form's config, when valid."""
        return self._task

    def preset_name(self) -> str:
        """The preset key shown ("homework-binary", ..., or "custom")."""
        return self.preset_combo.currentData()

    def error_text(self, field: str | None) -> str:
        """The message shown under `field` (None: under the form), or "" if none is shown."""
        label = self.errors[field]
        return label.text() if not label.isHidden() else ""

    # -- running ----------------------------------------------------------------------------

    @property
    def _running(self) -> bool:
        return self._run.running

    def show_run_state(self, state: RunState) -> None:
        """Buttons, fields, progress bar and the line under it, for the run's phase and progress."""
        self._run = state
        for widget in [self.preset_combo, *self.fields.values()]:
            widget.setEnabled(not state.running)
        blocked = self.pause_button.blockSignals(True)  # showing the state is not a request
        self.pause_button.setChecked(state.phase is RunPhase.PAUSED)
        self.pause_button.setText("Resume" if state.phase is RunPhase.PAUSED else "Pause")
        self.pause_button.blockSignals(blocked)
        self._update_buttons()
        self._show_progress(state.epochs_done, max(state.epochs_planned, 1))
        self.time_label.setText(state.progress_line())

    def _show_progress(self, done: int, planned: int) -> None:
        """The progress bar at `done` of `planned` epochs (counts beyond a QProgressBar's int range are scaled)."""
        if planned <= INT_MAX:
            self.progress_bar.setFormat("epoch %v / %m")
            self.progress_bar.setRange(0, planned)
            self.progress_bar.setValue(min(done, planned))
        else:  # a model file may say so; the bar shows the share, the text the counts
            self.progress_bar.setFormat(f"epoch {done} / {planned}")
            self.progress_bar.setRange(0, 1000)
            self.progress_bar.setValue(round(1000 * min(done, planned) / planned))

    def _update_buttons(self) -> None:
        phase = self._run.phase
        self.start_button.setEnabled(not self._run.running and self._config is not None)
        self.stop_button.setEnabled(phase in (RunPhase.PREPARING, RunPhase.TRAINING, RunPhase.PAUSED))
        self.pause_button.setEnabled(phase in (RunPhase.PREPARING, RunPhase.TRAINING, RunPhase.PAUSED))

    def _start_clicked(self) -> None:
        if self._config is not None and not self._running:
            self.startRequested.emit(self._config)

    def _pause_toggled(self, paused: bool) -> None:
        self.pause_button.setText("Resume" if paused else "Pause")
        if self._running:
            self.pauseToggled.emit(paused)
