"""`main()`: start the Qt application and open the main window (`mlpgui` and `make run`).

Ctrl-C (SIGINT) in the terminal closes the window as its close button does,
with the usual question about an unsaved model; SIGTERM closes it without
asking (the session keeps a copy of the model, offered back next time).
"""

from __future__ import annotations

import os
import signal
import socket
import sys
from importlib import resources

from PySide6.QtCore import QCoreApplication, QObject, QSocketNotifier, Qt
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


class TerminalSignals(QObject):
    """SIGINT and SIGTERM, handled by the Qt event loop instead of interrupting whatever Python runs.

    Python runs a signal handler between two bytecodes of the main thread: the
    default SIGINT handler raised KeyboardInterrupt inside whatever slot was
    running (an epoch report), and while Qt waits for events in C++ no
    handler runs at all. Here the handlers do nothing; `signal.set_wakeup_fd`
    writes each signal's number to a socket, and a `QSocketNotifier` on the
    other end calls `window.close_from_terminal` from the event loop, between
    two events. `restore()` puts the previous handlers back.
    """

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self, window, parent: QObject | None = None):
        super().__init__(parent)
        self.window = window
        self._read, self._write = socket.socketpair()
        for end in (self._read, self._write):
            end.setblocking(False)
        self._previous_fd = signal.set_wakeup_fd(self._write.fileno(), warn_on_full_buffer=False)
        self._previous = {sig: signal.signal(sig, self._note) for sig in self.SIGNALS}
        self._notifier = QSocketNotifier(self._read.fileno(), QSocketNotifier.Type.Read, self)
        self._notifier.activated.connect(self._on_signals)

    @staticmethod
    def _note(_signum, _frame) -> None:
        """The Python-level handler: nothing to do here, the wake-up socket carries the signal."""

    def _on_signals(self, *_args) -> None:
        try:
            received = self._read.recv(64)
        except (BlockingIOError, InterruptedError):
            return
        if self.window is None:  # not built yet: no window to close, nothing to keep
            QCoreApplication.quit()
        elif signal.SIGTERM in received:
            self.window.close_from_terminal(ask=False)
        elif signal.SIGINT in received:
            self.window.close_from_terminal(ask=True)

    def restore(self) -> None:
        """Put back the handlers and the wake-up descriptor there were before."""
        self._notifier.setEnabled(False)
        signal.set_wakeup_fd(self._previous_fd)
        for sig, handler in self._previous.items():
            signal.signal(sig, handler if handler is not None else signal.SIG_DFL)
        self._read.close()
        self._write.close()


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

    # Before the window: a Ctrl-C while the data loads closes the window once it is up, without a traceback.
    signals = TerminalSignals(None)
    from .main_window import MainWindow  # after QApplication: importing pyqtgraph widgets is fine either way

    window = signals.window = MainWindow()
    window.show()
    try:
        return app.exec()
    finally:
        signals.restore()


if __name__ == "__main__":
    sys.exit(main())
