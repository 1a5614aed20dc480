"""Arrays to QImages and back: the pixels survive, whatever the image's format and row padding."""

import numpy as np
import pytest
from PySide6.QtGui import QImage

from mlpgui.qt.qimages import gray_qimage, qimage_to_rgba, scaled_gray_qimage


def test_a_gray_image_round_trips_and_owns_its_pixels():
    rng = np.random.default_rng(0)
    digit = rng.integers(0, 256, (28, 29), dtype=np.uint8)  # odd width: rows are padded in the QImage
    image = gray_qimage(digit)
    original = digit.copy()
    digit[:] = 0  # the QImage keeps its own copy
    rgba = qimage_to_rgba(image)
    assert rgba.shape == (28, 29, 4)
    for channel in range(3):
        np.testing.assert_array_equal(rgba[..., channel], original)
    assert (rgba[..., 3] == 255).all()


def test_an_enlarged_digit_has_square_pixels():
    digit = np.zeros((28, 28), np.uint8)
    digit[3, 5] = 200
    rgba = qimage_to_rgba(scaled_gray_qimage(digit, 84))
    assert rgba.shape == (84, 84, 4)
    block = rgba[9:12, 15:18, 0]
    assert (block == 200).all() and rgba[..., 0].sum() == 200 * 9


def test_any_format_reads_back_as_rgba():
    image = QImage(3, 2, QImage.Format.Format_RGB32)
    image.fill(0xFF102030)
    rgba = qimage_to_rgba(image)
    assert rgba.shape == (2, 3, 4) and tuple(rgba[1, 2]) == (0x10, 0x20, 0x30, 0xFF)


def test_only_two_dimensional_arrays_are_gray_images():
    with pytest.raises(ValueError, match="gray image"):
        gray_qimage(np.zeros((28, 28, 3), np.uint8))
