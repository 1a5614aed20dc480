"""The homework's training and test sets, built from the shipped MNIST, and the up-front size checks.

binary: first n training images of digit a, then first n of b, labels 0 then
1; the test set the same way from the test split. multiclass: first n of
each digit in order 0..9, tested on all 10,000 test images. n = 0 is all.
"""

import numpy as np
import pytest

from mlpgui.core import tasks
from mlpgui.core.config import TrainConfig
from mlpgui.core.errors import ConfigError
from mlpgui.core.tasks import build_task, check_fits, estimate_memory, first_of_each_class, scale_images


def first(images, labels, digit, n):
    return images[labels == digit][:n] if n else images[labels == digit]


def test_binary_default_sizes_and_order(mnist):
    task = build_task(TrainConfig(), mnist)
    assert task.n_train == 2000 and task.train_images.shape == (2000, 28, 28)
    assert task.train_images.dtype == np.uint8 and task.train_labels.dtype == np.int32
    # First the 1000 fives (label 0), then the 1000 eights (label 1).
    assert task.train_labels.tolist() == [0] * 1000 + [1] * 1000
    np.testing.assert_array_equal(task.train_images[:1000], first(mnist.x_train, mnist.y_train, 5, 1000))
    np.testing.assert_array_equal(task.train_images[1000:], first(mnist.x_train, mnist.y_train, 8, 1000))
    # Fewer than 1000 test images of 5 exist: 892 + 974 = 1866.
    assert len(task.test_labels) == 1866
    assert task.test_labels.tolist() == [0] * 892 + [1] * 974
    np.testing.assert_array_equal(task.test_images[:892], first(mnist.x_test, mnist.y_test, 5, 0))
    np.testing.assert_array_equal(task.test_images[892:], first(mnist.x_test, mnist.y_test, 8, 1000))
    assert task.classes == (5, 8)
    assert "2,000" in task.describe() and "1,866" in task.describe()


def test_binary_labels_follow_the_order_of_the_digits(mnist):
    task = build_task(TrainConfig(digits=(8, 5), per_class=10), mnist)
    assert task.classes == (8, 5)
    assert task.train_labels.tolist() == [0] * 10 + [1] * 10
    np.testing.assert_array_equal(task.train_images[:10], first(mnist.x_train, mnist.y_train, 8, 10))
    np.testing.assert_array_equal(task.train_images[10:], first(mnist.x_train, mnist.y_train, 5, 10))


def test_multiclass_n_1000(mnist):
    task = build_task(TrainConfig(task="multiclass"), mnist)
    assert task.n_train == 10000 and len(task.test_labels) == 10000
    assert task.train_labels.tolist() == [d for d in range(10) for _ in range(1000)]
    for d in range(10):
        np.testing.assert_array_equal(
            task.train_images[d * 1000 : (d + 1) * 1000], first(mnist.x_train, mnist.y_train, d, 1000)
        )
    # The whole test split, in file order.
    np.testing.assert_array_equal(task.test_images, mnist.x_test)
    np.testing.assert_array_equal(task.test_labels, mnist.y_test)
    assert task.test_labels.dtype == np.int32


def test_per_class_zero_means_all(mnist):
    task = build_task(TrainConfig(task="multiclass", per_class=0, hidden=16), mnist)
    assert task.n_train == 60000
    assert np.bincount(task.train_labels).tolist() == np.bincount(mnist.y_train).tolist()
    binary = build_task(TrainConfig(digits=(3, 7), per_class=0, hidden=16), mnist)
    n3, n7 = int(np.sum(mnist.y_train == 3)), int(np.sum(mnist.y_train == 7))
    assert binary.train_labels.tolist() == [0] * n3 + [1] * n7
    assert len(binary.test_labels) == int(np.sum(mnist.y_test == 3) + np.sum(mnist.y_test == 7))


def test_inputs_are_scaled_rows(mnist):
    raw = build_task(TrainConfig(per_class=5), mnist)
    X = raw.inputs("train")
    assert X.shape == (10, 784) and X.dtype == np.float64
    np.testing.assert_array_equal(X, raw.train_images.reshape(10, 784))
    unit = build_task(TrainConfig(per_class=5, scale="unit", dtype="float32"), mnist)
    U = unit.inputs("test")
    assert U.dtype == np.float32 and U.shape == (10, 784)
    np.testing.assert_allclose(U, unit.test_images.reshape(10, 784) / 255.0, rtol=1e-7)
    assert U.max() == 1.0 and U.min() == 0.0
    assert scale_images(unit.test_images[0], "unit", "float64").shape == (1, 784)


def test_too_many_images_per_class(mnist):
    n5 = int(np.sum(mnist.y_train == 5))
    assert build_task(TrainConfig(per_class=n5, hidden=8), mnist).n_train == 2 * n5
    with pytest.raises(ConfigError) as info:
        build_task(TrainConfig(per_class=n5 + 1), mnist)
    assert info.value.field == "per_class"
    assert f"{n5:,}" in str(info.value) and "5" in str(info.value)
    with pytest.raises(ConfigError) as info:
        build_task(TrainConfig(task="multiclass", per_class=10**6), mnist)
    assert info.value.field == "per_class"


@pytest.mark.parametrize(
    "changes,field",
    [
        (dict(digits=(4, 4)), "digits"),
        (dict(lr=float("nan")), "lr"),
        (dict(lr=-1.0), "lr"),
        (dict(hidden=0), "hidden"),
    ],
)
def test_build_task_validates_the_config(mnist, changes, field):
    with pytest.raises(ConfigError) as info:
        build_task(TrainConfig().replace(**changes), mnist)
    assert info.value.field == field


def test_batch_larger_than_the_set(mnist):
    assert build_task(TrainConfig(per_class=10, batch_size=20), mnist).n_train == 20
    with pytest.raises(ConfigError) as info:
        build_task(TrainConfig(per_class=10, batch_size=21), mnist)
    assert info.value.field == "batch_size"
    assert "21" in str(info.value) and "20" in str(info.value)


def test_absurd_hidden_size_is_refused_by_its_memory_estimate():
    """hidden=10**7 would need hundreds of GiB: refused before anything is allocated, in GiB."""
    config = TrainConfig(hidden=10**7)
    need = estimate_memory(config, 2000)
    assert need > 100 * 2**30  # W1 alone is 784 * 10**7 float64 = 58 GiB
    with pytest.raises(ConfigError) as info:
        check_fits(config, 2000)
    assert "GiB" in str(info.value)
    assert info.value.field == "hidden"


def test_large_but_legal_run_is_refused_up_front(mnist, monkeypatch):
    """Legal settings that need more memory than the machine has: refused with the estimate, not by running out."""
    monkeypatch.setattr(tasks, "available_memory", lambda: 4 * 2**30)
    config = TrainConfig(task="multiclass", per_class=0, hidden=65536)
    with pytest.raises(ConfigError) as info:
        build_task(config, mnist)
    message = str(info.value)
    assert "GiB" in message and "4.0 GiB" in message
    assert f"{estimate_memory(config, 60000) / 2**30:.1f} GiB" in message
    # The homework itself fits easily.
    assert estimate_memory(TrainConfig(), 2000) < 2**30
    build_task(TrainConfig(), mnist)


def test_memory_estimate_grows_with_the_run():
    small = TrainConfig(task="multiclass", hidden=64)
    assert estimate_memory(small.replace(hidden=128), 10000) > estimate_memory(small, 10000)
    assert estimate_memory(small, 60000) > estimate_memory(small, 10000)
    assert estimate_memory(small.replace(dtype="float32"), 10000) < estimate_memory(small, 10000)
    assert estimate_memory(small.replace(batch_size=32), 60000) < estimate_memory(small, 60000)


def test_the_sample_strip_shows_every_class_not_only_the_first():
    labels = np.array([3, 3, 3, 7, 3, 7, 7, 3])
    picked = first_of_each_class(labels, count=4)
    assert list(picked) == [0, 1, 3, 5]  # the first two 3s and the first two 7s
    assert list(first_of_each_class(np.arange(10).repeat(3), count=10)) == list(range(0, 30, 3))
    assert len(first_of_each_class(np.array([], dtype=int))) == 0
