"""A row (or grid) of small digit images with captions: my digits, changed guesses, flipped images.

`ThumbnailList` is a `QListWidget` in icon mode: each item shows one uint8
(28, 28) image enlarged with square pixels, a short caption under it, a
tooltip and, in `KEY_ROLE`, whatever the caller needs to find the image
again (an index into its data set). Pixmaps are cached by the image's bytes,
so redrawing a list after a change only makes pixmaps for new images.
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets

from .qimages import scaled_gray_qimage

KEY_ROLE = QtCore.Qt.ItemDataRole.UserRole + 1
CACHE = 4000  # pixmaps kept


class ThumbnailList(QtWidgets.QListWidget):
    """Thumbnails of `side` pixels in wrapping rows: a list that scrolls, or (`fit_rows`) as tall as its rows."""

    def __init__(self, side: int = 42, caption_lines: int = 1, fit_rows: bool = False, parent=None):
        super().__init__(parent)
        self.side = side
        self._pixmaps: OrderedDict[bytes, QtGui.QPixmap] = OrderedDict()
        self.setViewMode(QtWidgets.QListView.ViewMode.IconMode)
        self.setMovement(QtWidgets.QListView.Movement.Static)
        self.setResizeMode(QtWidgets.QListView.ResizeMode.Adjust)
        self.setFlow(QtWidgets.QListView.Flow.LeftToRight)
        self.setWrapping(True)
        self.setUniformItemSizes(True)
        self.setIconSize(QtCore.QSize(side, side))
        text = self.fontMetrics().height() * caption_lines
        pad = 6 if caption_lines else 4
        self.setGridSize(QtCore.QSize(side + 2 * pad, side + text + 2 * pad))
        self.setSpacing(0)
        self.fit_rows = fit_rows
        if fit_rows:  # the page around it scrolls
            self.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
            self.setVerticalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
            self.setSizePolicy(QtWidgets.QSizePolicy.Policy.Expanding, QtWidgets.QSizePolicy.Policy.Fixed)
            self._fit_height()

    def pixmap(self, image: np.ndarray) -> QtGui.QPixmap:
        image = np.ascontiguousarray(image, np.uint8)
        key = image.tobytes()
        pixmap = self._pixmaps.get(key)
        if pixmap is None:
            pixmap = QtGui.QPixmap.fromImage(scaled_gray_qimage(image, self.side))
            self._pixmaps[key] = pixmap
            if len(self._pixmaps) > CACHE:
                self._pixmaps.popitem(last=False)
        else:
            self._pixmaps.move_to_end(key)
        return pixmap

    def set_items(self, images, captions, keys=None, tooltips=None, colours=None) -> None:
        """Show `images` with `captions` (one each); keys, tooltips and caption colours are optional."""
        self.clear()
        n = len(captions)
        for i in range(n):
            item = QtWidgets.QListWidgetItem(QtGui.QIcon(self.pixmap(images[i])), captions[i])
            item.setTextAlignment(QtCore.Qt.AlignmentFlag.AlignCenter)
            item.setData(KEY_ROLE, None if keys is None else keys[i])
            if tooltips is not None:
                item.setToolTip(tooltips[i])
            if colours is not None and colours[i] is not None:
                item.setForeground(QtGui.QBrush(QtGui.QColor(colours[i])))
            self.addItem(item)
        if self.fit_rows:
            self._fit_height()

    def _fit_height(self) -> None:
        per_row = max(1, (self.width() - 2 * self.frameWidth()) // self.gridSize().width())
        rows = max(1, -(-self.count() // per_row))
        self.setFixedHeight(rows * self.gridSize().height() + 2 * self.frameWidth() + 2)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if self.fit_rows:
            self._fit_height()

    def set_keys(self, keys, tooltips=None) -> None:
        """New keys (and tooltips) for the items shown, in order, keeping their pictures."""
        for i, key in enumerate(keys):
            self.item(i).setData(KEY_ROLE, key)
            if tooltips is not None:
                self.item(i).setToolTip(tooltips[i])

    def keys(self) -> list:
        return [self.item(i).data(KEY_ROLE) for i in range(self.count())]

    def captions(self) -> list[str]:
        return [self.item(i).text() for i in range(self.count())]

    def selected_key(self):
        items = self.selectedItems()
        return items[0].data(KEY_ROLE) if items else None

    def select_key(self, key) -> bool:
        for i in range(self.count()):
            if self.item(i).data(KEY_ROLE) == key:
                self.setCurrentRow(i)
                self.scrollToItem(self.item(i))
                return True
        return False
