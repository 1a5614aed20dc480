"""What to train: the `TrainConfig` dataclass, its presets and its validation.

The config says everything needed to reproduce a run bit for bit (together
with the data it was trained on). The command line, the window and model
files all speak it; `validate` is the one place that decides what is legal.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from dataclasses import dataclass

from .errors import ConfigError

TASKS = ("binary", "multiclass")
SCALES = ("raw", "unit")
DTYPES = ("float32", "float64")

# Limits that keep a typo from asking for a week of training. Memory is
# checked separately, against the machine, once the data size is known.
MAX_HIDDEN = 65_536
MAX_EPOCHS = 1_000_000
MAX_LR = 1e9
# The window's seed box holds a Qt int, at most 2**31 - 1; the command line and model files
# accept exactly the same seeds, so a seed means the same run everywhere.
MAX_SEED = 2**31 - 1


@dataclass(frozen=True)
class TrainConfig:
    """One training run of the 784 -> hidden -> 1 or 10 network."""

    task: str = "binary"  # "binary": two digits, one sigmoid output; "multiclass": 10 softmax outputs
    digits: tuple[int, int] = (5, 8)  # binary only: (a, b); a is label 0, b is label 1
    per_class: int = 1000  # training images per class, first ones in file order; 0 = all
    hidden: int = 256  # sigmoid hidden units
    epochs: int = 100  # passes over the training set
    lr: float = 0.01  # gradient-descent step size
    batch_size: int = 0  # 0 = full batch (the homework); else mini-batches over a seeded shuffle
    scale: str = "raw"  # "raw": pixels 0..255 (the homework); "unit": pixels / 255
    dtype: str = "float64"  # "float64" (the homework) or "float32" (faster)
    seed: int = 3  # RandomState seed for the weights (and the mini-batch shuffles)

    def __post_init__(self) -> None:
        # NumPy scalars (an np.int64 read from an array, an np.float32 from a sweep)
        # become Python numbers: validation, equality and the JSON of model files
        # then treat them like any int or float. Anything else is left for `validate`.
        for name in ("per_class", "hidden", "epochs", "batch_size", "seed"):
            value = getattr(self, name)
            if isinstance(value, numbers.Integral) and not isinstance(value, (bool, int)):
                object.__setattr__(self, name, int(value))
        if isinstance(self.lr, numbers.Real) and not isinstance(self.lr, (bool, int, float)):
            object.__setattr__(self, "lr", float(self.lr))
        if isinstance(self.digits, tuple):
            object.__setattr__(
                self,
                "digits",
                tuple(
                    int(d) if isinstance(d, numbers.Integral) and not isinstance(d, bool) else d for d in self.digits
                ),
            )

    @property
    def n_outputs(self) -> int:
        return 1 if self.task == "binary" else 10

    @property
    def classes(self) -> tuple[int, ...]:
        """The digit each output label stands for: (a, b) for binary, 0..9 otherwise."""
        return tuple(self.digits) if self.task == "binary" else tuple(range(10))

    def replace(self, **changes) -> TrainConfig:
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d["digits"] = list(self.digits)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> TrainConfig:
        """Build a config from a dict (a model file, saved settings), then validate it."""
        if not isinstance(d, dict):
            raise ConfigError("the settings are not a mapping of names to values")
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(d) - names)
        if unknown:
            raise ConfigError(f"unknown setting(s): {', '.join(unknown)}")
        kwargs = dict(d)
        if "digits" in kwargs:
            digits = kwargs["digits"]
            if not isinstance(digits, (list, tuple)) or len(digits) != 2:
                raise ConfigError("digits must be two digits, e.g. 5 8", "digits")
            kwargs["digits"] = tuple(digits)
        config = cls(**kwargs)
        validate(config)
        return config

    def describe(self) -> str:
        """A short human label, e.g. 'binary 5/8, n=1000, lr 0.01, H 256, full batch'."""
        what = f"binary {self.digits[0]}/{self.digits[1]}" if self.task == "binary" else "multiclass"
        n = "all" if self.per_class == 0 else str(self.per_class)
        batch = "full batch" if self.batch_size == 0 else f"batch {self.batch_size}"
        return f"{what}, n={n}, H {self.hidden}, lr {self.lr:g}, {batch}, {self.scale}, {self.dtype}"


PRESETS: dict[str, TrainConfig] = {
    # The course homework, cell for cell.
    "homework-binary": TrainConfig(
        task="binary",
        digits=(5, 8),
        per_class=1000,
        hidden=256,
        epochs=100,
        lr=0.01,
        batch_size=0,
        scale="raw",
        dtype="float64",
        seed=3,
    ),
    "homework-multiclass": TrainConfig(
        task="multiclass",
        per_class=1000,
        hidden=256,
        epochs=150,
        lr=0.1,
        batch_size=0,
        scale="raw",
        dtype="float64",
        seed=3,
    ),
    # All 60,000 images, unit-scaled float32 mini-batches: >= 98% test accuracy in seconds.
    "fast": TrainConfig(
        task="multiclass",
        per_class=0,
        hidden=256,
        epochs=13,
        lr=0.5,
        batch_size=32,
        scale="unit",
        dtype="float32",
        seed=0,
    ),
}


def preset(name: str) -> TrainConfig:
    try:
        return PRESETS[name]
    except KeyError:
        raise ConfigError(f"unknown preset {name!r}; choose one of: {', '.join(PRESETS)}", "preset") from None


def _int_in(config, name, lo, hi, what):
    value = getattr(config, name)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"{what} must be a whole number, not {value!r}", name)
    if not lo <= value <= hi:
        raise ConfigError(f"{what} must be between {lo:,} and {hi:,} (got {value:,})", name)


def validate(config: TrainConfig) -> TrainConfig:
    """Check every field on its own and together; raise `ConfigError` naming the field.

    What depends on the data (images available per class, batch size versus the
    set, memory) is checked by `mlpgui.core.tasks.check_fits`.
    """
    if config.task not in TASKS:
        raise ConfigError(f"task must be 'binary' or 'multiclass', not {config.task!r}", "task")
    digits = config.digits
    if config.task == "binary":
        if not isinstance(digits, tuple) or len(digits) != 2:
            raise ConfigError("binary needs two digits, e.g. 5 8", "digits")
        for d in digits:
            if isinstance(d, bool) or not isinstance(d, int) or not 0 <= d <= 9:
                raise ConfigError(f"digits must be whole numbers from 0 to 9, not {d!r}", "digits")
        if digits[0] == digits[1]:
            raise ConfigError(f"the two digits must differ (both are {digits[0]})", "digits")
    _int_in(config, "per_class", 0, 10**9, "images per class")
    _int_in(config, "hidden", 1, MAX_HIDDEN, "hidden units")
    _int_in(config, "epochs", 1, MAX_EPOCHS, "epochs")
    _int_in(config, "batch_size", 0, 10**9, "batch size")
    _int_in(config, "seed", 0, MAX_SEED, "seed")
    lr = config.lr
    if isinstance(lr, bool) or not isinstance(lr, (int, float)):
        raise ConfigError(f"learning rate must be a number, not {lr!r}", "lr")
    if not math.isfinite(lr) or lr <= 0:
        raise ConfigError(f"learning rate must be a positive finite number (got {lr})", "lr")
    if lr > MAX_LR:
        raise ConfigError(f"learning rate must be at most {MAX_LR:g} (got {lr:g})", "lr")
    if config.scale not in SCALES:
        raise ConfigError(f"scale must be 'raw' or 'unit', not {config.scale!r}", "scale")
    if config.dtype not in DTYPES:
        raise ConfigError(f"precision must be 'float32' or 'float64', not {config.dtype!r}", "dtype")
    return config
