"""The window: PySide6 widgets and pyqtgraph plots over `mlpgui.core` (which never imports Qt).

Importing this package only sets pyqtgraph's global options. The parts:

    app             the QApplication and `main`
    main_window     composes the widgets and wires them to the session, nothing more
    session         TrainingSession: owns the run (RunState) and the model (ModelState)
    worker          the training thread (TrainingWorker) and off-thread test accuracy (AccuracyWorker)
    experiment_panel, loss_plot, draw_pad, evaluation_panel (confusion_view, image_browser,
    binary_view, weights_view), sample_strip    the views
    qimages         NumPy arrays <-> QImage, the one place pixels cross over
    settings        QSettings and the user's data folder
"""

import pyqtgraph as pg

# row-major so a (28, 28) image array is drawn upright, as NumPy prints it
pg.setConfigOptions(imageAxisOrder="row-major", antialias=True)
