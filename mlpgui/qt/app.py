"""`main()`: start the Qt application and open the main window (`mlpgui` and `make run`)."""

from __future__ import annotations

import os
import sys
from importlib import resources

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QIcon
from PySide6.QtWidgets import QApplication

from .display_check import display_problem
from .settings import APP_NAME, organisation

ICON_SIZES = (16, 24, 32, 48, 64, 128, 256)


def app_icon() -> QIcon:
    """The app icon from the package's resources/icons (vector first, PNGs for small sizes)."""
    icons = resources.files("mlpgui.resources").joinpath("icons")
    icon = QIcon()
    for size in ICON_SIZES:
        png = icons.joinpath(f"mlpgui-{size}.png")
        if png.is_file():
            icon.addFile(str(png))
    svg = icons.joinpath("mlpgui.svg")
    if svg.is_file():
        icon.addFile(str(svg))
    return icon


def main(argv: list[str] | None = None) -> int:
    """Open the window and run until it closes; returns the exit code."""
    argv = list(sys.argv if argv is None else [sys.argv[0], *argv])
    if QApplication.instance() is None:
        problem = display_problem(os.environ)
        if problem is not None:  # Qt would abort with exit 134 and a message that can name the wrong library
            print(problem, file=sys.stderr)
            return 2
    # Fractional scale factors (125%, 150%) render crisply instead of being rounded.
    app = QApplication.instance()
    if app is None:
        QGuiApplication.setHighDpiScaleFactorRoundingPolicy(Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
        app = QApplication(argv)
    app.setOrganizationName(organisation())
    app.setApplicationName(APP_NAME)
    app.setDesktopFileName("mlpgui")
    app.setWindowIcon(app_icon())

    from .main_window import MainWindow  # after QApplication: importing pyqtgraph widgets is fine either way

    window = MainWindow()
    window.show()
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
