"""The MNIST-style preprocessing: drawings and pictures become inputs that look like MNIST."""

import numpy as np
import pytest
from scipy.ndimage import center_of_mass

from mlpgui.core.config import TrainConfig
from mlpgui.core.drawing import SPECK, ink_from_image, predict_digit, preprocess_digit, to_mnist_uint8
from mlpgui.core.errors import ImageError
from mlpgui.core.network import Network

# Strokes of a few digit-like shapes in a unit square (x right, y down).
SHAPES = {
    "seven": [[(0.15, 0.1), (0.85, 0.1), (0.4, 0.95)]],
    "one": [[(0.45, 0.2), (0.6, 0.05), (0.6, 0.95)]],
    "four": [[(0.6, 0.05), (0.1, 0.65), (0.9, 0.65)], [(0.65, 0.35), (0.65, 0.98)]],
    "l_shape": [[(0.2, 0.0), (0.2, 1.0), (0.75, 1.0)]],
}


def draw(strokes, size=(300, 300), origin=(0.0, 0.0), scale=200.0, width=24.0):
    """Anti-aliased white strokes with round caps on black, as the pad paints them."""
    h, w = size
    yy, xx = np.mgrid[0:h, 0:w] + 0.5
    dist = np.full(size, np.inf)
    for stroke in strokes:
        pts = [(origin[0] + x * scale, origin[1] + y * scale) for x, y in stroke]
        for (x0, y0), (x1, y1) in zip(pts, pts[1:]):
            dx, dy = x1 - x0, y1 - y0
            t = np.clip(((xx - x0) * dx + (yy - y0) * dy) / (dx * dx + dy * dy), 0, 1)
            dist = np.minimum(dist, np.hypot(xx - x0 - t * dx, yy - y0 - t * dy))
    return np.clip(width / 2 - dist + 0.5, 0.0, 1.0)


def box_sides(img):
    rows = np.flatnonzero(img.any(axis=1))
    cols = np.flatnonzero(img.any(axis=0))
    return rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1


@pytest.mark.parametrize("shape", sorted(SHAPES))
@pytest.mark.parametrize("origin, scale", [((50, 50), 200), ((5, 180), 90), ((200, 10), 60)])
def test_drawn_digit_is_centred_on_14_14_in_a_20px_box(shape, origin, scale):
    ink = draw(SHAPES[shape], size=(300, 320), origin=origin, scale=scale, width=scale / 8)
    img = preprocess_digit(ink)
    assert img.shape == (28, 28) and img.dtype == np.float64
    assert 0.0 <= img.min() and img.max() == pytest.approx(1.0)
    r, c = center_of_mass(img)
    assert abs(r - 14.0) <= 0.5 and abs(c - 14.0) <= 0.5
    assert max(box_sides(img)) == 20
    # the uint8 image the network gets keeps those properties
    u8 = to_mnist_uint8(img)
    assert max(box_sides(u8)) == 20
    r, c = center_of_mass(u8.astype(float))
    assert abs(r - 14.0) <= 0.5 and abs(c - 14.0) <= 0.5


def test_aspect_ratio_is_kept():
    ink = np.zeros((200, 200))
    ink[20:180, 90:130] = 1.0  # a bar 160 tall, 40 wide
    img = preprocess_digit(ink)
    assert box_sides(img) == (20, 5)


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_small_off_centre_and_large_centred_drawings_give_the_same_input(shape):
    large = draw(SHAPES[shape], size=(400, 400), origin=(60, 60), scale=280, width=35)
    small = draw(SHAPES[shape], size=(400, 400), origin=(290, 15), scale=80, width=10)
    a, b = preprocess_digit(large), preprocess_digit(small)
    assert np.abs(a - b).mean() < 0.02
    assert np.abs(a - b).max() < 0.25
    assert center_of_mass(a) == pytest.approx(center_of_mass(b), abs=0.5)


def test_empty_pad_gives_no_input(reader):
    assert preprocess_digit(np.zeros((280, 280))) is None
    assert predict_digit(reader, np.zeros((50, 60))) is None
    # blank paper photographed, gray or white, has no ink either
    assert preprocess_digit(ink_from_image(np.full((40, 30), 230, np.uint8))) is None
    noisy_paper = np.random.default_rng(0).normal(200, 3, (60, 60)).clip(0, 255).astype(np.uint8)
    assert preprocess_digit(ink_from_image(noisy_paper)) is None


def test_a_single_dot_is_ink():
    ink = np.zeros((100, 100))
    ink[70, 20] = 1.0
    img = preprocess_digit(ink)
    assert img is not None and center_of_mass(img) == pytest.approx((14.0, 14.0), abs=0.5)


def plain_digit():
    """A drawn 4 as an 8-bit white-on-black picture."""
    return np.round(255 * draw(SHAPES["four"], size=(160, 140), origin=(20, 15), scale=120, width=16)).astype(np.uint8)


def variants(u8):
    """The same digit as other kinds of picture a user may hand us."""
    g = u8.astype(np.float64) / 255
    yield "inverted", 255 - u8
    yield "float 0..1", g
    yield "float 0..255", g * 255
    yield "uint16", (g * 65535).astype(np.uint16)
    # dark blue ink on cream paper
    paper, ink = np.array([250, 240, 215]), np.array([20, 30, 140])
    yield "colour", np.round(paper * (1 - g[..., None]) + ink * g[..., None]).astype(np.uint8)
    yield "rgb gray", np.repeat(u8[..., None], 3, axis=2)
    # black digit on a transparent background (what a drawing program exports)
    yield "transparent black", np.dstack([np.zeros_like(u8)] * 3 + [u8])
    yield "transparent white", np.dstack([np.full_like(u8, 255)] * 3 + [u8])
    yield "gray+alpha", np.dstack([np.zeros_like(u8), u8])
    # dark digit on light paper with a transparent margin around the paper
    framed = np.dstack([255 - u8] * 3 + [np.full_like(u8, 255)])
    framed[:3, :, 3] = 0
    framed[:, :3, 3] = 0
    yield "paper with transparent margin", framed
    # a gray photo: paper at 200 with noise, ink at 40
    noise = np.random.default_rng(1).normal(0, 4, u8.shape)
    yield "gray photo", np.clip(200 - 160 * g + noise, 0, 255).astype(np.uint8)


@pytest.mark.parametrize("name", [name for name, _ in variants(plain_digit())])
def test_inverted_colour_and_transparent_pictures_give_the_same_input(name):
    u8 = plain_digit()
    expected = to_mnist_uint8(preprocess_digit(ink_from_image(u8)))
    picture = dict(variants(u8))[name]
    got = to_mnist_uint8(preprocess_digit(ink_from_image(picture)))
    diff = np.abs(got.astype(int) - expected.astype(int))
    assert diff.mean() < 4 and diff.max() < 80, name


def test_ink_from_image_is_float_ink_in_0_1():
    u8 = plain_digit()
    ink = ink_from_image(u8)
    assert ink.dtype == np.float64 and ink.shape == u8.shape
    assert ink.min() == 0.0 and ink.max() == 1.0
    # dark on light paper: the same ink, but for the faintest specks (noise on real paper), which are dropped
    inverted = ink_from_image(255 - u8)
    assert np.abs(inverted - ink).max() < SPECK
    assert np.array_equal(inverted > 0, ink >= SPECK)


@pytest.mark.parametrize(
    "bad",
    [
        np.zeros((0, 10)),
        np.zeros(10),
        np.zeros((2, 2, 2, 2)),
        np.zeros((5, 5, 7)),
        np.array([["a", "b"], ["c", "d"]]),
        np.full((4, 4), np.nan),
        np.full((4, 4), np.inf),
        np.zeros((3, 3), complex),
    ],
)
def test_ink_from_image_refuses_what_is_not_a_picture(bad):
    with pytest.raises(ImageError):
        ink_from_image(bad)


@pytest.mark.parametrize("bad", [np.zeros(10), np.zeros((0, 0)), np.full((3, 3), np.nan)])
def test_preprocess_refuses_what_is_not_ink(bad):
    with pytest.raises(ImageError):
        preprocess_digit(bad)


def test_to_mnist_uint8_rounds_and_clips():
    img = np.array([[0.0, 1.0, 0.5, 1.7], [-0.2, 0.002, 0.998, 0.25]])
    assert to_mnist_uint8(img).tolist() == [[0, 255, 128, 255], [0, 1, 254, 64]]
    assert to_mnist_uint8(img).dtype == np.uint8


def test_mnist_images_pass_through_nearly_unchanged_and_are_still_recognised(mnist, reader):
    images, labels = mnist.x_test[:1000], mnist.y_test[:1000]
    processed = np.stack([to_mnist_uint8(preprocess_digit(ink_from_image(x))) for x in images])
    diff = np.abs(processed.astype(int) - images.astype(int))
    assert np.mean(diff.reshape(len(images), -1).max(axis=1) == 0) > 0.85  # most are identical
    assert diff.max() <= 2  # the rest differ by a gray level where the brightest pixel was 253-254
    raw = np.mean(reader.predict_images(images).argmax(axis=1) == labels)
    via_pad = np.mean(reader.predict_images(processed).argmax(axis=1) == labels)
    assert raw > 0.85
    assert via_pad == pytest.approx(raw, abs=0.005)


def test_enlarged_off_centre_photos_of_mnist_digits_are_recognised(mnist, reader):
    """An MNIST digit blown up 9x, put anywhere on a big sheet of paper, dark on light: same guess."""
    rng = np.random.default_rng(2)
    agree = 0
    n = 60
    for image in mnist.x_test[:n]:
        big = np.kron(image, np.ones((9, 9), np.uint8))
        sheet = np.zeros((500, 420), np.uint8)
        top, left = rng.integers(0, 500 - 252), rng.integers(0, 420 - 252)
        sheet[top : top + 252, left : left + 252] = big
        photo = np.dstack([255 - sheet] * 3)
        probabilities, u8 = predict_digit(reader, ink_from_image(photo))
        agree += probabilities.argmax() == reader.predict_images(image[None])[0].argmax()
    assert agree >= 0.95 * n


def test_predict_digit_gives_probabilities_and_the_input(reader):
    ink = draw(SHAPES["seven"], scale=220, origin=(40, 40), width=28)
    probabilities, u8 = predict_digit(reader, ink)
    assert probabilities.shape == (10,) and probabilities.sum() == pytest.approx(1.0)
    assert u8.shape == (28, 28) and u8.dtype == np.uint8
    assert np.array_equal(u8, to_mnist_uint8(preprocess_digit(ink)))


def test_predict_digit_with_a_binary_network_gives_two_probabilities():
    config = TrainConfig(task="binary", digits=(3, 7), hidden=8, epochs=1, scale="unit", dtype="float32")
    probabilities, _ = predict_digit(Network.initial(config), draw(SHAPES["one"]))
    assert probabilities.shape == (2,) and probabilities.sum() == pytest.approx(1.0)
