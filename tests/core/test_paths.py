"""The data folder: MLPGUI_HOME, else XDG_DATA_HOME, else ~/.local/share; and the move from the old folder."""

import stat

import pytest

from mlpgui.core.paths import data_dir


@pytest.fixture
def home(monkeypatch, tmp_path):
    """No MLPGUI_HOME or XDG_DATA_HOME; HOME is a temporary folder."""
    monkeypatch.delenv("MLPGUI_HOME")
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    return tmp_path


def test_mlpgui_home_wins_and_is_created_private(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("MLPGUI_HOME", str(tmp_path / "runs" / "class-a"))
    folder = data_dir()
    assert folder == tmp_path / "runs" / "class-a" and folder.is_dir()
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700


def test_xdg_data_home_when_absolute_else_the_home_folder(home, monkeypatch):
    assert data_dir() == home / ".local" / "share" / "mlpgui"
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "xdg"))
    assert data_dir() == home / "xdg" / "mlpgui"
    monkeypatch.setenv("XDG_DATA_HOME", "relative/path")  # invalid by the XDG spec: ignored
    assert data_dir() == home / ".local" / "share" / "mlpgui"


def test_the_last_model_moves_over_from_the_old_folder_once(home):
    old = home / ".local" / "share" / "mlpgui" / "mlpgui"
    old.mkdir(parents=True)
    (old / "last-model.npz").write_bytes(b"old model")
    folder = data_dir()
    assert (folder / "last-model.npz").read_bytes() == b"old model"
    assert not old.exists()
    old.mkdir()
    (old / "last-model.npz").write_bytes(b"older still")
    assert data_dir() == folder
    assert (folder / "last-model.npz").read_bytes() == b"old model"  # the newer one is never replaced
    assert (old / "last-model.npz").read_bytes() == b"older still"


def test_nothing_moves_into_a_folder_the_user_chose(home, monkeypatch):
    old = home / ".local" / "share" / "mlpgui" / "mlpgui"
    old.mkdir(parents=True)
    (old / "last-model.npz").write_bytes(b"old model")
    monkeypatch.setenv("MLPGUI_HOME", str(home / "mine"))
    assert not (data_dir() / "last-model.npz").exists()
    assert (old / "last-model.npz").is_file()
