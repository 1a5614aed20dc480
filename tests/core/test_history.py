"""The loss history as a table: one column order for model files and CSV exports, read back as it was written."""

import csv

import numpy as np
import pytest

from mlpgui.core import model_io
from mlpgui.core.errors import MlpguiError
from mlpgui.core.history import HISTORY_FIELDS, last_test_accuracy, reports_from_history, write_history_csv
from mlpgui.core.training import EpochReport

REPORTS = [
    EpochReport(1, 3, 2.5, 0.25, 0.125),
    EpochReport(2, 3, 1.5, 0.5, 0.25),
    EpochReport(3, 3, 0.75, 0.875, 0.5, test_loss=0.8, test_accuracy=0.84),
]


def test_model_files_and_csv_tables_share_one_column_order(tmp_path):
    assert model_io.HISTORY_FIELDS is HISTORY_FIELDS
    path = tmp_path / "history.csv"
    write_history_csv(path, REPORTS)
    with open(path, newline="") as f:
        header = next(csv.reader(f))
    assert tuple(header) == HISTORY_FIELDS


def test_a_csv_table_has_one_row_per_epoch_and_empty_cells_where_nothing_was_measured(tmp_path):
    path = tmp_path / "history.csv"
    write_history_csv(path, REPORTS)
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    assert [float(r["loss"]) for r in rows] == [r.loss for r in REPORTS]
    assert [r["test_accuracy"] for r in rows] == ["", "", "0.84"]
    assert [int(r["epoch"]) for r in rows] == [1, 2, 3]


def test_a_csv_table_that_cannot_be_written_is_a_one_line_error_and_leaves_no_temporary_file(tmp_path):
    with pytest.raises(MlpguiError, match="can't write"):
        write_history_csv(tmp_path / "missing-folder" / "history.csv", REPORTS)
    assert list(tmp_path.iterdir()) == []


def test_a_model_files_history_reads_back_as_the_reports_it_was_saved_from(tmp_path, multi):
    network, _ = multi
    history = [
        EpochReport(
            i,
            network.epochs_trained,
            1.0 / i,
            0.1 * i,
            0.01 * i,
            *((0.5, 0.9) if i == network.epochs_trained else (None, None)),
        )
        for i in range(1, network.epochs_trained + 1)
    ]
    path = tmp_path / "model.npz"
    model_io.save_model(network, path, history)
    _, columns = model_io.load_model_with_history(path)
    assert reports_from_history(columns) == history
    assert last_test_accuracy(reports_from_history(columns), network.epochs_trained) == 0.9


def test_no_history_gives_no_reports_and_no_accuracy():
    assert reports_from_history(None) == [] and reports_from_history({}) == []
    assert last_test_accuracy([], 5) is None
    assert last_test_accuracy(REPORTS[:2], 2) is None  # epoch 2 was not measured
    assert last_test_accuracy(REPORTS, 4) is None  # the history is not of these weights
    assert np.isclose(last_test_accuracy(REPORTS, 3), 0.84)
