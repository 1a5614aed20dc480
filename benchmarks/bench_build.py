"""How fast the default (portable, dispatching) build of the kernels is against a native build, on this machine.

The default build compiles the kernels for any CPU and for AVX2/FMA, and
picks one at import; MLPGUI_NATIVE=1 compiles them for this machine's CPU
only (-march=native). This benchmark builds a native wheel into a temporary
folder (or takes --native-dir, a folder kept by --keep-native), loads its
kernels next to the installed ones, and times training epochs of both,
interleaved in one process: one epoch of each in turn, the order
alternating, with a pause before each. It reports the median epoch of each
and the quartiles of the round-by-round ratio default / native; the target
is a median ratio of at most 1.05.

    python benchmarks/bench_build.py [--rounds 25] [--cases sparse,fast] [--keep-native | --native-dir DIR]
                                     [--json out.json]
"""

from __future__ import annotations

import argparse
import contextlib
import glob
import importlib.util
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile

import numpy as np

from mlpgui import _core, _kernels, _sparse
from mlpgui.core import training
from mlpgui.core.config import PRESETS
from mlpgui.core.data import load_mnist
from mlpgui.core.tasks import build_task

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PAUSE = 0.2  # seconds of quiet before each timed epoch: idle OpenMP threads spin for a while after a parallel loop
TARGET = 1.05

# name -> (config, layout): the default MNIST paths of the homework recipe and of the fast preset, on 10,000 images
CASES = {
    "f32 sparse full batch": (PRESETS["homework-multiclass"].replace(per_class=1000, dtype="float32"), "sparse"),
    "f64 sparse full batch": (PRESETS["homework-multiclass"].replace(per_class=1000), "sparse"),
    "f32 dense full batch": (PRESETS["homework-multiclass"].replace(per_class=1000, dtype="float32"), "dense"),
    "fast preset, batch 32": (PRESETS["fast"].replace(per_class=1000), "sparse"),
}


def build_native(folder: str, log) -> str:
    """Build a MLPGUI_NATIVE=1 wheel of this source tree into folder and unpack its kernels; returns where."""
    env = dict(os.environ, MLPGUI_NATIVE="1")
    log("building a native wheel (a minute or two)")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", folder, ROOT], env=env, check=True
    )
    (wheel,) = glob.glob(os.path.join(folder, "mlpgui-*.whl"))
    with zipfile.ZipFile(wheel) as z:
        for name in z.namelist():
            if "_native" in name:
                z.extract(name, folder)
    return folder


def load_native(folder: str) -> tuple:
    """The native build's _core and _sparse, imported from folder as mlpgui._core_native and mlpgui._sparse_native."""
    modules = []
    for kernel in ("_core", "_sparse"):
        (path,) = glob.glob(os.path.join(folder, "mlpgui", f"{kernel}_native.*"))
        name = f"mlpgui.{kernel}_native"
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        modules.append(module)
    return tuple(modules)


@contextlib.contextmanager
def kernels(core, sparse):
    """Trainers made and run inside use these kernel modules."""
    saved = training._core, training._sparse
    training._core, training._sparse = core, sparse
    try:
        yield
    finally:
        training._core, training._sparse = saved


def time_case(config, layout, task, builds: dict, rounds: int) -> dict:
    runs = {}
    for name, modules in builds.items():
        with kernels(*modules):
            trainer = training.Trainer(config.replace(epochs=1_000_000), task, layout=layout)
            runs[name] = (modules, trainer.run())
    times = {name: [] for name in builds}
    losses = {name: [] for name in builds}
    order = list(builds)
    for r in range(rounds + 1):  # the first round warms up
        for name in order:
            modules, run = runs[name]
            time.sleep(PAUSE)
            with kernels(*modules):
                t0 = time.perf_counter()
                report = next(run)
                dt = time.perf_counter() - t0
            losses[name].append(report.loss)
            if r:
                times[name].append(dt)
        order.reverse()
    default, native = builds
    ratios = [a / b for a, b in zip(times[default], times[native])]
    q1, q2, q3 = statistics.quantiles(ratios, n=4)
    return {
        "ms_median": {k: statistics.median(v) * 1e3 for k, v in times.items()},
        "ratio_median_of_medians": statistics.median(times[default]) / statistics.median(times[native]),
        "ratio_quartiles": [q1, q2, q3],
        "same_losses": losses[default] == losses[native],
        "max_loss_difference": float(np.max(np.abs(np.subtract(losses[default], losses[native])))),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=25, help="timed epochs of each build per case (default 25)")
    parser.add_argument("--native-dir", help="a folder with a native build's mlpgui/_*_native.* (skips building)")
    parser.add_argument("--keep-native", action="store_true", help="keep the native build's folder, and say where")
    parser.add_argument(
        "--cases",
        metavar="WORDS",
        help=f"only cases whose names contain one of these comma-separated words (cases: {'; '.join(CASES)})",
    )
    parser.add_argument("--json", metavar="FILE", help="also write every number to FILE")
    args = parser.parse_args(argv)
    if args.rounds < 3:
        parser.error("--rounds must be at least 3")

    def log(msg):
        print(msg, file=sys.stderr, flush=True)

    tmp = tempfile.mkdtemp(prefix="mlpgui-native-")
    try:
        native = load_native(args.native_dir or build_native(tmp, log))  # loaded modules outlive their files
    finally:
        if args.keep_native and not args.native_dir:
            log(f"native build kept in {tmp} (for --native-dir)")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    default_name = f"default ({_kernels.VARIANT})"
    builds = {default_name: (_core, _sparse), "native": native}
    mnist = load_mnist()
    report = {"default_variant": _kernels.VARIANT, "threads": training.default_threads(), "cases": {}}
    words = [w.strip() for w in (args.cases or "").split(",") if w.strip()]
    for case, (config, layout) in CASES.items():
        if words and not any(w in case for w in words):
            continue
        log(f"timing {case}")
        report["cases"][case] = time_case(config, layout, build_task(config, mnist), builds, args.rounds)

    print(
        f"Default build (variant {_kernels.VARIANT}) against a native build (-march=native), "
        f"{report['threads']} threads, 10,000 MNIST images; {args.rounds} epochs each, interleaved"
    )
    head = f"{'case':<24}{'default ms':>11}{'native ms':>11}{'ratio':>8}  {'round by round: quartiles':<27}{'':>6}"
    print(head)
    print("-" * len(head))
    worst = 0.0
    for case, row in report["cases"].items():
        ms = list(row["ms_median"].values())
        q1, q2, q3 = row["ratio_quartiles"]
        worst = max(worst, q2)
        status = "PASS" if q2 <= TARGET else "FAIL"
        print(
            f"{case:<24}{ms[0]:>11.1f}{ms[1]:>11.1f}{row['ratio_median_of_medians']:>8.3f}  "
            f"{q1:.3f} / {q2:.3f} / {q3:.3f}{'':>5}{status}"
        )
        if not row["same_losses"]:
            print(f"  (losses differ between the builds by up to {row['max_loss_difference']:.2g})")
    print(
        f"target: the default build within {100 * (TARGET - 1):.0f}% of native (median round-by-round ratio "
        f"<= {TARGET}); worst median ratio {worst:.3f}"
    )
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=2)
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
