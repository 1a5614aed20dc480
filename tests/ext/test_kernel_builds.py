"""The kernels' builds: the one chosen for this CPU, and the portable one giving the same training.

setup.py compiles the kernels for any CPU of the architecture ("baseline")
and for x86-64 with AVX2 and FMA ("avx2"), or for the building machine
("native", an opt-in); `mlpgui._kernels` picks at import. A variant is
chosen once per process, so runs of another variant go to subprocesses
(MLPGUI_KERNELS forces one).
"""

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from mlpgui import _core, _kernels, _sparse

ROOT = Path(__file__).resolve().parents[2]


def cpu_flags() -> set[str] | None:
    """The CPU's feature flags as Linux reports them (None elsewhere): an oracle independent of `mlpgui._cpu`."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith("flags"):
            return set(line.split(":", 1)[1].split())
    return None


def run_python(code: str, kernels: str | None, tmp_path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "MLPGUI_KERNELS"}
    if kernels is not None:
        env["MLPGUI_KERNELS"] = kernels
    env["MLPGUI_THREADS"] = "1"
    return subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120
    )


def test_the_cpu_check_agrees_with_the_kernel_s_report():
    flags = cpu_flags()
    if flags is None:
        pytest.skip("no /proc/cpuinfo to check against")
    from mlpgui import _cpu

    assert _cpu.has_avx2_fma() == ({"avx2", "fma"} <= flags)


def test_this_process_uses_the_fastest_build_this_cpu_runs(tmp_path):
    """Without MLPGUI_KERNELS: native if it was built, else avx2 where the CPU has AVX2 and FMA, else baseline."""
    result = run_python(
        "from mlpgui import _kernels, _sparse, _core; print(_kernels.VARIANT, _sparse.__name__, _core.__name__)",
        None,
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    variant, sparse_name, core_name = result.stdout.split()
    from mlpgui import _cpu

    installed = _kernels.installed()
    assert "baseline" in installed
    expected = (
        "native" if "native" in installed else "avx2" if _cpu.has_avx2_fma() and "avx2" in installed else "baseline"
    )
    assert variant == expected
    assert (sparse_name, core_name) == (f"mlpgui._sparse_{variant}", f"mlpgui._core_{variant}")


@pytest.mark.skipif(not (cpu_flags() or set()) >= {"avx2", "fma"}, reason="this CPU has no AVX2 and FMA")
def test_an_x86_64_build_with_avx2_uses_it():
    """The speed of the default build on this machine depends on it: its AVX2 kernels must be built and chosen."""
    assert "avx2" in _kernels.installed() or "native" in _kernels.installed()
    assert _kernels.VARIANT in ("avx2", "native")


@pytest.mark.parametrize(
    "requested,available,avx2_fma,expected",
    [
        ("", ("avx2", "baseline"), True, "avx2"),
        ("", ("avx2", "baseline"), False, "baseline"),  # an older x86-64 CPU: never the AVX2 module
        ("", ("native", "baseline"), False, "native"),
        ("", ("baseline",), True, "baseline"),  # aarch64, or a compiler without the AVX2 flags
        ("baseline", ("avx2", "baseline"), True, "baseline"),
        ("avx2", ("avx2", "baseline"), True, "avx2"),
    ],
)
def test_choosing_a_build(requested, available, avx2_fma, expected):
    assert _kernels.choose(requested, available, avx2_fma) == expected


@pytest.mark.parametrize(
    "requested,available,avx2_fma,message",
    [
        ("avx2", ("avx2", "baseline"), False, "lacks AVX2"),
        ("native", ("avx2", "baseline"), True, "not installed"),
        ("fast", ("avx2", "baseline"), True, "choose one of"),
        ("", (), True, "no build"),
    ],
)
def test_a_build_that_cannot_run_is_refused_with_the_reason(requested, available, avx2_fma, message):
    with pytest.raises(ImportError, match=message):
        _kernels.choose(requested, available, avx2_fma)


def test_an_unknown_forced_build_is_a_clear_import_error(tmp_path):
    result = run_python("import mlpgui._sparse", "sse9", tmp_path)
    assert result.returncode != 0
    assert "MLPGUI_KERNELS='sse9': choose one of native, avx2, baseline" in result.stderr


def test_the_baseline_build_imports_and_computes_next_to_the_chosen_one():
    """The portable modules load in any process (no AVX2 needed to import them) and give the same step."""
    base_core = importlib.import_module("mlpgui._core_baseline")
    base_sparse = importlib.import_module("mlpgui._sparse_baseline")
    rng = np.random.default_rng(1)
    pixels = (rng.random((130, 784)) < 0.2) * rng.integers(1, 256, (130, 784))
    y = rng.integers(0, 10, 130).astype(np.int32)
    lut = (np.arange(256) / 255).astype(np.float32)
    start = [rng.normal(0, 0.05, (784, 100)), rng.normal(0, 0.5, 100), rng.normal(0, 0.2, (100, 10)), np.zeros(10)]
    start = [np.ascontiguousarray(p, np.float32) for p in start]
    results = []
    for sparse, core in ((base_sparse, base_core), (_sparse, _core)):
        params = [p.copy() for p in start]
        ws = sparse.Workspace(784, 100, 10, np.float32, 1)
        sparse_loss, _ = sparse.full_batch_step(sparse.CsrInputs(pixels, y, lut), *params, np.float32(0.5), ws)
        dense = [p.copy() for p in start]
        X = np.ascontiguousarray(lut[pixels])
        buffers = [np.empty((130, 100), np.float32), np.empty((130, 10), np.float32), np.empty((130, 100), np.float32)]
        dense_loss, _ = core.train_step(X, y, *dense, *buffers, *[np.empty_like(p) for p in dense], np.float32(0.5))
        results.append((sparse_loss, params, dense_loss, dense))
    (loss_b, params_b, dloss_b, dense_b), (loss_f, params_f, dloss_f, dense_f) = results
    assert loss_b == pytest.approx(loss_f, rel=1e-5) and dloss_b == pytest.approx(dloss_f, rel=1e-5)
    for got, want in zip(params_b + dense_b, params_f + dense_f):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-6)
    assert not np.array_equal(params_b[0], start[0])


TRAIN = """
import json, sys
import numpy as np
from mlpgui import _kernels
from mlpgui.core import training
from mlpgui.core.config import PRESETS
from mlpgui.core.data import load_mnist
from mlpgui.core.tasks import build_task

mnist = load_mnist()
out = {"variant": _kernels.VARIANT}
for name, config in {
    "multiclass-f32": PRESETS["homework-multiclass"].replace(per_class=60, epochs=3, dtype="float32"),
    "binary-f64": PRESETS["homework-binary"].replace(per_class=100, epochs=3),
    "fast": PRESETS["fast"].replace(per_class=50, epochs=1),
}.items():
    task = build_task(config, mnist)
    for layout in ("sparse", "dense"):
        trainer = training.Trainer(config, task, layout=layout, n_threads=1)
        losses = [report.loss for report in trainer.run()]
        out[f"{name}-{layout}"] = {"losses": losses, "params": [p.tolist() for p in trainer.network.params()]}
json.dump(out, sys.stdout)
"""


@pytest.mark.skipif(len(_kernels.installed()) < 2, reason="only one build of the kernels is installed")
def test_the_portable_build_trains_like_the_fast_one(tmp_path):
    """A few epochs of three presets, sparse and dense, in the baseline build and in the fastest one."""
    runs = {}
    for variant in ("baseline", _kernels.installed()[0]):
        result = run_python(TRAIN, variant, tmp_path)
        assert result.returncode == 0, result.stderr
        runs[variant] = json.loads(result.stdout)
        assert runs[variant].pop("variant") == variant
    base, fast = runs.values()
    assert base.keys() == fast.keys() and len(base) == 6
    for key in base:
        rtol = 1e-4 if "f32" in key or key.startswith("fast") else 1e-9
        np.testing.assert_allclose(base[key]["losses"], fast[key]["losses"], rtol=rtol, err_msg=key)
        for got, want in zip(base[key]["params"], fast[key]["params"]):
            np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol * 1e-2, err_msg=key)
