"""Read a picture file (PNG, JPEG, BMP, GIF, WebP, TIFF, ...) into an RGBA array, with Pillow.

`mlpgui predict` and the draw pad's "open a picture" both read through here,
so neither needs Qt's image plugins to read a file. A digit needs far fewer
than MAX_SIDE pixels, so large pictures are shrunk while they are read
(JPEG decodes straight at 1/2, 1/4 or 1/8 size); pictures that would need
more than MAX_FULL_DECODE pixels decoded in full, and anything Pillow calls
a decompression bomb (over `PIL.Image.MAX_IMAGE_PIXELS`, about 89
megapixels, claimed by the header), are refused before any pixel is
decoded. Every problem is one ImageError naming the file; the decoder's own
warnings never reach stderr.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from .errors import ImageError

MAX_SIDE = 1024  # longer pictures are shrunk to this while reading
MAX_FULL_DECODE = 64_000_000  # pixels we are willing to decode (256 MB as RGBA), after any draft shrink
HIGH_BIT_GRAY = ("I;16", "I;16L", "I;16B", "I;16N", "I")  # 16- or 32-bit gray: Pillow's convert() clips it


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

    # Pillow reports trouble partly as warnings (a decompression bomb, corrupt
    # EXIF data, ...): collect them here instead of letting them reach stderr.
    # (catch_warnings is process-wide; reading is quick and nothing else here warns.)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            return _decode(path, where, caught)
        except ImageError:
            raise
        except Image.DecompressionBombError:
            raise _too_large(where) from None
        except Image.UnidentifiedImageError:
            raise ImageError(f"{where}: not an image (or a format Pillow can't read)") from None
        except MemoryError:
            raise ImageError(f"{where}: not enough memory to read the image") from None
        except Exception as exc:  # anything a damaged file makes a decoder raise: OSError, SyntaxError, ...
            detail = (str(exc).splitlines() or [""])[0][:100] or type(exc).__name__
            raise ImageError(f"{where}: can't read the image ({detail}); is it truncated or damaged?") from None


def _too_large(where: str, size: tuple[int, int] | None = None) -> ImageError:
    if size is None:
        return ImageError(
            f"{where}: the image is too large (over {Image.MAX_IMAGE_PIXELS // 1_000_000:,} "
            "megapixels, refused as a possible decompression bomb)"
        )
    w, h = size
    return ImageError(
        f"{where}: the image is too large ({w:,} x {h:,} pixels; "
        f"the limit is {MAX_FULL_DECODE // 1_000_000:,} megapixels)"
    )


def _decode(path: Path, where: str, caught: list[warnings.WarningMessage]) -> np.ndarray:
    with Image.open(path) as image:  # reads the header only
        if any(issubclass(w.category, Image.DecompressionBombWarning) for w in caught):
            raise _too_large(where)
        w, h = image.size
        if w == 0 or h == 0:
            raise ImageError(f"{where}: empty ({w} x {h} pixels)")
        if max(w, h) > MAX_SIDE:
            # JPEG: decode at the smallest of 1/2, 1/4, 1/8 size still covering the shrunk picture.
            scale = MAX_SIDE / max(w, h)
            image.draft(None, (max(1, int(w * scale)), max(1, int(h * scale))))
        if image.size[0] * image.size[1] > MAX_FULL_DECODE:
            raise _too_large(where, (w, h))
        image.load()
        picture = _eight_bit(image)
    picture.thumbnail((MAX_SIDE, MAX_SIDE))  # shrinks only; keeps the aspect ratio
    picture = ImageOps.exif_transpose(picture)  # photos come out the way they were taken
    return np.array(picture.convert("RGBA"))


def _eight_bit(image: Image.Image) -> Image.Image:
    """The image in a mode with 8 bits per channel (L, LA, RGB or RGBA), alpha and full range kept."""
    if image.mode in ("L", "LA", "RGB", "RGBA"):
        return image
    if image.mode in HIGH_BIT_GRAY:  # 16-bit gray (PNG, TIFF): keep the top 8 bits
        gray = np.clip(np.asarray(image, dtype=np.int64), 0, 65535) >> 8
        return Image.fromarray(gray.astype(np.uint8))
    if image.mode == "F":  # float TIFF: 0..1 by convention, 0..255 accepted
        x = np.nan_to_num(np.asarray(image, dtype=np.float64))
        x = x * 255.0 if x.max(initial=0.0) <= 1.0 else x
        return Image.fromarray(np.round(np.clip(x, 0, 255)).astype(np.uint8))
    if image.mode in ("1", "P") and "transparency" not in image.info:
        return image.convert("L" if image.mode == "1" else "RGB")
    return image.convert("RGBA")  # palette with transparency, PA, LA variants, CMYK, YCbCr, ...
