"""The network's own weights and its one inference path, held to the NumPy reference.

`Network.initial` draws the homework's weights itself; `mlpgui.core.reference`
is an independent transcription (a test oracle only), so the two must agree
number for number. Probabilities, loss and hidden activations come from one
chunked pass; they must not depend on how the rows are chunked or whether
the network scales the images itself.
"""

import numpy as np
import pytest

from mlpgui.core import network as network_module
from mlpgui.core import reference
from mlpgui.core.config import MAX_SEED, TrainConfig
from mlpgui.core.network import Network, labels_from_proba


@pytest.mark.parametrize(
    "config",
    [
        TrainConfig(),  # the homework: binary, 256 hidden, seed 3, float64
        TrainConfig(task="multiclass", hidden=64, seed=0, dtype="float32"),
        TrainConfig(task="multiclass", hidden=7, seed=MAX_SEED, dtype="float64"),
    ],
    ids=["homework-binary", "multiclass-float32", "largest-seed"],
)
def test_initial_weights_are_the_homeworks(config):
    net = Network.initial(config)
    (W1, W2), (b1, b2) = reference.init_params(784, config.hidden, config.n_outputs, config.seed, config.dtype)
    for mine, oracle in zip(net.params(), (W1, b1, W2, b2), strict=True):
        assert mine.dtype == np.dtype(config.dtype) and mine.flags.c_contiguous
        assert np.array_equal(mine, oracle)
    assert net.epochs_trained == 0
    assert not np.array_equal(Network.initial(config.replace(seed=config.seed ^ 1)).W1, net.W1)


def test_labels_from_probabilities():
    binary = np.array([[0.9, 0.1], [0.5, 0.5], [0.3, 0.7]])
    assert labels_from_proba(binary).tolist() == [0, 1, 1]  # P(b) >= 0.5 is label 1, ties included
    assert labels_from_proba(binary, threshold=0.8).tolist() == [0, 0, 0]
    assert labels_from_proba(binary, threshold=0.0).tolist() == [1, 1, 1]
    multi = np.eye(10)[[3, 0, 9]] * 0.6 + 0.04
    assert labels_from_proba(multi).tolist() == [3, 0, 9]
    assert labels_from_proba(multi).dtype == np.int32


def trained_like(config, seed=0):
    """A network with random weights large enough that its outputs are far from uniform."""
    net = Network.initial(config)
    rng = np.random.default_rng(seed)
    for p in net.params():
        p[...] = rng.normal(0, 0.05, p.shape)
    return net


@pytest.mark.parametrize("task", ["binary", "multiclass"])
def test_probabilities_loss_and_hidden_match_the_reference(mnist, task):
    config = TrainConfig(task=task, hidden=24, scale="unit", dtype="float64")
    net = trained_like(config)
    images = mnist.x_test[:300]
    labels = (mnist.y_test[:300] % 2) if task == "binary" else mnist.y_test[:300]
    X = images.reshape(-1, 784) / 255.0
    activations, z2 = reference.forward_pass(X, [net.W1, net.W2], [net.b1, net.b2])
    y_hat = activations[2]
    expected = np.hstack([1 - y_hat, y_hat]) if task == "binary" else y_hat
    proba, loss = net.proba_and_loss(images, labels, images=True)
    np.testing.assert_allclose(proba, expected, rtol=1e-12, atol=1e-15)
    assert loss == pytest.approx(reference.loss(z2, labels), rel=1e-12)
    np.testing.assert_allclose(net.hidden_activations(X), activations[1], rtol=1e-12)
    assert np.array_equal(net.predict(X), reference.predict(X, [net.W1, net.W2], [net.b1, net.b2]))
    assert np.array_equal(net.predict(X), labels_from_proba(proba))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_chunking_and_scaling_do_not_change_the_results(mnist, monkeypatch, dtype):
    """Images scaled by the network, chunk by chunk, give what pre-scaled rows in one chunk give."""
    config = TrainConfig(task="multiclass", hidden=16, scale="raw", dtype=dtype)
    net = trained_like(config, seed=1)
    images, labels = mnist.x_test[:1000], mnist.y_test[:1000]
    whole = net.proba_and_loss(images.reshape(-1, 784).astype(dtype), labels)
    monkeypatch.setattr(network_module, "CHUNK", 128)  # 1000 rows: seven full chunks and a partial one
    chunked = net.proba_and_loss(images, labels, images=True)
    rtol = 1e-6 if dtype == "float32" else 1e-13  # BLAS may block a shorter matrix differently
    np.testing.assert_allclose(chunked[0], whole[0], rtol=rtol, atol=1e-12)
    assert chunked[1] == pytest.approx(whole[1], rel=rtol)
    np.testing.assert_allclose(net.predict_images(images), whole[0], rtol=rtol, atol=1e-12)
    np.testing.assert_allclose(
        net.hidden_activations(images, images=True),
        net.hidden_activations(images.reshape(-1, 784).astype(dtype)),
        rtol=rtol,
    )


def test_loss_needs_one_label_per_row(mnist):
    net = trained_like(TrainConfig(task="multiclass", hidden=4))
    with pytest.raises(ValueError, match="9 labels for 10 samples"):
        net.proba_and_loss(mnist.x_test[:10], mnist.y_test[:9], images=True)
    assert net.proba_and_loss(mnist.x_test[:10], images=True)[1] is None
