"""A long session: N short runs back to back in one window, watching the process's memory.

The target: 30 short runs in one window grow the resident memory (RSS) by
no more than 50 MB after the first few. This drives a real `MainWindow`
(offscreen), presses Start for each run through the panel, waits for the run to
finish, and reads RSS from /proc/self/statm after every run. Each run keeps its
faded curve on the loss plot and replaces the model every view shows, so this
exercises the plot, the evaluation views, the draw pad and the worker threads.

    .venv/bin/python benchmarks/soak_runs.py                 # 30 runs of a short homework-binary (10 epochs)
    .venv/bin/python benchmarks/soak_runs.py --runs 50 --epochs 20 --preset homework-multiclass

Exit status 1 when the growth after the warm-up runs exceeds the limit.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("MLPGUI_SETTINGS_ORG", "mlpgui-bench")

PAGE = os.sysconf("SC_PAGE_SIZE")


def rss_mib() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE / 2**20


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--warmup", type=int, default=5, help="runs before the baseline is taken")
    ap.add_argument("--preset", default="homework-binary")
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--limit", type=float, default=50.0, help="allowed growth in MB (10^6 bytes)")
    args = ap.parse_args(argv)

    from PySide6.QtCore import QEventLoop, QSettings, QTimer
    from PySide6.QtWidgets import QApplication, QMessageBox

    from mlpgui.core.config import preset
    from mlpgui.core.data import load_mnist
    from mlpgui.qt import worker as training
    from mlpgui.qt.main_window import MainWindow
    from mlpgui.qt.settings import Settings

    app = QApplication.instance() or QApplication([])
    QMessageBox.warning = staticmethod(lambda *a, **k: print("dialog:", a[1:3], file=sys.stderr))
    QMessageBox.question = staticmethod(lambda *a, **k: QMessageBox.StandardButton.Discard)
    tmp = tempfile.TemporaryDirectory()
    window = MainWindow(
        Settings(QSettings(os.path.join(tmp.name, "s.ini"), QSettings.Format.IniFormat)),
        data_dir=os.path.join(tmp.name, "data"),
        mnist=load_mnist(),
    )
    window.show()
    base = preset(args.preset).replace(epochs=args.epochs)

    def wait_for_run():
        loop = QEventLoop()
        window.runFinished.connect(loop.quit)
        QTimer.singleShot(0, window.panel.start_button.click)
        loop.exec()
        window.runFinished.disconnect(loop.quit)
        while training.running_threads():
            app.processEvents()
            time.sleep(0.01)
        app.processEvents()

    start_rss = rss_mib()
    rows = []
    t0 = time.perf_counter()
    for i in range(args.runs):
        window.panel.set_config(base.replace(seed=i))
        began = time.perf_counter()
        wait_for_run()
        rows.append((i + 1, time.perf_counter() - began, rss_mib()))
        print(f"run {i + 1:3d}: {rows[-1][1]:6.2f} s  RSS {rows[-1][2]:7.1f} MiB", flush=True)
    window.close()

    rss = [r[2] for r in rows]
    baseline = rss[args.warmup - 1]
    growth_mb = (max(rss[args.warmup :]) - baseline) * 2**20 / 1e6
    print(f"\n{args.runs} runs of {base.describe()}, {args.epochs} epochs each, {time.perf_counter() - t0:.1f} s")
    print(
        f"RSS before the first run {start_rss:.1f} MiB, after run {args.warmup} {baseline:.1f} MiB, "
        f"max after that {max(rss[args.warmup :]):.1f} MiB, last {rss[-1]:.1f} MiB"
    )
    print(
        f"growth after the warm-up: {growth_mb:.1f} MB (limit {args.limit:.0f} MB): "
        f"{'OK' if growth_mb <= args.limit else 'TOO MUCH'}"
    )
    return 0 if growth_mb <= args.limit else 1


if __name__ == "__main__":
    sys.exit(main())
