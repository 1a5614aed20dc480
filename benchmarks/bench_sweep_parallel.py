"""Would a sweep finish sooner running two small runs side by side? Measured, not guessed.

Two ways to train two small runs (as two points of a sweep would be):

  one after another   two `mlpgui train` processes in turn, each on the default
                      threads (every core: the compiled core splits its work)
  side by side        two `mlpgui train` processes at once, MLPGUI_THREADS=1 each
  after, 1 thread     (for reference) two in turn, MLPGUI_THREADS=1 each: how much the
                      default threads themselves bring

Each process loads the data and trains; the wall time of the pair is what a
user waits. The two ways alternate for ROUNDS rounds (the order swapping each
round); the table gives medians and the median round-by-round ratio.
Processes run with --no-record, so the history's file is not what is measured.

    python benchmarks/bench_sweep_parallel.py [--rounds 5] [--config binary-h64]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Small runs of the kind a learner sweeps: (name, mlpgui train flags).
CONFIGS = {
    "binary-h64": ["--preset", "homework-binary", "--hidden", "64"],
    "binary-h256": ["--preset", "homework-binary"],
    "multiclass-h64-30ep": ["--preset", "homework-multiclass", "--hidden", "64", "--epochs", "30"],
    "fast-1ep": ["--preset", "fast", "--epochs", "1"],
}


def command(flags: list[str]) -> list[str]:
    return [sys.executable, "-m", "mlpgui", "train", "--no-record", *flags]


def environment(threads: int | None) -> dict:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [ROOT, os.environ.get("PYTHONPATH")])))
    env.pop("MLPGUI_THREADS", None)
    if threads is not None:
        env["MLPGUI_THREADS"] = str(threads)
    return env


def _check(proc: subprocess.Popen) -> None:
    out, err = proc.communicate()
    if proc.returncode != 0:
        raise SystemExit(f"a run failed ({proc.returncode}): {err.strip()}")


def one_after_another(flags, threads: int | None = None) -> float:
    t0 = time.perf_counter()
    for _ in range(2):
        _check(
            subprocess.Popen(command(flags), env=environment(threads), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        )
    return time.perf_counter() - t0


def side_by_side(flags) -> float:
    t0 = time.perf_counter()
    procs = [
        subprocess.Popen(command(flags), env=environment(1), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(2)
    ]
    for proc in procs:
        _check(proc)
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--config", default="binary-h64,multiclass-h64-30ep", help=f"any of {', '.join(CONFIGS)}")
    args = parser.parse_args()
    print(f"cores: {os.cpu_count()}; {args.rounds} rounds, the two ways alternating; medians of the pair's wall time")
    print(
        f"{'config':<22} {'one after another s':>20} {'side by side s':>15} {'after, 1 thread s':>18} "
        f"{'side/after':>11}  faster"
    )
    for name in args.config.split(","):
        flags = CONFIGS[name]
        side_by_side(flags)  # warm-up: the page cache, the compiled modules
        after, side, single, ratios = [], [], [], []
        for i in range(args.rounds):
            if i % 2 == 0:
                a, s, o = one_after_another(flags), side_by_side(flags), one_after_another(flags, 1)
            else:
                o, s, a = one_after_another(flags, 1), side_by_side(flags), one_after_another(flags)
            after.append(a)
            side.append(s)
            single.append(o)
            ratios.append(s / a)
        ratio = statistics.median(ratios)
        faster = "side by side" if ratio < 1 else "one after another"
        print(
            f"{name:<22} {statistics.median(after):20.2f} {statistics.median(side):15.2f} "
            f"{statistics.median(single):18.2f} {ratio:11.3f}  {faster}",
            flush=True,
        )


if __name__ == "__main__":
    main()
