"""Build the compiled core: ext/*.pyx -> mlpgui._<name>. All other metadata is in pyproject.toml.

Cython directives are set once here: no bounds or wraparound checks, C
division. MLPGUI_DEBUG=1 turns bounds and initialisation checks back on.
MLPGUI_PORTABLE=1 builds for any x86-64 instead of this machine's CPU, and
MLPGUI_NO_OPENMP=1 builds without OpenMP (the loops then run serially).
"""

import os
import sys
from pathlib import Path

import numpy
from Cython.Build import cythonize
from setuptools import Extension, setup

DEBUG = os.environ.get("MLPGUI_DEBUG") == "1"
PORTABLE = os.environ.get("MLPGUI_PORTABLE") == "1"
OPENMP = os.environ.get("MLPGUI_NO_OPENMP") != "1" and sys.platform.startswith("linux")

directives = {
    "language_level": 3,
    "boundscheck": DEBUG,
    "wraparound": False,
    "initializedcheck": DEBUG,
    "nonecheck": False,
    "cdivision": True,
}

# No errno and no FP traps: lets clamps and exp vectorise; NaN and inf behave as usual.
compile_args = ["-O3", "-fno-math-errno", "-fno-trapping-math"] if os.name != "nt" else ["/O2"]
link_args = []
if not PORTABLE and os.name != "nt":
    compile_args += ["-march=native", "-mprefer-vector-width=256"]
if OPENMP:
    compile_args.append("-fopenmp")
    link_args.append("-fopenmp")

extensions = [
    Extension(
        f"mlpgui.{path.stem}",
        [str(path)],
        include_dirs=[numpy.get_include(), "ext"],
        depends=sorted(str(p) for p in Path("ext").iterdir() if p.suffix in (".pxd", ".h")),
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
        extra_compile_args=compile_args,
        extra_link_args=link_args,
    )
    for path in sorted(Path("ext").glob("*.pyx"))
]

setup(ext_modules=cythonize(extensions, compiler_directives=directives,
                            compile_time_env={"HAVE_OPENMP": OPENMP}))
