"""Before Qt starts: a missing display or missing X libraries get one line naming what to install."""

import pytest

from mlpgui.qt import app as app_module
from mlpgui.qt.display_check import XCB_LIBRARIES, display_problem


def everything_loads(soname):
    return True


def test_no_display_is_named():
    message = display_problem({}, "linux", everything_loads)
    assert "no display" in message and "DISPLAY" in message and "\n" not in message


def test_missing_xcb_libraries_are_named_by_their_debian_packages():
    missing = {"libxcb-cursor.so.0", "libxcb-icccm.so.4"}
    message = display_problem({"DISPLAY": ":0"}, "linux", lambda soname: soname not in missing)
    assert message.endswith("sudo apt install libxcb-cursor0 libxcb-icccm4") and "\n" not in message
    assert "libxkbcommon-x11-0" in display_problem({"DISPLAY": ":0"}, "linux", lambda s: "xkbcommon" not in s)


@pytest.mark.parametrize(
    "environ, platform",
    [
        ({"DISPLAY": ":0"}, "linux"),
        ({"QT_QPA_PLATFORM": "offscreen"}, "linux"),
        ({"WAYLAND_DISPLAY": "wayland-0"}, "linux"),
        ({}, "darwin"),
        ({}, "win32"),
    ],
)
def test_nothing_is_reported_when_qt_can_open_a_window(environ, platform):
    assert display_problem(environ, platform, everything_loads) is None


def test_xcb_asked_for_explicitly_is_checked_even_beside_wayland():
    environ = {"QT_QPA_PLATFORM": "xcb", "WAYLAND_DISPLAY": "wayland-0", "DISPLAY": ":0"}
    assert "libgl1" in display_problem(environ, "linux", lambda soname: soname != "libGL.so.1")
    assert set(XCB_LIBRARIES.values()) >= {"libxcb-cursor0", "libxcb-icccm4", "libxkbcommon-x11-0"}


def test_main_prints_one_line_and_exits_2_before_creating_the_application(monkeypatch, capsys):
    monkeypatch.setattr(app_module, "display_problem", lambda environ: "mlpgui: no display (test)")

    def no_app(*args, **kwargs):
        raise AssertionError("QApplication created")

    monkeypatch.setattr(
        app_module, "QApplication", type("NoApp", (), {"instance": staticmethod(lambda: None), "__init__": no_app})
    )
    assert app_module.main([]) == 2
    err = capsys.readouterr().err
    assert err == "mlpgui: no display (test)\n"
