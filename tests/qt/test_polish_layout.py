"""What a user sees at common screen sizes: nothing cut, nothing too small to read."""

import pytest
from PySide6.QtCore import QPoint, QSettings
from PySide6.QtWidgets import QScrollArea

from mlpgui.qt.main_window import MainWindow
from mlpgui.qt.settings import Settings

SIZES = [(1024, 700), (1280, 800), (1920, 1080)]


@pytest.fixture
def window(qtbot, tmp_path, mnist, dialogs):
    settings = Settings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    window = MainWindow(settings, data_dir=tmp_path / "data", mnist=mnist)
    qtbot.addWidget(window)
    with qtbot.waitExposed(window):
        window.show()
    return window


def _resized(qtbot, window, size):
    window.resize(*size)
    qtbot.waitUntil(lambda: window.width() == size[0] and window.height() == size[1], timeout=3000)
    qtbot.waitUntil(lambda: window.centralWidget().width() >= window.width() // 2, timeout=3000)
    qtbot.wait(50)  # the docks' deferred narrowing


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_the_experiment_dock_shows_its_whole_form_and_the_centre_keeps_half(qtbot, window, size):
    _resized(qtbot, window, size)
    panel = window.panel
    scroll = panel.findChild(QScrollArea)
    viewport = scroll.viewport()
    assert scroll.horizontalScrollBar().maximum() == 0
    assert scroll.widget().width() <= viewport.width(), "the form is wider than the dock shows"
    controls = [*panel.fields.values(), panel.preset_combo, panel.start_button, panel.pause_button, panel.stop_button]
    for widget in controls:
        right = widget.mapTo(viewport, QPoint(widget.width(), 0)).x()
        assert right <= viewport.width(), f"{widget.accessibleName() or widget.text()} is cut on the right"
    assert window.centralWidget().width() >= window.width() // 2
    assert window.experiment_dock.isVisible() and window.draw_dock.isVisible()


# -- the Evaluation tab --------------------------------------------------------------------


@pytest.fixture
def evaluated(qtbot, window, tmp_path, reader):
    """The window showing the Evaluation tab of a multiclass model (four-digit counts on the diagonal)."""
    from mlpgui.core import model_io

    path = tmp_path / "model.npz"
    model_io.save_model(reader, path)
    assert window.open_model(path)
    window.tabs.setCurrentIndex(1)
    qtbot.waitUntil(lambda: window.evaluation.confusion.evaluation is not None, timeout=10_000)
    return window


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_confusion_counts_are_legible_and_fit_their_cells(qtbot, evaluated, size):
    from PySide6.QtGui import QColor, QFontMetricsF

    _resized(qtbot, evaluated, size)
    matrix = evaluated.evaluation.confusion.matrix
    qtbot.waitUntil(lambda: matrix.label_pixel_size() >= 10, timeout=3000)
    cell = min(matrix.plot.vb.width(), matrix.plot.vb.height()) / 10
    # nothing sideways: the matrix, its table and the browser fit the tab's width
    page = evaluated.evaluation.errors_page
    qtbot.waitUntil(lambda: page.horizontalScrollBar().maximum() == 0, timeout=3000)
    table = evaluated.evaluation.confusion.table
    assert table.mapTo(page.viewport(), QPoint(table.width(), 0)).x() <= page.viewport().width()
    texts = matrix.text_items()
    assert max(len(item.toPlainText()) for row in texts for item in row) == 4  # 1,1xx ones are in the test set
    for row in texts:
        for item in row:
            font = item.textItem.font()
            assert font.pixelSize() >= 10, f"{font.pixelSize()} px counts at {size}"
            assert QFontMetricsF(font).horizontalAdvance(item.toPlainText()) <= 0.95 * cell
    # the text colour stands out from the cell's colour (WCAG contrast of at least 4.5)
    ev = matrix.evaluation
    values = ev.confusion / ev.confusion.max()
    colours = matrix._cmap.map(values.ravel(), mode="float")

    def luminance(r, g, b):
        lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in (r, g, b)]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    for t in range(10):
        for g in range(10):
            text = QColor(texts[t][g].textItem.defaultTextColor())
            a = luminance(text.redF(), text.greenF(), text.blueF())
            b = luminance(*colours[t * 10 + g][:3])
            assert (max(a, b) + 0.05) / (min(a, b) + 0.05) >= 4.5, (t, g)


def test_inside_the_network_at_1280x800_tiles_are_big_and_the_ranking_is_in_view(qtbot, evaluated, mnist):
    from mlpgui.core.config import TrainConfig
    from mlpgui.core.network import Network

    _resized(qtbot, evaluated, (1280, 800))
    panel = evaluated.evaluation
    panel.tabs.setCurrentWidget(panel.weights)
    view = panel.weights
    homework = Network.initial(TrainConfig(task="multiclass", hidden=256))  # the homework's 256 units
    view.set_network(homework)
    view.show_input(mnist.x_test[0], "test image #0")
    qtbot.waitUntil(lambda: view.tile_pixels() >= 18, timeout=3000)
    # no tall black area: the grid widget is the mosaic's own size (and a 1% margin)
    mosaic = view.grid_box.mapViewToDevice(view.grid_image.boundingRect()).boundingRect()
    assert view.grid.height() <= 1.03 * mosaic.height() + 4 and view.grid.width() <= 1.03 * mosaic.width() + 4
    # the ranking and its explanation are in view without scrolling (the page doesn't scroll at all)
    page = evaluated.tabs.currentWidget()
    assert page.verticalScrollBar().maximum() == 0
    for widget in [view.input_caption, *view.rank_buttons]:
        assert widget.isVisible()
        bottom = widget.mapTo(page.viewport(), QPoint(0, widget.height())).y()
        assert bottom <= page.viewport().height(), widget.text()
    # nothing is drawn over a tile: the grid holds outlines only, around the tiles
    from PySide6.QtWidgets import QGraphicsRectItem

    gaps = {tuple(view.tile_rect(int(u)).adjusted(-1, -1, 1, 1).getRect()) for u in view.top_units}
    outlines = 0
    for item in view.grid_box.addedItems:
        if item is view.grid_image or not item.isVisible():
            continue
        assert isinstance(item, QGraphicsRectItem), f"a {type(item).__name__} drawn over the tiles"
        assert item.brush().style().name == "NoBrush" and tuple(item.rect().getRect()) in gaps
        outlines += 1
    assert outlines == 10
    # a ranked tile is a button that selects its unit
    with qtbot.waitSignal(view.unitClicked) as clicked:
        view.rank_buttons[0].click()
    assert clicked.args == [int(view.top_units[0])]


def test_clicking_a_cell_brings_the_browser_and_send_to_draw_pad_into_view(qtbot, evaluated):
    _resized(qtbot, evaluated, (1280, 800))
    panel = evaluated.evaluation
    qtbot.waitUntil(lambda: panel.errors.orientation().name == "Vertical", timeout=3000)
    qtbot.waitUntil(lambda: panel.errors.minimumHeight() > 0, timeout=3000)  # the stacked heights are fitted
    qtbot.wait(50)  # and laid out, as they are long before a user's click
    panel.confusion.click_cell(3, 5)
    panel.browser.view.setCurrentIndex(panel.browser.model.index(0, 0))
    viewport = panel.errors_page.viewport()
    button = panel.browser.send_button
    top = button.mapTo(viewport, QPoint(0, 0)).y()
    assert button.isEnabled() and 0 <= top and top + button.height() <= viewport.height()
