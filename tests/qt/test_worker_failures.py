"""The window when training runs out of memory: the command line's message, no traceback, nothing lost."""

import pytest
from PySide6.QtCore import QSettings

from mlpgui.core.config import TrainConfig
from mlpgui.core.training import Trainer
from mlpgui.qt import worker as training
from mlpgui.qt.main_window import MainWindow
from mlpgui.qt.settings import Settings

TINY = TrainConfig(task="multiclass", per_class=50, hidden=32, epochs=5, lr=0.5, scale="unit", dtype="float32")


@pytest.fixture
def window(qtbot, tmp_path, mnist, dialogs):
    settings = Settings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    window = MainWindow(settings, data_dir=tmp_path / "data", mnist=mnist)
    qtbot.addWidget(window)
    window.show()
    return window


@pytest.mark.parametrize("batch_size", [0, 100], ids=["full-batch", "mini-batch"])
def test_running_out_of_memory_in_epoch_2_says_so_and_keeps_epoch_1(
    qtbot, window, dialogs, monkeypatch, capfd, batch_size
):
    config = TINY.replace(batch_size=batch_size)
    reference = Trainer(config, window.tasks.get(config))
    first = next(reference.run())
    calls = {"n": 0}
    real = Trainer._minibatch_epoch if batch_size else Trainer._full_batch_epoch

    def epoch_2_runs_out_of_memory(self, stop):
        calls["n"] += 1
        if calls["n"] == 2:
            real(self, stop)  # the weights move on, as an epoch cut short by the allocator leaves them
            raise MemoryError
        return real(self, stop)

    monkeypatch.setattr(Trainer, "_minibatch_epoch" if batch_size else "_full_batch_epoch", epoch_2_runs_out_of_memory)
    window.panel.set_config(config)
    with qtbot.waitSignal(window.runFinished, timeout=60_000) as blocker:
        window.panel.start_button.click()
    qtbot.waitUntil(lambda: not training.running_threads(), timeout=10_000)
    network, _stopped = blocker.args
    assert network is not None and network.epochs_trained == 1
    assert (network.W1 == reference.network.W1).all(), "the kept model is not the one of epoch 1"
    assert window.current_model() is network
    assert window.loss_plot.loss_values() == [first.loss]
    title, message = dialogs["warning"][-1]
    assert "not enough memory" in message.lower() and "epoch 1 is kept" in message
    err = capfd.readouterr().err
    assert "Traceback" not in err and "MemoryError" not in err
    assert window.panel.start_button.isEnabled()
