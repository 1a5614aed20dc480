"""Shared test set-up: Qt offscreen before any Qt import, and no leaked threads."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("MLPGUI_SETTINGS_ORG", "mlpgui-tests")  # keep tests out of the user's QSettings

import threading  # noqa: E402

import pytest  # noqa: E402


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
