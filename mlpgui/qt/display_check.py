"""Can a Qt window open here? Checked before the QApplication exists, since Qt aborts (exit 134) otherwise.

On Linux, Qt's xcb platform plugin needs a display and a set of X client
libraries that a fresh desktop or a container may lack; without them Qt
aborts with a message that can name the wrong library. This module looks
for the display and loads each library by its soname, and says in one line
which Debian/Ubuntu packages to install. It imports no Qt.
"""

from __future__ import annotations

import ctypes
import sys
from collections.abc import Callable, Mapping

# soname -> the Debian/Ubuntu package that ships it: the NEEDED entries of PySide6's
# libqxcb.so and libQt6XcbQpa.so.6 (readelf -d) that a minimal system may lack, and fontconfig for QtGui.
XCB_LIBRARIES = {
    "libxcb.so.1": "libxcb1",
    "libX11.so.6": "libx11-6",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-render.so.0": "libxcb-render0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-util.so.1": "libxcb-util1",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libGL.so.1": "libgl1",
    "libfontconfig.so.1": "libfontconfig1",
    "libglib-2.0.so.0": "libglib2.0-0",
}


def loads(soname: str) -> bool:
    """True if the dynamic loader finds and loads `soname`."""
    try:
        ctypes.CDLL(soname)
    except OSError:
        return False
    return True


def display_problem(
    environ: Mapping[str, str], platform: str = sys.platform, can_load: Callable[[str], bool] = loads
) -> str | None:
    """One line saying why no window can open (no display, missing libraries), or None if nothing is missing."""
    if not platform.startswith("linux"):
        return None
    qpa = environ.get("QT_QPA_PLATFORM", "")
    if qpa and not qpa.startswith("xcb"):
        return None  # offscreen, wayland, vnc...: not the xcb plugin
    if not qpa and environ.get("WAYLAND_DISPLAY"):
        return None  # Qt talks to the Wayland compositor
    if not environ.get("DISPLAY"):
        return (
            "mlpgui: no display to open the window on (DISPLAY is not set): start it from a desktop session, "
            "or use the command line (mlpgui train --help)"
        )
    missing = sorted({package for soname, package in XCB_LIBRARIES.items() if not can_load(soname)})
    if missing:
        return (
            "mlpgui: the window needs system libraries that are missing; install them with: "
            f"sudo apt install {' '.join(missing)}"
        )
    return None
