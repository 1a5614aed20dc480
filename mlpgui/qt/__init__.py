"""The window: PySide6 widgets and pyqtgraph plots over `mlpgui.core` (which never imports Qt).

Importing this package only sets pyqtgraph's global options; the window itself
lives in `mlpgui.qt.app` / `mlpgui.qt.main_window`.
"""

import pyqtgraph as pg

# row-major so a (28, 28) image array is drawn upright, as NumPy prints it
pg.setConfigOptions(imageAxisOrder="row-major", antialias=True)
