"""Model files: a trained network saved as an `.npz`, read back safely.

A model file is a plain NumPy `.npz` archive holding

    W1 (784, hidden), b1 (hidden,), W2 (hidden, k), b2 (k,)   the weights
    config          the TrainConfig as a JSON string
    epochs_trained  how many epochs the weights have seen
    format_version  FORMAT_VERSION
    history_*       optional: the loss curve, one 1-D array per EpochReport field

Saving is atomic: the archive goes to a temporary file in the same folder,
is flushed to disk, then renamed over the destination, so a failed save
leaves the old file as it was. Only a regular file or a new name is a
destination (`check_save_target`): renaming over a device, FIFO or socket
would replace it, so those are refused; a symbolic link is written through to
its target, as editors do. Temporary files a killed process left behind
(our naming pattern, older than this process) are removed on the next save. Reading never unpickles anything
(`allow_pickle=False`), checks every array's header (type and size) before
reading its data, and turns every problem into a one-line `ModelFileError`.
"""

from __future__ import annotations

import errno
import json
import math
import os
import re
import secrets
import stat
import time
import zipfile
from pathlib import Path

import numpy as np

from .config import TrainConfig
from .errors import ConfigError, ModelFileError
from .history import HISTORY_FIELDS
from .network import Network
from .npyfile import NpyError, read_member
from .tasks import N_PIXELS

FORMAT_VERSION = 1
WEIGHTS = ("W1", "b1", "W2", "b2")
MAX_HISTORY = 2_000_000  # epochs of loss history; far beyond any real session
MAX_CONFIG_CHARS = 100_000
MAX_ITEM = 16  # bytes per number (up to long double)
# No training gets near this (a run diverges and rolls back long before), and below it the forward
# pass of any image stays finite even in float32: 784 pixels * 255 * 1e30 and 65,536 hidden units
# * 1e30 are far below float32's 3.4e38, so the views and the loss never meet an overflow.
MAX_WEIGHT = 1e30
_WEIGHT_LIMIT = float(np.float32(MAX_WEIGHT))  # as stored in float32, which rounds it up a little

# The temporary file of a save to <name> is ".<name>.<8 hex digits>.tmp" next to it.
_TEMP_SUFFIX = re.compile(r"\.[0-9a-f]{8}\.tmp")
# A temporary file last written before this module was imported belongs to no save of this process.
_STARTED = time.time()


# -- saving -------------------------------------------------------------------


def _history_arrays(history) -> dict[str, np.ndarray]:
    """A list of EpochReport, or a mapping of field -> 1-D values, as float64 arrays (None -> NaN)."""
    if history is None:
        return {}
    if isinstance(history, dict):
        columns = {name: history[name] for name in HISTORY_FIELDS if name in history}
    else:
        reports = list(history)
        columns = {name: [getattr(r, name) for r in reports] for name in HISTORY_FIELDS}
    arrays = {}
    for name, values in columns.items():
        values = [math.nan if v is None else v for v in np.asarray(values, dtype=object).ravel()]
        arrays[f"history_{name}"] = np.asarray(values, dtype=np.float64)
    lengths = {len(a) for a in arrays.values()}
    if len(lengths) > 1:
        raise ModelFileError("the loss history's columns have different lengths")
    return arrays


def _why(exc: OSError) -> str:
    if isinstance(exc, PermissionError) or exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return "permission denied"
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return "the disk is full"
    if isinstance(exc, IsADirectoryError):
        return "it is a folder"
    if isinstance(exc, FileNotFoundError) or exc.errno == errno.ENOENT:
        return "the folder does not exist"
    return exc.strerror or str(exc)


_KINDS = {
    stat.S_IFCHR: "a device",
    stat.S_IFBLK: "a device",
    stat.S_IFIFO: "a FIFO (named pipe)",
    stat.S_IFSOCK: "a socket",
    stat.S_IFDIR: "a folder",
}


def check_save_target(path) -> Path:
    """The file a save to `path` writes: `path` itself, or the target of the symbolic link it is.

    Raises ModelFileError ("can't save to X: it is a device", ...) unless that
    is an existing regular file we may replace, or a new name in an existing
    folder. Cheap, so the command line calls it before training.
    """
    if str(path) == "":
        raise ModelFileError("can't save to an empty file name")
    path = Path(path)
    try:
        target = Path(os.path.realpath(path, strict=False))
        info = os.stat(target)
    except FileNotFoundError:
        info = None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise ModelFileError(f"can't save to {path}: it is a loop of symbolic links") from None
        raise ModelFileError(f"can't save to {path}: {_why(exc)}") from None
    if info is None:
        folder = target.parent
        if not folder.is_dir():
            raise ModelFileError(f"can't save to {path}: the folder does not exist")
        return target
    kind = stat.S_IFMT(info.st_mode)
    if kind != stat.S_IFREG:
        what = _KINDS.get(kind, "not a regular file")
        raise ModelFileError(f"can't save to {path}: it is {what}, not a model file")
    if not info.st_mode & 0o222:
        raise ModelFileError(f"can't save to {path}: the file is read-only")
    return target


def remove_stale_temp_files(path) -> list[Path]:
    """Delete what killed saves to `path` left: its temporary files last written before this process started."""
    path = Path(path)
    prefix = f".{path.name}"
    removed = []
    try:
        entries = list(os.scandir(path.parent))
    except OSError:
        return removed
    for entry in entries:
        name = entry.name
        if not (name.startswith(prefix) and _TEMP_SUFFIX.fullmatch(name, len(prefix))):
            continue
        try:
            info = entry.stat(follow_symlinks=False)
            if stat.S_ISREG(info.st_mode) and info.st_mtime < _STARTED:
                os.unlink(entry.path)
                removed.append(Path(entry.path))
        except OSError:
            pass
    return removed


def save_model(network: Network, path, history=None) -> None:
    """Write `network` (and optionally its loss history) to `path` atomically.

    Raises ModelFileError ("can't save to X: permission denied", ...) and
    leaves any existing file at `path` untouched when anything goes wrong.
    A symbolic link keeps pointing where it did: its target gets the model.
    """
    shown = path
    path = check_save_target(path)
    if not network.is_finite():
        raise ModelFileError(f"can't save to {shown}: the network's weights hold NaN or infinity")
    arrays = {name: np.ascontiguousarray(getattr(network, name)) for name in WEIGHTS}
    arrays["config"] = np.array(json.dumps(network.config.to_dict()))
    arrays["epochs_trained"] = np.array(int(network.epochs_trained), np.int64)
    arrays["format_version"] = np.array(FORMAT_VERSION, np.int64)
    arrays.update(_history_arrays(history))
    remove_stale_temp_files(path)

    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = None
    try:
        # os.open with 0o666 honours the umask, so the file gets the usual permissions.
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        with os.fdopen(fd, "wb") as f:
            fd = None  # the file object owns it now
            np.savez(f, **arrays)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        if fd is not None:
            os.close(fd)
        _remove_quietly(tmp)
        raise ModelFileError(f"can't save to {shown}: {_why(exc)}") from None
    except BaseException:
        _remove_quietly(tmp)
        raise
    _sync_folder(path.parent)


def _remove_quietly(path: Path) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable (POSIX); harmless where folders can't be opened."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# -- loading ------------------------------------------------------------------


def _read_member(zf: zipfile.ZipFile, name: str, where: str, max_bytes: int) -> np.ndarray:
    """One array of the archive: header checked (no objects, sane size) before its data is read."""
    try:
        return read_member(zf, name, max_bytes)
    except NpyError as exc:
        raise ModelFileError(f"{where}: {exc}") from None


def _scalar_int(a: np.ndarray, name: str, where: str) -> int:
    if a.shape not in ((), (1,)) or a.dtype.kind not in "iu":
        raise ModelFileError(f"{where}: {name} should be a whole number, found {a.dtype} {a.shape}")
    return int(a.reshape(()))


def _parse_config(a: np.ndarray, where: str) -> TrainConfig:
    if a.shape != () or a.dtype.kind not in "US":
        raise ModelFileError(f"{where}: the saved settings are not text")
    text = a.item()
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    try:
        d = json.loads(text)
    except ValueError:
        raise ModelFileError(f"{where}: the saved settings are not valid JSON") from None
    if not isinstance(d, dict):
        raise ModelFileError(f"{where}: the saved settings are not a mapping of names to values")
    try:
        return TrainConfig.from_dict(d)
    except ConfigError as exc:
        raise ModelFileError(f"{where}: the saved settings are invalid: {exc}") from None
    except (TypeError, ValueError) as exc:
        raise ModelFileError(f"{where}: the saved settings are invalid ({exc})") from None


def _check_weights(arrays: dict[str, np.ndarray], config: TrainConfig, where: str) -> list[np.ndarray]:
    h, k = config.hidden, config.n_outputs
    expected = {"W1": (N_PIXELS, h), "b1": (h,), "W2": (h, k), "b2": (k,)}
    what = f"{config.task} with {h} hidden units"
    out = []
    for name in WEIGHTS:
        a = arrays[name]
        if a.dtype.kind != "f":
            raise ModelFileError(f"{where}: {name} should hold floating-point numbers, found {a.dtype}")
        if a.shape != expected[name]:
            raise ModelFileError(
                f"{where}: {name} has shape {a.shape}, but the saved settings ({what}) need {expected[name]}"
            )
        if not np.isfinite(a).all():
            raise ModelFileError(f"{where}: {name} holds NaN or infinite weights")
        peak = float(np.abs(a).max()) if a.size else 0.0
        if peak > _WEIGHT_LIMIT:
            raise ModelFileError(
                f"{where}: {name} holds weights as large as {peak:.3g}, which no training produces (damaged file?)"
            )
        out.append(np.ascontiguousarray(a, dtype=config.dtype))
    return out


def load_model_with_history(path) -> tuple[Network, dict[str, np.ndarray] | None]:
    """(Network, history) from a model file; history maps HISTORY_FIELDS to 1-D arrays, or is None.

    The network comes with the config it was trained with (a binary model
    stays binary). Every problem raises ModelFileError with one clear line.
    """
    path = Path(path)
    where = str(path)
    try:
        return _load(path, where)
    except ModelFileError:
        raise
    except MemoryError:
        raise ModelFileError(
            f"{where}: the model file is damaged (it claims to hold more than fits in memory)"
        ) from None
    except Exception as exc:  # anything a damaged archive can make zipfile, zlib or numpy raise
        detail = (str(exc).splitlines() or [""])[0][:100] or type(exc).__name__
        raise ModelFileError(f"{where}: the model file is damaged ({detail})") from None


def _load(path: Path, where: str):
    try:
        os.stat(path)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise ModelFileError(f"{where}: is a loop of symbolic links, not a model file") from None
        if exc.errno == errno.ENOENT:
            raise ModelFileError(f"{where}: no such file") from None
    if path.is_dir():
        raise ModelFileError(f"{where}: is a folder, not a model file")
    try:
        with open(path, "rb") as f:
            start = f.read(4)
    except OSError as exc:
        raise ModelFileError(f"{where}: can't read it: {_why(exc)}") from None
    if not start:
        raise ModelFileError(f"{where}: the file is empty")
    if not start.startswith(b"PK"):
        raise ModelFileError(f"{where}: not a model file (not an .npz archive)")
    try:
        zf = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        raise ModelFileError(f"{where}: the model file is truncated or corrupt") from None
    with zf:
        names = {n[:-4] for n in zf.namelist() if n.endswith(".npy")}
        if "format_version" not in names:
            raise ModelFileError(f"{where}: has no format version (not an mlpgui model file?)")
        version = _scalar_int(_read_member(zf, "format_version", where, MAX_ITEM), "the format version", where)
        if version != FORMAT_VERSION:
            raise ModelFileError(
                f"{where}: model format version {version} is not supported (this mlpgui reads version {FORMAT_VERSION})"
            )
        missing = [n for n in (*WEIGHTS, "config") if n not in names]
        if missing:
            raise ModelFileError(f"{where}: the model file lacks {', '.join(missing)}")
        config = _parse_config(_read_member(zf, "config", where, 4 * MAX_CONFIG_CHARS), where)
        h, k = config.hidden, config.n_outputs
        sizes = {"W1": N_PIXELS * h, "b1": h, "W2": h * k, "b2": k}
        arrays = {name: _read_member(zf, name, where, MAX_ITEM * sizes[name]) for name in WEIGHTS}
        W1, b1, W2, b2 = _check_weights(arrays, config, where)
        epochs = 0
        if "epochs_trained" in names:
            epochs = _scalar_int(_read_member(zf, "epochs_trained", where, MAX_ITEM), "epochs_trained", where)
            if epochs < 0:
                raise ModelFileError(f"{where}: epochs_trained is negative ({epochs})")
        history = _read_history(zf, names, where)
    return Network(config, W1, b1, W2, b2, epochs), history


# Per history column: (lowest, highest) of a measured value; NaN means "not measured" where allowed.
_HISTORY_RANGES = {
    "loss": (0.0, math.inf),
    "train_accuracy": (0.0, 1.0),
    "elapsed": (0.0, math.inf),
    "test_loss": (0.0, math.inf),
    "test_accuracy": (0.0, 1.0),
}
_ALWAYS_MEASURED = ("epoch", "loss")


def _read_history(zf: zipfile.ZipFile, names: set[str], where: str) -> dict[str, np.ndarray] | None:
    """The loss history, every value checked: what the window and the CSV export read is sound."""
    present = [n for n in HISTORY_FIELDS if f"history_{n}" in names]
    if not present:
        return None
    history = {}
    for name in present:
        a = _read_member(zf, f"history_{name}", where, 8 * MAX_HISTORY)
        if a.ndim != 1 or a.dtype.kind not in "fiu":
            raise ModelFileError(f"{where}: the loss history {name!r} is not a list of numbers")
        history[name] = a.astype(np.float64)
    if "loss" not in history:
        raise ModelFileError(f"{where}: the loss history has no loss column")
    if len({len(a) for a in history.values()}) > 1:
        raise ModelFileError(f"{where}: the loss history's columns have different lengths")
    for name, a in history.items():
        measured = a if name in _ALWAYS_MEASURED else a[~np.isnan(a)]
        if not np.isfinite(measured).all():
            raise ModelFileError(f"{where}: the loss history {name!r} holds NaN or infinity")
        if name in _HISTORY_RANGES:
            lo, hi = _HISTORY_RANGES[name]
            if len(measured) and (measured.min() < lo or measured.max() > hi):
                raise ModelFileError(f"{where}: the loss history {name!r} holds values outside {lo:g} to {hi:g}")
    if "test_loss" in history and "test_accuracy" in history:  # one measurement gives both, or neither
        if (np.isnan(history["test_loss"]) != np.isnan(history["test_accuracy"])).any():
            raise ModelFileError(
                f"{where}: the loss history's test loss and test accuracy disagree on when they were measured"
            )
    epochs = history.get("epoch", np.arange(1, len(history["loss"]) + 1, dtype=np.float64))
    if len(epochs) and ((epochs != np.round(epochs)).any() or epochs.min() < 1):
        raise ModelFileError(f"{where}: the loss history's epochs are not whole numbers from 1 up")
    if (np.diff(epochs) <= 0).any():
        raise ModelFileError(f"{where}: the loss history's epochs do not increase")
    return history


def load_model(path) -> Network:
    """The Network saved in a model file (see load_model_with_history)."""
    return load_model_with_history(path)[0]


__all__ = [
    "FORMAT_VERSION",
    "HISTORY_FIELDS",
    "check_save_target",
    "remove_stale_temp_files",
    "save_model",
    "load_model",
    "load_model_with_history",
]
