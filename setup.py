"""Build the compiled core. All other metadata is in pyproject.toml.

The kernels (ext/_core.pyx, ext/_sparse.pyx) are compiled once per variant,
as mlpgui.<kernel>_<variant>, and `mlpgui._kernels` imports at run time the
fastest variant the CPU can execute:

  baseline  any CPU of the target architecture (on x86-64: SSE2 only)
  avx2      x86-64 with AVX2 and FMA (-mavx2 -mfma); built only when compiling
            for x86-64 with a compiler that takes those flags
  native    MLPGUI_NATIVE=1, instead of avx2: this machine's CPU only
            (-march=native); such a build may not run on another machine

Each variant is a one-line stub under build/variants (`include "_core.pyx"`),
so Cython compiles the same source under another module name. mlpgui._cpu
(ext/_cpu.pyx) reports the CPU's features and is compiled for the baseline.

Cython directives are set once here: no bounds or wraparound checks, C
division. MLPGUI_DEBUG=1 turns bounds and initialisation checks back on.
OpenMP is used where the compiler supports it (GCC, Clang with libomp, MSVC);
MLPGUI_NO_OPENMP=1 builds without it. Without OpenMP the loops run on one
thread, and the build says so.
"""

import os
import sys
import sysconfig
import tempfile
from pathlib import Path

import numpy
from Cython.Build import cythonize
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext
from setuptools.errors import CompileError

DEBUG = os.environ.get("MLPGUI_DEBUG") == "1"
NATIVE = os.environ.get("MLPGUI_NATIVE") == "1"
NO_OPENMP = os.environ.get("MLPGUI_NO_OPENMP") == "1"

KERNELS = ("_core", "_sparse")
VARIANTS = ("baseline", "native") if NATIVE else ("baseline", "avx2")
USES_OPENMP = {"_sparse"}  # kernels with prange loops

directives = {
    "language_level": 3,
    "boundscheck": DEBUG,
    "wraparound": False,
    "initializedcheck": DEBUG,
    "nonecheck": False,
    "cdivision": True,
}


def variant_stub(kernel: str, variant: str) -> str:
    """build/variants/<kernel>_<variant>.pyx: `include "<kernel>.pyx"`, rewritten only when it changes."""
    stub = Path("build", "variants", f"{kernel}_{variant}.pyx")
    text = f'include "{kernel}.pyx"\n'
    if not stub.exists() or stub.read_text() != text:
        stub.parent.mkdir(parents=True, exist_ok=True)
        stub.write_text(text)
    return str(stub)


def target_is_x86_64() -> bool:
    """Whether the build targets x86-64 only: the platform tag, and on macOS ARCHFLAGS (universal2 has arm64)."""
    target = sysconfig.get_platform()
    archs = os.environ.get("ARCHFLAGS", "").split("-arch")[1:]
    if sys.platform == "darwin" and archs:
        return [a.strip() for a in archs] == ["x86_64"]
    return target.endswith(("x86_64", "amd64"))


HEADERS = sorted(str(p) for p in Path("ext").iterdir() if p.suffix in (".pxd", ".h", ".pyx"))
extensions = [
    Extension(
        f"mlpgui.{kernel}_{variant}",
        [variant_stub(kernel, variant)],
        include_dirs=[numpy.get_include(), "ext"],
        depends=HEADERS,
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
    )
    for kernel in KERNELS
    for variant in VARIANTS
] + [Extension("mlpgui._cpu", ["ext/_cpu.pyx"])]


class BuildKernels(build_ext):
    """Chooses each extension's flags from the compiler: instruction sets per variant, optimisation, OpenMP."""

    def probe(self, flags: list[str], code: str = "int main(void) { return 0; }\n") -> bool:
        """Whether the compiler compiles `code` with `flags`."""
        with tempfile.TemporaryDirectory() as tmp:
            src = Path(tmp, "probe.c")
            src.write_text(code)
            try:
                self.compiler.compile([str(src)], output_dir=tmp, extra_postargs=flags)
            except CompileError:
                return False
        return True

    def openmp_flags(self) -> tuple[list[str], list[str]] | None:
        """(compile, link) flags for OpenMP, or None when this compiler has none."""
        code = "#include <omp.h>\nint main(void) { return omp_get_max_threads(); }\n"
        if self.compiler.compiler_type == "msvc":
            return ["/openmp"], []
        if sys.platform == "darwin":  # Apple's clang needs Homebrew's (or MacPorts') libomp
            for prefix in (
                os.environ.get("LIBOMP_PREFIX"),
                "/opt/homebrew/opt/libomp",
                "/usr/local/opt/libomp",
                "/opt/local",
            ):
                if prefix and Path(prefix, "include", "omp.h").exists():
                    flags = ["-Xpreprocessor", "-fopenmp", f"-I{prefix}/include"]
                    if self.probe(flags, code):
                        return flags, [f"-L{prefix}/lib", "-lomp"]
        if self.probe(["-fopenmp"], code):
            return ["-fopenmp"], ["-fopenmp"]
        return None

    def variant_flags(self, x86_64: bool) -> dict[str, list[str] | None]:
        """Instruction-set flags of each variant; None for a variant this compiler or target can't build."""
        msvc = self.compiler.compiler_type == "msvc"
        flags: dict[str, list[str] | None] = {"baseline": []}
        if msvc:
            flags["avx2"] = ["/arch:AVX2"] if x86_64 else None
            flags["native"] = None
        else:
            avx2 = ["-mavx2", "-mfma"]
            flags["avx2"] = avx2 if x86_64 and self.probe(avx2) else None
            native = ["-march=native", "-mprefer-vector-width=256"] if x86_64 else ["-mcpu=native"]
            flags["native"] = native if NATIVE and self.probe(native) else None
        return flags

    def finalize_options(self):
        super().finalize_options()
        if self.parallel is None:  # the variants compile independently
            self.parallel = 2

    def build_extensions(self):
        msvc = self.compiler.compiler_type == "msvc"
        # No errno and no FP traps: lets clamps and exp vectorise; NaN and inf behave as usual.
        optimise = ["/O2"] if msvc else ["-O3", "-fno-math-errno", "-fno-trapping-math"]
        openmp = None if NO_OPENMP else self.openmp_flags()
        if openmp is None:
            why = "MLPGUI_NO_OPENMP=1" if NO_OPENMP else "this compiler has no OpenMP (on macOS: brew install libomp)"
            print(
                f"mlpgui: building without OpenMP ({why}): the sparse kernels will run on one thread", file=sys.stderr
            )
        flags = self.variant_flags(target_is_x86_64())
        for variant in VARIANTS:
            if flags[variant] is None:
                print(
                    f"mlpgui: not building the {variant} kernels (compiler or target lacks their flags)",
                    file=sys.stderr,
                )
        kept = []
        for ext in self.extensions:
            kernel, _, variant = ext.name.removeprefix("mlpgui.").rpartition("_")
            if kernel in KERNELS:
                if flags[variant] is None:
                    continue
                ext.extra_compile_args = optimise + flags[variant]
                if kernel in USES_OPENMP and openmp is not None:
                    ext.extra_compile_args += openmp[0]
                    ext.extra_link_args = list(openmp[1])
            else:
                ext.extra_compile_args = optimise
            kept.append(ext)
        self.extensions[:] = kept
        super().build_extensions()

    def run(self):
        super().run()
        if self.inplace or getattr(self, "editable_mode", False):
            self.remove_stale_modules()

    def remove_stale_modules(self):
        """Delete in-tree kernel modules this build did not make (another variant set, or a single-build layout).

        `mlpgui._kernels` prefers the fastest variant it finds, so a leftover one would shadow this build.
        """
        built = {ext.name.removeprefix("mlpgui.") for ext in self.extensions}
        suffix = sysconfig.get_config_var("EXT_SUFFIX") or ".so"
        kernel_names = set(KERNELS) | {f"{k}_{v}" for k in KERNELS for v in ("baseline", "avx2", "native")}
        for path in Path("mlpgui").glob(f"_*{suffix}"):
            name = path.name[: -len(suffix)]
            if name in kernel_names and name not in built:
                print(f"mlpgui: removing {path}, left from an earlier build", file=sys.stderr)
                path.unlink()


setup(
    ext_modules=cythonize(extensions, compiler_directives=directives, include_path=["ext"], nthreads=2),
    cmdclass={"build_ext": BuildKernels},
)
