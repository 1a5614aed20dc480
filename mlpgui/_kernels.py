"""Which compiled build of the kernels this process uses: the fastest one the CPU can execute.

setup.py compiles the kernels (ext/_core.pyx, ext/_sparse.pyx) once per
variant, as mlpgui.<kernel>_<variant>. In order of preference: "native"
(MLPGUI_NATIVE=1 builds, for the building machine's CPU), "avx2" (x86-64
with AVX2 and FMA) and "baseline" (any CPU of the architecture, always
built). `mlpgui._core` and `mlpgui._sparse` are the chosen variant's modules.
A variant's module must not even be imported on a CPU that lacks its
instructions (its initialisation may use them), so the choice is made here,
from `mlpgui._cpu`, which is compiled for the baseline.

MLPGUI_KERNELS=baseline (or avx2, native) forces a variant, for tests and
benchmarks; a variant that is not installed or that this CPU can't run is
refused with an ImportError that says so.
"""

from __future__ import annotations

import importlib
import importlib.util
import os

from . import _cpu

VARIANTS = ("native", "avx2", "baseline")  # fastest first
KERNELS = ("_core", "_sparse")


def installed() -> tuple[str, ...]:
    """The variants whose modules are installed, fastest first."""
    return tuple(v for v in VARIANTS if all(importlib.util.find_spec(f"{__package__}.{k}_{v}") for k in KERNELS))


def choose(requested: str, available: tuple[str, ...], avx2_fma: bool) -> str:
    """The variant to load: `requested` ("" for the fastest that runs) among `available`, on a CPU with or
    without AVX2 and FMA. Raises ImportError with the reason when none fits."""
    runnable = [v for v in available if v != "avx2" or avx2_fma]
    if not requested:
        if not runnable:
            raise ImportError(
                f"no build of mlpgui's kernels is installed (found: {', '.join(available) or 'none'}); reinstall mlpgui"
            )
        return runnable[0]
    if requested not in VARIANTS:
        raise ImportError(f"MLPGUI_KERNELS={requested!r}: choose one of {', '.join(VARIANTS)}, or leave it unset")
    if requested not in available:
        raise ImportError(
            f"MLPGUI_KERNELS={requested}: that build of the kernels is not installed "
            f"(installed: {', '.join(available) or 'none'})"
        )
    if requested not in runnable:
        raise ImportError(f"MLPGUI_KERNELS={requested}: this CPU lacks AVX2 or FMA")
    return requested


VARIANT = choose(os.environ.get("MLPGUI_KERNELS", "").strip().lower(), installed(), _cpu.has_avx2_fma())


def load(kernel: str):
    """The module of `kernel` ("_core" or "_sparse") in the chosen variant."""
    return importlib.import_module(f"{__package__}.{kernel}_{VARIANT}")
