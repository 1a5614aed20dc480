"""NumPy arrays <-> QImage, one way each, for every view that shows or reads pixels.

`gray_qimage` turns a uint8 (h, w) array (an MNIST digit, the network's input)
into a QImage that owns a copy of the pixels, so the array may change or go
away afterwards; `scaled_gray_qimage` enlarges it with square pixels (nearest
neighbour), as digits are shown. `qimage_to_rgba` reads any QImage back as an
(h, w, 4) uint8 RGBA array, whatever its format and row padding.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage


def gray_qimage(image: np.ndarray) -> QImage:
    """A uint8 (h, w) array as a Grayscale8 QImage holding its own copy of the pixels."""
    data = np.ascontiguousarray(image, np.uint8)
    if data.ndim != 2:
        raise ValueError(f"expected a (h, w) gray image, got shape {data.shape}")
    h, w = data.shape
    return QImage(data.data, w, h, data.strides[0], QImage.Format.Format_Grayscale8).copy()


def scaled_gray_qimage(image: np.ndarray, side: int) -> QImage:
    """A uint8 (h, w) array as a side x side QImage with square pixels (no smoothing)."""
    return gray_qimage(image).scaled(
        side, side, Qt.AspectRatioMode.IgnoreAspectRatio, Qt.TransformationMode.FastTransformation
    )


def qimage_to_rgba(image: QImage) -> np.ndarray:
    """Any QImage -> an (h, w, 4) uint8 RGBA copy."""
    image = image.convertToFormat(QImage.Format.Format_RGBA8888)
    w, h, stride = image.width(), image.height(), image.bytesPerLine()
    raw = np.frombuffer(image.constBits(), np.uint8, count=image.sizeInBytes())
    return raw.reshape(h, stride)[:, : w * 4].reshape(h, w, 4).copy()
