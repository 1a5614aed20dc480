"""Picture files read with Pillow, without Qt: bad files are one clear error; real pictures of digits work."""

import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from mlpgui.core import imagefile
from mlpgui.core.drawing import ink_from_image, predict_digit, preprocess_digit, to_mnist_uint8
from mlpgui.core.errors import ImageError
from mlpgui.core.imagefile import MAX_SIDE, read_image


def save(array: np.ndarray, path, **options) -> Path:
    """Write a (h, w) gray or (h, w, 3|4) uint8 array with Pillow (format from the suffix)."""
    Image.fromarray(np.ascontiguousarray(array, dtype=np.uint8)).save(path, **options)
    return Path(path)


def enlarged(digit: np.ndarray, factor: int = 8, canvas=(300, 260), at=(30, 20)) -> np.ndarray:
    """An MNIST digit blown up, somewhere on a larger black sheet: a picture someone might take."""
    sheet = np.zeros(canvas, np.uint8)
    big = np.kron(digit, np.ones((factor, factor), np.uint8))
    sheet[at[0] : at[0] + big.shape[0], at[1] : at[1] + big.shape[1]] = big
    return sheet


def guess(reader, rgba):
    probabilities, u8 = predict_digit(reader, ink_from_image(rgba))
    return int(probabilities.argmax()), u8


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims width x height (the pixel data is a token, never reached)."""

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


# -- files that are not pictures of a digit ---------------------------------------------


def test_not_an_image(tmp_path):
    path = tmp_path / "digit.png"
    path.write_text("this is a text file, not a PNG\n")
    with pytest.raises(ImageError, match=r"digit\.png: not an image"):
        read_image(path)


def test_empty_missing_and_folder(tmp_path):
    (tmp_path / "digit.png").write_bytes(b"")
    with pytest.raises(ImageError, match=r"digit\.png: empty"):
        read_image(tmp_path / "digit.png")
    with pytest.raises(ImageError, match="no such file"):
        read_image(tmp_path / "nope.png")
    with pytest.raises(ImageError, match="is a folder"):
        read_image(tmp_path)


@pytest.mark.parametrize("suffix", [".png", ".jpg", ".gif", ".webp"])
@pytest.mark.parametrize("keep", [0.1, 0.5, 0.9])
def test_a_truncated_file_is_one_message_and_nothing_on_stderr(tmp_path, capfd, mnist, suffix, keep):
    path = save(enlarged(mnist.x_test[0]), tmp_path / f"digit{suffix}")
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])
    with pytest.raises(ImageError) as info:
        read_image(path)
    message = str(info.value)
    assert message.startswith(f"{path}: ") and "\n" not in message
    assert capfd.readouterr().err == ""  # no decoder chatter (warnings are errors in this suite, too)


def test_an_absurdly_large_image_is_refused_from_its_header(tmp_path):
    path = tmp_path / "huge.png"
    path.write_bytes(png_header_only(100_000, 90_000))
    with pytest.raises(ImageError, match=r"huge\.png: the image is too large .*decompression bomb"):
        read_image(path)


def test_just_over_pillows_bomb_limit_is_our_error_not_its_warning(tmp_path):
    """Pillow only warns between MAX_IMAGE_PIXELS and twice that; the warning must not escape."""
    side = int((Image.MAX_IMAGE_PIXELS * 1.2) ** 0.5)
    path = tmp_path / "bomb.png"
    path.write_bytes(png_header_only(side, side))
    with pytest.raises(ImageError, match=r"bomb\.png: the image is too large"):
        read_image(path)


def test_more_than_we_decode_in_full_is_refused_with_its_size(tmp_path):
    path = tmp_path / "big.png"
    path.write_bytes(png_header_only(9_000, 8_000))  # 72 megapixels: under Pillow's limit, over ours
    with pytest.raises(ImageError, match=r"big\.png: the image is too large \(9,000 x 8,000 pixels; the limit is 64"):
        read_image(path)


def test_a_large_image_is_shrunk_and_still_recognised(tmp_path, reader, mnist):
    digit = mnist.x_test[0]
    sheet = enlarged(digit, factor=90, canvas=(3000, 2600), at=(200, 50))
    for name in ("big.png", "big.jpg"):
        rgba = read_image(save(255 - sheet, tmp_path / name))  # dark digit on white paper
        assert rgba.shape == (MAX_SIDE, round(2600 * MAX_SIDE / 3000), 4)
        assert guess(reader, rgba)[0] == reader.predict_images(digit[None])[0].argmax()


def test_a_jpeg_is_decoded_shrunk(tmp_path, monkeypatch, mnist):
    """JPEG decodes at 1/2 size here (1500 x 1300), so it passes a limit the same picture as PNG fails."""
    sheet = enlarged(mnist.x_test[0], factor=90, canvas=(3000, 2600), at=(200, 50))
    monkeypatch.setattr(imagefile, "MAX_FULL_DECODE", 2_000_000)
    assert read_image(save(sheet, tmp_path / "big.jpg")).shape[0] == MAX_SIDE
    with pytest.raises(ImageError, match="too large"):
        read_image(save(sheet, tmp_path / "big.png"))


def test_a_photo_is_turned_upright_by_its_exif_orientation(tmp_path, mnist):
    sheet = enlarged(mnist.x_test[0], canvas=(300, 260))
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 degrees clockwise to display"
    rgba = read_image(save(sheet, tmp_path / "photo.jpg", exif=exif))
    assert rgba.shape == (260, 300, 4)
    upright = np.rot90(sheet, k=-1)
    assert np.abs(rgba[..., 0].astype(int) - upright).mean() < 3


def test_sixteen_bit_gray_keeps_its_full_range(tmp_path):
    ramp = (np.arange(64 * 64, dtype=np.uint32).reshape(64, 64) * 16).astype(np.uint16)
    path = tmp_path / "deep.png"
    Image.fromarray(ramp).save(path)
    with Image.open(path) as written:
        assert written.mode.startswith("I")  # Pillow's convert() would clip this mode, not scale it
    rgba = read_image(path)
    np.testing.assert_array_equal(rgba[..., 0], ramp >> 8)
    assert rgba[..., 3].min() == 255


# -- pictures of digits, every way a user may hand them over ------------------------------


def variants(sheet: np.ndarray):
    g = sheet.astype(np.float64)[..., None] / 255
    yield "plain.png", sheet
    yield "inverted.png", 255 - sheet
    yield "colour.png", np.round([245, 235, 200] * (1 - g) + [150, 20, 30] * g).astype(np.uint8)
    yield "colour.jpg", np.round([245, 235, 200] * (1 - g) + [20, 40, 150] * g).astype(np.uint8)
    yield "transparent.png", np.dstack([np.zeros_like(sheet)] * 3 + [sheet])  # black ink, clear background
    yield "white-on-clear.png", np.dstack([np.full_like(sheet, 255)] * 3 + [sheet])
    yield "transparent.webp", np.dstack([np.zeros_like(sheet)] * 3 + [sheet])


@pytest.mark.parametrize("name", [name for name, _ in variants(np.zeros((2, 2), np.uint8))])
def test_transparent_colour_and_inverted_pictures_are_recognised(tmp_path, reader, mnist, name):
    digits = mnist.x_test[:12]
    agree, close = 0, 0
    for i, digit in enumerate(digits):
        sheet = enlarged(digit, at=(10 + 6 * i, 30 - 2 * i))
        picture = dict(variants(sheet))[name]
        options = {"quality": 90} if name.endswith(".jpg") else {"lossless": True} if name.endswith(".webp") else {}
        rgba = read_image(save(picture, tmp_path / name, **options))
        assert rgba.dtype == np.uint8 and rgba.shape == sheet.shape + (4,)
        label, u8 = guess(reader, rgba)
        agree += label == reader.predict_images(digit[None])[0].argmax()
        expected = to_mnist_uint8(preprocess_digit(digit / 255.0))
        close += np.abs(u8.astype(int) - expected).mean() < 6
    assert agree >= len(digits) - 1
    assert close == len(digits)


def test_a_palette_gif_with_a_transparent_background(tmp_path, reader, mnist):
    digit = mnist.x_test[1]
    sheet = enlarged(digit)
    picture = Image.fromarray(255 - sheet).convert("P")  # dark digit on white
    background = picture.getpixel((0, 0))
    picture.save(tmp_path / "digit.gif", transparency=background)
    rgba = read_image(tmp_path / "digit.gif")
    assert rgba.shape == sheet.shape + (4,) and rgba[0, 0, 3] == 0 and rgba[..., 3].max() == 255
    assert guess(reader, rgba)[0] == reader.predict_images(digit[None])[0].argmax()


def test_a_blank_picture_has_no_digit(tmp_path, reader):
    rgba = read_image(save(np.full((100, 80), 240, np.uint8), tmp_path / "blank.png"))
    assert predict_digit(reader, ink_from_image(rgba)) is None
