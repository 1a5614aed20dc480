"""TrainConfig: the presets, validation of every field, and the dict round trip.

Every bad value is a `ConfigError` with `.field` naming the setting at fault
(the window puts the message next to that field) and a one-line message.
"""

import json
import math

import numpy as np
import pytest

from mlpgui.core.config import PRESETS, TrainConfig, preset, validate
from mlpgui.core.errors import ConfigError, MlpguiError


def refused(config=None, **changes) -> ConfigError:
    config = (config or TrainConfig()).replace(**changes)
    with pytest.raises(ConfigError) as info:
        validate(config)
    assert "\n" not in str(info.value) and str(info.value)
    return info.value


def test_defaults_are_the_homework_binary_task():
    c = TrainConfig()
    assert validate(c) is c
    assert (c.task, c.digits, c.per_class, c.hidden) == ("binary", (5, 8), 1000, 256)
    assert c.n_outputs == 1 and c.classes == (5, 8)
    assert TrainConfig(task="multiclass").n_outputs == 10
    assert TrainConfig(task="multiclass").classes == tuple(range(10))


def test_presets_are_what_the_course_asks():
    b, m = preset("homework-binary"), preset("homework-multiclass")
    assert (b.task, b.digits, b.per_class, b.scale, b.dtype, b.seed, b.lr, b.epochs, b.batch_size) == (
        "binary",
        (5, 8),
        1000,
        "raw",
        "float64",
        3,
        0.01,
        100,
        0,
    )
    assert (m.task, m.per_class, m.scale, m.dtype, m.seed, m.lr, m.epochs, m.batch_size) == (
        "multiclass",
        1000,
        "raw",
        "float64",
        3,
        0.1,
        150,
        0,
    )
    fast = preset("fast")
    assert (fast.task, fast.per_class, fast.scale, fast.dtype) == ("multiclass", 0, "unit", "float32")
    assert fast.batch_size > 0
    for name, config in PRESETS.items():
        assert validate(config) is config, name


def test_unknown_preset():
    with pytest.raises(ConfigError) as info:
        preset("homework")
    assert "homework" in str(info.value) and "homework-binary" in str(info.value)


@pytest.mark.parametrize(
    "changes,field",
    [
        (dict(digits=(5, 5)), "digits"),
        (dict(digits=(5, 10)), "digits"),
        (dict(digits=(-1, 3)), "digits"),
        (dict(digits=(5,)), "digits"),
        (dict(digits=(5, "8")), "digits"),
        (dict(digits=(5.0, 8)), "digits"),
        (dict(digits="58"), "digits"),
        (dict(lr=0.0), "lr"),
        (dict(lr=-0.01), "lr"),
        (dict(lr=math.nan), "lr"),
        (dict(lr=math.inf), "lr"),
        (dict(lr=-math.inf), "lr"),
        (dict(lr="0.1"), "lr"),
        (dict(lr=None), "lr"),
        (dict(lr=True), "lr"),
        (dict(lr=1e300), "lr"),
        (dict(hidden=0), "hidden"),
        (dict(hidden=-5), "hidden"),
        (dict(hidden=2.5), "hidden"),
        (dict(hidden="256"), "hidden"),
        (dict(hidden=True), "hidden"),
        (dict(hidden=10**7), "hidden"),
        (dict(hidden=math.nan), "hidden"),
        (dict(epochs=0), "epochs"),
        (dict(epochs=10**9), "epochs"),
        (dict(epochs=math.inf), "epochs"),
        (dict(epochs="10"), "epochs"),
        (dict(per_class=-1), "per_class"),
        (dict(per_class="all"), "per_class"),
        (dict(per_class=10**12), "per_class"),
        (dict(batch_size=-1), "batch_size"),
        (dict(batch_size=32.0), "batch_size"),
        (dict(seed=-1), "seed"),
        (dict(seed=2**32), "seed"),
        (dict(seed=None), "seed"),
        (dict(task="regression"), "task"),
        (dict(task=""), "task"),
        (dict(scale="pixels"), "scale"),
        (dict(dtype="float16"), "dtype"),
        (dict(dtype=float), "dtype"),
    ],
)
def test_bad_values_name_their_field(changes, field):
    error = refused(**changes)
    assert error.field == field
    assert isinstance(error, MlpguiError) and isinstance(error, ValueError)


def test_multiclass_ignores_the_digits():
    assert validate(TrainConfig(task="multiclass", digits=(5, 5)))


def test_numpy_numbers_count_as_numbers():
    """Values read off NumPy arrays (a sweep, a saved grid) configure a run like plain ones."""
    plain = TrainConfig(digits=(3, 5), hidden=64, epochs=7, lr=0.5, per_class=100, batch_size=32, seed=9)
    config = TrainConfig(
        digits=(np.int64(3), np.uint8(5)),
        hidden=np.int64(64),
        epochs=np.int32(7),
        lr=np.float64(0.5),
        per_class=np.int16(100),
        batch_size=np.int64(32),
        seed=np.uint32(9),
    )
    assert validate(config) == plain
    assert json.loads(json.dumps(config.to_dict())) == plain.to_dict()
    assert TrainConfig(lr=np.float32(0.25)).lr == 0.25 and type(TrainConfig(lr=np.float32(0.25)).lr) is float
    assert refused(hidden=np.bool_(True)).field == "hidden"
    assert refused(lr=np.float32("nan")).field == "lr"


def test_dict_round_trip():
    for config in PRESETS.values():
        d = config.to_dict()
        assert d["digits"] == list(config.digits)
        assert TrainConfig.from_dict(d) == config


@pytest.mark.parametrize(
    "d,field",
    [
        (dict(digits=5), "digits"),
        (dict(digits=[1, 2, 3]), "digits"),
        (dict(digits=[4, 4]), "digits"),
        (dict(lr="fast"), "lr"),
        (dict(hidden=-1), "hidden"),
    ],
)
def test_from_dict_validates(d, field):
    with pytest.raises(ConfigError) as info:
        TrainConfig.from_dict(d)
    assert info.value.field == field


@pytest.mark.parametrize("bad", [None, [1, 2], "task=binary", dict(colour="red")])
def test_from_dict_refuses_what_is_not_settings(bad):
    with pytest.raises(ConfigError) as info:
        TrainConfig.from_dict(bad)
    if isinstance(bad, dict):
        assert "colour" in str(info.value)


def test_describe_is_a_short_label():
    text = preset("homework-binary").describe()
    assert "5/8" in text and "full batch" in text and "\n" not in text
    assert "all" in TrainConfig(task="multiclass", per_class=0, batch_size=32).describe()
    assert "batch 32" in TrainConfig(task="multiclass", per_class=0, batch_size=32).describe()
