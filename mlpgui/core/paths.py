"""Where mlpgui keeps its files: one data folder for the window and the command line.

`data_dir()` is `MLPGUI_HOME` when that is set (tests point it at a temporary
folder; a user can keep a class's runs apart), else `$XDG_DATA_HOME/mlpgui`
when `XDG_DATA_HOME` is an absolute path, else `~/.local/share/mlpgui`: the
folder QStandardPaths' GenericDataLocation names on Linux, spelled out here so
the command line finds it without Qt.
"""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "mlpgui"
LAST_MODEL_NAME = "last-model.npz"


def _default_base() -> Path:
    xdg = os.environ.get("XDG_DATA_HOME", "")
    # The XDG spec: a relative path is invalid and must be ignored.
    return Path(xdg) if xdg and os.path.isabs(xdg) else Path.home() / ".local" / "share"


def data_dir() -> Path:
    """The data folder, created (mode 0o700) if it is missing.

    A folder that can't be created is still returned: whoever writes there
    (the run store, a model save) reports the problem in its own words.
    """
    home = os.environ.get("MLPGUI_HOME", "")
    folder = Path(home).expanduser() if home else _default_base() / APP_NAME
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError:
        return folder
    if not home:
        move_old_last_model(folder)
    return folder


def old_data_dir() -> Path:
    """Where earlier versions kept the window's last model: <data>/mlpgui/mlpgui (organisation/app)."""
    return _default_base() / APP_NAME / APP_NAME


def move_old_last_model(folder: Path) -> bool:
    """Move the last model from the old folder into `folder` once; True if it moved.

    Only when `folder` has none of its own, so a newer model is never
    replaced; a move that fails leaves the old file where it was.
    """
    old = old_data_dir() / LAST_MODEL_NAME
    new = folder / LAST_MODEL_NAME
    try:
        if new.exists() or not old.is_file():
            return False
        os.replace(old, new)
    except OSError:
        return False
    try:
        old.parent.rmdir()  # only if nothing else is left in it
    except OSError:
        pass
    return True
