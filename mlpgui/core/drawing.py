"""Turn a drawing or a picture of a digit into the 28x28 image an MNIST network expects.

MNIST digits were made a particular way, and a network trained on them only
understands digits made the same way. Measured on all 70,000 images: the
ink's bounding box has its long side 20 px, the intensity-weighted centre of
mass sits within half a pixel of (row, col) = (14, 14) (MNIST moved whole
pixels), strokes are about 3 px wide with anti-aliased edges, and the
brightest pixel is full white. So `preprocess_digit` crops the ink, scales
its long side to 20 px with an area (box) filter, pastes it into 28x28 and
moves it by whole pixels so its centre of mass lands on (14, 14); a real
MNIST image comes out unchanged.

`ink_from_image` first turns any picture (gray, colour, transparent, dark
digit on light paper or light on dark) into "ink": floats in [0, 1], bright
where the digit is. The draw pad and `mlpgui predict` both go through here.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from .errors import ImageError

SIZE = 28  # MNIST images are SIZE x SIZE
BOX = 20  # the long side of the ink's bounding box
CENTRE = 14.0  # where the centre of mass goes, in 0-based pixel indices (row and column)
MIN_CONTRAST = 0.08  # a picture whose ink stands out less than this from the paper is blank
SPECK = 0.06  # except on clean black paper, ink fainter than this (after stretching) is noise


def _to_unit_float(a: np.ndarray) -> np.ndarray:
    """Pixel values of any numeric dtype -> float64 in [0, 1]."""
    if a.dtype == bool:
        return a.astype(np.float64)
    if np.issubdtype(a.dtype, np.integer):
        info = np.iinfo(a.dtype)
        return np.clip(a.astype(np.float64), 0, None) / float(info.max)
    if np.issubdtype(a.dtype, np.floating):
        x = a.astype(np.float64)
        if not np.isfinite(x).all():
            raise ImageError("the image holds NaN or infinite pixel values")
        # Floats are 0..1 by convention; floats holding 0..255 are common enough to accept.
        if x.max(initial=0.0) > 1.0:
            x = x / 255.0
        return np.clip(x, 0.0, 1.0)
    raise ImageError(f"the image's pixels are not numbers (type {a.dtype})")


def _gray_and_alpha(pixels: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """(luminance, alpha or None) as float64 in [0, 1] from (h, w) or (h, w, 1|2|3|4)."""
    if pixels.ndim == 2:
        return _to_unit_float(pixels), None
    channels = pixels.shape[2]
    x = _to_unit_float(pixels)
    if channels in (1, 2):
        gray = x[..., 0]
    else:  # Rec. 601 luma, the weights Qt and PIL use for gray
        gray = x[..., 0] * 0.299 + x[..., 1] * 0.587 + x[..., 2] * 0.114
    alpha = x[..., -1] if channels in (2, 4) else None
    return gray, alpha


def _composite(gray: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """Put a partly transparent picture on a background it contrasts with.

    If most of the picture is opaque, the opaque part is the paper and the
    transparent part gets the paper's shade. If most is transparent, the
    opaque part is the digit: it goes on white when it is dark, on black
    when it is light.
    """
    if alpha.min() >= 1.0:
        return gray
    opaque = alpha >= 0.5
    if not opaque.any():
        background = 0.0  # nothing visible: a blank picture either way
    elif opaque.mean() > 0.5:
        background = float(np.median(gray[opaque]))
    else:
        weights = alpha[opaque]
        background = 1.0 if np.average(gray[opaque], weights=weights) < 0.5 else 0.0
    return alpha * gray + (1.0 - alpha) * background


def _border(a: np.ndarray) -> np.ndarray:
    return np.concatenate([a[0], a[-1], a[1:-1, 0], a[1:-1, -1]])


def ink_from_image(pixels: np.ndarray) -> np.ndarray:
    """Any picture of a digit -> float64 ink in [0, 1], bright where the digit is.

    Accepts (h, w) gray or (h, w, 1|2|3|4) gray/gray+alpha/RGB/RGBA arrays,
    integer (full range of the dtype) or float (0..1, or 0..255). Transparency
    is composited onto a background the digit contrasts with; dark ink on
    light paper is inverted (the paper's shade is read from the picture's
    border); the paper's level and noise are subtracted and the ink stretched
    so its brightest pixel is 1. A blank picture gives all zeros.
    Raises ImageError for arrays that are not a picture.
    """
    try:
        a = np.asarray(pixels)
    except Exception as exc:  # ragged lists and the like
        raise ImageError(f"not an image ({exc})") from None
    if a.ndim not in (2, 3) or (a.ndim == 3 and a.shape[2] not in (1, 2, 3, 4)):
        raise ImageError(f"not an image: expected a 2-D gray or 3-D colour array, got shape {a.shape}")
    if a.shape[0] == 0 or a.shape[1] == 0:
        raise ImageError("the image is empty (0 pixels)")
    gray, alpha = _gray_and_alpha(a)
    if alpha is not None:
        gray = _composite(gray, alpha)

    border = _border(gray) if min(gray.shape) > 2 else gray.ravel()
    paper = float(np.median(border))
    if abs(paper - 0.5) < 0.1:  # the border doesn't say; most of a picture is paper
        paper = float(np.median(gray))
    inverted = paper > 0.5
    if inverted:
        gray = 1.0 - gray
        border = 1.0 - border

    # The paper's shade is "no ink". A photo's paper also has grain: cut it
    # at four (robust) standard deviations. Any picture but clean black paper
    # (MNIST, the pad) may also hold compression ringing and specks around
    # the strokes: drop ink fainter than SPECK so they don't stretch the
    # digit's bounding box.
    level = float(np.median(border))
    sigma = 1.4826 * float(np.median(np.abs(border - level)))
    peak = float(gray.max())
    floor = min(level + 4.0 * sigma, level + 0.5 * (peak - level))
    if peak - floor < MIN_CONTRAST:
        return np.zeros(gray.shape, np.float64)
    ink = np.clip((gray - floor) / (peak - floor), 0.0, 1.0)
    if inverted or level > 0 or sigma > 0:
        ink[ink < SPECK] = 0.0
    return ink


def _resample_matrix(n_in: int, zoom: float) -> np.ndarray:
    """(n_out, n_in) weights resizing a line of n_in pixels by `zoom`; n_out = ceil(n_in * zoom).

    Shrinking uses the area (box) filter: output pixel i is the mean of the
    input interval [i / zoom, (i + 1) / zoom) it covers, partial pixels weighted
    by overlap, so nothing aliases and zoom 1 is the identity. The last output
    pixel may be partly covered (the line keeps its exact length, no rounding
    of the aspect ratio). Enlarging interpolates linearly.
    """
    n_out = max(1, int(np.ceil(n_in * zoom - 1e-9)))
    M = np.zeros((n_out, n_in))
    if zoom <= 1.0:
        step = 1.0 / zoom
        for i in range(n_out):
            lo, hi = i * step, min((i + 1) * step, n_in)
            for j in range(int(np.floor(lo)), min(int(np.ceil(hi)), n_in)):
                M[i, j] = min(hi, j + 1) - max(lo, j)
        M *= zoom
    else:
        centres = np.clip((np.arange(n_out) + 0.5) / zoom - 0.5, 0, n_in - 1)
        j0 = np.floor(centres).astype(int)
        j1 = np.minimum(j0 + 1, n_in - 1)
        frac = centres - j0
        rows = np.arange(n_out)
        np.add.at(M, (rows, j0), 1.0 - frac)
        np.add.at(M, (rows, j1), frac)
    return M


def _bounding_box(ink: np.ndarray) -> tuple[slice, slice] | None:
    rows = np.flatnonzero(ink.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(ink.any(axis=0))
    return slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1)


def preprocess_digit(ink: np.ndarray) -> np.ndarray | None:
    """2-D ink (any size, bright = ink, 0..1) -> the (28, 28) float64 MNIST-style input, or None.

    None means there is no ink: an empty pad makes no prediction.
    """
    ink = np.asarray(ink)
    if ink.ndim != 2 or ink.size == 0:
        raise ImageError(f"expected a 2-D ink image, got shape {ink.shape}")
    ink = ink.astype(np.float64)
    if not np.isfinite(ink).all():
        raise ImageError("the ink image holds NaN or infinite values")
    ink = np.clip(ink, 0.0, 1.0)
    # Anything that would round to 0 in a uint8 image is not ink.
    box = _bounding_box(ink >= 0.5 / 255)
    if box is None:
        return None
    crop = ink[box]
    zoom = BOX / max(crop.shape)
    small = _resample_matrix(crop.shape[0], zoom) @ crop @ _resample_matrix(crop.shape[1], zoom).T
    out_h, out_w = small.shape
    peak = small.max()
    if peak <= 0:
        return None
    small = np.clip(small / peak, 0.0, 1.0)  # MNIST digits all reach full white

    # Place the box so its centre of mass lands on (14, 14), moving whole
    # pixels as MNIST did (the box keeps its 20 px); keep it inside the image.
    com_r, com_c = ndimage.center_of_mass(small)  # intensity-weighted (row, col)
    top = int(np.clip(np.floor(CENTRE - com_r + 0.5), 0, SIZE - out_h))
    left = int(np.clip(np.floor(CENTRE - com_c + 0.5), 0, SIZE - out_w))
    img = np.zeros((SIZE, SIZE), np.float64)
    img[top : top + out_h, left : left + out_w] = small
    return img


def to_mnist_uint8(img01: np.ndarray) -> np.ndarray:
    """(28, 28) floats in [0, 1] -> uint8 pixels 0..255, as the MNIST files hold them."""
    return np.round(255.0 * np.clip(np.asarray(img01, np.float64), 0.0, 1.0)).astype(np.uint8)


def predict_digit(network, ink: np.ndarray):
    """(probabilities (n_classes,), the (28, 28) uint8 input) for a drawing, or None when blank.

    The network scales the uint8 image exactly as its training inputs were scaled.
    """
    img = preprocess_digit(ink)
    if img is None:
        return None
    u8 = to_mnist_uint8(img)
    probabilities = network.predict_images(u8[None])[0]
    return probabilities, u8
