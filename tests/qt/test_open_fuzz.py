"""File > Open with damaged model files: always a dialog with a clear message, the current model untouched.

Hypothesis mutates a real model file (truncated, bits flipped, a member replaced by
one of another shape, type or value) and the window opens it through its own path
(`MainWindow.open_model`, what File > Open calls after the file dialog).
"""

import io
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from PySide6.QtCore import QSettings

from mlpgui.core import model_io
from mlpgui.core.config import TrainConfig
from mlpgui.core.tasks import build_task
from mlpgui.core.training import Trainer
from mlpgui.qt import worker as training
from mlpgui.qt.main_window import MainWindow
from mlpgui.qt.settings import Settings

SMALL = TrainConfig(task="multiclass", per_class=20, hidden=8, epochs=3, lr=0.5, scale="unit", dtype="float32")


@pytest.fixture(scope="module")
def model_bytes(tmp_path_factory, mnist):
    """A small trained model file, as bytes, and its members as arrays."""
    trainer = Trainer(SMALL, build_task(SMALL, mnist))
    history = trainer.train()
    path = tmp_path_factory.mktemp("model") / "good.npz"
    model_io.save_model(trainer.network, path, history)
    data = path.read_bytes()
    with np.load(io.BytesIO(data), allow_pickle=False) as z:
        members = {name: z[name] for name in z.files}
    return data, members


# What a member is replaced with: another shape, another type, values no model has.
REPLACEMENTS = {
    "transposed": lambda a: a.T.copy() if a.ndim == 2 else a.reshape(1, -1),
    "one row less": lambda a: a[:-1] if a.ndim and len(a) else np.zeros(3),
    "scalar": lambda a: np.array(7.0),
    "empty": lambda a: np.zeros((0,) + a.shape[1:], a.dtype),
    "NaN": lambda a: np.full(a.shape, np.nan) if a.dtype.kind in "fiu" else np.array(np.nan),
    "infinity": lambda a: np.full(a.shape, np.inf) if a.dtype.kind in "fiu" else np.array(np.inf),
    "huge": lambda a: np.full(a.shape, 3_000_000_000 if a.dtype.kind in "iu" else 1e308),
    "negative": lambda a: -np.abs(a.astype(np.float64)) - 1 if a.dtype.kind in "fiu" else np.array(-1),
    "text": lambda a: np.array("not a number"),
    "bytes": lambda a: np.frombuffer(b"\x00\xff" * 8, np.uint8),
    "int8": lambda a: np.nan_to_num(a).astype(np.int8) if a.dtype.kind in "fiu" else np.array([1], np.int8),
    "missing": None,
}


def _mutated(data: bytes, members: dict, mutation) -> bytes:
    kind = mutation[0]
    if kind == "truncate":
        return data[: mutation[1]]
    if kind == "flip":
        out = bytearray(data)
        for offset, bit in mutation[1]:
            out[offset % len(out)] ^= 1 << bit
        return bytes(out)
    _, name, how = mutation
    arrays = dict(members)
    if REPLACEMENTS[how] is None:
        arrays.pop(name)
    else:
        arrays[name] = REPLACEMENTS[how](arrays[name])
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for key, value in arrays.items():
            with zf.open(f"{key}.npy", "w") as f:
                np.lib.format.write_array(f, np.asanyarray(value), allow_pickle=False)
    return buffer.getvalue()


def mutations(data: bytes, members: dict):
    return st.one_of(
        st.tuples(st.just("truncate"), st.integers(0, len(data) - 1)),
        st.tuples(
            st.just("flip"),
            st.lists(st.tuples(st.integers(0, len(data) - 1), st.integers(0, 7)), min_size=1, max_size=6),
        ),
        st.tuples(st.just("member"), st.sampled_from(sorted(members)), st.sampled_from(sorted(REPLACEMENTS))),
    )


def test_opening_mutated_model_files_gives_a_dialog_and_keeps_the_current_model(
    qtbot, tmp_path, mnist, dialogs, model_bytes, capfd
):
    data, members = model_bytes
    window = MainWindow(
        Settings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)),
        data_dir=tmp_path / "data",
        mnist=mnist,
    )
    qtbot.addWidget(window)
    window.show()
    good = tmp_path / "good.npz"
    good.write_bytes(data)
    assert window.open_model(good)
    counter = iter(range(10**6))

    @settings(
        max_examples=30,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(mutations(data, members))
    # cases that once reached the window's views: a count beyond a progress bar's range, NaN in the
    # history, a test loss without its accuracy
    @example(("member", "epochs_trained", "huge"))
    @example(("member", "history_epoch", "NaN"))
    @example(("member", "history_test_loss", "huge"))
    @example(("member", "history_test_loss", "missing"))
    @example(("member", "history_test_accuracy", "missing"))
    @example(("member", "config", "text"))
    def opens_or_refuses(mutation):
        path = tmp_path / f"mutated-{next(counter)}.npz"
        path.write_bytes(_mutated(data, members, mutation))
        before = window.current_model()
        weights = [p.copy() for p in before.params()]
        warned = len(dialogs["warning"])
        opened = window.open_model(path)
        qtbot.waitUntil(lambda: not training.running_threads(), timeout=10_000)
        if opened:  # harmless damage (or none): the file's model is current and sound
            assert len(dialogs["warning"]) == warned
            assert window.current_model() is not before and window.current_model().is_finite()
        else:
            assert len(dialogs["warning"]) == warned + 1, f"no dialog for {mutation}"
            title, message = dialogs["warning"][-1]
            assert title == "Can't open the model" and path.name in message, message
            assert "\n" not in message.strip() and "Traceback" not in message
            assert window.current_model() is before
            assert all(np.array_equal(a, b) for a, b in zip(before.params(), weights, strict=True))
        assert "Traceback" not in capfd.readouterr().err, f"a traceback for {mutation}"

    opens_or_refuses()
