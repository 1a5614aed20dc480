"""MNIST from IDX files (gzip or plain) or a Keras `mnist.npz`, as uint8 arrays.

`load_mnist()` returns what `keras.datasets.mnist.load_data()` returns:
images (60000, 28, 28) and (10000, 28, 28) uint8, labels (60000,) and
(10000,) uint8. Every way a file can be wrong (missing, truncated, wrong
magic, counts that disagree, labels out of range, a shipped file altered)
is a `DataError` naming the file and the problem.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import zipfile
import zlib
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import NamedTuple

import numpy as np

from .errors import DataError
from .npyfile import NpyError, read_member

IMAGES_MAGIC = 2051  # 0x00000803: unsigned bytes, 3 dimensions
LABELS_MAGIC = 2049  # 0x00000801: unsigned bytes, 1 dimension
MAX_PAYLOAD = 2**31  # no IDX file we read is near 2 GB; a header claiming more is corrupt

FILES = {
    "x_train": "train-images-idx3-ubyte",
    "y_train": "train-labels-idx1-ubyte",
    "x_test": "t10k-images-idx3-ubyte",
    "y_test": "t10k-labels-idx1-ubyte",
}

# sha256 of the uncompressed canonical files (resources/mnist/README.md).
SHIPPED_SHA256 = {
    "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}


class Mnist(NamedTuple):
    x_train: np.ndarray  # (n_train, 28, 28) uint8
    y_train: np.ndarray  # (n_train,) uint8, 0..9
    x_test: np.ndarray  # (n_test, 28, 28) uint8
    y_test: np.ndarray  # (n_test,) uint8, 0..9
    source: str  # where it came from, for the status bar


def shipped_dir() -> Path:
    """The folder of the MNIST copy installed with the package."""
    return Path(str(resources.files("mlpgui.resources").joinpath("mnist")))


def _read_bytes(path: Path) -> bytes:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise DataError(f"{path}: file not found") from None
    except IsADirectoryError:
        raise DataError(f"{path}: is a folder, not a data file") from None
    except OSError as e:
        raise DataError(f"{path}: can't read it ({e.strerror or e})") from None
    if raw[:2] == b"\x1f\x8b":
        try:
            return gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as e:
            raise DataError(f"{path}: corrupt gzip data ({e})") from None
    return raw


def parse_idx(data: bytes, name: str, expect_magic: int) -> np.ndarray:
    """Parse one IDX file's bytes into a uint8 array; `name` is used in messages."""
    if len(data) < 8:
        raise DataError(f"{name}: too short to be an IDX file ({len(data)} bytes)")
    magic = int.from_bytes(data[:4], "big")
    if magic != expect_magic:
        kind = "images" if expect_magic == IMAGES_MAGIC else "labels"
        raise DataError(f"{name}: wrong magic number {magic} (an IDX {kind} file starts with {expect_magic})")
    ndim = data[3]
    header = 4 + 4 * ndim
    if len(data) < header:
        raise DataError(f"{name}: header truncated")
    dims = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    if ndim == 3 and dims[1:] != (28, 28):
        raise DataError(f"{name}: images are {dims[1]}x{dims[2]} pixels, expected 28x28")
    size = 1
    for d in dims:
        size *= d
    if size > MAX_PAYLOAD:
        raise DataError(f"{name}: header claims {size:,} bytes of data, which is not plausible")
    payload = len(data) - header
    if payload < size:
        raise DataError(f"{name}: truncated: header says {size:,} bytes of data, file has {payload:,}")
    if payload > size:
        raise DataError(f"{name}: {payload - size:,} unexpected bytes after the data")
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(dims)


def _find(folder: Path, stem: str) -> Path:
    for candidate in (folder / (stem + ".gz"), folder / stem):
        if candidate.exists():
            return candidate
    raise DataError(f"{folder}: missing {stem} (or {stem}.gz)")


def _check_pair(images: np.ndarray, labels: np.ndarray, name: str) -> None:
    if len(images) != len(labels):
        raise DataError(f"{name}: {len(images):,} images but {len(labels):,} labels")
    if len(labels) and labels.max() > 9:
        raise DataError(f"{name}: label {int(labels.max())} is out of range 0..9")


def _load_idx_folder(folder: Path, verify: bool) -> Mnist:
    arrays = {}
    for key, stem in FILES.items():
        path = _find(folder, stem)
        data = _read_bytes(path)
        if verify and hashlib.sha256(data).hexdigest() != SHIPPED_SHA256[stem]:
            raise DataError(
                f"{path}: checksum mismatch: the shipped MNIST file was altered or damaged; reinstall mlpgui"
            )
        magic = IMAGES_MAGIC if key.startswith("x") else LABELS_MAGIC
        arrays[key] = parse_idx(data, str(path), magic)
        if key.startswith("y") and len(arrays[key]) and arrays[key].max() > 9:
            raise DataError(f"{path}: label {int(arrays[key].max())} is out of range 0..9")
    _check_pair(arrays["x_train"], arrays["y_train"], f"{folder} (training set)")
    _check_pair(arrays["x_test"], arrays["y_test"], f"{folder} (test set)")
    return Mnist(**arrays, source=str(folder))


def _npz_check(key: str) -> Callable:
    """What the header of member `key` must declare: uint8 images (n, 28, 28), or 1-D integer labels."""

    def check(shape, dtype):
        if key.startswith("x") and (dtype != np.uint8 or len(shape) != 3 or tuple(shape[1:]) != (28, 28)):
            raise NpyError(f"{key} must be uint8 images of shape (n, 28, 28), got {dtype} {shape}")
        if key.startswith("y") and (len(shape) != 1 or dtype.kind not in "iu"):
            raise NpyError(f"{key} must be a 1-d array of integer labels, got {dtype} {shape}")

    return check


def _load_npz(path: Path) -> Mnist:
    """A Keras mnist.npz: every member's header is checked (type, shape, the IDX loader's size cap) before reading."""
    try:
        with open(path, "rb") as f:
            start = f.read(4)
    except OSError as e:
        raise DataError(f"{path}: can't read it ({e.strerror or e})") from None
    if not start.startswith(b"PK"):
        what = "it is empty" if not start else "it is not a zip archive"
        raise DataError(f"{path}: not an npz file ({what}; a Keras mnist.npz holds x_train, y_train, x_test, y_test)")
    try:
        with zipfile.ZipFile(path) as zf:
            names = {n[:-4] for n in zf.namelist() if n.endswith(".npy")}
            missing = [k for k in FILES if k not in names]
            if missing:
                raise DataError(
                    f"{path}: missing array(s) {', '.join(missing)} "
                    "(a Keras mnist.npz has x_train, y_train, x_test, y_test)"
                )
            arrays = {k: read_member(zf, k, MAX_PAYLOAD, _npz_check(k)) for k in FILES}
    except DataError:
        raise
    except NpyError as e:
        raise DataError(f"{path}: {e}") from None
    except MemoryError:
        raise DataError(f"{path}: too large to load into memory") from None
    except Exception as e:  # zipfile.BadZipFile, zlib.error, EOFError, OSError, a malformed header ...
        detail = (str(e).splitlines() or [""])[0][:100]
        raise DataError(f"{path}: not a readable npz file ({type(e).__name__}: {detail})") from None
    for key in ("y_train", "y_test"):  # types and shapes were checked in the headers
        a = arrays[key]
        if len(a) and (a.min() < 0 or a.max() > 9):
            raise DataError(f"{path}: {key} has labels outside 0..9")
        arrays[key] = a.astype(np.uint8)
    for a in arrays.values():
        a.setflags(write=False)
    _check_pair(arrays["x_train"], arrays["y_train"], f"{path} (training set)")
    _check_pair(arrays["x_test"], arrays["y_test"], f"{path} (test set)")
    return Mnist(**arrays, source=str(path))


@functools.lru_cache(maxsize=4)
def _load_cached(key: str | None) -> Mnist:
    if key is None:
        return _load_idx_folder(shipped_dir(), verify=True)
    path = Path(key)
    if path.is_dir():
        return _load_idx_folder(path, verify=False)
    if path.suffix == ".npz":
        if not path.exists():
            raise DataError(f"{path}: file not found")
        return _load_npz(path)
    if not path.exists():
        raise DataError(f"{path}: no such folder")
    raise DataError(f"{path}: not a folder of IDX files nor a .npz file")


def load_mnist(data: str | Path | None = None) -> Mnist:
    """Load the shipped MNIST (`data=None`), a folder of the four IDX files, or a Keras npz.

    Results are cached per path; the arrays are read-only so callers can't
    change the cache by accident.
    """
    if data is None:
        return _load_cached(None)
    try:
        key = str(Path(data).expanduser().resolve())
    except (RuntimeError, OSError):  # Python 3.11 raises RuntimeError for a loop, later versions OSError
        raise DataError(f"{data}: is a loop of symbolic links, not a data file or folder") from None
    return _load_cached(key)
