"""Shared test set-up: Qt offscreen before any Qt import, a throwaway data folder, and no leaked threads."""

import atexit
import os
import shutil
import tempfile

# Before any mlpgui import: every run any test records (window or command line, in this process or a
# subprocess) goes to a fresh folder of this session, never into the user's data folder.
os.environ["MLPGUI_HOME"] = tempfile.mkdtemp(prefix="mlpgui-tests-")
atexit.register(shutil.rmtree, os.environ["MLPGUI_HOME"], ignore_errors=True)
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("MLPGUI_SETTINGS_ORG", "mlpgui-tests")  # keep tests out of the user's QSettings

import threading  # noqa: E402

import pytest  # noqa: E402

from mlpgui.core.config import TrainConfig  # noqa: E402
from mlpgui.core.data import load_mnist  # noqa: E402
from mlpgui.core.tasks import build_task  # noqa: E402
from mlpgui.core.training import Trainer  # noqa: E402

# Small networks that train in well under a second, for the metrics and view tests.
MULTI = TrainConfig(task="multiclass", per_class=50, hidden=32, epochs=5, lr=0.5, scale="unit", dtype="float32")
BINARY = TrainConfig(
    task="binary", digits=(5, 8), per_class=200, hidden=16, epochs=20, lr=0.5, scale="unit", dtype="float32"
)
# A multiclass network good enough to read drawn and photographed digits (about 90% test accuracy).
READER = TrainConfig(
    task="multiclass",
    per_class=300,
    hidden=48,
    epochs=10,
    lr=1.0,
    batch_size=100,
    scale="unit",
    dtype="float32",
    seed=0,
)


@pytest.fixture(scope="session")
def mnist():
    """The shipped MNIST (read-only arrays, loaded once)."""
    return load_mnist()


def _trained(config):
    task = build_task(config, load_mnist())
    trainer = Trainer(config, task)
    for _ in trainer.run():
        pass
    return trainer.network, task


@pytest.fixture(scope="session")
def multi():
    """(network, task) of MULTI, trained."""
    return _trained(MULTI)


@pytest.fixture(scope="session")
def binary():
    """(network, task) of BINARY, trained."""
    return _trained(BINARY)


@pytest.fixture(scope="session")
def reader():
    """A network of READER, trained (a second or two): for tests that read pictures of digits."""
    return _trained(READER)[0]


@pytest.fixture(autouse=True)
def no_leaked_threads():
    """Fail any test that leaves a Python thread or a running QThread behind."""
    before = set(threading.enumerate())
    yield
    leaked = [t for t in threading.enumerate() if t not in before and t.is_alive()]
    for t in leaked:
        t.join(timeout=5)
    still = [t.name for t in leaked if t.is_alive()]
    assert not still, f"test left threads running: {still}"
    try:
        from mlpgui.qt.worker import running_threads
    except ImportError:
        return
    alive = running_threads()
    assert not alive, f"test left {len(alive)} QThread(s) running"
