"""Read a picture file (PNG, JPEG, BMP, GIF, WebP, ...) into an RGBA array for `mlpgui predict`.

Qt's image readers do the decoding, so every format the window can open
works on the command line too; they need no QApplication. Huge pictures are
shrunk while decoding (a digit needs far fewer than MAX_SIDE pixels) and
absurd ones are refused from their header, before any memory is spent.
Every problem is an ImageError naming the file.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PySide6.QtCore import QSize, Qt, qInstallMessageHandler
from PySide6.QtGui import QImage, QImageIOHandler, QImageReader

from ..core.errors import ImageError
from .qimages import qimage_to_rgba

MAX_SIDE = 1024  # longer pictures are shrunk to this while reading
MAX_FULL_DECODE = 64_000_000  # pixels we are willing to decode in full (256 MB as RGBA)
MAX_PIXELS = 1_000_000_000  # refused outright, even for formats that decode shrunk (JPEG)


def read_image(path) -> np.ndarray:
    """The picture at `path` as an (h, w, 4) uint8 RGBA array (upright, at most MAX_SIDE long)."""
    path = Path(path)
    where = str(path)
    if not path.exists():
        raise ImageError(f"{where}: no such file")
    if path.is_dir():
        raise ImageError(f"{where}: is a folder, not an image")
    try:
        size_on_disk = path.stat().st_size
        with open(path, "rb"):
            pass
    except OSError as exc:
        raise ImageError(f"{where}: can't read it: {exc.strerror or exc}") from None
    if size_on_disk == 0:
        raise ImageError(f"{where}: empty (0 bytes)")

    reader = QImageReader(os.fspath(path))
    reader.setAutoTransform(True)  # photos come out the way they were taken
    if not reader.canRead():
        raise ImageError(f"{where}: not an image (or a format Qt can't read)")
    size = reader.size()
    if size.isValid():
        w, h = size.width(), size.height()
        if w == 0 or h == 0:
            raise ImageError(f"{where}: empty ({w} x {h} pixels)")
        pixels = w * h
        shrinks_while_decoding = reader.supportsOption(QImageIOHandler.ImageOption.ScaledSize)
        if pixels > MAX_PIXELS or (pixels > MAX_FULL_DECODE and not shrinks_while_decoding):
            limit = MAX_PIXELS if shrinks_while_decoding else MAX_FULL_DECODE
            raise ImageError(
                f"{where}: the image is too large ({w:,} x {h:,} pixels; "
                f"the limit is {limit // 1_000_000:,} megapixels)"
            )
        if max(w, h) > MAX_SIDE:
            scale = MAX_SIDE / max(w, h)
            reader.setScaledSize(QSize(max(1, round(w * scale)), max(1, round(h * scale))))
    image, decoder_messages = _read_quietly(reader)
    if image.isNull():
        detail = decoder_messages[-1] if decoder_messages else reader.errorString()
        raise ImageError(f"{where}: can't read the image ({detail}); is it truncated or damaged?")
    if image.width() == 0 or image.height() == 0:
        raise ImageError(f"{where}: empty ({image.width()} x {image.height()} pixels)")
    if max(image.width(), image.height()) > MAX_SIDE:  # formats that report no size up front
        image = image.scaled(
            MAX_SIDE, MAX_SIDE, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
        )
    return qimage_to_rgba(image)


def _read_quietly(reader: QImageReader) -> tuple[QImage, list[str]]:
    """reader.read(), with the decoder's complaints (libpng's "Read Error"...) collected, not printed."""
    messages: list[str] = []

    def collect(mode, context, message):
        messages.append(str(message))

    previous = qInstallMessageHandler(collect)
    try:
        image = reader.read()
    finally:
        qInstallMessageHandler(previous)
    return image, messages
