"""A model's loss history as a table: one row per epoch, the same columns in model files and CSV exports.

`HISTORY_FIELDS` is the one column order: `model_io` stores one `history_<field>`
array per column, `write_history_csv` writes them as a CSV table, and
`reports_from_history` turns the columns read back from a model file into
`EpochReport`s. A value that was not measured (the test set is measured only
every few epochs) is NaN in a model file and an empty cell in a CSV table.
"""

from __future__ import annotations

import csv
import math
import os
from pathlib import Path

import numpy as np

from .errors import MlpguiError
from .training import EpochReport

HISTORY_FIELDS = ("epoch", "loss", "train_accuracy", "elapsed", "test_loss", "test_accuracy")


def write_history_csv(path, reports: list[EpochReport]) -> None:
    """One row per epoch in HISTORY_FIELDS order; empty cells where nothing was measured. Written atomically."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        with open(tmp, "w", newline="", encoding="utf-8") as f:
            out = csv.writer(f)
            out.writerow(HISTORY_FIELDS)
            for r in reports:
                out.writerow(["" if getattr(r, c) is None else repr(getattr(r, c)) for c in HISTORY_FIELDS])
        os.replace(tmp, path)
    except OSError as e:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise MlpguiError(f"can't write {path}: {e.strerror or e}") from None


def reports_from_history(history: dict | None) -> list[EpochReport]:
    """A model file's history columns (field -> 1-D array, NaN = not measured) back into EpochReports."""
    if not history or "loss" not in history:
        return []
    n = len(history["loss"])
    epochs = history.get("epoch", np.arange(1, n + 1))

    def column(name, i):
        if name not in history:
            return None
        v = float(history[name][i])
        return None if math.isnan(v) else v

    last = int(epochs[-1]) if n else 0
    return [
        EpochReport(
            int(epochs[i]),
            last,
            float(history["loss"][i]),
            column("train_accuracy", i) or 0.0,
            column("elapsed", i) or 0.0,
            column("test_loss", i),
            column("test_accuracy", i),
        )
        for i in range(n)
    ]


def last_test_accuracy(reports: list[EpochReport], epochs_trained: int) -> float | None:
    """The test accuracy measured on the weights after `epochs_trained` epochs, if the history has it."""
    if reports and reports[-1].epoch == epochs_trained:
        return reports[-1].test_accuracy
    return None
