"""My digits: MNIST-format IDX files that survive failures, and the set as a task to evaluate on."""

import gzip
import os

import numpy as np
import pytest

from mlpgui.core import mydigits as md
from mlpgui.core.data import IMAGES_MAGIC, LABELS_MAGIC, parse_idx, shipped_dir
from mlpgui.core.errors import DataError
from mlpgui.core.metrics import Evaluation
from mlpgui.core.mydigits import MyDigits, as_task


def shipped(stem: str) -> bytes:
    return gzip.decompress((shipped_dir() / (stem + ".gz")).read_bytes())


def test_files_are_byte_compatible_with_mnist(tmp_path, mnist):
    mine = MyDigits(tmp_path / "mine")
    for image, label in zip(mnist.x_test[:5], mnist.y_test[:5]):
        mine.add(image, int(label))
    images = (tmp_path / "mine" / md.IMAGES_FILE).read_bytes()
    labels = (tmp_path / "mine" / md.LABELS_FILE).read_bytes()
    mnist_images, mnist_labels = shipped("t10k-images-idx3-ubyte"), shipped("t10k-labels-idx1-ubyte")
    # MNIST's own header with the count set to 5, then MNIST's own first five images and labels
    assert images == mnist_images[:4] + (5).to_bytes(4, "big") + mnist_images[8:16] + mnist_images[16 : 16 + 5 * 784]
    assert labels == mnist_labels[:4] + (5).to_bytes(4, "big") + mnist_labels[8 : 8 + 5]
    assert images[:4] == (2051).to_bytes(4, "big") and labels[:4] == (2049).to_bytes(4, "big")


def test_files_round_trip_through_the_projects_idx_parser(tmp_path, mnist):
    mine = MyDigits(tmp_path)
    for i in (3, 1, 4, 1, 5, 9, 2, 6):
        mine.add(mnist.x_test[i], int(mnist.y_test[i]))
    mine.add(np.linspace(0, 1, 784).reshape(28, 28), 7)  # float ink from the pad
    images = parse_idx((tmp_path / md.IMAGES_FILE).read_bytes(), "images", IMAGES_MAGIC)
    labels = parse_idx((tmp_path / md.LABELS_FILE).read_bytes(), "labels", LABELS_MAGIC)
    np.testing.assert_array_equal(images[:8], mnist.x_test[[3, 1, 4, 1, 5, 9, 2, 6]])
    np.testing.assert_array_equal(labels, [*mnist.y_test[[3, 1, 4, 1, 5, 9, 2, 6]], 7])
    assert images[8, 0, 0] == 0 and images[8, 27, 27] == 255
    again = MyDigits.load(tmp_path)
    np.testing.assert_array_equal(again.images, mine.images)
    np.testing.assert_array_equal(again.labels, mine.labels)
    assert again.counts()[7] == 1 + (mnist.y_test[[3, 1, 4, 1, 5, 9, 2, 6]] == 7).sum()


def test_an_absent_folder_is_an_empty_set_and_a_corrupt_one_a_clear_error(tmp_path, mnist):
    assert len(MyDigits.load(tmp_path / "nothing-here")) == 0
    with pytest.raises(DataError, match="no such folder"):
        MyDigits.load(tmp_path / "nothing-here", missing_ok=False)
    mine = MyDigits(tmp_path)
    mine.add(mnist.x_test[0], 7)
    mine.add(mnist.x_test[1], 2)
    (tmp_path / md.LABELS_FILE).write_bytes((tmp_path / md.LABELS_FILE).read_bytes()[:-1])
    with pytest.raises(DataError, match="truncated"):
        MyDigits.load(tmp_path)
    (tmp_path / md.LABELS_FILE).write_bytes(md.idx_bytes(np.array([7, 12], np.uint8)))
    with pytest.raises(DataError, match="out of range"):
        MyDigits.load(tmp_path)
    (tmp_path / md.LABELS_FILE).unlink()
    with pytest.raises(DataError, match="missing my-digits-labels"):
        MyDigits.load(tmp_path)


def test_a_failing_write_leaves_the_saved_files_and_the_set_intact(tmp_path, mnist, monkeypatch):
    mine = MyDigits(tmp_path)
    for i in range(3):
        mine.add(mnist.x_test[i], int(mnist.y_test[i]))
    saved = {name: (tmp_path / name).read_bytes() for name in (md.IMAGES_FILE, md.LABELS_FILE)}

    def disk_full(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    for change in (lambda: mine.add(mnist.x_test[3], 4), lambda: mine.remove(0), lambda: mine.relabel(1, 9)):
        with pytest.raises(DataError, match="No space left on device.*unchanged"):
            change()
        assert {name: (tmp_path / name).read_bytes() for name in saved} == saved
        assert sorted(os.listdir(tmp_path)) == sorted(saved)  # no temporary files left behind
        assert len(mine) == 3 and list(mine.labels) == list(mnist.y_test[:3])  # memory still matches the files
    monkeypatch.undo()
    mine.add(mnist.x_test[3], 4)
    assert len(MyDigits.load(tmp_path)) == 4


def test_remove_relabel_and_undo_are_saved_at_once(tmp_path, mnist):
    mine = MyDigits(tmp_path)
    for i in range(4):
        mine.add(mnist.x_test[i], int(mnist.y_test[i]))
    labels = list(mnist.y_test[:4])
    mine.remove(1)
    assert list(MyDigits.load(tmp_path).labels) == labels[:1] + labels[2:]
    mine.relabel(0, 3)
    assert list(MyDigits.load(tmp_path).labels) == [3] + labels[2:]
    assert mine.undo() and list(MyDigits.load(tmp_path).labels) == labels[:1] + labels[2:]
    assert mine.undo()
    on_disk = MyDigits.load(tmp_path)
    assert list(on_disk.labels) == labels
    np.testing.assert_array_equal(on_disk.images, mnist.x_test[:4])
    for _ in range(4):
        assert mine.undo()
    assert not mine.undo() and len(MyDigits.load(tmp_path)) == 0
    with pytest.raises(ValueError, match="digit 0 to 9"):
        mine.add(mnist.x_test[0], 10)
    with pytest.raises(ValueError, match="ink from 0 to 1"):
        mine.add(mnist.x_test[0].astype(float), 3)  # floats are ink 0..1: 0..255 floats would be all white
    with pytest.raises(IndexError):
        mine.remove(0)


def test_export_and_import_pool_two_learners_digits(tmp_path, mnist):
    alice, bob = MyDigits(tmp_path / "alice"), MyDigits(tmp_path / "bob")
    alice.add(mnist.x_test[0], 7)
    bob.add(mnist.x_test[1], 2)
    bob.add(mnist.x_test[2], 1)
    shared = bob.export(tmp_path / "usb-stick")
    alice.import_from(shared)
    assert list(alice.labels) == [7, 2, 1] and list(MyDigits.load(tmp_path / "alice").labels) == [7, 2, 1]
    assert alice.undo() and list(MyDigits.load(tmp_path / "alice").labels) == [7]
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="missing my-digits-images"):
        alice.import_from(tmp_path / "empty")
    assert list(alice.labels) == [7]


def test_my_digits_as_a_test_set(tmp_path, binary, multi, mnist):
    mine = MyDigits(tmp_path)
    picks = [0, 1, 2, 3, 8, 15, 23, 45, 59]  # a mix of digits, some of them 5s and 8s
    for i in picks:
        mine.add(mnist.x_test[i], int(mnist.y_test[i]))
    network, task = binary
    a, b = network.classes
    mine_task = as_task(mine, task, task.config)
    expected = [i for i, d in enumerate(mnist.y_test[picks]) if d in (a, b)]
    assert len(expected) >= 2
    np.testing.assert_array_equal(mine_task.indices, expected)
    np.testing.assert_array_equal(mine_task.test_labels, (mine.labels[expected] == b).astype(int))
    ev = Evaluation.compute(network, mine_task, "test")
    assert ev.size == len(expected)
    direct = network.predict_images(mine.images[expected]).argmax(axis=1)
    assert ev.accuracy == pytest.approx(np.mean(direct == mine_task.test_labels))
    network10, task10 = multi
    assert Evaluation.compute(network10, as_task(mine, task10), "test").size == len(picks)
    assert mine_task.n_train == task.n_train  # the training set is the task's own
    none_of_ours = as_task(MyDigits(tmp_path / "empty"), task)
    empty = Evaluation.compute(network, none_of_ours, "test")
    assert empty.size == 0 and np.isnan(empty.accuracy) and empty.confusion.sum() == 0
