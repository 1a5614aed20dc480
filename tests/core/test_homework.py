"""The course homework, reproduced: the binary run's printed losses and accuracies, and the multiclass run.

The binary numbers are the course's own printout (`tests/course_printout.py`,
the only hard-coded results in the test suite). The multiclass run (lr 0.1 on raw pixels) is
chaotic, so it is held to an independent float64 NumPy transcription of the
homework's math, written here in the homework's own orientation (features x
samples, W1 (256, 784)), for its first 40 epochs.
"""

import course_printout as course
import numpy as np
import pytest

from mlpgui.core.config import preset
from mlpgui.core.metrics import Evaluation
from mlpgui.core.progress import epoch_line
from mlpgui.core.tasks import build_task
from mlpgui.core.training import Trainer


@pytest.mark.parametrize("layout", ["dense", "sparse"])
def test_binary_homework_reproduces_the_course_printout(mnist, layout):
    """`homework-binary` (5 vs 8, n=1000, raw, float64, seed 3, lr 0.01, 100 full-batch epochs).

    Every loss must be within 1.5e-8 of the course's printed value (the
    printout to +-1 in its last digit) and print as the course's line did
    (rounded to 9 decimals, then printed with 8). Both accuracies must match
    exactly, as the plain Python floats the course printed. Both input
    layouts of the trainer (dense BLAS, sparse) must reproduce it.
    """
    config = preset("homework-binary")
    task = build_task(config, mnist)
    trainer = Trainer(config, task, layout=layout)
    losses = {r.epoch: r.loss for r in trainer.run()}
    assert sorted(losses) == list(range(1, 101))
    for epoch, printed in course.LOSSES.items():
        assert abs(losses[epoch] - float(printed)) <= 1.5e-8, f"epoch {epoch}: {losses[epoch]!r} vs {printed}"
        assert epoch_line(epoch, losses[epoch]) == course.LOSS_LINES[epoch]
    assert Evaluation.compute(trainer.network, task, "train").accuracy == course.TRAIN_ACCURACY
    assert Evaluation.compute(trainer.network, task, "test").accuracy == course.TEST_ACCURACY


def homework_multiclass_transcription(images, labels, epochs, lr=0.1, hidden=256, seed=3):
    """The homework's multiclass loop in float64 NumPy, samples as columns; returns the loss per epoch."""
    X = images.reshape(len(images), 784).T.astype(np.float64)  # (784, N), raw 0..255
    N = X.shape[1]
    Y = np.zeros((10, N))
    Y[labels, np.arange(N)] = 1.0
    rng = np.random.RandomState(seed)
    W1 = rng.normal(0, 0.01, (hidden, 784))
    W2 = rng.normal(0, 0.01, (10, hidden))
    b1 = np.zeros((hidden, 1))
    b2 = np.zeros((10, 1))
    losses = []
    for _ in range(epochs):
        A1 = 1.0 / (1.0 + np.exp(-(W1 @ X + b1)))
        Z2 = W2 @ A1 + b2
        E = np.exp(Z2 - Z2.max(axis=0))
        A2 = E / E.sum(axis=0)
        losses.append(-np.sum(Y * np.log(A2)) / N)
        dZ2 = A2 - Y
        dW2 = dZ2 @ A1.T / N
        db2 = dZ2.sum(axis=1, keepdims=True) / N
        dZ1 = (W2.T @ dZ2) * A1 * (1.0 - A1)
        dW1 = dZ1 @ X.T / N
        db1 = dZ1.sum(axis=1, keepdims=True) / N
        W1 -= lr * dW1
        b1 -= lr * db1
        W2 -= lr * dW2
        b2 -= lr * db2
    return losses


@pytest.fixture(scope="module")
def multiclass_run(mnist):
    """The full homework-multiclass run (150 epochs, about half a minute), shared by the tests below."""
    config = preset("homework-multiclass")
    task = build_task(config, mnist)
    trainer = Trainer(config, task)
    losses = [r.loss for r in trainer.run()]
    return task, trainer, losses


def test_multiclass_homework_follows_the_numpy_transcription(multiclass_run):
    task, _, losses = multiclass_run
    expected = homework_multiclass_transcription(task.train_images, task.train_labels, epochs=40)
    np.testing.assert_allclose(losses[:40], expected, rtol=0, atol=1e-6)
    # The run is not trivially flat: the loss really moves over these epochs.
    assert expected[0] == pytest.approx(np.log(10), abs=0.05) and expected[-1] < 0.6


def test_multiclass_homework_reaches_the_courses_accuracy(multiclass_run):
    """About 96% train and 92% test after 150 epochs (the course's ballpark; the run is chaotic)."""
    _, trainer, losses = multiclass_run
    assert len(losses) == 150 and np.isfinite(losses).all()
    task = trainer.task
    train = Evaluation.compute(trainer.network, task, "train").accuracy
    test = Evaluation.compute(trainer.network, task, "test").accuracy
    assert 0.94 <= train <= 0.98
    assert 0.90 <= test <= 0.94
    assert test < train
