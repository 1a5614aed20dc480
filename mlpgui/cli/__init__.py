"""The `mlpgui` command: the window, or `mlpgui train|evaluate|predict` on the command line.

The parser and the headless commands live in `mlpgui.cli.commands`, which
never imports Qt; only `open_window` imports the window, and only when no
command is given.
"""

from __future__ import annotations

import sys

from .commands import EXIT_USAGE, build_parser, run_command, usable_streams


def open_window() -> int:
    from ..qt.app import main as window_main

    return window_main([sys.argv[0]])


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    usable_streams()
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as e:
        return e.code if isinstance(e.code, int) else EXIT_USAGE
    if args.command is None:
        return open_window()
    return run_command(args)


if __name__ == "__main__":
    sys.exit(main())
