"""One array of an `.npz` archive, read safely: its header is checked before any of its data is read.

An `.npz` is a zip archive of `.npy` files; each starts with a header
declaring its dtype and shape. Reading that header first lets a caller refuse
a member that holds Python objects (never unpickled) or claims more bytes
than it could plausibly hold, before a single byte of data is decompressed:
a few megabytes of deflated zeros can otherwise claim gigabytes.
"""

from __future__ import annotations

import math
import zipfile
from collections.abc import Callable

import numpy as np


class NpyError(ValueError):
    """A member of the archive is refused; the message names it, e.g. "the array 'W1' is truncated"."""


def read_header(f) -> tuple[tuple[int, ...], bool, np.dtype]:
    """(shape, fortran_order, dtype) from an open `.npy` stream, which is left at the start of the data."""
    version = np.lib.format.read_magic(f)
    if version == (1, 0):
        return np.lib.format.read_array_header_1_0(f)
    if version == (2, 0):
        return np.lib.format.read_array_header_2_0(f)
    raise NpyError(f"has an unknown layout version {version}")


def read_member(
    zf: zipfile.ZipFile,
    name: str,
    max_bytes: int,
    check: Callable[[tuple[int, ...], np.dtype], None] | None = None,
) -> np.ndarray:
    """The array `name` of the archive, refused (NpyError) before reading if its header is unacceptable.

    Refused: objects (pickled data), more than `max_bytes` of data, and
    whatever `check(shape, dtype)` raises NpyError for.
    """
    with zf.open(name + ".npy") as f:
        try:
            shape, fortran, dtype = read_header(f)
        except NpyError as exc:
            raise NpyError(f"the array {name!r} {exc}") from None
        if dtype.hasobject:
            raise NpyError(f"the array {name!r} holds Python objects (pickled data is refused)")
        if check is not None:
            check(shape, dtype)
        count = math.prod(shape)
        nbytes = count * dtype.itemsize
        if nbytes > max_bytes:
            raise NpyError(f"the array {name!r} is far too large ({dtype} {shape})")
        data = f.read(nbytes)
    if len(data) != nbytes:
        raise NpyError(f"the array {name!r} is truncated")
    a = np.frombuffer(data, dtype=dtype, count=count) if count else np.empty(0, dtype)
    return a.reshape(shape, order="F" if fortran else "C").copy()
