"""The task cache: one image selection per task, digits and images per class, whatever else changes."""

import numpy as np
import pytest

from mlpgui.core.config import TrainConfig
from mlpgui.core.errors import ConfigError
from mlpgui.core.tasks import TaskCache, build_task

SMALL = TrainConfig(
    task="binary", digits=(5, 8), per_class=100, hidden=16, epochs=3, lr=0.5, scale="unit", dtype="float32"
)


def test_a_cached_task_is_the_task_build_task_makes(mnist):
    cache = TaskCache(mnist)
    task, expected = cache.get(SMALL), build_task(SMALL, mnist)
    assert task.config == SMALL
    np.testing.assert_array_equal(task.train_images, expected.train_images)
    np.testing.assert_array_equal(task.test_labels, expected.test_labels)


def test_training_settings_reuse_the_selection_and_the_images_per_class_do_not(mnist):
    cache = TaskCache(mnist)
    first = cache.get(SMALL)
    other_lr = cache.get(SMALL.replace(lr=0.1, hidden=64))
    assert other_lr.config.lr == 0.1 and other_lr.train_images is first.train_images
    more = cache.get(SMALL.replace(per_class=200))
    assert more.n_train == 400 and more.train_images is not first.train_images


def test_only_the_last_selections_are_kept(mnist):
    cache = TaskCache(mnist, keep=1)
    first = cache.get(SMALL)
    cache.get(SMALL.replace(digits=(3, 7)))
    assert cache.get(SMALL).train_images is not first.train_images  # rebuilt: it was dropped


def test_a_config_that_cannot_run_is_refused_with_its_field(mnist):
    cache = TaskCache(mnist)
    with pytest.raises(ConfigError) as refused:
        cache.get(SMALL.replace(batch_size=1000))  # 200 training images
    assert refused.value.field == "batch_size"
    with pytest.raises(ConfigError):
        cache.get(SMALL.replace(lr=-1.0))
