"""The Trainer: epoch reports, the reference math end to end, stopping from another thread, divergence.

The window drives `Trainer.run()` from a worker thread and stops it with a
`threading.Event`; these tests do the same with plain threads. The trainer
has two input layouts (dense BLAS kernels in `_core`, sparse kernels in
`_sparse`); what the user sees must not depend on which one runs, so the
behavioural tests run on both. Where a test needs to act at an exact step, it
swaps the trainer's compiled modules for spies that forward every call.
"""

import threading
import time

import numpy as np
import pytest

from mlpgui import _core, _sparse
from mlpgui.core import reference, training
from mlpgui.core.config import TrainConfig
from mlpgui.core.errors import TrainingDiverged
from mlpgui.core.metrics import Evaluation
from mlpgui.core.network import Network
from mlpgui.core.tasks import build_task
from mlpgui.core.training import EpochReport, Trainer

SMALL = TrainConfig(task="multiclass", per_class=50, hidden=32, epochs=5, lr=0.5, scale="unit", dtype="float32")


LAYOUTS = ["dense", "sparse"]


def trainer(mnist, config, network=None, layout="auto"):
    return Trainer(config, build_task(config, mnist), network, layout=layout)


def measured(t, which="train"):
    """(mean loss, accuracy) of t's current network on its training or test set."""
    evaluation = Evaluation.compute(t.network, t.task, which)
    return evaluation.loss, evaluation.accuracy


def params_equal(a: Network, b: Network) -> bool:
    return all(np.array_equal(p, q) for p, q in zip(a.params(), b.params()))


class _ModuleSpy:
    def __init__(self, module, steps, owner):
        self._module, self._steps, self._owner = module, steps, owner

    def __getattr__(self, name):
        real = getattr(self._module, name)
        if name not in self._steps:
            return real

        def step(*args, **kwargs):
            self._owner.calls += 1
            self._owner.seen.append(np.array(args[1]))  # labels (dense) or batch indices (sparse), copied now
            result = real(*args, **kwargs)
            self._owner.after_step(self._owner.calls)
            return result

        return step


class StepSpy:
    """Replaces training.py's compiled modules: counts training steps, runs `after_step(calls)` after each."""

    def __init__(self, after_step=lambda calls: None):
        self.calls = 0
        self.seen = []
        self.after_step = after_step

    def __enter__(self):
        self._saved = training._core, training._sparse
        training._core = _ModuleSpy(_core, {"train_step"}, self)
        training._sparse = _ModuleSpy(_sparse, {"full_batch_step", "minibatch_step"}, self)
        return self

    def __exit__(self, *exc):
        training._core, training._sparse = self._saved


# -- reports and the math ----------------------------------------------------------


@pytest.mark.parametrize("layout", LAYOUTS)
def test_reports_after_every_epoch(mnist, layout):
    t = trainer(mnist, SMALL, layout=layout)
    reports = []
    for report in t.run():
        assert isinstance(report, EpochReport)
        assert t.network.epochs_trained == report.epoch  # the network is up to date when a report arrives
        reports.append(report)
    assert [r.epoch for r in reports] == [1, 2, 3, 4, 5]
    assert all(r.epochs == 5 for r in reports)
    assert t.history == reports
    assert all(np.isfinite(r.loss) and 0 <= r.train_accuracy <= 1 for r in reports)
    assert all(r.test_loss is None and r.test_accuracy is None for r in reports)
    elapsed = [r.elapsed for r in reports]
    assert all(b >= a for a, b in zip(elapsed, elapsed[1:])) and elapsed[0] > 0
    assert reports[-1].loss < reports[0].loss
    assert not t.stopped


@pytest.mark.parametrize(
    "config",
    [
        TrainConfig(per_class=40, hidden=16, epochs=6, lr=0.01, scale="raw", dtype="float64"),
        TrainConfig(task="multiclass", per_class=20, hidden=24, epochs=6, lr=0.1, scale="raw", dtype="float64"),
        TrainConfig(
            task="multiclass", digits=(3, 3), per_class=20, hidden=8, epochs=6, lr=2.0, scale="unit", dtype="float64"
        ),
    ],
    ids=["binary-raw", "multiclass-raw", "multiclass-unit"],
)
@pytest.mark.parametrize("layout", LAYOUTS)
def test_full_batch_run_follows_the_reference(mnist, config, layout):
    """Each report's loss and accuracy are those of the forward pass before that epoch's update."""
    t = trainer(mnist, config, layout=layout)
    X = t.task.inputs("train", "float64")
    y = t.task.train_labels
    coefs, intercepts = reference.init_params(784, config.hidden, config.n_outputs, config.seed)
    for report in t.run():
        accuracy = np.mean(reference.predict(X, coefs, intercepts) == y)
        loss = reference.train_step(X, y, coefs, intercepts, config.lr)
        assert report.loss == pytest.approx(loss, rel=1e-10)
        assert report.train_accuracy == accuracy
    # Weights are ~0.01: atol 1e-13 is 1e-11 of their scale, room for a sum taken in another order
    # when a weight has almost cancelled out to zero.
    np.testing.assert_allclose(t.network.W1, coefs[0], rtol=1e-9, atol=1e-13)
    np.testing.assert_allclose(t.network.W2, coefs[1], rtol=1e-9, atol=1e-13)
    np.testing.assert_allclose(t.network.b2, intercepts[1], rtol=1e-9, atol=1e-13)


@pytest.mark.parametrize("layout", LAYOUTS)
def test_one_batch_of_the_whole_set_is_full_batch(mnist, layout):
    """batch_size = N shuffles, but the mean gradient is the same: same losses up to rounding."""
    config = SMALL.replace(dtype="float64")
    full = trainer(mnist, config, layout=layout)
    one_batch = trainer(mnist, config.replace(batch_size=full.task.n_train), layout=layout)
    a, b = full.train(), one_batch.train()
    np.testing.assert_allclose([r.loss for r in b], [r.loss for r in a], rtol=1e-10)
    assert [r.train_accuracy for r in b] == [r.train_accuracy for r in a]
    np.testing.assert_allclose(one_batch.network.W1, full.network.W1, rtol=1e-9, atol=1e-14)


def test_resuming_with_a_network_continues_the_run(mnist):
    config = SMALL.replace(dtype="float64", epochs=6)
    straight = trainer(mnist, config).train()
    first = trainer(mnist, config.replace(epochs=3))
    first.train()
    second = trainer(mnist, config.replace(epochs=3), network=first.network)
    rest = second.train()
    assert [r.epoch for r in rest] == [4, 5, 6]
    assert [r.loss for r in rest] == [r.loss for r in straight[3:]]


@pytest.mark.parametrize("layout", LAYOUTS)
def test_minibatch_shuffles_are_seeded(mnist, layout):
    config = SMALL.replace(batch_size=25, epochs=2)
    runs = [trainer(mnist, config, layout=layout) for _ in range(2)]
    losses = [[r.loss for r in t.train()] for t in runs]
    assert losses[0] == losses[1]
    assert params_equal(runs[0].network, runs[1].network)
    other = trainer(mnist, config.replace(seed=4), layout=layout)
    assert [r.loss for r in other.train()] != losses[0]


@pytest.mark.parametrize("layout", LAYOUTS)
def test_minibatches_learn_and_reshuffle(mnist, layout):
    config = SMALL.replace(batch_size=25, epochs=4, lr=2.0)
    t = trainer(mnist, config, layout=layout)
    reports = t.train()
    assert reports[-1].loss < 0.5 * reports[0].loss
    assert measured(t)[1] > 0.8
    # A fresh shuffle each epoch: the first batch of epoch 2 is not the first batch of epoch 1.
    t2 = trainer(mnist, config.replace(epochs=2), layout=layout)
    with StepSpy() as spy:
        t2.train()
    assert spy.calls == 2 * 20
    first_batches = [_batch_labels(spy.seen[i], t2) for i in (0, 20)]
    assert not np.array_equal(*first_batches)


@pytest.mark.parametrize(
    "batch_size,shared", [(0, True), (32, False), (64, True), (256, True), (1024, True), (1500, False), (2048, True)]
)
def test_threads_train_the_batches_worth_sharing(mnist, batch_size, shared):
    """Mini-batches run on every thread where the timings said it pays, and threads change only rounding."""
    config = SMALL.replace(per_class=300, hidden=256, batch_size=batch_size, epochs=2)
    task = build_task(config, mnist)
    two = Trainer(config, task, layout="sparse", n_threads=2)
    assert two.step_threads == (2 if shared else 1)
    one = Trainer(config, task, layout="sparse", n_threads=1)
    for a, b in zip(two.train(), one.train()):
        assert a.loss == pytest.approx(b.loss, rel=1e-5)
    for p, q in zip(two.network.params(), one.network.params()):
        np.testing.assert_allclose(p, q, rtol=1e-4, atol=1e-6)


def _batch_labels(recorded, t):
    """The labels of a recorded mini-batch step (dense: yb is passed; sparse: the indices are)."""
    return recorded if t.layout == "dense" else t.task.train_labels[recorded]


def test_evaluation_matches_the_reference(mnist):
    config = SMALL.replace(dtype="float64", batch_size=25)
    t = trainer(mnist, config)
    reports = list(t.run(evaluate_every=2))
    assert [r.test_accuracy is not None for r in reports] == [False, True, False, True, True]
    coefs, intercepts = [t.network.W1, t.network.W2], [t.network.b1, t.network.b2]
    for which, X, y in (
        ("test", t.task.inputs("test"), t.task.test_labels),
        ("train", t.task.inputs("train"), t.task.train_labels),
    ):
        _, z2 = reference.forward_pass(X, coefs, intercepts)
        loss, accuracy = measured(t, which)
        assert loss == pytest.approx(reference.loss(z2, y), rel=1e-10)
        assert accuracy == np.mean(reference.predict(X, coefs, intercepts) == y)
    assert reports[-1].test_loss == measured(t, "test")[0]
    assert reports[-1].test_accuracy == measured(t, "test")[1]
    assert 0.6 < measured(t, "test")[1] < measured(t, "train")[1] <= 1.0  # learned something, overfits 500 images


# -- stopping from another thread ---------------------------------------------------


def run_in_thread(t, stop):
    errors = []

    def work():
        try:
            t.train(stop)
        except Exception as e:  # surfaced by the test below
            errors.append(e)

    thread = threading.Thread(target=work, name="test-trainer")
    thread.start()
    return thread, errors


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("batch_size,stop_at", [(0, 3), (25, 10)], ids=["full-batch", "mini-batch"])
def test_stop_from_another_thread_ends_within_one_step(mnist, batch_size, stop_at, layout):
    """The stop request arrives during training step `stop_at`; no further step is made."""
    reached, stop = threading.Event(), threading.Event()

    def after_step(calls):
        if calls == stop_at:
            reached.set()
            stop.wait(5)  # the worker holds here until the other thread has asked to stop

    config = SMALL.replace(batch_size=batch_size, epochs=1000, lr=2.0 if batch_size == 0 else 0.5)
    t = trainer(mnist, config, layout=layout)
    initial = t.network.copy()
    with StepSpy(after_step) as spy:
        thread, errors = run_in_thread(t, stop)
        try:
            assert reached.wait(10), "the run never reached the step where the stop is requested"
        finally:
            stop.set()
            thread.join(10)
    assert not thread.is_alive() and not errors
    assert t.stopped
    assert spy.calls == stop_at
    if batch_size == 0:
        assert [r.epoch for r in t.history] == [1, 2, 3]
    else:
        assert t.history == []  # stopped halfway through epoch 1
    # The network keeps what it learned and still predicts.
    net = t.network
    assert net.is_finite() and not params_equal(net, initial)
    assert_still_predicts(t)


def assert_still_predicts(t):
    """The network gives finite probabilities and the labels its weights imply."""
    net = t.network
    X = t.task.inputs("test", "float64")
    proba = net.predict_proba(X)
    assert np.isfinite(proba).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    expected = reference.predict(
        X, [net.W1.astype(float), net.W2.astype(float)], [net.b1.astype(float), net.b2.astype(float)]
    )
    agree = np.mean(net.predict(X) == expected)
    assert agree > 0.999  # float32 ties aside


@pytest.mark.parametrize("layout", LAYOUTS)
def test_stop_takes_effect_quickly_in_a_real_run(mnist, layout):
    config = TrainConfig(
        task="multiclass", per_class=300, hidden=64, epochs=1_000_000, lr=0.5, scale="unit", dtype="float32"
    )
    t = trainer(mnist, config, layout=layout)
    stop = threading.Event()
    thread, errors = run_in_thread(t, stop)
    try:
        deadline = time.monotonic() + 10
        while len(t.history) < 3 and time.monotonic() < deadline:
            time.sleep(0.005)
    finally:
        asked = time.monotonic()
        stop.set()
        thread.join(10)
    waited = time.monotonic() - asked
    assert not thread.is_alive() and not errors
    assert t.stopped and 3 <= len(t.history) < 1000
    per_epoch = t.history[-1].elapsed / len(t.history)
    assert waited < 2 * per_epoch + 2.0  # generous: the machine may be busy; the spy test above is exact
    assert t.network.is_finite()


def test_a_stop_set_before_the_run_trains_nothing(mnist):
    t = trainer(mnist, SMALL)
    initial = t.network.copy()
    stop = threading.Event()
    stop.set()
    assert list(t.run(stop)) == []
    assert t.stopped and params_equal(t.network, initial)


# -- divergence -----------------------------------------------------------------------


def snapshots_while_running(t):
    """Run t, keeping a copy of the network before each epoch; returns (snapshots, error)."""
    snaps = [t.network.copy()]
    try:
        for _ in t.run():
            snaps.append(t.network.copy())
    except TrainingDiverged as e:
        return snaps, e
    return snaps, None


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("task", ["binary", "multiclass"])
def test_huge_learning_rate_stops_with_training_diverged(mnist, task, layout):
    """lr 1e6 on raw pixels: the run must stop with TrainingDiverged and give back usable weights.

    The network is rolled back to the weights before the diverging update,
    i.e. the weights whose loss is the last one reported: finite, and with
    exactly that loss.
    """
    config = TrainConfig(task=task, per_class=100, hidden=32, epochs=20, lr=1e6, scale="raw", dtype="float64")
    t = trainer(mnist, config, layout=layout)
    snaps, error = snapshots_while_running(t)
    assert error is not None, (
        f"lr 1e6 ran all {len(t.history)} epochs without TrainingDiverged; losses went "
        f"{t.history[0].loss:.3g} -> {max(r.loss for r in t.history):.3g}"
    )
    assert "learning rate" in str(error)
    finite = t.network.is_finite()
    assert finite
    assert t.history, "the first epoch's loss (about log 2 or log 10) is finite and reported"
    loss, _ = measured(t)
    assert loss == pytest.approx(t.history[-1].loss, rel=1e-12), (
        f"the rolled-back network's loss is {loss:.4g}, not the last reported {t.history[-1].loss:.4g}"
    )
    same = params_equal(t.network, snaps[len(t.history) - 1])
    assert same, "not the weights before the diverging update"


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize(
    "batch_size,poison_at,expect_reports,expect_snapshot",
    [
        (0, 3, 3, 2),  # full batch: update 3 makes the weights non-finite; epoch 4's loss is NaN
        (25, 30, 1, 1),  # mini-batch: mid-epoch 2; the epoch is abandoned, back to its start
        (25, 40, 2, 1),  # mini-batch: the last update of epoch 2 is the diverging one
    ],
    ids=["full-batch", "mini-batch-mid-epoch", "mini-batch-epoch-end"],
)
def test_rollback_gives_back_the_weights_before_the_diverging_update(
    mnist, batch_size, poison_at, expect_reports, expect_snapshot, layout
):
    """A step whose update overflows (simulated: W2 gets an inf) ends the run; the network is finite again.

    Full batch: it is exactly the weights before the diverging update (whose
    loss was the last one reported). Mini-batch: either those, or the last
    epoch-boundary weights before the diverging update.
    """
    config = SMALL.replace(dtype="float64", batch_size=batch_size, epochs=10, lr=2.0 if batch_size == 0 else 0.5)
    t = trainer(mnist, config, layout=layout)
    before_update = []

    def after_step(calls):
        if calls == poison_at - 1:
            before_update.append(t.network.copy())
        if calls == poison_at:
            t.network.W2[0, 0] = np.inf  # as if the update had overflowed

    with StepSpy(after_step):
        snaps, error = snapshots_while_running(t)
    assert error is not None
    assert len(t.history) == expect_reports
    finite = t.network.is_finite()
    assert finite, "rolled back to weights that are not finite"
    if batch_size == 0:
        same = params_equal(t.network, before_update[0])
        assert same, "not the weights before the diverging update"
        assert measured(t)[0] == pytest.approx(t.history[-1].loss, rel=1e-12)
    else:
        same = params_equal(t.network, snaps[expect_snapshot]) or params_equal(t.network, before_update[0])
        assert same, "neither the weights before the diverging update nor the epoch boundary before it"
    assert np.isfinite(measured(t)[0])
    assert_still_predicts(t)


def test_an_exception_inside_a_minibatch_epoch_rewinds_to_the_last_finished_epoch(mnist, monkeypatch):
    """Ctrl-C lands between two mini-batches: the network goes back to where the history ends."""
    config = TrainConfig(task="multiclass", per_class=20, hidden=8, epochs=5, lr=0.5, batch_size=10, scale="unit")
    trainer = Trainer(config, build_task(config, mnist))
    real_step, calls = training._sparse.minibatch_step, []

    def step(*args):
        calls.append(1)
        if len(calls) == 20 + 7:  # the 7th mini-batch of the second epoch
            raise KeyboardInterrupt
        return real_step(*args)

    monkeypatch.setattr(training._sparse, "minibatch_step", step)
    after_first = None
    with pytest.raises(KeyboardInterrupt):
        for _ in trainer.run():
            after_first = trainer.network.copy()
    assert not np.array_equal(trainer.network.W1, after_first.W1), "six mini-batches of epoch 2 moved the weights"
    assert trainer.rewind_unfinished_epoch()
    assert trainer.network.epochs_trained == 1 == len(trainer.history)
    assert all(np.array_equal(a, b) for a, b in zip(trainer.network.params(), after_first.params()))
    assert not trainer.rewind_unfinished_epoch(), "between epochs there is nothing to rewind"
