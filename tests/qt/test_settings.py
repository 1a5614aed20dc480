"""Where the window keeps its files: one folder named after the app."""

from mlpgui.qt.settings import app_data_dir


def test_the_data_folder_names_the_app_once(monkeypatch):
    monkeypatch.delenv("MLPGUI_SETTINGS_ORG", raising=False)
    folder = app_data_dir()
    assert folder.name == "mlpgui" and folder.parent.name != "mlpgui"


def test_a_test_organisation_gets_its_own_folder(monkeypatch):
    monkeypatch.setenv("MLPGUI_SETTINGS_ORG", "mlpgui-tests")
    folder = app_data_dir()
    assert folder.parts[-2:] == ("mlpgui-tests", "mlpgui")
