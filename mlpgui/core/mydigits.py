"""My digits: a learner's own handwritten digits, kept as a small MNIST-format data set.

The set lives in a folder as two IDX files, byte for byte in MNIST's format
(magic numbers 2051 and 2049, big-endian sizes, one unsigned byte per pixel
and per label), so any MNIST tool reads them and `data.parse_idx` loads them.
Every change is saved at once and atomically: both files are written to
temporary files first and then put in place with `os.replace`, so a failed
write leaves the previous files as they were (and the change is undone in
memory too, so what is shown is what is saved).

`as_task` makes the set a TaskData whose test split is my digits, so the
evaluation views measure a network on them as on the MNIST test set.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from .config import TrainConfig
from .data import IMAGES_MAGIC, LABELS_MAGIC, _read_bytes, parse_idx
from .drawing import to_mnist_uint8
from .errors import DataError
from .tasks import TaskData

MYDIGITS_DIR_NAME = "my-digits"
IMAGES_FILE = "my-digits-images-idx3-ubyte"
LABELS_FILE = "my-digits-labels-idx1-ubyte"
UNDO_DEPTH = 100  # changes that can be undone


def data_dir() -> Path:
    """mlpgui's data folder: MLPGUI_HOME, else $XDG_DATA_HOME/mlpgui, else ~/.local/share/mlpgui."""
    try:
        from . import paths  # the shared definition, where it exists
    except ImportError:
        paths = None
    if getattr(paths, "data_dir", None) is not None:
        return Path(paths.data_dir())
    home = os.environ.get("MLPGUI_HOME")
    if home:
        return Path(home).expanduser()
    xdg = os.environ.get("XDG_DATA_HOME")
    return (Path(xdg).expanduser() if xdg else Path.home() / ".local" / "share") / "mlpgui"


def default_folder() -> Path:
    """Where my digits are kept outside the window (the window passes its own data folder's)."""
    return data_dir() / MYDIGITS_DIR_NAME


# -- IDX files ---------------------------------------------------------------------------


def idx_bytes(array: np.ndarray) -> bytes:
    """An IDX file of unsigned bytes: images (n, 28, 28) -> magic 2051, labels (n,) -> 2049."""
    a = np.ascontiguousarray(array, dtype=np.uint8)
    magic = IMAGES_MAGIC if a.ndim == 3 else LABELS_MAGIC
    if magic - 0x800 != a.ndim:
        raise ValueError(f"an IDX file here holds images (n, 28, 28) or labels (n,), not shape {a.shape}")
    header = magic.to_bytes(4, "big") + b"".join(int(d).to_bytes(4, "big") for d in a.shape)
    return header + a.tobytes()


def _write_atomically(files: dict[Path, bytes]) -> None:
    """Write every file to a temporary file beside it, then move them all into place.

    Nothing is replaced until every temporary file is written and flushed to
    disk, so a failure (a full disk, a read-only folder) leaves the old files.
    """
    temporary: dict[Path, str] = {}
    try:
        for path, data in files.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
            temporary[path] = tmp
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
        for path, tmp in temporary.items():
            os.replace(tmp, path)
    except OSError as e:
        for tmp in temporary.values():
            try:
                os.unlink(tmp)
            except OSError:
                pass
        where = next(iter(files)).parent
        raise DataError(f"{where}: could not save my digits ({e.strerror or e}); the saved files are unchanged") from e


def read_folder(folder: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """(images (n, 28, 28) uint8, labels (n,) uint8) of a my-digits folder; DataError if absent or corrupt."""
    folder = Path(folder)
    if not folder.is_dir():
        raise DataError(f"{folder}: no such folder" if not folder.exists() else f"{folder}: not a folder")
    paths = []
    for stem in (IMAGES_FILE, LABELS_FILE):
        found = [p for p in (folder / stem, folder / (stem + ".gz")) if p.exists()]
        if not found:
            raise DataError(f"{folder}: missing {stem} (a my-digits folder holds {IMAGES_FILE} and {LABELS_FILE})")
        paths.append(found[0])
    images = parse_idx(_read_bytes(paths[0]), str(paths[0]), IMAGES_MAGIC)
    labels = parse_idx(_read_bytes(paths[1]), str(paths[1]), LABELS_MAGIC)
    if len(images) != len(labels):
        raise DataError(f"{folder}: {len(images):,} images but {len(labels):,} labels")
    if len(labels) and labels.max() > 9:
        raise DataError(f"{paths[1]}: label {int(labels.max())} is out of range 0..9")
    return images.copy(), labels.copy()


def _has_files(folder: Path) -> bool:
    return any((folder / stem).exists() or (folder / (stem + ".gz")).exists() for stem in (IMAGES_FILE, LABELS_FILE))


# -- the set ---------------------------------------------------------------------------------


def _image_u8(image) -> np.ndarray:
    """A (28, 28) uint8 image from uint8 pixels or float 0..1 ink (the draw pad's)."""
    a = np.asarray(image)
    if a.shape != (28, 28):
        raise ValueError(f"expected a 28x28 image, got shape {a.shape}")
    if a.dtype == np.uint8:
        return a.copy()
    if not np.issubdtype(a.dtype, np.floating) or not np.isfinite(a).all() or a.min() < 0.0 or a.max() > 1.0:
        raise ValueError("expected uint8 pixels 0..255 or float ink from 0 to 1")
    return to_mnist_uint8(a)


def _digit(label) -> int:
    if isinstance(label, bool) or not isinstance(label, (int, np.integer)) or not 0 <= int(label) <= 9:
        raise ValueError(f"a label is a digit 0 to 9, not {label!r}")
    return int(label)


@dataclass(eq=False)
class MyDigits:
    """The learner's digits in `folder`: images (n, 28, 28) uint8 and labels (n,) uint8 (the digits).

    add, remove, relabel and undo save at once; a save that fails raises
    DataError and leaves both the files and this object as they were.
    """

    folder: Path
    images: np.ndarray = field(default_factory=lambda: np.zeros((0, 28, 28), np.uint8))
    labels: np.ndarray = field(default_factory=lambda: np.zeros(0, np.uint8))
    _undo: list = field(default_factory=list, repr=False)  # (images, labels) before each change

    def __post_init__(self):
        self.folder = Path(self.folder)

    @classmethod
    def load(cls, folder: str | Path, missing_ok: bool = True) -> MyDigits:
        """The set saved in `folder` (the window's: its data folder / MYDIGITS_DIR_NAME).

        An absent folder or one without the files is an empty set when
        missing_ok; a corrupt one is a DataError naming the file.
        """
        folder = Path(folder)
        if missing_ok and not (folder.is_dir() and _has_files(folder)):
            if folder.exists() and not folder.is_dir():
                raise DataError(f"{folder}: not a folder")
            return cls(folder)
        images, labels = read_folder(folder)
        return cls(folder, images, labels)

    def __len__(self) -> int:
        return len(self.labels)

    def counts(self) -> np.ndarray:
        """(10,) how many of my digits there are of each digit."""
        return np.bincount(self.labels, minlength=10)[:10]

    def indices_of(self, digit: int) -> np.ndarray:
        return np.flatnonzero(self.labels == digit)

    # -- changes, each saved at once ---------------------------------------------------

    def _change(self, images: np.ndarray, labels: np.ndarray) -> None:
        before = (self.images, self.labels)
        self.images, self.labels = images, labels
        try:
            self.save()
        except DataError:
            self.images, self.labels = before
            raise
        self._undo.append(before)
        del self._undo[:-UNDO_DEPTH]

    def add(self, image, label: int) -> int:
        """Add a digit (uint8 pixels or float 0..1 ink) with its label; returns its index."""
        u8, digit = _image_u8(image), _digit(label)
        self._change(np.concatenate([self.images, u8[None]]), np.append(self.labels, np.uint8(digit)))
        return len(self) - 1

    def _check_index(self, index: int) -> int:
        if not -len(self) <= index < len(self):
            raise IndexError(f"no digit {index} among {len(self)}")
        return index % len(self)

    def remove(self, index: int) -> None:
        i = self._check_index(index)
        self._change(np.delete(self.images, i, axis=0), np.delete(self.labels, i))

    def relabel(self, index: int, label: int) -> None:
        i, digit = self._check_index(index), _digit(label)
        labels = self.labels.copy()
        labels[i] = digit
        self._change(self.images, labels)

    @property
    def can_undo(self) -> bool:
        return bool(self._undo)

    def undo(self) -> bool:
        """Take back the last add, remove, relabel or import (saved at once); False if there is none."""
        if not self._undo:
            return False
        before = (self.images, self.labels)
        self.images, self.labels = self._undo[-1]
        try:
            self.save()
        except DataError:
            self.images, self.labels = before
            raise
        self._undo.pop()
        return True

    def save(self) -> None:
        """Write both IDX files into the folder, atomically (see `_write_atomically`)."""
        self.export(self.folder)

    # -- sharing -------------------------------------------------------------------------

    def export(self, folder: str | Path) -> Path:
        """Write the set into `folder` (created if needed) as the two IDX files; returns the folder."""
        folder = Path(folder)
        if folder.exists() and not folder.is_dir():
            raise DataError(f"{folder}: not a folder")
        _write_atomically({folder / IMAGES_FILE: idx_bytes(self.images), folder / LABELS_FILE: idx_bytes(self.labels)})
        return folder

    def import_from(self, folder: str | Path) -> MyDigits:
        """Add every digit of another my-digits folder to this set (saved; one undo takes it back)."""
        images, labels = read_folder(folder)
        if len(labels):
            self._change(np.concatenate([self.images, images]), np.concatenate([self.labels, labels]))
        return self


# -- my digits as a data set of a task ----------------------------------------------------------


def of_task(mydigits: MyDigits, classes) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(indices into my digits, images, labels 0..K-1) of my digits that are one of `classes`."""
    classes = tuple(classes)
    index = np.flatnonzero(np.isin(mydigits.labels, classes))
    lookup = np.full(10, -1, np.int32)
    lookup[list(classes)] = np.arange(len(classes), dtype=np.int32)
    return index, mydigits.images[index], lookup[mydigits.labels[index]]


@dataclass(frozen=True)
class MyDigitsTask(TaskData):
    """A TaskData whose test split is my digits of the task's classes; `indices` maps its rows back to them."""

    indices: np.ndarray = field(default_factory=lambda: np.zeros(0, np.intp))


def as_task(mydigits: MyDigits, task: TaskData, config: TrainConfig | None = None) -> MyDigitsTask:
    """`task` with my digits as its test set (only the task's classes; binary labels 0/1), e.g. for
    Evaluation.compute(network, as_task(...), "test"). An empty result means none of my digits fit."""
    config = config if config is not None else task.config
    index, images, labels = of_task(mydigits, config.classes)
    base = replace(
        task,
        config=config,
        test_images=images,
        test_labels=labels,
        source=f"my digits ({mydigits.folder})",
        test_set_name="drawn",
    )
    return MyDigitsTask(**{f: getattr(base, f) for f in TaskData.__dataclass_fields__}, indices=index)
