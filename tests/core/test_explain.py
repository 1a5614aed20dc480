"""Explaining one guess: saliency against finite differences, contributions against the logit,
one gradient step against the trainer and against its own first-order prediction."""

import numpy as np
import pytest

from mlpgui.core import explain
from mlpgui.core import reference as ref
from mlpgui.core.network import Network
from mlpgui.core.tasks import TaskData
from mlpgui.core.training import Trainer


def float64(network: Network, scale: str = "unit") -> Network:
    """The same function in float64; with scale "raw" W1 is divided by 255 so raw pixels give the same z1."""
    W1 = network.W1.astype(np.float64)
    if scale == "raw" and network.config.scale == "unit":
        W1 = W1 / 255.0
    config = network.config.replace(dtype="float64", scale=scale)
    return Network(config, W1, *(p.astype(np.float64) for p in network.params()[1:]))


def scaled(pixels: np.ndarray, scale: str) -> np.ndarray:
    return pixels / 255.0 if scale == "unit" else pixels


def target_values(network: Network, pixel_rows: np.ndarray, digit: int, of: str) -> np.ndarray:
    """The NumPy oracle's probability or logit of `digit` for each row of pixel values."""
    X = scaled(pixel_rows, network.config.scale)
    activations, z2 = ref.forward_pass(X, [network.W1, network.W2], [network.b1, network.b2])
    label = network.classes.index(digit)
    if z2.shape[1] == 1:  # one output: the log-odds of b
        z, p = z2[:, 0], activations[2][:, 0]
        if of == "logit":
            return z if label == 1 else -z
        return p if label == 1 else 1.0 - p
    return z2[:, label] if of == "logit" else activations[2][:, label]


def finite_difference(network, image_u8, digit, of, eps=1e-3) -> np.ndarray:
    """Central differences over every pixel (pixel-value units), all 1,568 evaluations in one pass."""
    p = image_u8.astype(np.float64).ravel()
    rows = np.repeat(p[None], 2 * 784, axis=0)
    rows[np.arange(784), np.arange(784)] += eps
    rows[784 + np.arange(784), np.arange(784)] -= eps
    f = target_values(network, rows, digit, of)
    return ((f[:784] - f[784:]) / (2 * eps)).reshape(28, 28)


@pytest.fixture(params=["multi", "binary"])
def trained(request):
    return request.getfixturevalue(request.param)


@pytest.mark.parametrize("scale", ["unit", "raw"])
@pytest.mark.parametrize("of", ["probability", "logit"])
def test_saliency_is_the_gradient_of_the_probability_or_logit(trained, scale, of):
    network, task = trained
    net = float64(network, scale)
    image = task.test_images[7]
    for digit in (None, *net.classes[:3]):  # the guess, and other classes ("what would make this a 7?")
        s = explain.saliency(net, image, digit, of)
        expected_target = digit if digit is not None else s.guess
        assert s.target == expected_target and s.of == of
        fd = finite_difference(net, image, s.target, of)
        assert np.abs(fd).max() > 1e-8  # the image moves the target at all
        assert np.abs(s.grad - fd).max() <= 1e-6 * max(1.0, np.abs(fd).max())
        assert np.abs(s.grad - fd).max() <= 1e-4 * np.abs(fd).max()
        assert s.value == pytest.approx(target_values(net, image.reshape(1, -1).astype(float), s.target, of)[0])


def test_saliency_explains_the_guess_by_default(multi):
    network, task = multi
    guesses = network.predict_images(task.test_images[:20]).argmax(axis=1)
    for image, guess in zip(task.test_images[:20], guesses):
        s = explain.saliency(network, image)
        assert s.target == s.guess == network.classes[guess]


def test_binary_saliency_of_the_two_digits_are_opposite(binary):
    network, task = binary
    a, b = network.classes
    image = task.test_images[0]
    for of in ("probability", "logit"):
        np.testing.assert_allclose(
            explain.saliency(network, image, a, of).grad, -explain.saliency(network, image, b, of).grad, atol=1e-15
        )


def test_ink_floats_are_pixels_over_255(multi):
    network, task = multi
    image = task.test_images[1]
    np.testing.assert_allclose(
        explain.saliency(network, image / 255.0).grad, explain.saliency(network, image).grad, rtol=1e-12
    )
    with pytest.raises(ValueError, match="0 to 1"):
        explain.saliency(network, image.astype(np.float64))
    with pytest.raises(ValueError, match="28x28"):
        explain.saliency(network, image[:27])
    with pytest.raises(ValueError, match="not one of this model's digits"):
        explain.saliency(network, image, 3 if 3 not in network.classes else 11)


def test_contributions_sum_to_the_logit(trained):
    network, task = trained
    net = float64(network)
    for image in task.test_images[:5]:
        for digit in (None, *net.classes):
            c = explain.contributions(net, image, digit, top=8)
            logit = target_values(net, image.reshape(1, -1).astype(float), c.target, "logit")[0]
            assert c.logit == pytest.approx(logit, abs=1e-12)
            assert c.values.sum() + c.bias == pytest.approx(c.logit, abs=1e-12)
            assert len(c.values) == net.hidden and len(c.units) == 8
            strengths = np.abs(c.values[c.units])
            assert (np.diff(strengths) <= 0).all()  # strongest first
            assert strengths[-1] >= np.delete(np.abs(c.values), c.units).max()  # and truly the top ones


def test_contributions_of_a_float32_network_match_its_own_logits(multi):
    network, task = multi
    image = task.test_images[2]
    c = explain.contributions(network, image)
    proba = network.predict_images(image[None])[0]
    # the softmax's log-ratios are the logits' differences
    other = explain.contributions(network, image, network.classes[int(np.argsort(proba)[-2])])
    assert c.logit - other.logit == pytest.approx(np.log(proba.max() / np.sort(proba)[-2]), rel=1e-4)
    assert c.values.sum() + c.bias == pytest.approx(c.logit, rel=1e-12, abs=1e-12)


def one_sample_task(network: Network, image, label: int, lr: float) -> tuple[TaskData, object]:
    config = network.config.replace(epochs=1, batch_size=0, lr=lr)
    images = image[None].copy()
    labels = np.array([label], np.int32)
    return TaskData(config, images, labels, images, labels), config


@pytest.mark.parametrize("layout", ["dense", "sparse"])
def test_one_step_gradients_are_what_the_trainer_does_on_that_sample(trained, layout):
    network, task = trained
    net = float64(network)
    image, label = task.test_images[11], int(task.test_labels[11])
    lr = 0.05
    step = explain.one_step(net, image, net.classes[label], lr)

    one, config = one_sample_task(net, image, label, lr)
    trainer = Trainer(config, one, network=net.copy(), layout=layout, n_threads=1)
    report = next(trainer.run())
    assert step.loss == pytest.approx(report.loss, rel=1e-12)
    for before, after, grad in zip(net.params(), trainer.network.params(), step.grads):
        np.testing.assert_allclose((before - after) / lr, grad, rtol=1e-7, atol=1e-12)
    _, loss_after = trainer.network.proba_and_loss(image[None], np.array([label]), images=True)
    assert step.loss_after == pytest.approx(loss_after, rel=1e-12)


def test_one_step_predicts_the_loss_change_to_first_order(trained):
    network, task = trained
    net = float64(network)
    image, label = task.test_images[5], net.classes[int(task.test_labels[5])]
    base = explain.one_step(net, image, label, 1.0)
    lr0 = 0.1 / base.grad_norms["all"] ** 2  # a step that changes the loss by about 0.1
    errors = []
    for lr in (lr0, lr0 / 10, lr0 / 100, lr0 / 1000):
        s = explain.one_step(net, image, label, lr)
        assert s.predicted_change == pytest.approx(-lr * base.grad_norms["all"] ** 2)
        assert s.actual_change < 0  # a small step down the gradient lowers this image's loss
        errors.append(abs(s.actual_change / s.predicted_change - 1.0))
    assert all(later < earlier / 5 for earlier, later in zip(errors, errors[1:]))  # second-order error shrinks
    assert errors[-1] < 1e-3


def test_one_step_shows_the_course_quantities(trained):
    network, task = trained
    net = float64(network)
    image, label = task.test_images[3], int(task.test_labels[3])
    before = [p.copy() for p in net.params()]
    s = explain.one_step(net, image, net.classes[label], 0.1)
    for p, q in zip(before, net.params()):
        np.testing.assert_array_equal(p, q)  # the network itself is untouched

    stage = {st.symbol.split(" =")[0]: st for st in s.stages}
    h, k = net.hidden, net.W2.shape[1]
    x = image.reshape(1, -1) / 255.0
    loss, coef_grads, intercept_grads, activations = ref.backprop(
        x, np.array([label]), [net.W1, net.W2], [net.b1, net.b2]
    )
    assert [st.phase for st in s.stages[:6]] == ["forward"] * 6 and s.backward[0].symbol == "y"
    assert stage["x"].shape == (1, 784) and stage["z1"].shape == (1, h) and stage["z2"].shape == (1, k)
    np.testing.assert_allclose(stage["z1"].values, x @ net.W1 + net.b1, rtol=1e-12)
    np.testing.assert_allclose(stage["a1"].values, activations[1], rtol=1e-12)
    np.testing.assert_allclose(stage["y_hat"].values, activations[2], rtol=1e-12)
    np.testing.assert_allclose(stage["delta2"].values, activations[2] - ref.one_hot(np.array([label]), k), atol=1e-15)
    assert stage["L"].values == pytest.approx(loss) == pytest.approx(s.loss)
    np.testing.assert_allclose(stage["dW1"].values, coef_grads[0], rtol=1e-9, atol=1e-15)
    np.testing.assert_allclose(stage["dW2"].values, coef_grads[1], rtol=1e-9, atol=1e-15)
    np.testing.assert_allclose(stage["db1"].values, intercept_grads[0], rtol=1e-9, atol=1e-15)
    assert stage["dW1"].norm == pytest.approx(s.grad_norms["W1"])
    np.testing.assert_array_equal(stage["z1"].values_preview, stage["z1"].values.ravel()[: explain.PREVIEW])
    with pytest.raises(ValueError, match="learning rate"):
        explain.one_step(net, image, net.classes[label], 0.0)
