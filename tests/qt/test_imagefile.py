"""Pictures given to `mlpgui predict`: bad files are clear errors; real pictures of digits work."""

import os
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtGui import QImage

from mlpgui.core.config import TrainConfig
from mlpgui.core.data import load_mnist
from mlpgui.core.drawing import ink_from_image, predict_digit, preprocess_digit, to_mnist_uint8
from mlpgui.core.errors import ImageError
from mlpgui.core.tasks import build_task
from mlpgui.core.training import Trainer
from mlpgui.qt.imagefile import MAX_SIDE, read_image


@pytest.fixture(scope="module")
def network():
    config = TrainConfig(
        task="multiclass",
        per_class=300,
        hidden=48,
        epochs=10,
        lr=1.0,
        batch_size=100,
        scale="unit",
        dtype="float32",
        seed=0,
    )
    trainer = Trainer(config, build_task(config, load_mnist()))
    trainer.train()
    return trainer.network


def save(array: np.ndarray, path, quality: int = -1) -> str:
    """Write a (h, w) gray or (h, w, 3|4) uint8 array with Qt."""
    a = np.ascontiguousarray(array, dtype=np.uint8)
    h, w = a.shape[:2]
    if a.ndim == 2:
        image = QImage(a.data, w, h, w, QImage.Format.Format_Grayscale8)
    elif a.shape[2] == 3:
        image = QImage(a.data, w, h, 3 * w, QImage.Format.Format_RGB888)
    else:
        image = QImage(a.data, w, h, 4 * w, QImage.Format.Format_RGBA8888)
    assert image.save(str(path), quality=quality)
    return str(path)


def enlarged(digit: np.ndarray, factor: int = 8, canvas=(300, 260), at=(30, 20)) -> np.ndarray:
    """An MNIST digit blown up, somewhere on a larger black sheet: a picture someone might take."""
    sheet = np.zeros(canvas, np.uint8)
    big = np.kron(digit, np.ones((factor, factor), np.uint8))
    sheet[at[0] : at[0] + big.shape[0], at[1] : at[1] + big.shape[1]] = big
    return sheet


def digits():
    mnist = load_mnist()
    return mnist.x_test[:12]


def guess(network, rgba):
    probabilities, u8 = predict_digit(network, ink_from_image(rgba))
    return int(probabilities.argmax()), u8


# -- files that are not pictures of a digit ---------------------------------------------


def test_not_an_image(tmp_path):
    path = tmp_path / "digit.png"
    path.write_text("this is a text file, not a PNG\n")
    with pytest.raises(ImageError, match=r"digit\.png: not an image"):
        read_image(path)


def test_empty_file(tmp_path):
    (tmp_path / "digit.png").write_bytes(b"")
    with pytest.raises(ImageError, match=r"digit\.png: empty"):
        read_image(tmp_path / "digit.png")


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(ImageError, match="no such file"):
        read_image(tmp_path / "nope.png")
    with pytest.raises(ImageError, match="is a folder"):
        read_image(tmp_path)


def test_truncated_png(tmp_path):
    path = save(enlarged(digits()[0]), tmp_path / "digit.png")
    data = Path(path).read_bytes()
    Path(path).write_bytes(data[: len(data) // 2])
    with pytest.raises(ImageError, match=r"digit\.png: "):
        read_image(path)


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims width x height (the pixel data is a token, never reached)."""

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


def test_an_absurdly_large_image_is_refused_from_its_header(tmp_path):
    path = tmp_path / "huge.png"
    path.write_bytes(png_header_only(100_000, 90_000))
    with pytest.raises(ImageError, match=r"huge\.png: the image is too large \(100,000 x 90,000 pixels"):
        read_image(path)


def test_a_large_image_is_shrunk_and_still_recognised(tmp_path, network):
    digit = digits()[0]
    sheet = enlarged(digit, factor=90, canvas=(3000, 2600), at=(200, 50))
    rgba = read_image(save(255 - sheet, tmp_path / "big.png"))  # dark digit on white paper
    assert rgba.shape == (MAX_SIDE, round(2600 * MAX_SIDE / 3000), 4)
    assert guess(network, rgba)[0] == network.predict_images(digit[None])[0].argmax()


def test_reading_needs_no_qapplication(tmp_path):
    path = save(enlarged(digits()[0]), tmp_path / "digit.png")
    code = (
        "import sys; from PySide6.QtGui import QGuiApplication; from mlpgui.qt.imagefile import read_image; "
        f"a = read_image({path!r}); assert QGuiApplication.instance() is None; print(a.shape)"
    )
    env = {k: v for k, v in os.environ.items() if k != "QT_QPA_PLATFORM"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "(300, 260, 4)"


# -- pictures of digits, every way a user may hand them over ------------------------------


def variants(sheet: np.ndarray):
    g = sheet.astype(np.float64)[..., None] / 255
    yield "plain.png", sheet
    yield "inverted.png", 255 - sheet
    yield "colour.png", np.round([245, 235, 200] * (1 - g) + [150, 20, 30] * g).astype(np.uint8)
    yield "colour.jpg", np.round([245, 235, 200] * (1 - g) + [20, 40, 150] * g).astype(np.uint8)
    yield "transparent.png", np.dstack([np.zeros_like(sheet)] * 3 + [sheet])  # black ink, clear background
    yield "white-on-clear.png", np.dstack([np.full_like(sheet, 255)] * 3 + [sheet])


@pytest.mark.parametrize("name", [name for name, _ in variants(np.zeros((2, 2), np.uint8))])
def test_transparent_colour_and_inverted_pictures_are_recognised(tmp_path, network, name):
    agree, close = 0, 0
    for i, digit in enumerate(digits()):
        sheet = enlarged(digit, at=(10 + 6 * i, 30 - 2 * i))
        picture = dict(variants(sheet))[name]
        rgba = read_image(save(picture, tmp_path / name, quality=90))
        assert rgba.dtype == np.uint8 and rgba.shape == sheet.shape + (4,)
        label, u8 = guess(network, rgba)
        agree += label == network.predict_images(digit[None])[0].argmax()
        expected = to_mnist_uint8(preprocess_digit(digit / 255.0))
        close += np.abs(u8.astype(int) - expected).mean() < 6
    assert agree >= len(digits()) - 1
    assert close == len(digits())


def test_a_blank_picture_has_no_digit(tmp_path, network):
    rgba = read_image(save(np.full((100, 80), 240, np.uint8), tmp_path / "blank.png"))
    assert predict_digit(network, ink_from_image(rgba)) is None
