"""Where the window keeps its files: the data folder the command line uses too."""

from mlpgui.core import paths
from mlpgui.qt.settings import app_data_dir


def test_the_window_uses_the_data_folder_of_the_command_line(monkeypatch, tmp_path):
    monkeypatch.setenv("MLPGUI_HOME", str(tmp_path / "home"))
    assert app_data_dir() == paths.data_dir() == tmp_path / "home"


def test_the_data_folder_names_the_app_once(monkeypatch, tmp_path):
    monkeypatch.delenv("MLPGUI_HOME")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    monkeypatch.delenv("MLPGUI_SETTINGS_ORG", raising=False)
    assert app_data_dir() == tmp_path / "mlpgui"
