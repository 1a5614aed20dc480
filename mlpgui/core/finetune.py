"""Fine-tuning: train a copy of the current model a few more epochs on the training set plus my digits.

Each of my digits (of the task's classes) joins the training set `repeats`
times, so a handful of them weigh against thousands of MNIST images. The
copy trains with the same `Trainer` (the compiled core) as any run; the
result compares before and after on my digits and on the MNIST test set, so
a learner sees both what was learnt and what was forgotten.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from .config import TrainConfig
from .errors import ConfigError
from .metrics import Evaluation
from .mydigits import MyDigits, as_task, of_task
from .network import Network
from .tasks import TaskData, check_fits, input_layout
from .training import EpochReport, Trainer

MAX_REPEATS = 1000


def finetune_task(task: TaskData, mydigits: MyDigits, repeats: int) -> TaskData:
    """`task` with my digits of its classes appended to the training set, each `repeats` times.

    The test set stays the task's own. Refused (ConfigError) when the run
    would not fit: a batch larger than the set, or too little memory.
    """
    if isinstance(repeats, bool) or not isinstance(repeats, (int, np.integer)) or not 1 <= repeats <= MAX_REPEATS:
        raise ConfigError(f"repeats must be a whole number from 1 to {MAX_REPEATS}, not {repeats!r}", "repeats")
    _, images, labels = of_task(mydigits, task.classes)
    train_images = np.concatenate([task.train_images, np.tile(images, (repeats, 1, 1))])
    train_labels = np.concatenate([np.asarray(task.train_labels, np.int32), np.tile(labels, repeats)])
    out = replace(task, train_images=train_images, train_labels=train_labels)
    check_fits(task.config, out.n_train, out.n_test, input_layout(train_images))
    return out


@dataclass(frozen=True)
class FineTuneResult:
    """Before and after fine-tuning; guesses are digits, one per evaluated digit of mine (`indices`)."""

    network: Network  # the fine-tuned copy (the original is untouched)
    indices: np.ndarray  # which of my digits were evaluated (those of the task's classes)
    before_guesses: np.ndarray  # digits
    after_guesses: np.ndarray
    changed: np.ndarray  # indices into my digits whose guess changed
    before_mine: float  # accuracy on my digits (NaN if none are of the task's classes)
    after_mine: float
    before_test: float  # accuracy on the task's test set
    after_test: float
    history: tuple[EpochReport, ...]
    stopped: bool  # stopped before the last epoch


def finetune(
    network: Network,
    config: TrainConfig,
    task: TaskData,
    mydigits: MyDigits,
    repeats: int,
    epochs: int,
    stop: threading.Event | None = None,
    progress: Callable[[EpochReport], None] | None = None,
) -> FineTuneResult:
    """Train a copy of `network` for `epochs` epochs on `task`'s training set plus my digits x `repeats`.

    `config` gives the training settings (learning rate, batch size); its
    task, digits, hidden units, scale and precision must be the network's.
    `progress` is called after each epoch; setting `stop` ends the run at
    the next step boundary (the result then says stopped).
    """
    model = network.config
    for name in ("task", "classes", "hidden", "scale", "dtype"):
        if getattr(config, name) != getattr(model, name):
            raise ConfigError(f"fine-tuning needs the model's own {name} ({getattr(model, name)})", name)
    run_config = config.replace(epochs=epochs)
    mine = as_task(mydigits, task, task.config)
    train = finetune_task(replace(task, config=run_config), mydigits, repeats)

    def measure(net: Network) -> tuple[np.ndarray, float, float]:
        on_mine = Evaluation.compute(net, mine, "test")
        guesses = np.asarray(net.classes)[on_mine.predictions]
        return guesses, on_mine.accuracy, Evaluation.compute(net, task, "test").accuracy

    before_guesses, before_mine, before_test = measure(network)
    trainer = Trainer(run_config, train, network=network.copy())
    for report in trainer.run(stop):
        if progress is not None:
            progress(report)
    tuned = trainer.network
    after_guesses, after_mine, after_test = measure(tuned)
    return FineTuneResult(
        tuned,
        mine.indices,
        before_guesses,
        after_guesses,
        mine.indices[before_guesses != after_guesses],
        before_mine,
        after_mine,
        before_test,
        after_test,
        tuple(trainer.history),
        trainer.stopped,
    )
