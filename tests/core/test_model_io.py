"""Model files: round trips, atomic saves, and every kind of broken file as one clear ModelFileError."""

import errno
import io
import json
import os
import re
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlpgui.core import model_io
from mlpgui.core.config import TrainConfig
from mlpgui.core.data import load_mnist
from mlpgui.core.errors import ModelFileError
from mlpgui.core.model_io import FORMAT_VERSION, load_model, load_model_with_history, save_model
from mlpgui.core.network import Network
from mlpgui.core.tasks import build_task
from mlpgui.core.training import Trainer

SMALL = TrainConfig(task="multiclass", per_class=50, hidden=32, epochs=5, lr=0.5, scale="unit", dtype="float32")


@pytest.fixture(scope="module")
def trained():
    """A briefly trained multiclass network, its trainer and its test inputs."""
    trainer = Trainer(SMALL, build_task(SMALL, load_mnist()))
    trainer.train()
    return trainer


def tiny(config=None, **changes) -> Network:
    """An untrained network with random weights (fast, small files)."""
    config = (config or TrainConfig(task="multiclass", hidden=4, dtype="float32")).replace(**changes)
    net = Network.initial(config)
    rng = np.random.default_rng(0)
    for p in net.params():
        p[...] = rng.normal(0, 0.1, p.shape)
    return net


def write_npz(path, **arrays):
    """An .npz with exactly these arrays (no checks), as another program might write it."""
    with open(path, "wb") as f:
        np.savez(f, **arrays)


def valid_arrays(net=None, **changes):
    net = net or tiny()
    arrays = {
        "W1": net.W1,
        "b1": net.b1,
        "W2": net.W2,
        "b2": net.b2,
        "config": np.array(json.dumps(net.config.to_dict())),
        "epochs_trained": np.array(3),
        "format_version": np.array(FORMAT_VERSION),
    }
    arrays.update(changes)
    return {k: v for k, v in arrays.items() if v is not None}


# -- round trips -------------------------------------------------------------------


def test_a_trained_model_round_trips_its_predictions_config_and_history(trained, tmp_path):
    path = tmp_path / "model.npz"
    save_model(trained.network, path, history=trained.history)
    net, history = load_model_with_history(path)
    assert net.config == SMALL
    assert net.epochs_trained == trained.network.epochs_trained == SMALL.epochs
    X = trained.task.inputs("test")
    assert np.array_equal(net.predict_proba(X), trained.network.predict_proba(X))
    assert np.array_equal(net.predict(X), trained.network.predict(X))
    assert np.array_equal(history["loss"], [r.loss for r in trained.history])
    assert np.array_equal(history["epoch"], np.arange(1, SMALL.epochs + 1))
    assert np.isnan(history["test_loss"]).all()  # never evaluated: None is saved as NaN


@pytest.mark.parametrize(
    "config",
    [
        TrainConfig(task="binary", digits=(3, 9), hidden=7, dtype="float64", scale="raw"),
        TrainConfig(task="multiclass", hidden=5, dtype="float32", scale="unit", batch_size=64, seed=11),
    ],
)
def test_binary_and_multiclass_models_of_either_precision_round_trip(config, tmp_path):
    net = tiny(config)
    save_model(net, tmp_path / "m.npz")
    back = load_model(tmp_path / "m.npz")
    assert back.config == config and back.dtype == np.dtype(config.dtype)
    for mine, theirs in zip(net.params(), back.params()):
        assert np.array_equal(mine, theirs)
    images = load_mnist().x_test[:50]
    assert np.array_equal(back.predict_images(images), net.predict_images(images))


def test_a_512_hidden_model_round_trips(mnist, tmp_path):
    """A model wider than the window's default opens with its own width, whatever the form had."""
    config = TrainConfig(task="multiclass", per_class=50, hidden=512, epochs=2, lr=0.5, scale="unit", dtype="float32")
    task = build_task(config, mnist)
    trainer = Trainer(config, task)
    history = trainer.train()
    path = tmp_path / "wide.npz"
    save_model(trainer.network, path, history)
    network, saved_history = load_model_with_history(path)
    assert network.hidden == 512 and network.W1.shape == (784, 512) and network.config == config
    X = task.inputs("test")
    np.testing.assert_array_equal(network.predict_proba(X), trainer.network.predict_proba(X))
    assert list(saved_history["loss"]) == [r.loss for r in history]


def test_a_binary_model_loads_as_binary_whatever_the_window_had(tmp_path):
    save_model(tiny(task="binary", digits=(1, 7)), tmp_path / "b.npz")
    net = load_model(tmp_path / "b.npz")
    assert net.config.task == "binary" and net.classes == (1, 7) and net.W2.shape == (4, 1)


def test_history_given_as_columns_round_trips(tmp_path):
    history = {"epoch": [1, 2, 3], "loss": [0.7, 0.5, 0.4], "test_accuracy": [None, None, 0.9]}
    save_model(tiny(), tmp_path / "m.npz", history=history)
    _, back = load_model_with_history(tmp_path / "m.npz")
    assert set(back) == {"epoch", "loss", "test_accuracy"}
    assert back["loss"].tolist() == [0.7, 0.5, 0.4]
    assert np.isnan(back["test_accuracy"][:2]).all() and back["test_accuracy"][2] == 0.9


def test_without_history_there_is_none(tmp_path):
    save_model(tiny(), tmp_path / "m.npz")
    assert load_model_with_history(tmp_path / "m.npz")[1] is None


def test_the_file_is_a_plain_npz_readable_without_pickle(tmp_path):
    save_model(tiny(), tmp_path / "m.npz")
    with np.load(tmp_path / "m.npz", allow_pickle=False) as f:
        assert int(f["format_version"]) == 1
        assert json.loads(str(f["config"]))["hidden"] == 4
        assert f["W1"].shape == (784, 4)


# -- saving safely ------------------------------------------------------------------


def leftovers(folder: Path):
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_saving_replaces_the_old_file_and_leaves_no_temporary_file(tmp_path):
    path = tmp_path / "m.npz"
    save_model(tiny(hidden=4), path)
    save_model(tiny(hidden=6), path)
    assert load_model(path).hidden == 6
    assert leftovers(tmp_path) == []
    assert path.stat().st_mode & 0o777 == 0o666 & ~_umask()  # usual permissions, not a temp file's 0600


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_a_full_disk_is_an_error_and_the_old_file_is_untouched(tmp_path, monkeypatch):
    path = tmp_path / "m.npz"
    save_model(tiny(hidden=4), path)
    before = path.read_bytes()

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(model_io.os, "fsync", full)
    with pytest.raises(ModelFileError, match=r"can't save to .*m\.npz: the disk is full"):
        save_model(tiny(hidden=6), path)
    assert path.read_bytes() == before
    assert leftovers(tmp_path) == []


def test_a_folder_without_write_permission_is_an_error(tmp_path, monkeypatch):
    path = tmp_path / "m.npz"
    save_model(tiny(), path)
    before = path.read_bytes()
    real_open = os.open

    def denied(file, flags, mode=0o777, **kw):
        if flags & os.O_CREAT:
            raise PermissionError(errno.EACCES, "Permission denied", str(file))
        return real_open(file, flags, mode, **kw)

    monkeypatch.setattr(model_io.os, "open", denied)  # tests may run as root, where chmod can't deny
    with pytest.raises(ModelFileError, match="permission denied"):
        save_model(tiny(hidden=6), path)
    assert path.read_bytes() == before and leftovers(tmp_path) == []


def test_a_read_only_file_is_not_overwritten(tmp_path):
    path = tmp_path / "m.npz"
    save_model(tiny(), path)
    before = path.read_bytes()
    path.chmod(0o444)
    try:
        with pytest.raises(ModelFileError, match="read-only"):
            save_model(tiny(hidden=6), path)
        assert path.read_bytes() == before and leftovers(tmp_path) == []
    finally:
        path.chmod(0o644)


def test_a_missing_folder_or_a_folder_as_destination_is_an_error(tmp_path):
    with pytest.raises(ModelFileError, match="folder does not exist"):
        save_model(tiny(), tmp_path / "nowhere" / "m.npz")
    with pytest.raises(ModelFileError, match="is a folder"):
        save_model(tiny(), tmp_path)


def test_a_diverged_network_is_not_saved(tmp_path):
    net = tiny()
    net.W2[0, 0] = np.nan
    with pytest.raises(ModelFileError, match="NaN"):
        save_model(net, tmp_path / "m.npz")
    assert not (tmp_path / "m.npz").exists()


# -- broken files -------------------------------------------------------------------


def test_missing_file(tmp_path):
    with pytest.raises(ModelFileError, match="no such file"):
        load_model(tmp_path / "nope.npz")


def test_a_folder_is_not_a_model(tmp_path):
    with pytest.raises(ModelFileError, match="folder"):
        load_model(tmp_path)


def test_empty_file(tmp_path):
    (tmp_path / "m.npz").write_bytes(b"")
    with pytest.raises(ModelFileError, match="empty"):
        load_model(tmp_path / "m.npz")


def test_not_an_npz(tmp_path):
    (tmp_path / "m.npz").write_text("epoch,loss\n1,0.69\n")
    with pytest.raises(ModelFileError, match=r"not an \.npz"):
        load_model(tmp_path / "m.npz")


def test_a_zip_that_is_not_a_model(tmp_path):
    with zipfile.ZipFile(tmp_path / "m.npz", "w") as z:
        z.writestr("readme.txt", "hello")
    with pytest.raises(ModelFileError, match="no format version"):
        load_model(tmp_path / "m.npz")


@pytest.mark.parametrize("keep", [0.1, 0.5, 0.9, 0.999])
def test_truncated_file(tmp_path, keep):
    save_model(tiny(), tmp_path / "m.npz")
    data = (tmp_path / "m.npz").read_bytes()
    (tmp_path / "m.npz").write_bytes(data[: int(len(data) * keep)])
    with pytest.raises(ModelFileError, match="truncated|damaged"):
        load_model(tmp_path / "m.npz")


@pytest.mark.parametrize(
    "version, message",
    [
        (np.array(2), "format version 2 is not supported"),
        (np.array(0), "format version 0 is not supported"),
        (np.array("1"), "format version should be a whole number"),
        (np.array([1, 1]), "format version should be a whole number"),
        (None, "no format version"),
    ],
)
def test_wrong_or_missing_format_version(tmp_path, version, message):
    write_npz(tmp_path / "m.npz", **valid_arrays(format_version=version))
    with pytest.raises(ModelFileError, match=message):
        load_model(tmp_path / "m.npz")


@pytest.mark.parametrize("missing", ["W1", "b1", "W2", "b2", "config"])
def test_missing_arrays(tmp_path, missing):
    arrays = valid_arrays()
    del arrays[missing]
    write_npz(tmp_path / "m.npz", **arrays)
    with pytest.raises(ModelFileError, match=f"lacks {missing}"):
        load_model(tmp_path / "m.npz")


def test_weights_that_do_not_fit_the_config_say_what_was_expected(tmp_path):
    # a 512-hidden model whose settings say 256
    big = tiny(hidden=512)
    config = json.dumps(big.config.replace(hidden=256).to_dict())
    write_npz(tmp_path / "m.npz", **valid_arrays(big, config=np.array(config)))
    with pytest.raises(ModelFileError, match=r"W1 has shape \(784, 512\).*256 hidden units.*\(784, 256\)"):
        load_model(tmp_path / "m.npz")


def test_binary_weights_under_multiclass_settings_are_refused(tmp_path):
    binary = tiny(task="binary")
    config = json.dumps(binary.config.replace(task="multiclass").to_dict())
    write_npz(tmp_path / "m.npz", **valid_arrays(binary, config=np.array(config)))
    with pytest.raises(ModelFileError, match=r"W2 has shape \(4, 1\).*need \(4, 10\)"):
        load_model(tmp_path / "m.npz")


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
def test_non_finite_weights(tmp_path, value):
    net = tiny()
    net.b1[2] = value
    write_npz(tmp_path / "m.npz", **valid_arrays(net))
    with pytest.raises(ModelFileError, match="b1 holds NaN or infinite"):
        load_model(tmp_path / "m.npz")


def test_integer_weights_are_refused(tmp_path):
    write_npz(tmp_path / "m.npz", **valid_arrays(b2=np.zeros(10, np.int64)))
    with pytest.raises(ModelFileError, match="b2 should hold floating-point"):
        load_model(tmp_path / "m.npz")


@pytest.mark.parametrize(
    "config, message",
    [
        ("not json", "not valid JSON"),
        ("[1, 2]", "not a mapping"),
        ('{"hidden": 4, "colour": "red"}', "unknown setting"),
        ('{"hidden": 4, "task": "multiclass", "lr": -1}', "learning rate"),
        ('{"hidden": "many", "task": "multiclass"}', "hidden units"),
    ],
)
def test_bad_settings(tmp_path, config, message):
    write_npz(tmp_path / "m.npz", **valid_arrays(config=np.array(config)))
    with pytest.raises(ModelFileError, match=message):
        load_model(tmp_path / "m.npz")


class Boom:
    """Unpickling this would create a file: proof that something was unpickled."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (Path(self.marker),))


@pytest.mark.parametrize("member", ["W1", "config", "format_version", "history_loss"])
def test_a_pickled_object_is_refused_and_never_unpickled(tmp_path, member):
    marker = tmp_path / "unpickled"
    evil = np.empty(1, dtype=object)
    evil[0] = Boom(str(marker))
    arrays = valid_arrays()
    arrays[member] = evil
    write_npz(tmp_path / "m.npz", **arrays)
    with pytest.raises(ModelFileError, match="pickled data is refused"):
        load_model(tmp_path / "m.npz")
    assert not marker.exists()


def test_an_array_claiming_a_huge_size_is_refused_before_reading(tmp_path):
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False, "shape": (784, 10**9)})
    arrays = valid_arrays()
    del arrays["W1"]
    write_npz(tmp_path / "m.npz", **arrays)
    with zipfile.ZipFile(tmp_path / "m.npz", "a") as z:
        z.writestr("W1.npy", header.getvalue() + b"\0" * 64)
    with pytest.raises(ModelFileError, match="far too large"):
        load_model(tmp_path / "m.npz")


# -- fuzzing: only ModelFileError ever comes out ---------------------------------------


def _valid_bytes() -> bytes:
    buf = io.BytesIO()
    net = tiny(hidden=2)
    np.savez(buf, **valid_arrays(net, history_loss=np.array([0.7, 0.6]), history_epoch=np.array([1, 2])))
    return buf.getvalue()


VALID = _valid_bytes()


@pytest.fixture(scope="module")
def fuzz_file(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz") / "fuzz.npz"


def load_bytes(path: Path, data: bytes):
    path.write_bytes(data)
    try:
        return load_model(path)
    except ModelFileError as exc:
        message = str(exc)
        assert message and "\n" not in message and "fuzz.npz" in message
        return None


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000))
def test_fuzz_random_bytes(fuzz_file, data):
    assert load_bytes(fuzz_file, data) is None


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=300))
def test_fuzz_random_bytes_after_a_zip_signature(fuzz_file, data):
    assert load_bytes(fuzz_file, b"PK\x03\x04" + data) is None


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    flips=st.lists(st.tuples(st.integers(0, len(VALID) - 1), st.integers(0, 255)), max_size=6),
    cut=st.one_of(st.none(), st.integers(0, len(VALID))),
    insert=st.one_of(st.none(), st.tuples(st.integers(0, len(VALID)), st.binary(min_size=1, max_size=16))),
)
def test_fuzz_mutated_valid_files(fuzz_file, flips, cut, insert):
    data = bytearray(VALID)
    for position, value in flips:
        data[position] = value
    if insert is not None:
        data[insert[0] : insert[0]] = insert[1]
    if cut is not None:
        del data[cut:]
    net = load_bytes(fuzz_file, bytes(data))
    if net is not None:  # a mutation that only touched weight values: still a sound network
        assert net.is_finite() and net.W1.shape == (784, net.config.hidden)


# mutate inside the archive's structure: the header of an array or the settings
JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=8,
)
CONFIG_KEYS = list(TrainConfig().to_dict())


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    changes=st.dictionaries(st.sampled_from(CONFIG_KEYS + ["extra"]), JSONISH, max_size=3),
    header=st.one_of(st.none(), st.binary(max_size=120)),
)
def test_fuzz_settings_and_array_headers(fuzz_file, changes, header):
    net = tiny(hidden=2)
    config = net.config.to_dict()
    config.update(changes)
    buf = io.BytesIO()
    arrays = valid_arrays(net, config=np.array(json.dumps(config)))
    if header is not None:
        del arrays["b2"]
    np.savez(buf, **arrays)
    if header is not None:
        with zipfile.ZipFile(buf, "a") as z:
            z.writestr("b2.npy", b"\x93NUMPY" + header)
    load_bytes(fuzz_file, buf.getvalue())


def test_an_unreadable_file_says_so(tmp_path, monkeypatch):
    save_model(tiny(), tmp_path / "m.npz")

    def denied(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(model_io, "open", denied, raising=False)  # root can read anything, so pretend
    with pytest.raises(ModelFileError, match="can't read it: permission denied"):
        load_model(tmp_path / "m.npz")


def test_a_fifo_or_a_symlink_loop_is_refused_and_left_alone(tmp_path):
    fifo = tmp_path / "pipe.npz"
    os.mkfifo(fifo)
    with pytest.raises(ModelFileError, match="it is a FIFO"):
        save_model(tiny(), fifo)
    assert fifo.is_fifo()
    loop = tmp_path / "loop.npz"
    loop.symlink_to(loop)
    with pytest.raises(ModelFileError, match="loop of symbolic links"):
        save_model(tiny(), loop)
    assert loop.is_symlink()


def test_a_save_removes_the_temporary_files_killed_saves_left_and_nothing_else(tmp_path):
    path = tmp_path / "m.npz"
    stale = tmp_path / ".m.npz.0123abcd.tmp"  # a save killed before this process started
    fresh = tmp_path / ".m.npz.89abcdef.tmp"  # another process's save, happening now
    foreign = [tmp_path / ".m.npz.backup.tmp", tmp_path / ".other.npz.0123abcd.tmp", tmp_path / "m.npz.0123abcd.tmp"]
    for p in (stale, fresh, *foreign):
        p.write_bytes(b"partial")
    long_ago = model_io._STARTED - 3600
    for p in (stale, *foreign):
        os.utime(p, (long_ago, long_ago))
    save_model(tiny(), path)
    assert not stale.exists()
    assert fresh.exists() and all(p.exists() for p in foreign)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_weights_no_training_produces_are_refused_and_the_largest_allowed_evaluate_cleanly(tmp_path, mnist, dtype):
    """Finite weights near 1e308 overflow every forward pass: refused on load. Up to MAX_WEIGHT, any
    network evaluates with finite probabilities and loss, and no RuntimeWarning (warnings are errors here)."""
    from mlpgui.core.metrics import Evaluation

    config = TrainConfig(task="multiclass", per_class=10, hidden=4096, dtype=dtype)
    net = tiny(config)
    W2 = net.W2.astype(np.float64)
    W2[0, 0] = 1e307
    write_npz(tmp_path / "huge.npz", **valid_arrays(net, W2=W2))
    with pytest.raises(ModelFileError, match=r"W2 holds weights as large as 1e\+307"):
        load_model(tmp_path / "huge.npz")

    rng = np.random.default_rng(1)
    for p in net.params():
        p[...] = rng.choice([-model_io.MAX_WEIGHT, model_io.MAX_WEIGHT], p.shape)
    save_model(net, tmp_path / "largest.npz")
    loaded = load_model(tmp_path / "largest.npz")
    evaluation = Evaluation.compute(loaded, build_task(config, mnist), "test")
    assert np.isfinite(evaluation.proba).all() and np.isfinite(evaluation.loss)
    assert 0 <= evaluation.accuracy <= 1


# -- the loss history is checked like the weights ------------------------------------------

GOOD_HISTORY = {
    "epoch": [1.0, 2.0, 3.0],
    "loss": [0.7, 0.5, 0.4],
    "train_accuracy": [0.5, 0.6, 0.7],
    "elapsed": [0.1, 0.2, 0.3],
    "test_loss": [np.nan, np.nan, 0.45],
    "test_accuracy": [np.nan, np.nan, 0.9],
}


def _with_history(**changes):
    columns = {**GOOD_HISTORY, **changes}
    return valid_arrays(**{f"history_{k}": None if v is None else np.asarray(v) for k, v in columns.items()})


@pytest.mark.parametrize(
    "changes,words",
    [
        (dict(epoch=[1.0, np.nan, 3.0]), "'epoch' holds NaN"),
        (dict(epoch=[1.0, np.inf, 3.0]), "'epoch' holds NaN or infinity"),
        (dict(epoch=[1.0, 3.0, 2.0]), "epochs do not increase"),
        (dict(epoch=[1.0, 1.0, 2.0]), "epochs do not increase"),
        (dict(epoch=[0.0, 1.0, 2.0]), "whole numbers from 1"),
        (dict(epoch=[1.0, 1.5, 2.0]), "whole numbers from 1"),
        (dict(loss=[0.7, np.nan, 0.4]), "'loss' holds NaN"),
        (dict(loss=[0.7, -1.0, 0.4]), "'loss' holds values outside"),
        (dict(train_accuracy=[0.5, 1.5, 0.7]), "'train_accuracy' holds values outside 0 to 1"),
        (dict(test_accuracy=[np.nan, -np.inf, 0.9]), "'test_accuracy' holds NaN or infinity"),
        (dict(elapsed=[0.1, -0.2, 0.3]), "'elapsed' holds values outside"),
        (dict(test_loss=[np.nan, np.nan]), "different lengths"),
        (dict(loss=None), "no loss column"),
    ],
    ids=lambda v: str(v) if isinstance(v, str) else None,
)
def test_a_history_that_no_run_could_write_is_refused(tmp_path, changes, words):
    write_npz(tmp_path / "m.npz", **_with_history(**changes))
    with pytest.raises(ModelFileError, match=re.escape(words)):
        load_model_with_history(tmp_path / "m.npz")


def test_a_sound_history_loads_into_reports(tmp_path):
    from mlpgui.core.history import reports_from_history

    write_npz(tmp_path / "m.npz", **_with_history())
    reports = reports_from_history(load_model_with_history(tmp_path / "m.npz")[1])
    assert [r.epoch for r in reports] == [1, 2, 3] and reports[-1].test_accuracy == 0.9


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.dictionaries(
        st.sampled_from(list(GOOD_HISTORY)),
        st.lists(st.floats(allow_nan=True, allow_infinity=True, width=64), max_size=4),
        min_size=1,
    )
)
def test_fuzz_any_history_that_loads_becomes_reports(fuzz_file, columns):
    """What the window does with an opened model's history (reports_from_history) never fails on what loads."""
    from mlpgui.core.history import reports_from_history

    arrays = valid_arrays(**{f"history_{k}": np.asarray(v, np.float64) for k, v in columns.items()})
    write_npz(fuzz_file, **arrays)
    try:
        history = load_model_with_history(fuzz_file)[1]
    except ModelFileError:
        return
    reports = reports_from_history(history)
    assert all(r.epoch >= 1 and np.isfinite(r.loss) for r in reports)
