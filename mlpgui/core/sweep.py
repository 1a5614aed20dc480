"""Sweeps: a grid of training configs that differ in one or more settings, run one after another.

`Sweep(base, {"lr": [0.01, 0.1], "hidden": [64, 256]})` is the grid of the
base config with every combination of the swept values, first setting
slowest (lr 0.01 with H 64, then H 256, then lr 0.1 ...). Every config is
validated when the sweep is made, so a bad value costs no training. Each run
is recorded with the sweep's id (`sweep-YYYYMMDD-HHMMSS`) as its sweep id and
as a tag, and `sweep_table` reads the runs back as a grid of final test
accuracy and loss, for the table the command line prints and the window's plot.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Callable, Container, Iterable
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from .config import TrainConfig, validate
from .errors import ConfigError

# What a sweep may vary, and the kind of its values.
SWEEPABLE: dict[str, type] = {
    "lr": float,
    "hidden": int,
    "epochs": int,
    "batch_size": int,
    "per_class": int,
    "seed": int,
    "scale": str,
    "dtype": str,
}
MAX_RUNS = 500  # runs in one sweep: far beyond a lesson, short of a typo's thousands
LABELS = {
    "lr": "learning rate",
    "hidden": "hidden units",
    "epochs": "epochs",
    "batch_size": "batch size",
    "per_class": "images per class",
    "seed": "seed",
    "scale": "scale",
    "dtype": "precision",
}


def parse_values(text: str, kind: type | Callable = float) -> list:
    """A comma-separated list of values of one kind: "0.01,0.03,0.1" -> [0.01, 0.03, 0.1].

    `kind` is float, int or str. Raises ConfigError on an empty item, a value
    that is not of the kind, or a value given twice.
    """
    if not isinstance(text, str) or not text.strip():
        raise ConfigError("give at least one value, e.g. 0.01,0.1")
    values: list = []
    for item in text.split(","):
        item = item.strip()
        if not item:
            raise ConfigError(f"an empty value in {text!r} (two commas, or one at an end?)")
        try:
            value = _convert(item, kind)
        except ValueError:
            what = {int: "a whole number", float: "a number"}.get(kind, "a value")
            raise ConfigError(f"{item!r} in {text!r} is not {what}") from None
        if value in values:
            raise ConfigError(f"{item} is given twice in {text!r}")
        values.append(value)
    return values


def _convert(item: str, kind):
    if kind is int:
        return int(item)
    if kind is float:
        value = float(item)
        if not math.isfinite(value):
            raise ValueError(item)
        return value
    return kind(item)


def new_sweep_id(taken: Container[str] = (), now: datetime | None = None) -> str:
    """'sweep-20261203-081500' from the local time; '-2', '-3' ... appended if `taken` has it already."""
    base = (now or datetime.now()).strftime("sweep-%Y%m%d-%H%M%S")
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}-{n}"
    return candidate


@dataclass(frozen=True, eq=False)
class Sweep:
    """The grid over `axes` (TrainConfig field -> values, in order) around `base`."""

    base: TrainConfig
    axes: dict[str, list]
    id: str = field(default_factory=new_sweep_id)

    def __post_init__(self) -> None:
        if not self.axes:
            raise ConfigError("a sweep needs at least one setting with several values, e.g. --lr 0.01,0.1")
        fields = {f.name for f in dataclasses.fields(TrainConfig)}
        for name, values in self.axes.items():
            if name not in fields or name not in SWEEPABLE:
                raise ConfigError(f"a sweep can't vary {name!r}; it varies {', '.join(SWEEPABLE)}", name)
            if not values:
                raise ConfigError(f"no values for {LABELS[name]}", name)
        # Copies, so the caller's lists can't change the sweep afterwards.
        object.__setattr__(self, "axes", {name: list(values) for name, values in self.axes.items()})
        if self.size > MAX_RUNS:
            raise ConfigError(f"a sweep of {self.size:,} runs is too many; at most {MAX_RUNS} at once")
        self.configs()  # every config checked before any training

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self.axes)

    @property
    def size(self) -> int:
        return math.prod(len(v) for v in self.axes.values())

    def points(self) -> list[tuple]:
        """The grid's points (one value per swept setting) in run order: the first setting slowest."""
        return list(itertools.product(*self.axes.values()))

    def configs(self) -> list[TrainConfig]:
        """The config of every grid point, in run order; ConfigError (naming the point) on a bad one."""
        configs = []
        for point in self.points():
            changes = dict(zip(self.names, point))
            try:
                config = validate(self.base.replace(**changes))
            except ConfigError as exc:
                where = ", ".join(f"{LABELS[n]} {v}" for n, v in changes.items())
                raise ConfigError(f"{exc}, in the run with {where}", exc.field) from None
            configs.append(config)
        return configs


def point_of(config: TrainConfig, names: Iterable[str]) -> tuple:
    return tuple(getattr(config, name) for name in names)


@dataclass(frozen=True)
class SweepTable:
    """A sweep's results on its grid: for each point, the run that trained it (or None)."""

    names: tuple[str, ...]
    values: tuple[tuple, ...]  # each swept setting's values, in grid order
    runs: dict[tuple, object]  # grid point -> RunRecord

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(len(v) for v in self.values)

    def run_at(self, point: tuple):
        return self.runs.get(tuple(point))

    def grid(self, metric: str = "final_test_accuracy") -> np.ndarray:
        """The metric of each point's run as an array of `shape` (NaN where nothing was measured)."""
        out = np.full(self.shape, np.nan)
        for index in itertools.product(*(range(n) for n in self.shape)):
            run = self.runs.get(tuple(v[i] for v, i in zip(self.values, index)))
            value = None if run is None else getattr(run, metric)
            if value is not None:
                out[index] = value
        return out


def sweep_table(records: Iterable, axes: dict[str, list]) -> SweepTable:
    """Place `records` (RunRecords of one sweep) on the grid of `axes`.

    A point run more than once shows its newest run (records carry
    increasing ids); a record off the grid is left out.
    """
    names = tuple(axes)
    values = tuple(tuple(v) for v in axes.values())
    runs: dict[tuple, object] = {}
    for record in sorted(records, key=lambda r: r.id):
        point = point_of(record.config, names)
        if all(p in v for p, v in zip(point, values)):
            runs[point] = record
    return SweepTable(names, values, runs)


def axes_of(records: Iterable) -> dict[str, list]:
    """The settings that vary among `records` and their values (sorted): a finished sweep's axes, read back."""
    records = list(records)
    axes = {}
    for name in SWEEPABLE:
        seen = sorted({getattr(r.config, name) for r in records})
        if len(seen) > 1:
            axes[name] = seen
    return axes
