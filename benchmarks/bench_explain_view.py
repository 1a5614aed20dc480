"""What "Why this guess?" adds to the draw pad's live update, on screen (offscreen Qt).

While the learner draws, the pad predicts at most every THROTTLE_MS (40 ms);
with "Why this guess?" open each update also computes the saliency and the
contributions and redraws the overlay and the unit tiles. Timed here, for the
homework's 784-256-10 network (float64, raw pixels, weights perturbed to look
trained) on an MNIST test digit loaded on the pad:

  closed    DrawPadPanel.refresh() + painting, "Why?" collapsed (what the pad costs today)
  open      the same with "Why?" open
  explain   ExplainView.set_image() alone (saliency, contributions, widgets), "Why?" open

Interleaved (order rotating), median and 95th percentile of each, and the
open / closed ratio: on a shared machine only ratios within one run mean
anything. Target: an update with "Why?" open stays under the throttle's
40 ms by a wide margin (and the explanation itself under 5 ms).

    QT_QPA_PLATFORM=offscreen python benchmarks/bench_explain_view.py [--repeats 200]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

APP = QApplication.instance() or QApplication([])

from mlpgui.core.config import PRESETS  # noqa: E402
from mlpgui.core.data import load_mnist  # noqa: E402
from mlpgui.core.network import Network  # noqa: E402
from mlpgui.qt.draw_pad import THROTTLE_MS, DrawPadPanel  # noqa: E402

EXPLAIN_TARGET_MS = 5.0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=200)
    args = parser.parse_args(argv)
    config = PRESETS["homework-multiclass"]
    network = Network.initial(config)
    rng = np.random.RandomState(0)
    for p in network.params():
        p += rng.normal(0, 0.05, p.shape).astype(p.dtype)
    image = load_mnist().x_test[0]

    closed, opened = DrawPadPanel(), DrawPadPanel()
    for pad in (closed, opened):
        pad.resize(300, 740)
        pad.show()
        pad.set_network(network)
        pad.set_image(image)
    opened.set_why_shown(True)
    APP.processEvents()

    def update(pad):
        pad.refresh()
        APP.processEvents()  # the repaint

    calls = {
        "closed": lambda: update(closed),
        "open": lambda: update(opened),
        "explain": lambda: opened.why.set_image(image),
    }
    for fn in calls.values():
        for _ in range(5):
            fn()
    times = {name: [] for name in calls}
    names = list(calls)
    for r in range(args.repeats):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            t0 = time.perf_counter()
            calls[name]()
            times[name].append(time.perf_counter() - t0)

    print(f"{args.repeats} updates of each, interleaved; homework-multiclass (H=256, float64), one MNIST digit")
    print(f"{'update':<10}{'median ms':>10}{'p95 ms':>9}")
    med = {}
    for name, t in times.items():
        t = sorted(t)
        med[name] = statistics.median(t) * 1e3
        print(f"{name:<10}{med[name]:>10.2f}{t[int(0.95 * (len(t) - 1))] * 1e3:>9.2f}")
    print(f"open / closed: {med['open'] / med['closed']:.2f}x; the pad updates at most every {THROTTLE_MS} ms")
    ok = med["explain"] < EXPLAIN_TARGET_MS and med["open"] < THROTTLE_MS / 2
    print(
        f"target: the explanation under {EXPLAIN_TARGET_MS:g} ms and an open update under half the throttle "
        f"({THROTTLE_MS / 2:g} ms), medians: {'met' if ok else 'MISSED'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
