"""What the window remembers between sessions: last config, geometry, dock layout, last model.

A thin wrapper over `QSettings` so the rest of the window never spells keys.
The organisation name comes from the environment variable MLPGUI_SETTINGS_ORG
(default "mlpgui") so that tests never clobber a user's settings; tests can
also hand in their own `QSettings` (an ini file in a temporary folder).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

from mlpgui.core import paths
from mlpgui.core.config import TrainConfig
from mlpgui.core.errors import MlpguiError

APP_NAME = "mlpgui"
LAST_MODEL_NAME = "last-model.npz"


def organisation() -> str:
    return os.environ.get("MLPGUI_SETTINGS_ORG", "mlpgui")


def app_data_dir() -> Path:
    """The user's data folder for mlpgui (MLPGUI_HOME, else e.g. ~/.local/share/mlpgui), as the CLI uses it."""
    return paths.data_dir()


class Settings:
    """Typed access to the few things mlpgui keeps in QSettings."""

    def __init__(self, qsettings: QSettings | None = None):
        self._s = qsettings if qsettings is not None else QSettings(organisation(), APP_NAME)

    def sync(self) -> None:
        self._s.sync()

    # -- the experiment form --------------------------------------------------

    def last_config(self) -> tuple[str | None, TrainConfig | None]:
        """(preset name or None, config) saved last time; (None, None) if absent or no longer valid."""
        raw = self._s.value("experiment/config")
        if not raw:
            return None, None
        try:
            config = TrainConfig.from_dict(json.loads(str(raw)))
        except (ValueError, TypeError, MlpguiError):
            return None, None
        name = self._s.value("experiment/preset")
        return (str(name) if name else None), config

    def set_last_config(self, preset_name: str | None, config: TrainConfig) -> None:
        self._s.setValue("experiment/config", json.dumps(config.to_dict()))
        self._s.setValue("experiment/preset", preset_name or "")

    # -- the window -------------------------------------------------------------

    def geometry(self) -> QByteArray | None:
        return self._bytes("window/geometry")

    def window_state(self) -> QByteArray | None:
        return self._bytes("window/state")

    def set_window(self, geometry: QByteArray, state: QByteArray) -> None:
        self._s.setValue("window/geometry", geometry)
        self._s.setValue("window/state", state)

    def _bytes(self, key: str) -> QByteArray | None:
        value = self._s.value(key)
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    # -- files --------------------------------------------------------------------

    def last_folder(self) -> str:
        return str(self._s.value("files/folder") or Path.home())

    def set_last_folder(self, folder: str | os.PathLike) -> None:
        self._s.setValue("files/folder", str(folder))
