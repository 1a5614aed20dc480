"""Fine-tuning on my digits: it learns them (and similar ones it has not seen), and leaves the original alone."""

import threading

import numpy as np
import pytest
from scipy import ndimage

from mlpgui.core.errors import ConfigError
from mlpgui.core.finetune import finetune, finetune_task
from mlpgui.core.mydigits import MyDigits
from mlpgui.core.tasks import build_task


def shifted_digits(mnist, folder, n=200, seed=0) -> MyDigits:
    """A synthetic learner who writes in the lower right corner: MNIST test digits moved 3-4 px down and right."""
    rng = np.random.RandomState(seed)
    index = rng.choice(len(mnist.y_test), n, replace=False)
    images = np.stack([ndimage.shift(mnist.x_test[i], rng.choice([3, 4], 2), order=0) for i in index])
    return MyDigits(folder, images, mnist.y_test[index].astype(np.uint8))


def halves(mine: MyDigits, tmp_path) -> tuple[MyDigits, MyDigits]:
    n = len(mine) // 2
    return (
        MyDigits(tmp_path / "taught", mine.images[:n], mine.labels[:n]),
        MyDigits(tmp_path / "held-out", mine.images[n:], mine.labels[n:]),
    )


def guesses(network, images):
    return np.asarray(network.classes)[network.predict_images(images).argmax(axis=1)]


@pytest.fixture(scope="module")
def reader_task(reader, mnist):
    return build_task(reader.config, mnist)


def test_finetuning_on_half_my_digits_reads_the_other_half_better(reader, reader_task, mnist, tmp_path):
    taught, held_out = halves(shifted_digits(mnist, tmp_path / "all"), tmp_path)
    before = [p.copy() for p in reader.params()]
    held_before = np.mean(guesses(reader, held_out.images) == held_out.labels)
    gains = {}
    for repeats in (1, 10):
        result = finetune(reader, reader.config, reader_task, taught, repeats, epochs=3)
        gains[repeats] = np.mean(guesses(result.network, held_out.images) == held_out.labels) - held_before
        assert result.after_mine > result.before_mine
    control = finetune(reader, reader.config, reader_task, MyDigits(tmp_path / "none"), 1, epochs=3)
    control_gain = np.mean(guesses(control.network, held_out.images) == held_out.labels) - held_before

    assert gains[10] > 0.2  # digits it was never shown, written the same way, are read better
    assert gains[10] > gains[1] + 0.1  # repeating my digits weighs them against MNIST's thousands
    assert control_gain < 0.05  # more epochs on MNIST alone do not do it
    for p, q in zip(before, reader.params()):
        np.testing.assert_array_equal(p, q)  # the model fine-tuned is a copy


def test_result_reports_before_and_after(reader, reader_task, mnist, tmp_path):
    mine = shifted_digits(mnist, tmp_path, n=60, seed=1)
    result = finetune(reader, reader.config, reader_task, mine, 10, epochs=2)
    np.testing.assert_array_equal(result.indices, np.arange(60))
    np.testing.assert_array_equal(result.before_guesses, guesses(reader, mine.images))
    np.testing.assert_array_equal(result.after_guesses, guesses(result.network, mine.images))
    np.testing.assert_array_equal(result.changed, np.flatnonzero(result.before_guesses != result.after_guesses))
    assert len(result.changed) > 0
    assert result.before_mine == pytest.approx(np.mean(result.before_guesses == mine.labels))
    assert result.after_mine == pytest.approx(np.mean(result.after_guesses == mine.labels))
    test_guesses = guesses(result.network, reader_task.test_images)
    assert result.after_test == pytest.approx(np.mean(test_guesses == reader_task.test_labels))
    assert result.network.epochs_trained == reader.epochs_trained + 2
    assert [r.epoch for r in result.history] == [reader.epochs_trained + 1, reader.epochs_trained + 2]
    assert not result.stopped


def test_binary_finetuning_uses_only_the_models_two_digits(binary, mnist, tmp_path):
    network, task = binary
    mine = shifted_digits(mnist, tmp_path, n=80, seed=2)
    a, b = network.classes
    ours = np.flatnonzero(np.isin(mine.labels, (a, b)))
    tuned = finetune_task(task, mine, 3)
    assert tuned.n_train == task.n_train + 3 * len(ours)
    np.testing.assert_array_equal(tuned.train_images[task.n_train :], np.tile(mine.images[ours], (3, 1, 1)))
    np.testing.assert_array_equal(tuned.train_labels[task.n_train :], np.tile(mine.labels[ours] == b, 3))
    result = finetune(network, network.config, task, mine, 3, epochs=1)
    np.testing.assert_array_equal(result.indices, ours)
    assert set(result.after_guesses) <= {a, b}


def test_progress_and_stop(reader, reader_task, mnist, tmp_path):
    mine = shifted_digits(mnist, tmp_path, n=20)
    stop = threading.Event()
    seen = []

    def progress(report):
        seen.append(report.epoch)
        stop.set()

    result = finetune(reader, reader.config, reader_task, mine, 2, epochs=5, stop=stop, progress=progress)
    assert seen == [reader.epochs_trained + 1] and result.stopped and len(result.history) == 1


def test_settings_that_do_not_fit_the_model_are_refused(reader, reader_task, mnist, tmp_path):
    mine = shifted_digits(mnist, tmp_path, n=10)
    with pytest.raises(ConfigError, match="hidden"):
        finetune(reader, reader.config.replace(hidden=64), reader_task, mine, 2, epochs=1)
    with pytest.raises(ConfigError, match="repeats"):
        finetune(reader, reader.config, reader_task, mine, 0, epochs=1)
    with pytest.raises(ConfigError, match="batch size"):
        finetune(reader, reader.config.replace(batch_size=10**6), reader_task, mine, 2, epochs=1)
