"""mlpgui.core (and the compiled kernels) never import Qt.

The command line and the tests drive the engine without a display, and the
model/view split depends on it. Checked two ways: importing every module in
a fresh interpreter leaves no Qt binding in sys.modules, and no source file
of mlpgui/core names one in an import.
"""

import ast
import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import mlpgui.core

QT_MODULES = ("PySide6", "shiboken6", "pyqtgraph", "PyQt5", "PyQt6", "PySide2", "qtpy")
CORE_DIR = Path(mlpgui.core.__file__).parent

PROBE = """
import importlib, json, pkgutil, sys
import mlpgui.core
names = ["mlpgui._core"] + [m.name for m in pkgutil.walk_packages(mlpgui.core.__path__, "mlpgui.core.")]
names += [m.name for m in pkgutil.iter_modules(sys.modules["mlpgui"].__path__, "mlpgui.")
          if m.name.startswith("mlpgui._") and not m.name.startswith("mlpgui.__")]  # compiled kernels
for name in names:
    importlib.import_module(name)
{extra}
qt = sorted(m for m in sys.modules if m.split(".")[0] in {qt_modules!r})
print(json.dumps({{"imported": names, "qt": qt}}))
"""


def probe(extra=""):
    code = PROBE.format(extra=extra, qt_modules=QT_MODULES)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_importing_the_engine_loads_no_qt():
    found = probe()
    modules = {m.name for m in pkgutil.walk_packages(mlpgui.core.__path__, "mlpgui.core.")}
    assert modules and modules <= set(found["imported"])
    assert "mlpgui._core" in found["imported"]
    assert found["qt"] == [], f"importing mlpgui.core pulled in {found['qt']}"


def test_the_probe_does_see_qt_when_it_is_imported():
    """The check above can fail: a Qt import in the same process is reported."""
    found = probe(extra="import PySide6.QtCore")
    assert "PySide6" in found["qt"] and "shiboken6" in found["qt"]


def qt_imports_in(source: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [node.module or ""]
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            names = [node.args[0].value] if called in ("import_module", "__import__") else []
        else:
            continue
        found += [n for n in names if isinstance(n, str) and n.split(".")[0] in QT_MODULES]
    return found


def test_core_sources_import_no_qt():
    sources = sorted(CORE_DIR.rglob("*.py"))
    assert len(sources) >= 6
    offenders = {str(p.relative_to(CORE_DIR)): qt_imports_in(p.read_text()) for p in sources}
    offenders = {k: v for k, v in offenders.items() if v}
    assert offenders == {}


def test_the_source_scan_finds_qt_imports():
    assert qt_imports_in("from PySide6 import QtCore") == ["PySide6"]
    assert qt_imports_in("def f():\n    import pyqtgraph as pg\n") == ["pyqtgraph"]
    assert qt_imports_in("import importlib\nimportlib.import_module('shiboken6')") == ["shiboken6"]
    assert qt_imports_in("import numpy  # PySide6 is not used here") == []
