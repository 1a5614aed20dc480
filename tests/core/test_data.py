"""The MNIST loader: the shipped copy, other folders of IDX files, Keras npz, and every way they break.

A user can point `--data` at any folder or file; each broken case must be one
`DataError` whose message names the file (or folder) and says what is wrong,
never a NumPy or zlib traceback. A Hypothesis fuzz of `parse_idx` and of the
folder loader makes sure nothing else ever escapes.
"""

import gc
import gzip
import os
import shutil
import tempfile
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlpgui.core import data
from mlpgui.core.data import IMAGES_MAGIC, LABELS_MAGIC, load_mnist, parse_idx
from mlpgui.core.errors import DataError

STEMS = data.FILES  # key -> file stem, e.g. "x_train" -> "train-images-idx3-ubyte"


def idx_bytes(array: np.ndarray, magic: int | None = None) -> bytes:
    """An IDX file of uint8 `array` (magic 0x0000 08 ndim unless given)."""
    array = np.asarray(array, dtype=np.uint8)
    magic = (0x0800 | array.ndim) if magic is None else magic
    header = magic.to_bytes(4, "big") + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    return header + array.tobytes()


def small_mnist(n_train=20, n_test=10, seed=0):
    rng = np.random.default_rng(seed)
    return {
        "x_train": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "y_train": (np.arange(n_train) % 10).astype(np.uint8),
        "x_test": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "y_test": (np.arange(n_test)[::-1] % 10).astype(np.uint8),
    }


def write_folder(folder: Path, arrays: dict, gz=True, raw: dict | None = None) -> Path:
    """The four files in `folder` (gzip or plain); `raw` overrides a file's bytes by key."""
    folder.mkdir(parents=True, exist_ok=True)
    raw = raw or {}
    for key, stem in STEMS.items():
        content = raw.get(key, idx_bytes(arrays[key]) if key in arrays else None)
        if content is None:
            continue
        if gz:
            (folder / (stem + ".gz")).write_bytes(gzip.compress(content))
        else:
            (folder / stem).write_bytes(content)
    return folder


def data_error(source) -> str:
    with pytest.raises(DataError) as info:
        load_mnist(source)
    message = str(info.value)
    assert "\n" not in message, "messages are one line"
    return message


# -- the shipped copy ----------------------------------------------------------


def test_shipped_mnist_has_kerass_shapes_dtypes_and_labels():
    m = load_mnist()
    assert m.x_train.shape == (60000, 28, 28) and m.x_train.dtype == np.uint8
    assert m.y_train.shape == (60000,) and m.y_train.dtype == np.uint8
    assert m.x_test.shape == (10000, 28, 28) and m.x_test.dtype == np.uint8
    assert m.y_test.shape == (10000,) and m.y_test.dtype == np.uint8
    assert m.y_train[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    assert m.y_test[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]
    assert sorted(set(m.y_train.tolist())) == list(range(10))
    # Images are images: dark background, bright ink, the full 0..255 range used.
    assert m.x_train.min() == 0 and m.x_train.max() == 255
    assert m.x_train[:, 0, 0].max() == 0
    # The cache can't be changed by accident.
    assert not m.x_train.flags.writeable and not m.y_test.flags.writeable
    assert load_mnist() is m


def test_altered_shipped_file_fails_its_checksum(tmp_path, monkeypatch):
    shipped = data.shipped_dir()
    for f in shipped.glob("*.gz"):
        shutil.copy(f, tmp_path / f.name)
    labels = tmp_path / "t10k-labels-idx1-ubyte.gz"
    content = bytearray(gzip.decompress(labels.read_bytes()))
    content[8] = (content[8] + 1) % 10  # a still-valid label, so only the checksum can tell
    labels.write_bytes(gzip.compress(bytes(content)))
    monkeypatch.setattr(data, "shipped_dir", lambda: tmp_path)
    with pytest.raises(DataError) as info:
        data._load_cached.__wrapped__(None)
    assert "t10k-labels-idx1-ubyte" in str(info.value)
    assert "checksum" in str(info.value)


# -- another folder of IDX files ------------------------------------------------


@pytest.mark.parametrize("gz", [True, False], ids=["gzip", "plain"])
def test_valid_folder_loads(tmp_path, gz):
    arrays = small_mnist()
    m = load_mnist(write_folder(tmp_path / "digits", arrays, gz=gz))
    for key in STEMS:
        np.testing.assert_array_equal(getattr(m, key), arrays[key])
        assert getattr(m, key).dtype == np.uint8
    assert str(tmp_path / "digits") in m.source


def test_missing_folder(tmp_path):
    message = data_error(tmp_path / "nowhere")
    assert "nowhere" in message


def test_missing_file(tmp_path):
    folder = write_folder(tmp_path / "d", small_mnist())
    (folder / "t10k-labels-idx1-ubyte.gz").unlink()
    message = data_error(folder)
    assert "t10k-labels-idx1-ubyte" in message and "missing" in message


@pytest.mark.parametrize("key", list(STEMS))
def test_wrong_magic(tmp_path, key):
    arrays = small_mnist()
    wrong = LABELS_MAGIC if key.startswith("x") else IMAGES_MAGIC
    folder = write_folder(tmp_path / "d", arrays, raw={key: idx_bytes(arrays[key], magic=wrong)})
    message = data_error(folder)
    assert STEMS[key] in message and "magic" in message


def test_not_an_idx_file_at_all(tmp_path):
    folder = write_folder(tmp_path / "d", small_mnist(), raw={"x_test": b"<html>404 Not Found</html>"})
    message = data_error(folder)
    assert "t10k-images-idx3-ubyte" in message and "magic" in message


@pytest.mark.parametrize("cut", [1, 783, 10 * 784 + 8])
def test_truncated_payload(tmp_path, cut):
    arrays = small_mnist()
    content = idx_bytes(arrays["x_test"])[:-cut]
    folder = write_folder(tmp_path / "d", arrays, raw={"x_test": content})
    message = data_error(folder)
    assert "t10k-images-idx3-ubyte" in message and "truncated" in message


def test_truncated_header(tmp_path):
    folder = write_folder(tmp_path / "d", small_mnist(), raw={"y_train": LABELS_MAGIC.to_bytes(4, "big") + b"\0"})
    message = data_error(folder)
    assert "train-labels-idx1-ubyte" in message and ("short" in message or "truncated" in message)


def test_extra_bytes_after_the_data(tmp_path):
    arrays = small_mnist()
    folder = write_folder(tmp_path / "d", arrays, raw={"y_test": idx_bytes(arrays["y_test"]) + b"\0\0\0"})
    message = data_error(folder)
    assert "t10k-labels-idx1-ubyte" in message and "unexpected" in message


def test_counts_disagree_between_images_and_labels(tmp_path):
    arrays = small_mnist(n_train=20)
    arrays["y_train"] = arrays["y_train"][:19]
    folder = write_folder(tmp_path / "d", arrays)
    message = data_error(folder)
    assert str(folder) in message and "training" in message
    assert "20" in message and "19" in message


def test_wrong_image_size(tmp_path):
    arrays = small_mnist()
    arrays["x_train"] = np.zeros((20, 32, 32), np.uint8)
    folder = write_folder(tmp_path / "d", arrays)
    message = data_error(folder)
    assert "train-images-idx3-ubyte" in message and "32x32" in message and "28x28" in message


def test_labels_out_of_range(tmp_path):
    arrays = small_mnist()
    arrays["y_test"] = arrays["y_test"].copy()
    arrays["y_test"][3] = 10
    folder = write_folder(tmp_path / "d", arrays)
    message = data_error(folder)
    assert "10" in message and "0..9" in message
    # The user must be told which file holds the bad label.
    assert "t10k-labels-idx1-ubyte" in message


@pytest.mark.parametrize("damage", ["garbage", "truncated", "flipped"])
def test_corrupt_gzip(tmp_path, damage):
    folder = write_folder(tmp_path / "d", small_mnist())
    path = folder / "train-images-idx3-ubyte.gz"
    good = path.read_bytes()
    if damage == "garbage":
        bad = b"\x1f\x8b" + b"\x08\x00" + bytes(range(200))
    elif damage == "truncated":
        bad = good[: len(good) // 2]
    else:  # a flipped byte in the deflate stream (or its CRC)
        bad = bytearray(good)
        bad[len(bad) // 2] ^= 0xFF
        bad = bytes(bad)
    path.write_bytes(bad)
    message = data_error(folder)
    assert "train-images-idx3-ubyte" in message
    assert "gzip" in message or "truncated" in message or "magic" in message


def test_a_file_path_that_is_neither_folder_nor_npz(tmp_path):
    f = tmp_path / "mnist.csv"
    f.write_text("1,2,3\n")
    message = data_error(f)
    assert "mnist.csv" in message


# -- a Keras mnist.npz -----------------------------------------------------------


def test_valid_keras_npz(tmp_path):
    arrays = small_mnist()
    path = tmp_path / "mnist.npz"
    np.savez(path, **{k: v.astype(np.int64) if k.startswith("y") else v for k, v in arrays.items()})
    m = load_mnist(path)
    for key in STEMS:
        np.testing.assert_array_equal(getattr(m, key), arrays[key])
        assert getattr(m, key).dtype == np.uint8
    assert "mnist.npz" in m.source
    # Same promise as the IDX path: the cached arrays are read-only.
    assert not m.x_train.flags.writeable, "x_train from an npz is writable: a caller can alter the cached data"
    assert not m.y_train.flags.writeable, "y_train from an npz is writable: a caller can alter the cached data"


@pytest.mark.parametrize(
    "problem,change,words",
    [
        ("missing array", lambda a: a.pop("y_test"), ["y_test"]),
        ("float images", lambda a: a.update(x_train=a["x_train"].astype(np.float32)), ["x_train", "uint8"]),
        ("wrong image size", lambda a: a.update(x_test=np.zeros((10, 32, 32), np.uint8)), ["x_test", "28"]),
        ("float labels", lambda a: a.update(y_train=a["y_train"].astype(np.float64)), ["y_train", "integer"]),
        ("label out of range", lambda a: a.update(y_test=np.full(10, 11, np.int64)), ["y_test", "0..9"]),
        ("negative label", lambda a: a.update(y_test=np.full(10, -1, np.int64)), ["y_test", "0..9"]),
        ("counts disagree", lambda a: a.update(y_train=a["y_train"][:5]), ["20", "5"]),
    ],
)
def test_invalid_keras_npz(tmp_path, problem, change, words):
    arrays = small_mnist()
    change(arrays)
    path = tmp_path / "mnist.npz"
    np.savez(path, **arrays)
    message = data_error(path)
    assert "mnist.npz" in message
    for w in words:
        assert w in message, f"{problem}: {w!r} not in {message!r}"


@pytest.mark.parametrize("content", [b"", b"PK\x03\x04 not really a zip", b"\x93NUMPY garbage", bytes(range(256))])
def test_npz_that_is_not_an_npz(tmp_path, content):
    path = tmp_path / "mnist.npz"
    path.write_bytes(content)
    message = data_error(path)
    assert "mnist.npz" in message
    # Refusing a file must not leave it open (a leaked descriptor per attempt, and a ResourceWarning later).
    still_open = [fd for fd in os.listdir("/proc/self/fd") if _points_to(fd, path)]
    with warnings.catch_warnings():  # close the leaked file here, so only the assertion below reports it
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()
    assert not still_open, f"{path.name} left open after the error"


def _points_to(fd, path):
    try:
        return os.readlink(f"/proc/self/fd/{fd}") == str(path)
    except OSError:
        return False


def test_missing_npz(tmp_path):
    assert "mnist.npz" in data_error(tmp_path / "mnist.npz")


def _touch(path):
    """Runs only if somebody unpickles the payload below."""
    Path(path).write_text("unpickled!")
    return 0


class Booby:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (_touch, (self.marker,))


def test_npz_with_pickled_object_is_refused_never_unpickled(tmp_path):
    marker = tmp_path / "was-unpickled"
    arrays = small_mnist()
    arrays["y_train"] = np.array([Booby(str(marker))] * 20, dtype=object)
    path = tmp_path / "mnist.npz"
    np.savez(path, **arrays)  # savez pickles object arrays
    with zipfile.ZipFile(path) as z:
        assert b"_touch" in z.read("y_train.npy")  # it really holds a pickle that would run _touch
    message = data_error(path)
    assert "mnist.npz" in message and "pickle" in message
    assert not marker.exists(), "the pickled object was executed"


# -- fuzzing ----------------------------------------------------------------------


def valid_images_file(n=3):
    return idx_bytes(np.arange(n * 784, dtype=np.uint64).reshape(n, 28, 28) % 256)


def check_parse(content: bytes, magic: int):
    try:
        array = parse_idx(content, "fuzz.idx", magic)
    except DataError as e:
        assert str(e).startswith("fuzz.idx")
        return
    # Whatever parses is exactly what the header promised.
    assert array.dtype == np.uint8
    assert content[:4] == magic.to_bytes(4, "big")
    assert array.ndim == content[3]
    assert array.size == len(content) - 4 - 4 * array.ndim
    if magic == IMAGES_MAGIC:
        assert array.shape[1:] == (28, 28)


@settings(max_examples=300, deadline=None)
@given(content=st.binary(max_size=64), magic=st.sampled_from([IMAGES_MAGIC, LABELS_MAGIC]))
def test_fuzz_parse_idx_random_bytes(content, magic):
    check_parse(content, magic)


@settings(max_examples=300, deadline=None)
@given(content=st.binary(max_size=64), magic=st.sampled_from([IMAGES_MAGIC, LABELS_MAGIC]))
def test_fuzz_parse_idx_random_bytes_behind_a_valid_magic(content, magic):
    check_parse(magic.to_bytes(4, "big") + content, magic)


@st.composite
def mutated_idx(draw):
    """A valid images or labels file with bytes overwritten (mostly in the header), cut or extended."""
    if draw(st.booleans()):
        content, magic = bytearray(valid_images_file(draw(st.integers(0, 3)))), IMAGES_MAGIC
    else:
        content, magic = bytearray(idx_bytes(np.arange(draw(st.integers(0, 40))) % 10)), LABELS_MAGIC
    for _ in range(draw(st.integers(0, 4))):
        pos = draw(st.integers(0, min(len(content) - 1, 20) if draw(st.booleans()) else len(content) - 1))
        content[pos] = draw(st.integers(0, 255))
    action = draw(st.sampled_from(["keep", "cut", "extend"]))
    if action == "cut":
        content = content[: draw(st.integers(0, len(content)))]
    elif action == "extend":
        content += draw(st.binary(min_size=1, max_size=30))
    return bytes(content), magic


@settings(max_examples=400, deadline=None)
@given(case=mutated_idx())
def test_fuzz_parse_idx_mutated_valid_files(case):
    content, magic = case
    check_parse(content, magic)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=mutated_idx(), gz=st.booleans(), gz_damage=st.integers(0, 60))
def test_fuzz_folder_loader(case, gz, gz_damage):
    """Through the whole loader, gzip included: a mutated labels or images file is a DataError or loads."""
    content, magic = case
    arrays = small_mnist(n_train=3 if magic == IMAGES_MAGIC else 20)
    key = "x_train" if magic == IMAGES_MAGIC else "y_train"
    with tempfile.TemporaryDirectory() as tmp:  # a fresh path each time: load_mnist caches per path
        folder = write_folder(Path(tmp) / "d", arrays, gz=False)
        target = folder / STEMS[key]
        if gz:
            packed = bytearray(gzip.compress(content))
            if gz_damage and gz_damage < len(packed):
                packed[gz_damage] ^= 0x5A
            target.with_name(target.name + ".gz").write_bytes(bytes(packed))
            target.unlink()
        else:
            target.write_bytes(content)
        try:
            m = load_mnist(folder)
        except DataError as e:
            assert str(folder) in str(e)
        else:
            assert m.x_train.shape[1:] == (28, 28) and len(m.x_train) == len(m.y_train)
            assert m.y_train.max(initial=0) <= 9


# -- npz members are checked from their headers ------------------------------------------


def _npz_with_header(path: Path, key: str, dtype: str, shape: tuple, data: bytes = b"\0" * 1024) -> Path:
    """A valid small npz in which member `key` declares (dtype, shape) but holds only `data`."""
    import io

    arrays = small_mnist()
    del arrays[key]
    np.savez_compressed(path, **arrays)
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": dtype, "fortran_order": False, "shape": shape})
    with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr(f"{key}.npy", header.getvalue() + data)
    return path


def test_an_npz_member_claiming_gigabytes_is_refused_from_its_header(tmp_path):
    """x_train claiming 4,000,000 images (3.1 GB, past the IDX loader's cap): refused without reading it."""
    import tracemalloc

    path = _npz_with_header(tmp_path / "mnist.npz", "x_train", "|u1", (4_000_000, 28, 28))
    tracemalloc.start()
    try:
        message = data_error(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "x_train" in message and "far too large" in message and "4000000" in message
    assert peak < 16 * 2**20


@pytest.mark.parametrize(
    "key,dtype,shape,words",
    [
        ("x_test", "<f8", (10, 28, 28), ["x_test", "uint8"]),
        ("x_train", "|u1", (20, 784), ["x_train", "(n, 28, 28)"]),
        ("y_train", "<f4", (20,), ["y_train", "integer"]),
    ],
)
def test_an_npz_member_of_the_wrong_type_is_refused_from_its_header(tmp_path, key, dtype, shape, words):
    path = _npz_with_header(tmp_path / "mnist.npz", key, dtype, shape, data=b"")  # no data: never read
    message = data_error(path)
    assert all(w in message for w in words), message
    assert "truncated" not in message


@pytest.mark.parametrize("content", [b"\x89PNG\r\n\x1a\n" + bytes(100), b"label,pixel0\n5,0\n"], ids=["png", "csv"])
def test_a_picture_or_table_named_npz_is_not_an_npz_file(tmp_path, content):
    path = tmp_path / "x.npz"
    path.write_bytes(content)
    message = data_error(path)
    assert "x.npz: not an npz file" in message
    assert "pickle" not in message
