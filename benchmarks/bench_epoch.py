"""How fast one training epoch is: mlpgui's core against the homework's NumPy code and PyTorch.

Times one full-batch epoch (forward, loss, backward, update) of the
homework's multiclass network 784 -> 256 sigmoid -> 10 softmax, lr 0.1, raw
pixels, on N=10,000 and N=60,000 MNIST images, for:

  ours-f32-dense, ours-f32-sparse, ours-f64-dense, ours-f64-sparse
      mlpgui.core.training.Trainer, one `next(run())` per epoch
  homework        benchmarks/homework_numpy.py HomeworkNumpy (float64, as written)
  numpy-f32       benchmarks/homework_numpy.py TidyNumpy
  torch           benchmarks/torch_mlp.py TorchMLP (when torch imports)

All implementations start from the same weights and are timed interleaved
in one process (one epoch of each in turn, the order rotating), with a pause
before every timed epoch: OpenBLAS's and OpenMP's idle threads keep spinning
for a while after a parallel region and would slow whoever runs next. The
table gives medians over the timed epochs after a warm-up. Only ratios
within one run mean anything on a shared machine.

Then: peak RSS of each implementation training on all 60,000 images (one
subprocess each), the `fast` preset's time to its test accuracy against the
same recipe in PyTorch, the draw pad's inference time, and a check of every
speed and memory target.

    python benchmarks/bench_epoch.py [--quick] [--only torch,ours-f32-sparse] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import numpy as np  # noqa: E402
from homework_numpy import HomeworkNumpy, TidyNumpy  # noqa: E402

import mlpgui  # noqa: E402
from mlpgui import _kernels  # noqa: E402
from mlpgui.core import training  # noqa: E402
from mlpgui.core.config import PRESETS, TrainConfig  # noqa: E402
from mlpgui.core.data import load_mnist  # noqa: E402
from mlpgui.core.metrics import Evaluation  # noqa: E402
from mlpgui.core.network import Network  # noqa: E402
from mlpgui.core.tasks import build_task  # noqa: E402

try:
    import torch  # noqa: E402
    from torch_mlp import TorchMLP, train_minibatch  # noqa: E402
except ImportError:
    torch = None

OURS = {  # name -> (dtype, layout)
    "ours-f32-dense": ("float32", "dense"),
    "ours-f32-sparse": ("float32", "sparse"),
    "ours-f64-dense": ("float64", "dense"),
    "ours-f64-sparse": ("float64", "sparse"),
}
IMPLEMENTATIONS = [*OURS, "homework", "numpy-f32", "torch"]
LABELS = {
    "ours-f32-dense": "mlpgui f32 dense (BLAS)",
    "ours-f32-sparse": "mlpgui f32 sparse (CSR)",
    "ours-f64-dense": "mlpgui f64 dense (BLAS)",
    "ours-f64-sparse": "mlpgui f64 sparse (CSR)",
    "homework": "homework NumPy f64",
    "numpy-f32": "tidy NumPy f32",
    "torch": "PyTorch CPU f32",
}
PAUSE = 0.3  # seconds of quiet before each timed block: idle BLAS and OpenMP threads spin for a while
HIDDEN, CLASSES, INPUTS = 256, 10, 784


def epoch_config(per_class: int, dtype: str = "float64") -> TrainConfig:
    """The homework-multiclass network, run 'forever' (the benchmark decides when to stop)."""
    return PRESETS["homework-multiclass"].replace(per_class=per_class, dtype=dtype, epochs=1_000_000)


def dense_flops(n: int, hidden: int = HIDDEN, k: int = CLASSES, d: int = INPUTS) -> int:
    """Multiply-adds x 2 of the five matrix products of one epoch; elementwise work not counted.

    X W1 and X^T delta1 (2 * n*d*h each), A1 W2, A1^T delta2, delta2 W2^T (2 * n*h*k each).
    """
    return 2 * 2 * n * d * hidden + 3 * 2 * n * hidden * k


def auto_layout(task) -> str:
    """The layout Trainer(layout="auto") picks for these images."""
    pixels = task.train_images
    density = np.count_nonzero(pixels) / pixels.size
    limit = getattr(training, "SPARSE_MAX_DENSITY", None)
    if limit is None:
        return "sparse"
    return "sparse" if density <= limit else "dense"


# --- the epoch runners ----------------------------------------------------------


class Ours:
    def __init__(self, config: TrainConfig, task, dtype: str, layout: str):
        self.trainer = training.Trainer(config.replace(dtype=dtype), task, layout=layout)
        self.run = self.trainer.run()

    def epoch(self) -> float:
        return next(self.run).loss


def make_runner(name: str, task, config: TrainConfig):
    images, labels = task.train_images, task.train_labels
    common = dict(hidden=config.hidden, lr=config.lr, scale=config.scale, seed=config.seed)
    if name in OURS:
        return Ours(config, task, *OURS[name])
    if name == "homework":
        return HomeworkNumpy(images, labels, **common)
    if name == "numpy-f32":
        return TidyNumpy(images, labels, **common)
    if name == "torch":
        start = Network.initial(config.replace(dtype="float32"))
        return TorchMLP(images, labels, *start.params(), lr=config.lr, scale=config.scale)
    raise ValueError(name)


def time_epochs(names, n_label, task, config, warmup: int, repeats: int, log) -> dict:
    """Median wall time of one epoch of each implementation, interleaved."""
    runners = {}
    for name in names:
        t0 = time.perf_counter()
        runners[name] = make_runner(name, task, config)
        log(f"  set up {name} ({time.perf_counter() - t0:.1f} s)")
    times = {name: [] for name in names}
    losses = {name: [] for name in names}
    order = list(names)
    for r in range(warmup + repeats):
        for name in order:
            time.sleep(PAUSE)
            t0 = time.perf_counter()
            loss = runners[name].epoch()
            dt = time.perf_counter() - t0
            losses[name].append(float(loss))
            if r >= warmup:
                times[name].append(dt)
        order = order[1:] + order[:1]
        log(f"  round {r + 1}/{warmup + repeats} done" + (" (warm-up)" if r < warmup else ""))
    del runners
    flops = dense_flops(task.n_train)
    out = {}
    for name in names:
        med = statistics.median(times[name])
        out[name] = {
            "ms_median": med * 1e3,
            "ms_min": min(times[name]) * 1e3,
            "ms_all": [t * 1e3 for t in times[name]],
            "gflops": flops / med / 1e9,
            "loss_first": losses[name][0],
            "loss_last": losses[name][-1],
            "epochs": len(losses[name]),
        }
    for row in out.values():
        row["x_torch_time"] = row["ms_median"] / out["torch"]["ms_median"] if "torch" in out else None
        row["speedup_vs_homework"] = out["homework"]["ms_median"] / row["ms_median"] if "homework" in out else None
    return {
        "n": task.n_train,
        "label": n_label,
        "flops_per_epoch": flops,
        "auto_layout": auto_layout(task),
        "density": float(np.count_nonzero(task.train_images) / task.train_images.size),
        "warmup": warmup,
        "repeats": repeats,
        "results": out,
    }


# --- peak memory -------------------------------------------------------------------

RSS_SCRIPT = """
import sys
sys.path.insert(0, {here!r})
from mlpgui.core.config import PRESETS
from mlpgui.core.data import load_mnist
from mlpgui.core.network import Network
from mlpgui.core.tasks import build_task
config = PRESETS["homework-multiclass"].replace(per_class={per_class}, dtype="float32")
task = build_task(config, load_mnist())
images, labels = task.train_images, task.train_labels
if {name!r} == "homework":
    from homework_numpy import HomeworkNumpy
    run = HomeworkNumpy(images, labels, hidden=config.hidden, lr=config.lr, scale=config.scale, seed=config.seed)
elif {name!r} == "numpy-f32":
    from homework_numpy import TidyNumpy
    run = TidyNumpy(images, labels, hidden=config.hidden, lr=config.lr, scale=config.scale, seed=config.seed)
else:
    from torch_mlp import TorchMLP
    run = TorchMLP(images, labels, *Network.initial(config).params(), lr=config.lr, scale=config.scale)
del task, images, labels
for _ in range({epochs}):
    run.epoch()
"""


# A tiny launcher runs each measured child: a child forked straight from this
# (large) process would start with our peak RSS already on its ru_maxrss,
# since Linux carries the high-water mark across fork and exec.
LAUNCHER = """
import resource, subprocess, sys
status = subprocess.call(sys.argv[1:], stdout=subprocess.DEVNULL)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, status)
"""


def peak_rss_mb(cmd: list[str]) -> tuple[float, float, int]:
    """(peak RSS in MB, wall seconds, exit status) of one child process, via RUSAGE_CHILDREN."""
    t0 = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", LAUNCHER, *cmd], capture_output=True, text=True, cwd=os.path.dirname(HERE)
    )
    wall = time.perf_counter() - t0
    try:
        kb, status = (int(v) for v in done.stdout.split()[-2:])
    except ValueError:
        kb, status = 0, done.returncode or 1
    if status != 0:
        tail = done.stderr.strip().splitlines()[-3:]
        print(f"  ! {' '.join(cmd[1:6])}... exited {status}: {' | '.join(tail)}", file=sys.stderr)
    return kb / 1024, wall, status


def measure_rss(names, per_class: int, epochs: int, log) -> dict:
    """Peak RSS of training on the images, one subprocess per implementation."""
    py = sys.executable
    n_arg = "all" if per_class == 0 else str(per_class)
    jobs = {}
    for dtype in ("float32", "float64"):
        key = f"mlpgui train {dtype}"
        if any(n.startswith("ours-" + dtype.replace("float", "f")) for n in names):
            jobs[key] = [
                py,
                "-m",
                "mlpgui",
                "train",
                "--preset",
                "homework-multiclass",
                "--per-class",
                n_arg,
                "--dtype",
                dtype,
                "--epochs",
                str(epochs),
            ]
    if any(n in OURS for n in names):
        jobs["mlpgui train --preset fast"] = [
            py,
            "-m",
            "mlpgui",
            "train",
            "--preset",
            "fast",
            "--per-class",
            n_arg,
            "--epochs",
            "1",
        ]
    for name in ("homework", "numpy-f32", "torch"):
        if name in names:
            script = RSS_SCRIPT.format(here=HERE, per_class=per_class, name=name, epochs=epochs)
            jobs[LABELS[name]] = [py, "-c", script]
    out = {}
    for key, cmd in jobs.items():
        mb, wall, status = peak_rss_mb(cmd)
        out[key] = {
            "peak_rss_mb": mb,
            "seconds": wall,
            "exit": status,
            "command": " ".join(cmd[1:]) if cmd[1] != "-c" else "inline script (RSS_SCRIPT)",
        }
        log(f"  {key}: {mb:.0f} MB in {wall:.1f} s")
    return out


# --- the fast preset and the draw pad --------------------------------------------------


def fast_recipe(names, mnist, log, quick: bool = False) -> dict:
    """Training seconds and final test accuracy of the `fast` preset, ours and PyTorch's.

    quick: one epoch on 10,000 images, only to exercise the code.
    """
    config = PRESETS["fast"]
    if quick:
        config = config.replace(epochs=1, per_class=1000)
    task = build_task(config, mnist)
    out = {"config": config.describe(), "epochs": config.epochs, "n_train": task.n_train}
    network = None
    if any(n in OURS for n in names):
        time.sleep(PAUSE)
        trainer = training.Trainer(config, task)
        trainer.train()
        accuracy = Evaluation.compute(trainer.network, trainer.task).accuracy
        out["ours"] = {"seconds": trainer.elapsed, "test_accuracy": accuracy, "layout": trainer.layout}
        network = trainer.network
        log(f"  mlpgui: {trainer.elapsed:.2f} s, test accuracy {out['ours']['test_accuracy']:.4f}")
    if "torch" in names and torch is not None:
        time.sleep(PAUSE)
        start = Network.initial(config)
        seconds, acc = train_minibatch(
            task.train_images,
            task.train_labels,
            task.test_images,
            task.test_labels,
            *start.params(),
            lr=config.lr,
            batch_size=config.batch_size,
            epochs=config.epochs,
            seed=config.seed,
            scale=config.scale,
        )
        out["torch"] = {"seconds": seconds, "test_accuracy": acc}
        log(f"  PyTorch: {seconds:.2f} s, test accuracy {acc:.4f}")
    if "ours" in out and "torch" in out:
        out["torch_over_ours"] = out["torch"]["seconds"] / out["ours"]["seconds"]
    return out, network


def sample_ink(size: int = 280) -> np.ndarray:
    """A thick hand-drawn-like '7' on a size x size pad, ink 1.0 on 0.0."""
    ink = np.zeros((size, size))
    rr, cc = np.mgrid[0:size, 0:size] / size

    def stroke(r0, c0, r1, c1, width=0.045):
        dr, dc = r1 - r0, c1 - c0
        t = np.clip(((rr - r0) * dr + (cc - c0) * dc) / (dr * dr + dc * dc), 0, 1)
        d = np.hypot(rr - (r0 + t * dr), cc - (c0 + t * dc))
        np.maximum(ink, np.clip(1.5 - d / width, 0, 1), out=ink)

    stroke(0.2, 0.25, 0.2, 0.75)
    stroke(0.2, 0.75, 0.85, 0.42)
    return ink


def draw_pad_latency(network, repeats: int = 100) -> dict | None:
    try:
        from mlpgui.core.drawing import predict_digit
    except ImportError:
        return None
    ink = sample_ink()
    for _ in range(5):
        result = predict_digit(network, ink)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = predict_digit(network, ink)
        times.append(time.perf_counter() - t0)
    probabilities = result[0] if result is not None else None
    predicted = network.classes[int(np.argmax(probabilities))] if probabilities is not None else None
    return {
        "ms_median": statistics.median(times) * 1e3,
        "ms_max": max(times) * 1e3,
        "repeats": repeats,
        "ink_shape": list(ink.shape),
        "predicted_digit_for_sample_7": predicted,
    }


# --- the machine ----------------------------------------------------------------------------


def blas_libraries() -> list[str]:
    """Shared libraries mapped into this process that do BLAS or threading."""
    found = set()
    try:
        with open("/proc/self/maps") as maps:
            for line in maps:
                path = line.split()[-1]
                base = os.path.basename(path)
                if re.search(r"openblas|mkl|blis|gomp|iomp|libomp|flexiblas", base, re.I):
                    found.add(path.replace(sys.prefix, "<venv>"))
    except OSError:
        pass
    return sorted(found)


def machine_info() -> dict:
    import scipy

    info = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus_usable": len(os.sched_getaffinity(0)),
        "mlpgui": getattr(mlpgui, "__version__", "?"),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "torch": torch.__version__ if torch else None,
        "mlpgui_threads": training.default_threads(),
        "mlpgui_kernels": _kernels.VARIANT,
    }
    try:
        with open("/proc/cpuinfo") as f:
            text = f.read()
        model = re.search(r"model name\s*:\s*(.*)", text)
        flags = re.search(r"flags\s*:\s*(.*)", text)
        info["cpu"] = model.group(1).strip() if model else "?"
        flag_set = set(flags.group(1).split()) if flags else set()
        info["simd"] = [f for f in ("avx2", "fma", "avx512f", "avx512_bf16") if f in flag_set]
    except OSError:
        pass
    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        info["numpy_blas"] = f"{blas.get('name')} {blas.get('version')}"
    except Exception:  # older NumPy: no dict mode
        info["numpy_blas"] = "?"
    try:
        blas = scipy.show_config(mode="dicts")["Build Dependencies"]["blas"]
        info["scipy_blas"] = f"{blas.get('name')} {blas.get('version')}"
    except Exception:
        info["scipy_blas"] = "?"
    if torch is not None:
        config = torch.__config__.show()
        m = re.search(r"BLAS_INFO=(\w+)", config)
        info["torch_blas"] = m.group(1) if m else "?"
        info["torch_threads"] = torch.get_num_threads()
    try:
        from threadpoolctl import threadpool_info

        info["threadpools"] = [
            f"{p.get('internal_api')} {p.get('version')} x{p.get('num_threads')}" for p in threadpool_info()
        ]
    except ImportError:
        pass
    info["blas_libraries_loaded"] = blas_libraries()
    return info


# --- report ------------------------------------------------------------------------------------


def fmt_ratio(x, suffix="x"):
    return "-" if x is None else f"{x:.2f}{suffix}"


def print_epoch_table(block: dict) -> None:
    n = block["n"]
    print(
        f"\nN = {n:,} images (density {block['density']:.3f}, 'auto' picks {block['auto_layout']}); "
        f"median of {block['repeats']} epochs after {block['warmup']} warm-up"
    )
    head = (
        f"{'implementation':<26}{'ms/epoch':>10}{'min ms':>9}{'GFLOP/s':>9}{'x PyTorch':>11}"
        f"{'homework/x':>12}{'loss@last':>11}"
    )
    print(head)
    print("-" * len(head))
    for name, row in block["results"].items():
        print(
            f"{LABELS[name]:<26}{row['ms_median']:>10.1f}{row['ms_min']:>9.1f}{row['gflops']:>9.1f}"
            f"{fmt_ratio(row['x_torch_time']):>11}{fmt_ratio(row['speedup_vs_homework']):>12}"
            f"{row['loss_last']:>11.5f}"
        )


def round_ratios(res: dict, slow: str, fast: str) -> str:
    """Quartiles of slow's time over fast's, round by round (both run once in every round, seconds apart).

    The median-over-median ratio the target is checked on hides how much it
    moves with the shared machine; these show whether a pass or a miss is
    near the line.
    """
    pairs = sorted(a / b for a, b in zip(res[slow]["ms_all"], res[fast]["ms_all"]))
    if len(pairs) < 3:
        return ""
    q1, q2, q3 = statistics.quantiles(pairs, n=4)
    return f"round by round: quartiles {q1:.2f}x / {q2:.2f}x / {q3:.2f}x"


def check_targets(report: dict, quick: bool) -> list[dict]:
    """The targets, each with the number measured in this run."""
    checks = []

    def add(target, value, ok, note=""):
        checks.append(
            {
                "target": target,
                "measured": value,
                "status": "n/a" if ok is None else ("PASS" if ok else "FAIL"),
                "note": note,
            }
        )

    for block in report["epochs"]:
        res, n = block["results"], block["n"]
        ours32 = f"ours-f32-{block['auto_layout']}"
        ours64 = f"ours-f64-{block['auto_layout']}"
        if ours32 in res and "torch" in res:
            r = res[ours32]["x_torch_time"]
            add(f"f32 epoch N={n:,} <= 0.6x PyTorch ({block['auto_layout']})", f"{r:.2f}x", r <= 0.6)
        else:
            add(f"f32 epoch N={n:,} <= 0.6x PyTorch", "not measured", None)
        if ours32 in res and "homework" in res:
            s = res[ours32]["speedup_vs_homework"]
            add(
                f"f32 epoch N={n:,} >= 8x faster than homework",
                f"{s:.2f}x",
                s >= 8,
                round_ratios(res, "homework", ours32),
            )
        if ours64 in res and "homework" in res:
            s = res[ours64]["speedup_vs_homework"]
            add(
                f"f64 epoch N={n:,} >= 3x faster than homework",
                f"{s:.2f}x",
                s >= 3,
                "; ".join(
                    filter(
                        None,
                        [
                            round_ratios(res, "homework", ours64),
                            "homework-binary table exactness: checked by the engine's tests, not here",
                        ],
                    )
                ),
            )
    fast = report.get("fast") or {}
    full = not quick
    why = "" if full else "quick run: 1 epoch on 10,000 images"
    if "ours" in fast:
        acc, sec = fast["ours"]["test_accuracy"], fast["ours"]["seconds"]
        add("fast preset: >= 98.0% test accuracy", f"{100 * acc:.2f}%", acc >= 0.98 if full else None, why)
        add("fast preset: within 10 s of training", f"{sec:.2f} s", sec <= 10 if full else None, why)
    if "torch_over_ours" in fast:
        r = fast["torch_over_ours"]
        add("fast recipe in PyTorch takes >= 1.5x as long", f"{r:.2f}x", r >= 1.5 if full else None, why)
    rss = report.get("rss") or {}
    ours_rss = {k: v["peak_rss_mb"] for k, v in rss.items() if k.startswith("mlpgui train")}
    if ours_rss:
        worst = max(ours_rss, key=ours_rss.get)
        add(
            "peak RSS of mlpgui train on 60,000 images <= 300 MB",
            f"{ours_rss[worst]:.0f} MB (worst: {worst})",
            ours_rss[worst] <= 300 if not quick else None,
            "" if not quick else "quick run: 10,000 images",
        )
    draw = report.get("draw_pad")
    if draw:
        add("draw-pad inference < 2 ms", f"{draw['ms_median']:.2f} ms", draw["ms_median"] < 2)
    return checks


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="N=10,000 only, 3 timed epochs (smoke test)")
    parser.add_argument("--only", metavar="NAMES", help=f"comma-separated subset of: {', '.join(IMPLEMENTATIONS)}")
    parser.add_argument("--repeats", type=int, default=None, help="timed epochs per implementation (default 7)")
    parser.add_argument("--warmup", type=int, default=1, help="untimed epochs first (default 1)")
    parser.add_argument("--no-rss", action="store_true", help="skip the peak-memory subprocesses")
    parser.add_argument("--no-fast", action="store_true", help="skip the fast-preset time-to-accuracy run")
    parser.add_argument("--json", metavar="FILE", help="also write every number to FILE")
    args = parser.parse_args(argv)

    names = IMPLEMENTATIONS
    if args.only:
        names = [n.strip() for n in args.only.split(",") if n.strip()]
        unknown = [n for n in names if n not in IMPLEMENTATIONS]
        if unknown:
            parser.error(f"unknown implementation(s) {', '.join(unknown)}; choose from {', '.join(IMPLEMENTATIONS)}")
    if torch is None and "torch" in names:
        print("PyTorch not importable: skipping it (pip install -e '.[bench]')", file=sys.stderr)
        names = [n for n in names if n != "torch"]
    repeats = args.repeats or (3 if args.quick else 7)
    if repeats < 1 or args.warmup < 0:
        parser.error("--repeats must be >= 1 and --warmup >= 0")
    sizes = [1000] if args.quick else [1000, 0]  # per class: N = 10,000 and all 60,000

    def log(msg):
        print(msg, file=sys.stderr, flush=True)

    t_start = time.perf_counter()
    mnist = load_mnist()
    report = {
        "machine": machine_info(),
        "quick": args.quick,
        "implementations": names,
        "flops_counted": "2 x multiply-adds of X W1, X^T delta1 (784*256 per sample each) and "
        "A1 W2, A1^T delta2, delta2 W2^T (256*10 per sample each); elementwise not counted",
        "epochs": [],
    }
    for per_class in sizes:
        config = epoch_config(per_class)
        task = build_task(config, mnist)
        log(f"epochs at N={task.n_train:,}")
        report["epochs"].append(time_epochs(names, task.n_train, task, config, args.warmup, repeats, log))
        del task

    if not args.no_fast:
        log("fast preset, time to accuracy")
        report["fast"], network = fast_recipe(names, mnist, log, quick=args.quick)
    else:
        network = None
    if network is None:
        network = Network.initial(PRESETS["fast"])
    report["draw_pad"] = draw_pad_latency(network)
    if not args.no_rss:
        log("peak RSS, one subprocess each")
        if args.quick:  # one representative child, on 10,000 images, to keep the smoke test short
            rss_names = [n for n in names if n in OURS][:1]
            report["rss"] = measure_rss(rss_names, per_class=1000, epochs=1, log=log)
        else:
            report["rss"] = measure_rss(names, per_class=0, epochs=2, log=log)
    report["targets"] = check_targets(report, args.quick)
    report["seconds"] = time.perf_counter() - t_start

    # -- print -----------------------------------------------------------------------------
    m = report["machine"]
    print(f"mlpgui {m['mlpgui']} epoch benchmark: 784-256-10 sigmoid/softmax, full batch, lr 0.1, raw pixels")
    print(
        f"machine: {m.get('cpu', '?')}, {m['cpus_usable']} usable cores, SIMD {'/'.join(m.get('simd', []))}; "
        f"{m['platform']}"
    )
    print(
        f"Python {m['python']}, NumPy {m['numpy']} ({m['numpy_blas']}), SciPy {m['scipy']} "
        f"({m['scipy_blas']}), "
        + (
            f"PyTorch {m['torch']} (BLAS {m['torch_blas']}, {m['torch_threads']} threads)"
            if torch
            else "PyTorch not installed"
        )
        + f"; mlpgui threads {m['mlpgui_threads']}, kernels built for {m['mlpgui_kernels']}"
    )
    if m.get("threadpools"):
        print("thread pools: " + "; ".join(m["threadpools"]))
    print("BLAS/OpenMP libraries loaded: " + ", ".join(os.path.basename(p) for p in m["blas_libraries_loaded"]))
    print(
        f"GFLOP/s are dense-equivalent: {report['flops_counted']}; "
        f"{dense_flops(60000) / 1e9:.1f} GFLOP per epoch at N=60,000 (the sparse path does less work)."
    )
    print(
        "'x PyTorch' = ms/epoch divided by PyTorch's (lower is better); "
        "'homework/x' = homework's ms/epoch divided by this one's (speed-up)."
    )
    for block in report["epochs"]:
        print_epoch_table(block)

    fast = report.get("fast")
    if fast:
        print(
            f"\nTime to accuracy, preset 'fast' ({fast['config']}, {fast['epochs']} epochs, "
            f"{fast['n_train']:,} training images; clock excludes test evaluation)"
        )
        for who, label in (("ours", "mlpgui"), ("torch", "PyTorch CPU f32, same recipe")):
            if who in fast:
                print(
                    f"  {label:<32}{fast[who]['seconds']:>8.2f} s   test accuracy "
                    f"{100 * fast[who]['test_accuracy']:.2f}%"
                )
        if "torch_over_ours" in fast:
            print(f"  PyTorch / mlpgui: {fast['torch_over_ours']:.2f}x")
    if report.get("rss"):
        print(
            "\nPeak RSS training on "
            + ("10,000" if args.quick else "all 60,000")
            + " images (one subprocess each; full batch float32 unless named)"
        )
        for key, row in report["rss"].items():
            print(
                f"  {key:<32}{row['peak_rss_mb']:>8.0f} MB  ({row['seconds']:.1f} s"
                + (f", exit {row['exit']}" if row["exit"] else "")
                + ")"
            )
    draw = report.get("draw_pad")
    if draw:
        print(
            f"\nDraw-pad inference (280x280 ink -> 28x28 -> forward), median of {draw['repeats']}: "
            f"{draw['ms_median']:.2f} ms (max {draw['ms_max']:.2f} ms)"
        )
    print("\nTargets" + (" -- QUICK RUN, indicative only" if args.quick else ""))
    for c in report["targets"]:
        note = f"  [{c['note']}]" if c["note"] else ""
        print(f"  {c['status']:<5} {c['target']:<55} {c['measured']}{note}")
    print(f"\n(benchmark took {report['seconds']:.0f} s)")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=2)
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
