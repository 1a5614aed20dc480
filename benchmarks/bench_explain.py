"""How long explaining one guess takes: saliency, contributions and one step, against one prediction.

The lab's explanations update live as the learner draws, so each must stay
well under a frame: the target is under 5 ms per call for H=256. Timed for
the homework's two networks (784-256-10 softmax and 784-256-1 sigmoid,
float64, raw pixels) and the `fast` preset's (float32, unit pixels):

  predict       network.predict_images on the one image (what the draw pad already does per stroke)
  saliency      mlpgui.core.explain.saliency (probability of the guess)
  contributions mlpgui.core.explain.contributions
  one_step      mlpgui.core.explain.one_step (forward, backward, a real step on a copy, the loss after)
  numpy-saliency  the same saliency in plain NumPy float64 from the float64 weights (no kernel)

Calls are interleaved (one of each in turn, the order rotating) and the
table gives the median and 95th percentile of each, and its median as a
multiple of one prediction's: on a shared machine only such ratios within
one run mean anything.

    python benchmarks/bench_explain.py [--repeats 300] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time

import numpy as np

from mlpgui import _kernels
from mlpgui.core import explain
from mlpgui.core.config import PRESETS
from mlpgui.core.data import load_mnist
from mlpgui.core.network import Network

TARGET_MS = 5.0


def numpy_saliency(params64, scale: str, image: np.ndarray) -> np.ndarray:
    """d P(guess) / d pixel, written the obvious way (multiclass softmax or binary sigmoid)."""
    W1, b1, W2, b2 = params64
    slope = 1.0 / 255.0 if scale == "unit" else 1.0
    x = image.reshape(-1).astype(np.float64) * slope
    a1 = 1.0 / (1.0 + np.exp(-(x @ W1 + b1)))
    z2 = a1 @ W2 + b2
    if len(z2) == 1:
        p = 1.0 / (1.0 + np.exp(-z2[0]))
        g2 = np.array([p * (1 - p)]) * (1.0 if p >= 0.5 else -1.0)
    else:
        e = np.exp(z2 - z2.max())
        p = e / e.sum()
        k = int(np.argmax(p))
        g2 = -p[k] * p
        g2[k] += p[k]
    return ((W1 @ ((W2 @ g2) * a1 * (1 - a1))) * slope).reshape(28, 28)


def time_calls(calls: dict, repeats: int) -> dict[str, list[float]]:
    for fn in calls.values():  # warm up
        for _ in range(5):
            fn()
    times = {name: [] for name in calls}
    names = list(calls)
    for r in range(repeats):
        order = names[r % len(names) :] + names[: r % len(names)]
        for name in order:
            t0 = time.perf_counter()
            calls[name]()
            times[name].append(time.perf_counter() - t0)
    return times


def bench_network(preset: str, image: np.ndarray, label: int, repeats: int) -> dict:
    config = PRESETS[preset]
    network = Network.initial(config)
    rng = np.random.RandomState(0)  # trained-looking weights: larger than the initial N(0, 0.01)
    for p in network.params():
        p += rng.normal(0, 0.05, p.shape).astype(p.dtype)
    params64 = [p.astype(np.float64) for p in network.params()]
    digit = label if label in network.classes else network.classes[0]
    calls = {
        "predict": lambda: network.predict_images(image[None]),
        "saliency": lambda: explain.saliency(network, image),
        "contributions": lambda: explain.contributions(network, image),
        "one_step": lambda: explain.one_step(network, image, digit, config.lr),
        "numpy-saliency": lambda: numpy_saliency(params64, config.scale, image),
    }
    check = np.abs(numpy_saliency(params64, config.scale, image) - explain.saliency(network, image).grad).max()
    times = time_calls(calls, repeats)
    base = statistics.median(times["predict"])
    rows = {}
    for name, t in times.items():
        t = sorted(t)
        rows[name] = {
            "ms_median": statistics.median(t) * 1e3,
            "ms_p95": t[int(0.95 * (len(t) - 1))] * 1e3,
            "x_predict": statistics.median(t) / base,
        }
    return {
        "preset": preset,
        "hidden": config.hidden,
        "dtype": config.dtype,
        "outputs": config.n_outputs,
        "calls": rows,
        "max_abs_diff_numpy": float(check),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=300)
    parser.add_argument("--json", metavar="FILE")
    args = parser.parse_args(argv)
    mnist = load_mnist()
    image, label = mnist.x_test[0], int(mnist.y_test[0])
    results = [bench_network(p, image, label, args.repeats) for p in ("homework-multiclass", "homework-binary", "fast")]
    print(f"kernels: {_kernels.VARIANT}; {args.repeats} calls of each, interleaved; one 28x28 image")
    header = f"{'network':<30}{'call':<16}{'median ms':>10}{'p95 ms':>9}{'x predict':>11}"
    print(header)
    print("-" * len(header))
    ok = True
    for r in results:
        name = f"{r['preset']} ({r['dtype']})"
        for call, row in r["calls"].items():
            print(f"{name:<30}{call:<16}{row['ms_median']:>10.3f}{row['ms_p95']:>9.3f}{row['x_predict']:>11.1f}")
            if call in ("saliency", "contributions", "one_step"):
                ok &= row["ms_median"] < TARGET_MS
            name = ""
        print(f"{'':<30}saliency vs NumPy: max |difference| {r['max_abs_diff_numpy']:.2e}")
    print(f"target: every explanation under {TARGET_MS:g} ms (median): {'met' if ok else 'MISSED'}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"kernels": _kernels.VARIANT, "repeats": args.repeats, "results": results}, f, indent=2)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
