"""Sweeps: value lists, the grid of configs, its id, and the results placed back on the grid."""

from datetime import datetime

import numpy as np
import pytest

from mlpgui.core.config import TrainConfig
from mlpgui.core.errors import ConfigError
from mlpgui.core.runstore import RunStore
from mlpgui.core.sweep import Sweep, axes_of, new_sweep_id, parse_values, sweep_table

BASE = TrainConfig(task="binary", per_class=20, hidden=8, epochs=2, lr=0.5, scale="unit")


def test_value_lists_are_read_in_order():
    assert parse_values("0.01, 0.03,0.1", float) == [0.01, 0.03, 0.1]
    assert parse_values("64,256", int) == [64, 256]
    assert parse_values("float32,float64", str) == ["float32", "float64"]


@pytest.mark.parametrize(
    ("text", "kind", "message"),
    [
        ("0.1,,0.3", float, "an empty value"),
        ("0.1,", float, "an empty value"),
        ("", float, "at least one value"),
        ("0.1,fast", float, "'fast' in '0.1,fast' is not a number"),
        ("0.1,nan", float, "is not a number"),
        ("64,1.5", int, "'1.5' in '64,1.5' is not a whole number"),
        ("64,64", int, "64 is given twice"),
    ],
)
def test_a_bad_value_list_says_which_value(text, kind, message):
    with pytest.raises(ConfigError, match=message):
        parse_values(text, kind)


def test_the_grid_runs_the_first_setting_slowest_and_keeps_the_rest_of_the_base():
    sweep = Sweep(BASE, {"lr": [0.1, 0.3], "hidden": [4, 8, 16]})
    configs = sweep.configs()
    assert sweep.size == 6 and len(configs) == 6
    assert [(c.lr, c.hidden) for c in configs] == [(0.1, 4), (0.1, 8), (0.1, 16), (0.3, 4), (0.3, 8), (0.3, 16)]
    assert all(c.replace(lr=BASE.lr, hidden=BASE.hidden) == BASE for c in configs)


def test_a_bad_grid_point_is_refused_before_any_run_and_named():
    with pytest.raises(ConfigError, match=r"must be between .*, in the run with learning rate 0.1, hidden units 0$"):
        Sweep(BASE, {"lr": [0.1], "hidden": [8, 0]})
    with pytest.raises(ConfigError, match="can't vary 'task'"):
        Sweep(BASE, {"task": ["binary", "multiclass"]})
    with pytest.raises(ConfigError, match="at least one setting"):
        Sweep(BASE, {})
    with pytest.raises(ConfigError, match="too many"):
        Sweep(BASE, {"seed": list(range(30)), "hidden": list(range(1, 30))})


def test_sweep_ids_name_the_time_and_never_repeat():
    now = datetime(2026, 12, 3, 8, 15, 0)
    assert new_sweep_id(now=now) == "sweep-20261203-081500"
    taken = {"sweep-20261203-081500", "sweep-20261203-081500-2"}
    assert new_sweep_id(taken, now=now) == "sweep-20261203-081500-3"
    assert Sweep(BASE, {"lr": [0.1]}).id.startswith("sweep-")


def test_the_table_puts_each_run_on_its_grid_point(tmp_path):
    axes = {"lr": [0.1, 0.3], "hidden": [4, 8]}
    sweep = Sweep(BASE, axes, id="sweep-x")
    with RunStore.open(tmp_path) as store:
        results = {}
        for config in sweep.configs()[:3]:  # the last point never ran
            run_id = store.start_run(config, sweep_id=sweep.id)
            accuracy = config.lr + config.hidden / 100
            store.finish_run(run_id, "finished", final_test=(1 - accuracy, accuracy))
            results[(config.lr, config.hidden)] = accuracy
        store.start_run(BASE.replace(lr=0.1, hidden=16), sweep_id=sweep.id)  # off the grid
        records = store.runs(sweep_id=sweep.id)
    table = sweep_table(records, axes)
    accuracy = table.grid("final_test_accuracy")
    assert accuracy.shape == (2, 2)
    assert accuracy[0, 0] == results[(0.1, 4)] and accuracy[1, 0] == results[(0.3, 4)]
    assert np.isnan(accuracy[1, 1]) and table.run_at((0.3, 8)) is None
    assert table.grid("final_test_loss")[0, 1] == pytest.approx(1 - results[(0.1, 8)])
    assert table.run_at((0.1, 8)).config.hidden == 8
    assert axes_of(records) == {"lr": [0.1, 0.3], "hidden": [4, 8, 16]}
