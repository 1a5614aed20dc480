"""A strip of the first training images of each class of the chosen task, each with its digit underneath.

The homework's first cell shows the data before anything else; this is that
cell, redrawn whenever the task or the digits change. Images are painted
pixel-exact (nearest neighbour), white ink on black, as in the data.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtWidgets import QSizePolicy, QWidget

from .qimages import gray_qimage

LABEL_HEIGHT = 16
GAP = 3


class SampleStrip(QWidget):
    """Shows up to 10 uint8 (28, 28) images in one row (two rows of 5 when narrow)."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._images: list[QImage] = []
        self._arrays: list[np.ndarray] = []
        self._labels: list[str] = []
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.setMinimumHeight(24 + LABEL_HEIGHT + GAP)

    def set_images(self, images: np.ndarray, labels: list[str]) -> None:
        self._arrays = [np.ascontiguousarray(im, dtype=np.uint8) for im in images]
        self._images = [gray_qimage(a) for a in self._arrays]
        self._labels = [str(label) for label in labels]
        self.setToolTip("The first training images of each class of this task, with their labels")
        self.updateGeometry()
        self.update()

    def images(self) -> list[np.ndarray]:
        return list(self._arrays)

    def labels(self) -> list[str]:
        return list(self._labels)

    def _columns(self, width: int) -> int:
        n = max(len(self._images), 1)
        return n if width / n >= 30 or n <= 5 else (n + 1) // 2

    def _cell(self, width: int) -> int:
        return max(16, min(56, (width - GAP) // self._columns(width) - GAP))

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        cols = self._columns(width)
        rows = max(1, -(-len(self._images) // cols))
        return rows * (self._cell(width) + LABEL_HEIGHT + GAP)

    def sizeHint(self) -> QSize:
        return QSize(300, self.heightForWidth(300))

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        width = self.width()
        cols, cell = self._columns(width), self._cell(width)
        total = cols * (cell + GAP) - GAP
        left = max(0, (width - total) // 2)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
        for i, (image, label) in enumerate(zip(self._images, self._labels, strict=True)):
            row, col = divmod(i, cols)
            x = left + col * (cell + GAP)
            y = row * (cell + LABEL_HEIGHT + GAP)
            painter.drawImage(QRect(x, y, cell, cell), image)
            painter.setPen(QColor(self.palette().windowText().color()))
            painter.drawText(QRect(x, y + cell, cell, LABEL_HEIGHT), Qt.AlignmentFlag.AlignCenter, label)
        painter.end()
