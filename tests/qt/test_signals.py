"""Ctrl-C and SIGTERM in the window's terminal close the window the way its close button does."""

import os
import signal
import subprocess
import sys
import textwrap

import pytest
from PySide6.QtCore import QSettings

from mlpgui.core import model_io
from mlpgui.core.config import TrainConfig
from mlpgui.qt import worker as training
from mlpgui.qt.app import TerminalSignals
from mlpgui.qt.main_window import MainWindow
from mlpgui.qt.settings import Settings

TINY = TrainConfig(task="multiclass", per_class=50, hidden=32, epochs=5, lr=0.5, scale="unit", dtype="float32")
LONG = TINY.replace(epochs=100_000)


@pytest.fixture
def window(qtbot, tmp_path, mnist, dialogs):
    settings = Settings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    window = MainWindow(settings, data_dir=tmp_path / "data", mnist=mnist)
    qtbot.addWidget(window)
    window.show()
    signals = TerminalSignals(window)
    yield window
    signals.restore()


def test_ctrl_c_during_training_asks_like_the_close_button_and_drops_no_epoch(qtbot, window, dialogs, capfd):
    window.panel.set_config(LONG)
    window.panel.start_button.click()
    qtbot.waitUntil(lambda: window.run_state().epochs_done >= 3, timeout=60_000)
    signal.raise_signal(signal.SIGINT)  # as the terminal sends it: no KeyboardInterrupt anywhere
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=60_000)
    assert [q[0] for q in dialogs["question"]] == ["Save the model?"]
    assert not training.running_threads()
    network, history = model_io.load_model_with_history(window.last_model_path())
    assert network.epochs_trained >= 3
    assert len(history["epoch"]) == network.epochs_trained, "an epoch of the run is missing from the kept history"
    err = capfd.readouterr().err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err


def test_ctrl_c_answered_with_cancel_keeps_the_window(qtbot, window, dialogs):
    window.panel.set_config(TINY)
    with qtbot.waitSignal(window.runFinished, timeout=60_000):
        window.panel.start_button.click()
    qtbot.waitUntil(lambda: not training.running_threads(), timeout=10_000)
    from PySide6.QtWidgets import QMessageBox

    dialogs["answer"] = QMessageBox.StandardButton.Cancel
    signal.raise_signal(signal.SIGINT)
    qtbot.waitUntil(lambda: len(dialogs["question"]) == 1, timeout=10_000)
    qtbot.wait(50)
    assert window.isVisible() and window.current_model() is not None


def test_sigterm_closes_without_asking_and_keeps_the_model(qtbot, window, dialogs):
    window.panel.set_config(LONG)
    window.panel.start_button.click()
    qtbot.waitUntil(lambda: window.run_state().epochs_done >= 2, timeout=60_000)
    signal.raise_signal(signal.SIGTERM)
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=60_000)
    assert dialogs["question"] == []  # nobody there to answer
    assert not training.running_threads()
    assert model_io.load_model(window.last_model_path()).epochs_trained >= 2


RUN_WINDOW = textwrap.dedent(
    """
    import sys
    from mlpgui.qt import app, main_window

    shown = main_window.MainWindow.show

    def show(self):
        shown(self)
        print("shown", flush=True)

    main_window.MainWindow.show = show
    sys.exit(app.main([]))
    """
)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_the_idle_window_in_a_terminal_closes_on_a_signal(tmp_path, signum):
    env = dict(
        os.environ,
        HOME=str(tmp_path),
        XDG_DATA_HOME=str(tmp_path / "data"),
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        QT_QPA_PLATFORM="offscreen",
        PYTHONPATH=os.pathsep.join(p for p in (os.getcwd(), os.environ.get("PYTHONPATH", "")) if p),
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", RUN_WINDOW],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout.readline().strip() == "shown", proc.stderr.read()
        proc.send_signal(signum)
        _out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
